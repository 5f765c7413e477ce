"""open and unconfirmed session indexes name their own column

SQLite keeps no statistics here, so with station_id alone in these partial indexes it took the
station's full time index instead and read every session the station ever had.

Revision ID: 5fad9d8e1154
Revises: e1eb903383c5
Create Date: 2026-11-29 11:01:03.752937

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = '5fad9d8e1154'
down_revision = 'e1eb903383c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_session_station_open'), sqlite_where=sa.text('checked_out_at IS NULL'))
        batch_op.create_index('ix_service_session_station_open', ['station_id', 'checked_out_at'], unique=False, sqlite_where=sa.text('checked_out_at IS NULL'), postgresql_where=sa.text('checked_out_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_service_session_station_unconfirmed'), sqlite_where=sa.text('confirmed_at IS NULL'))
        batch_op.create_index('ix_service_session_station_unconfirmed', ['station_id', 'confirmed_at'], unique=False, sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))



def downgrade():
    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.drop_index('ix_service_session_station_unconfirmed', sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_service_session_station_unconfirmed'), ['station_id'], unique=False, sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))
        batch_op.drop_index('ix_service_session_station_open', sqlite_where=sa.text('checked_out_at IS NULL'), postgresql_where=sa.text('checked_out_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_service_session_station_open'), ['station_id'], unique=False, sqlite_where=sa.text('checked_out_at IS NULL'), postgresql_where=sa.text('checked_out_at IS NULL'))

