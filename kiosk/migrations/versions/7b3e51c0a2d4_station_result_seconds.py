"""station.result_seconds: how long a check-in result stays on the kiosk

Revision ID: 7b3e51c0a2d4
Revises: f089fb6ae2db
Create Date: 2026-11-29 14:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7b3e51c0a2d4'
down_revision = 'f089fb6ae2db'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_seconds', sa.Integer(), server_default='20', nullable=False))


def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('result_seconds')
