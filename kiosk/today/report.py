"""The keeper's view of a day: who is on duty, who came and went, and how many people the station served."""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from kiosk.checkin.attendance import auto_close_deadline, session_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds, local_today
from kiosk.core.text import name_matches
from kiosk.people.models import Volunteer
from kiosk.swap.models import SwapItem
from kiosk.swap.shelf import items_logged_or_taken
from kiosk.walkins.models import WalkInService, WalkInVisit
from kiosk.walkins.visits import visit_counts


FIRST_DAY = date(2000, 1, 1)  # no station kept records before this


def day_to_show(raw: str, today: date) -> date:
    """The day a keeper asked for (2026-11-20), or today when none was asked for. A day still to
    come, or one that is no date, is refused with the reason."""
    if not raw:
        return today
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None or day < FIRST_DAY:
        raise DomainError(_l("That date cannot be shown."), field="day")
    if day > today:
        raise DomainError(_l("That day has not come yet."), field="day")
    return day


@dataclass
class DayReport:
    day: date
    is_today: bool
    on_duty: list[ServiceSession] = field(default_factory=list)
    sessions: list[ServiceSession] = field(default_factory=list)  # every session that began that day
    query: str = ""  # what the keeper searched for: it narrows `matching`, never the day's totals
    matching: list[ServiceSession] = field(default_factory=list)  # the sessions the list shows
    minutes: dict[int, int] = field(default_factory=dict)  # session id -> rounded minutes
    walk_ins: list[tuple[WalkInService, int]] = field(default_factory=list)
    swap_brought: list[SwapItem] = field(default_factory=list)
    swap_taken: list[SwapItem] = field(default_factory=list)

    @property
    def volunteer_count(self) -> int:
        return len({s.volunteer_id for s in self.sessions})

    @property
    def person_times(self) -> int:
        """As the reports count them: one volunteer in one activity on one day once."""
        return len({(s.volunteer_id, s.activity_id) for s in self.sessions})

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes.values())

    @property
    def visitor_count(self) -> int:
        return sum(count for _, count in self.walk_ins)


def day_report(station: Station, day: date, now: datetime, query: str = "") -> DayReport:
    """Everything the Today screen shows for one of the station's local days; `query` (a name or
    number) narrows only the list of sessions, not the day's figures. Reads only the
    day's rows (by the station-and-time indexes), so it costs the same in year three as on day one.
    Close forgotten sessions first (close_forgotten_sessions) to show them as the system closed them."""
    start, end = day_bounds(station, day)
    sessions = list(db.session.scalars(
        select(ServiceSession)
        .options(selectinload(ServiceSession.volunteer))
        .where(ServiceSession.station_id == station.id, ServiceSession.checked_in_at >= start,
               ServiceSession.checked_in_at < end)
        .order_by(ServiceSession.checked_in_at.desc())
    ))
    q = " ".join((query or "").split())
    matching = [s for s in sessions if name_matches(q, s.volunteer.name) or q in s.volunteer.number] if q else sessions
    report = DayReport(day=day, is_today=day == local_today(station, now), sessions=sessions, query=q,
                       matching=matching, walk_ins=visit_counts(station, start, end))
    report.on_duty = [s for s in sessions if s.checked_out_at is None]
    if report.is_today:  # an evening patrol begun yesterday is still on duty after midnight
        report.on_duty += sorted((s for s in db.session.scalars(_open_sessions(station)
                                                                .options(selectinload(ServiceSession.volunteer)))
                                  if s.checked_in_at < start and now < auto_close_deadline(station, s.checked_in_at)),
                                 key=lambda s: s.checked_in_at, reverse=True)
    report.swap_brought, report.swap_taken = items_logged_or_taken(station, day)
    report.minutes = {s.id: session_minutes(s, station) for s in sessions}
    return report


def _open_sessions(station: Station):
    """The station's open sessions, by the open-sessions index (a few rows, however many years).
    No time condition in SQL: with one, SQLite walks the station's whole history by check-in time."""
    return select(ServiceSession).where(ServiceSession.station_id == station.id,
                                        ServiceSession.checked_out_at.is_(None))


def live_stamp(station: Station, day: date) -> str:
    """A short fingerprint of the day's data: if it has not changed, the live view has nothing to do.
    Index range counts only, no rows fetched."""
    start, end = day_bounds(station, day)
    sessions = db.session.execute(
        select(func.count(), func.max(ServiceSession.updated_at)).where(
            ServiceSession.station_id == station.id, ServiceSession.checked_in_at >= start,
            ServiceSession.checked_in_at < end)
    ).one()
    visits = db.session.execute(
        select(func.count(), func.max(WalkInVisit.id)).where(
            WalkInVisit.station_id == station.id, WalkInVisit.at >= start, WalkInVisit.at < end)
    ).one()
    swap = db.session.execute(
        select(func.count(), func.max(SwapItem.id)).where(
            SwapItem.station_id == station.id, SwapItem.logged_at >= start, SwapItem.logged_at < end)
    ).one()
    swap_taken = db.session.scalar(select(func.count()).select_from(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.taken_at >= start, SwapItem.taken_at < end))
    open_now = db.session.scalar(select(func.count()).select_from(_open_sessions(station).subquery()))
    changed = sessions[1].timestamp() if sessions[1] else 0
    return (f"{sessions[0]}.{int(changed * 1000)}.{visits[0]}.{visits[1] or 0}.{swap[0]}.{swap[1] or 0}.{swap_taken}"
            f".{open_now}")  # yesterday's patrol checking out


def needs_first_steps(station: Station) -> bool:
    """A station nobody has registered at yet: its keeper is shown where to begin."""
    return db.session.scalar(select(Volunteer.id).where(Volunteer.station_id == station.id).limit(1)) is None
