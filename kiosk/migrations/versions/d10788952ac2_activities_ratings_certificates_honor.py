"""activities, ratings, certificates, honor picks

Revision ID: d10788952ac2
Revises: a08e539b4fe5
Create Date: 2026-11-29 05:57:01.176119

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = 'd10788952ac2'
down_revision = 'a08e539b4fe5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('place', sa.String(length=80), nullable=False),
    sa.Column('content', sa.String(length=200), nullable=False),
    sa.Column('starts_at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.Column('ends_at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.Column('recurring', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('person_in_charge', sa.String(length=40), nullable=False),
    sa.Column('organiser', sa.String(length=80), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('created_at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_activity_station_id_station')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_activity_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_station_starts', ['station_id', 'starts_at'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('verify_token', sa.String(length=32), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', kiosk.core.models.UTCDateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['keeper.id'], name=op.f('fk_certificate_issued_by_id_keeper'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['keeper.id'], name=op.f('fk_certificate_revoked_by_id_keeper'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_certificate_station_id_station')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_certificate_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('station_id', 'serial', name=op.f('uq_certificate_station_id_serial')),
    sa.UniqueConstraint('verify_token', name=op.f('uq_certificate_verify_token'))
    )
    op.create_table('honor_pick',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=60), nullable=False),
    sa.Column('at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_honor_pick_station_id_station')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_honor_pick_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_honor_pick')),
    sa.UniqueConstraint('station_id', 'month', 'volunteer_id', name=op.f('uq_honor_pick_station_id_month_volunteer_id'))
    )
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('words', sa.String(length=200), nullable=True),
    sa.Column('device_key', sa.String(length=64), nullable=False),
    sa.Column('at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_rating_activity_id_activity')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_rating_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('activity_id', 'device_key', name=op.f('uq_rating_activity_id_device_key'))
    )
    op.create_table('signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_signup_activity_id_activity')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_signup_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signup')),
    sa.UniqueConstraint('activity_id', 'volunteer_id', name=op.f('uq_signup_activity_id_volunteer_id'))
    )
    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_service_session_activity_id_activity'), 'activity', ['activity_id'], ['id'])

    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('star_min_rating', sa.Double(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('person_in_charge', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact', sa.String(length=40), server_default='', nullable=False))

    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_type', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('id_number', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('hide_from_honor_roll', sa.Boolean(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('volunteer', schema=None) as batch_op:
        batch_op.drop_column('hide_from_honor_roll')
        batch_op.drop_column('id_number')
        batch_op.drop_column('id_type')

    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('contact')
        batch_op.drop_column('person_in_charge')
        batch_op.drop_column('star_min_rating')

    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_session_activity_id_activity'), type_='foreignkey')
        batch_op.drop_column('activity_id')

    op.drop_table('signup')
    op.drop_table('rating')
    op.drop_table('honor_pick')
    op.drop_table('certificate')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_station_starts')

    op.drop_table('activity')
