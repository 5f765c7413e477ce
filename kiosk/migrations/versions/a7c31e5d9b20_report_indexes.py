"""indexes the reports read by: points by station and time, suggestions by station and resolving time

Without them a period's points or resolved suggestions would be found by reading every line the
station ever had.

Revision ID: a7c31e5d9b20
Revises: 5fad9d8e1154
Create Date: 2026-11-29 14:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c31e5d9b20'
down_revision = '5fad9d8e1154'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.create_index('ix_points_line_station_at', ['station_id', 'at'], unique=False)
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_station_resolved', ['station_id', 'resolved_at'], unique=False)


def downgrade():
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestion_station_resolved')
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.drop_index('ix_points_line_station_at')
