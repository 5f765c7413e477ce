"""Star levels from confirmed hours."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.activities.ratings import average_for_volunteer
from kiosk.checkin.attendance import served_minutes
from kiosk.checkin.hours import confirmed_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.i18n import format_hours
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Volunteer

DEFAULT_LADDER = (100, 300, 600, 1000, 1500)
MAX_STARS = 5


def level_for(minutes: int, ladder: tuple[int, ...]) -> int:
    """How many stars `minutes` of confirmed service reach: a threshold counts once reached exactly."""
    return sum(1 for hours in ladder if minutes >= hours * 60)


def ladder_of(station: Station) -> tuple[int, ...]:
    try:
        return parse_ladder(station.star_hours)
    except DomainError:
        return DEFAULT_LADDER


def parse_ladder(text: str | None) -> tuple[int, ...]:
    """"100,300,600,1000,1500": five whole numbers of hours, each above the one before."""
    parts = [p.strip() for p in (text or "").replace("，", ",").replace("、", ",").split(",")]
    message = _l("Please give five numbers of hours, each larger than the one before, e.g. 100, 300, 600, 1000, 1500.")
    if len(parts) != MAX_STARS or not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise DomainError(message, field="star_hours")
    ladder = tuple(int(p) for p in parts)
    if ladder[0] < 1 or any(b <= a for a, b in zip(ladder, ladder[1:])):
        raise DomainError(message, field="star_hours")
    return ladder


@dataclass(frozen=True)
class Stars:
    level: int
    minutes: int  # confirmed minutes
    next_hours: int | None  # hours of the next level, None at five stars
    rating_short: bool = False  # the hours are there, but residents' average rating is below the station's minimum

    @property
    def minutes_to_next(self) -> int | None:
        return None if self.next_hours is None else max(0, self.next_hours * 60 - self.minutes)


def stars_of(station: Station, volunteer_id: int, minutes: int | None = None) -> Stars:
    """The volunteer's stars (from `minutes` of confirmed service when the caller has them). With
    a minimum rating set, a volunteer whose activities residents rated below it on average has no
    stars until that changes (no ratings: no effect)."""
    ladder = ladder_of(station)
    minutes = confirmed_minutes(station, volunteer_id) if minutes is None else minutes
    level = level_for(minutes, ladder)
    if level and station.star_min_rating:
        average = average_for_volunteer(volunteer_id)
        if average is not None and average < station.star_min_rating:
            return Stars(0, minutes, ladder[0], rating_short=True)
    return Stars(level, minutes, ladder[level] if level < MAX_STARS else None)


def star_marks(level: int) -> str:
    """★★★☆☆: the level as marks, read the same in every language."""
    level = max(0, min(MAX_STARS, level))
    return "★" * level + "☆" * (MAX_STARS - level)


def scan_note(station: Station, volunteer: Volunteer, confirmed: int) -> str | None:
    """The line under a check-in or check-out: their stars, or how far to the first one."""
    stars = stars_of(station, volunteer.id, confirmed)
    if stars.level:
        return str(_l("%(marks)s %(level)s-star volunteer", marks=star_marks(stars.level), level=stars.level))
    return str(_l("%(hours)s more confirmed hours to your first star", hours=format_hours(stars.minutes_to_next)))


@dataclass(frozen=True)
class NewLevel:
    volunteer: Volunteer
    before: int
    after: int
    minutes: int  # confirmed minutes at the end of the year


def new_levels_in_year(station: Station, year: int) -> list[NewLevel]:
    """Volunteers of the station whose level at the end of `year` is above their level at its start."""
    start, _ = day_bounds(station, date(year, 1, 1))
    end, _ = day_bounds(station, date(year + 1, 1, 1))
    ladder = ladder_of(station)
    before: dict[int, int] = {}
    total: dict[int, int] = {}
    rows = db.session.execute(
        select(ServiceSession.volunteer_id, ServiceSession.checked_in_at, ServiceSession.checked_out_at).where(
            ServiceSession.station_id == station.id, ServiceSession.confirmed_at.is_not(None),
            ServiceSession.checked_out_at.is_not(None), ServiceSession.checked_in_at < end))
    for volunteer_id, checked_in_at, checked_out_at in rows:
        minutes = served_minutes(checked_in_at, checked_out_at, station.hours_rounding_minutes)
        total[volunteer_id] = total.get(volunteer_id, 0) + minutes
        if checked_in_at < start:
            before[volunteer_id] = before.get(volunteer_id, 0) + minutes
    moved = {vid: (level_for(before.get(vid, 0), ladder), level_for(m, ladder)) for vid, m in total.items()}
    moved = {vid: levels for vid, levels in moved.items() if levels[1] > levels[0]}
    volunteers = {v.id: v for v in db.session.scalars(select(Volunteer).where(Volunteer.id.in_(moved)))} if moved else {}
    found = [NewLevel(volunteers[vid], b, a, total[vid]) for vid, (b, a) in moved.items() if vid in volunteers]
    return sorted(found, key=lambda n: (-n.after, -n.minutes, n.volunteer.number))


def set_ladder(keeper: Keeper, station: Station, text: str, min_rating: str | None, now: datetime) -> None:
    ladder = parse_ladder(text)
    try:
        rating = float((min_rating or "0").strip() or "0")
    except ValueError:
        rating = -1
    if not (rating == 0 or 1 <= rating <= 5):
        raise DomainError(_l("Minimum rating: a number from 1 to 5, or 0 for none."), field="min_rating")
    before = {"star_hours": station.star_hours, "min_rating": station.star_min_rating}
    station.star_hours = ",".join(str(h) for h in ladder)
    station.star_min_rating = round(rating, 1)
    db.session.flush()
    audit(keeper, station, "stars.ladder", before=before,
          after={"star_hours": station.star_hours, "min_rating": station.star_min_rating}, now=now)


def describe(values: dict | None) -> str:
    values = values or {}
    text = values.get("star_hours", "—")
    return f"{text} · ≥{values['min_rating']}" if values.get("min_rating") else text
