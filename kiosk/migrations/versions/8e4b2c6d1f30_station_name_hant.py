"""The station's name as 繁體 pages write it (typed by a keeper; empty: the station name)

Revision ID: 8e4b2c6d1f30
Revises: 6d2f8a4c9e13
Create Date: 2026-12-07 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4b2c6d1f30'
down_revision = '6d2f8a4c9e13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_hant', sa.String(length=80), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('name_hant')
