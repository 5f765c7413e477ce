"""suggestion volunteer, points for a lead

Revision ID: e1eb903383c5
Revises: d10788952ac2
Create Date: 2026-11-29 06:14:07.962847

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = 'e1eb903383c5'
down_revision = 'd10788952ac2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggestion_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_points_line_suggestion_id'), ['suggestion_id'])
        batch_op.create_foreign_key(batch_op.f('fk_points_line_suggestion_id_suggestion'), 'suggestion', ['suggestion_id'], ['id'])

    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.add_column(sa.Column('volunteer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_suggestion_volunteer_id_volunteer'), 'volunteer', ['volunteer_id'], ['id'])



def downgrade():
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_suggestion_volunteer_id_volunteer'), type_='foreignkey')
        batch_op.drop_column('volunteer_id')

    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_points_line_suggestion_id_suggestion'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_points_line_suggestion_id'), type_='unique')
        batch_op.drop_column('suggestion_id')

