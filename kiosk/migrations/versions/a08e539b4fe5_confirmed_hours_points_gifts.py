"""confirmed hours, points, stars ladder, gifts

Hours recorded before keepers confirmed hours were already the station's record: finished
sessions not waiting for review count as confirmed (at their check-out). Points start from here:
no points are given for them until a keeper changes or confirms one.

Revision ID: a08e539b4fe5
Revises: 8a4e2c6f1d93
Create Date: 2026-11-29 05:41:55.440414

"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = 'a08e539b4fe5'
down_revision = '8a4e2c6f1d93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_gift_points_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_gift_stock_not_negative')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_gift_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift'))
    )
    op.create_table('points_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('keeper_id', sa.Integer(), nullable=True),
    sa.Column('at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['keeper_id'], ['keeper.id'], name=op.f('fk_points_line_keeper_id_keeper'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reverses_id'], ['points_line.id'], name=op.f('fk_points_line_reverses_id_points_line')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_points_line_station_id_station')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_points_line_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_line')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_points_line_reverses_id'))
    )
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.create_index('ix_points_line_volunteer_at', ['volunteer_id', 'at'], unique=False)

    op.create_table('redemption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('gift_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_at', kiosk.core.models.UTCDateTime(), nullable=False),
    sa.Column('decided_at', kiosk.core.models.UTCDateTime(), nullable=True),
    sa.Column('keeper_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['gift_id'], ['gift.id'], name=op.f('fk_redemption_gift_id_gift')),
    sa.ForeignKeyConstraint(['keeper_id'], ['keeper.id'], name=op.f('fk_redemption_keeper_id_keeper'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_redemption_station_id_station')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_redemption_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption'))
    )
    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.create_index('ix_redemption_station_status', ['station_id', 'status'], unique=False)

    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', kiosk.core.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_service_session_station_unconfirmed', ['station_id'], unique=False, sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_service_session_confirmed_by_id_keeper'), 'keeper', ['confirmed_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points_per_hour', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('star_hours', sa.String(length=60), server_default='100,300,600,1000,1500', nullable=False))

    op.execute("UPDATE service_session SET confirmed_at = checked_out_at "
               "WHERE checked_out_at IS NOT NULL AND needs_review = false")


def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('star_hours')
        batch_op.drop_column('points_per_hour')

    with op.batch_alter_table('service_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_session_confirmed_by_id_keeper'), type_='foreignkey')
        batch_op.drop_index('ix_service_session_station_unconfirmed', sqlite_where=sa.text('confirmed_at IS NULL'), postgresql_where=sa.text('confirmed_at IS NULL'))
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('confirmed_at')

    with op.batch_alter_table('redemption', schema=None) as batch_op:
        batch_op.drop_index('ix_redemption_station_status')

    op.drop_table('redemption')
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.drop_index('ix_points_line_volunteer_at')

    op.drop_table('points_line')
    op.drop_table('gift')
