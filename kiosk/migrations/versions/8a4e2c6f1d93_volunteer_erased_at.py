"""volunteer erased_at: a keeper erased the personal data, the hours stay

Revision ID: 8a4e2c6f1d93
Revises: 3c1f0a9d2b7e
Create Date: 2026-11-29 03:12:00

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = '8a4e2c6f1d93'
down_revision = '3c1f0a9d2b7e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', kiosk.core.models.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
