"""points_line.per_hour: an hours line keeps the points per hour it was priced at

Revision ID: 4b8e2d7c1a36
Revises: 7e51621c4205
Create Date: 2026-12-08 10:00:00

Before, every time a volunteer's confirmed hours changed, all their confirmed sessions were priced
again at the station's points per hour of that moment, so a changed rate re-rated hours already
given. From now on a session keeps the rate it was first confirmed at (points/ledger.py), which
each hours line stores.

Lines written before have no rate, so the upgrade fills one in: the rate the volunteer's lines
were last priced at. That code kept every confirmed session of a volunteer at one rate (the one in
force at their last change), so it is the rate that explains the points each of their confirmed
sessions holds for its hours today: the station's present rate when that does (nearly always), else
the smallest rate that does (a volunteer whose hours have not changed since an earlier rate). Where
no single rate explains them (the station's rounding step changed since), the station's present
rate, which is what the next change would have priced them at before.
"""
from alembic import op
import sqlalchemy as sa

import kiosk.core.models


# revision identifiers, used by Alembic.
revision = '4b8e2d7c1a36'
down_revision = '7e51621c4205'
branch_labels = None
depends_on = None

MAX_POINTS_PER_HOUR = 1_000  # as points/ledger.py allows

station = sa.table('station', sa.column('id', sa.Integer), sa.column('points_per_hour', sa.Integer),
                   sa.column('hours_rounding_minutes', sa.Integer))
volunteer = sa.table('volunteer', sa.column('id', sa.Integer), sa.column('station_id', sa.Integer))
points_line = sa.table('points_line', sa.column('volunteer_id', sa.Integer), sa.column('session_id', sa.Integer),
                       sa.column('amount', sa.Integer), sa.column('kind', sa.String),
                       sa.column('per_hour', sa.Integer))
service_session = sa.table('service_session', sa.column('id', sa.Integer), sa.column('volunteer_id', sa.Integer),
                           sa.column('checked_in_at', kiosk.core.models.UTCDateTime()),
                           sa.column('checked_out_at', kiosk.core.models.UTCDateTime()),
                           sa.column('confirmed_at', kiosk.core.models.UTCDateTime()))


def upgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('per_hour', sa.Integer(), nullable=True))
    conn = op.get_bind()
    for rate, volunteer_ids in _rates_other_than_the_stations(conn).items():
        for i in range(0, len(volunteer_ids), 500):
            conn.execute(points_line.update().where(
                points_line.c.kind == 'hours', points_line.c.volunteer_id.in_(volunteer_ids[i:i + 500])
            ).values(per_hour=rate))
    # Everyone else: the station's present rate.
    conn.execute(points_line.update().where(points_line.c.kind == 'hours', points_line.c.per_hour.is_(None)).values(
        per_hour=sa.select(station.c.points_per_hour).select_from(volunteer.join(station, station.c.id == volunteer.c.station_id))
        .where(volunteer.c.id == points_line.c.volunteer_id).scalar_subquery()))


def _rates_other_than_the_stations(conn) -> dict[int, list[int]]:
    """{rate: volunteers} for those whose hours lines are explained by one rate, not the station's."""
    held = (sa.select(points_line.c.volunteer_id, points_line.c.session_id, sa.func.sum(points_line.c.amount).label('held'))
            .where(points_line.c.kind == 'hours').group_by(points_line.c.volunteer_id, points_line.c.session_id)
            .subquery())
    confirmed = ((service_session.c.id == held.c.session_id) & (service_session.c.volunteer_id == held.c.volunteer_id)
                 & service_session.c.confirmed_at.is_not(None) & service_session.c.checked_out_at.is_not(None))
    rows = conn.execute(
        sa.select(held.c.volunteer_id, held.c.held, station.c.points_per_hour, station.c.hours_rounding_minutes,
                  service_session.c.checked_in_at, service_session.c.checked_out_at)
        .select_from(held.join(volunteer, volunteer.c.id == held.c.volunteer_id)
                     .join(station, station.c.id == volunteer.c.station_id)
                     .outerjoin(service_session, confirmed))
        .order_by(held.c.volunteer_id).execution_options(stream_results=True))  # a district's years, a few rows at a time
    found: dict[int, list[int]] = {}
    current = None  # [volunteer, station's rate, lowest, highest] of the volunteer being read
    for volunteer_id, points, rate, step, checked_in_at, checked_out_at in rows:
        if current is None or current[0] != volunteer_id:
            _found(found, current)
            current = [volunteer_id, rate, 0, MAX_POINTS_PER_HOUR]
        if checked_out_at is None:
            continue  # a deleted session: its lines hold nothing, whatever the rate
        lowest, highest = _rates_for(_served_minutes(checked_in_at, checked_out_at, step), int(points or 0))
        current[2], current[3] = max(current[2], lowest), min(current[3], highest)
    _found(found, current)
    return found


def _found(found: dict[int, list[int]], current) -> None:
    if current is None:
        return
    volunteer_id, rate, lowest, highest = current
    if lowest <= highest and not lowest <= rate <= highest:
        found.setdefault(lowest, []).append(volunteer_id)


def _rates_for(minutes: int, points: int) -> tuple[int, int]:
    """The rates r with minutes * r // 60 == points (points.ledger.points_for); none: (1, 0)."""
    if points < 0:
        return 1, 0
    if minutes == 0:
        return (0, MAX_POINTS_PER_HOUR) if points == 0 else (1, 0)
    return -(-60 * points // minutes), (60 * points + 59) // minutes


def _served_minutes(checked_in_at, checked_out_at, step: int) -> int:
    """checkin.attendance.served_minutes as it stands at this upgrade: whole minutes, half up to the step."""
    step = max(1, step or 1)
    minutes = max(0, int((checked_out_at - checked_in_at).total_seconds() // 60))
    return ((minutes + step // 2) // step) * step


def downgrade():
    with op.batch_alter_table('points_line', schema=None) as batch_op:
        batch_op.drop_column('per_hour')
