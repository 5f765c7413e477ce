"""Hours a keeper confirms. A session counts toward points, stars and certificates once a keeper
has confirmed it: one tap confirms every finished session of a day; a session flagged for review
is confirmed when the keeper confirms or corrects it. Features that give something for confirmed
hours (points, stars) register `on_confirmed_hours_changed` and are told whose hours changed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.checkin.attendance import served_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds
from kiosk.people.audit import audit
from kiosk.people.models import Keeper

HoursChanged = Callable[[Station, int, datetime], None]


def on_confirmed_hours_changed(app: Flask, listener: HoursChanged) -> None:
    """`listener(station, volunteer_id, now)` runs in the same transaction after a volunteer's
    confirmed hours changed (confirmed, corrected or deleted)."""
    app.extensions.setdefault("kiosk_confirmed_hours_listeners", []).append(listener)


def confirmed_hours_changed(station: Station, volunteer_ids, now: datetime) -> None:
    for volunteer_id in sorted(set(volunteer_ids)):
        for listener in current_app.extensions.get("kiosk_confirmed_hours_listeners", []):
            listener(station, volunteer_id, now)


def confirm(session: ServiceSession, keeper: Keeper | None, now: datetime) -> None:
    if session.confirmed_at is None and session.checked_out_at is not None:
        session.confirmed_at = now
        session.confirmed_by_id = keeper.id if keeper else None


@dataclass(frozen=True)
class DayToConfirm:
    day: date
    ready: int  # finished sessions nobody has confirmed
    flagged: int  # finished sessions to review first (confirmed one by one on the review page)
    on_duty: int  # still checked in, flagged or not


def days_to_confirm(station: Station, limit: int = 31) -> list[DayToConfirm]:
    """Days with sessions not yet confirmed, newest first."""
    zone = ZoneInfo(station.timezone)
    counts: dict[date, list[int]] = {}
    rows = db.session.execute(
        select(ServiceSession.checked_in_at, ServiceSession.checked_out_at, ServiceSession.needs_review)
        .where(ServiceSession.station_id == station.id, ServiceSession.confirmed_at.is_(None))
    )
    for checked_in_at, checked_out_at, needs_review in rows:
        day = counts.setdefault(checked_in_at.astimezone(zone).date(), [0, 0, 0])
        # Still checked in is on duty, even when flagged (a typed number): it is reviewed once closed.
        day[2 if checked_out_at is None else 1 if needs_review else 0] += 1
    return [DayToConfirm(day, *counts[day]) for day in sorted(counts, reverse=True)[:limit]]


def confirm_day(keeper: Keeper, station: Station, day: date, now: datetime) -> int:
    """Confirm every finished, unflagged session that began on `day` (station time). Returns how many."""
    start, end = day_bounds(station, day)
    if start > now:
        raise DomainError(_l("That day has not come yet."))
    sessions = list(db.session.scalars(
        select(ServiceSession).where(
            ServiceSession.station_id == station.id, ServiceSession.confirmed_at.is_(None),
            ServiceSession.checked_out_at.is_not(None), ServiceSession.needs_review.is_(False),
            ServiceSession.checked_in_at >= start, ServiceSession.checked_in_at < end,
        )
    ))
    if not sessions:
        raise DomainError(_l("Nothing left to confirm on that day."))
    for session in sessions:
        confirm(session, keeper, now)
    db.session.flush()
    audit(keeper, station, "hours.day_confirmed", after={"day": day.isoformat(), "sessions": len(sessions)}, now=now)
    confirmed_hours_changed(station, [s.volunteer_id for s in sessions], now)
    return len(sessions)


def confirmed_minutes(station: Station, volunteer_id: int, until: datetime | None = None) -> int:
    """All confirmed minutes of a volunteer (that began before `until`), rounded as the station rounds."""
    query = select(ServiceSession.checked_in_at, ServiceSession.checked_out_at).where(
        ServiceSession.volunteer_id == volunteer_id, ServiceSession.confirmed_at.is_not(None),
        ServiceSession.checked_out_at.is_not(None))
    if until is not None:
        query = query.where(ServiceSession.checked_in_at < until)
    return sum(served_minutes(start, end, station.hours_rounding_minutes) for start, end in db.session.execute(query))
