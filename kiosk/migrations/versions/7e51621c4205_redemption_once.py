"""redemption.once: the kiosk's confirm form sent twice takes one gift

Revision ID: 7e51621c4205
Revises: 8d4b2f6a1c90
Create Date: 2026-12-06 13:39:09

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e51621c4205'
down_revision = '8d4b2f6a1c90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.add_column(sa.Column('once', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_redemption_once'), ['once'])


def downgrade():
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_redemption_once'), type_='unique')
        batch_op.drop_column('once')
