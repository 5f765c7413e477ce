"""points_line.once: a keeper's points form sent twice (a double tap, a resent form) adds one line

Revision ID: 5c3a9e1f7b20
Revises: 4b8e2d7c1a36
Create Date: 2026-12-06 23:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c3a9e1f7b20'
down_revision = '4b8e2d7c1a36'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('once', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_points_line_once'), ['once'])


def downgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_points_line_once'), type_='unique')
        batch_op.drop_column('once')
