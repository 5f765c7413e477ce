"""keeper session version (sign-ins can be ended), rate events shared by every worker

Revision ID: 3c1f0a9d2b7e
Revises: e79a07c3d8d7
Create Date: 2026-11-29 02:50:00

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = '3c1f0a9d2b7e'
down_revision = 'e79a07c3d8d7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('keeper', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.create_table('rate_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_event'))
    )
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.create_index('ix_rate_event_kind_key_at', ['kind', 'key', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_event_kind_key_at')
    op.drop_table('rate_event')
    with op.batch_alter_table('keeper', schema=None) as batch_op:
        batch_op.drop_column('session_version')
