"""swap_item.take_token: the take form sent again is the same taker

Revision ID: 3c9d1e7a5b20
Revises: 7b3e51c0a2d4
Create Date: 2026-12-06 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c9d1e7a5b20'
down_revision = '7b3e51c0a2d4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('swap_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('take_token', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('swap_item', schema=None) as batch_op:
        batch_op.drop_column('take_token')
