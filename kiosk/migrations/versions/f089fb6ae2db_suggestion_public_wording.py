"""suggestion public_wording: what public views show of a resident's words, as a keeper published it

Revision ID: f089fb6ae2db
Revises: a7c31e5d9b20
Create Date: 2026-11-29 13:45:00

Suggestions from before keep it empty: public views then mask the text as they show it
(registered names and phone-like numbers), until a keeper saves the suggestion again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f089fb6ae2db'
down_revision = 'a7c31e5d9b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_wording', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_column('public_wording')
