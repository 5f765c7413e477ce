"""Which station this is, and what "today" means there."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .errors import DomainError
from .extensions import db
from .models import Station


def station_for_kiosk(slug: str = "") -> Station | None:
    """The named station, or the first one when none is named (or the name is unknown)."""
    if slug:
        station = db.session.scalar(select(Station).where(Station.slug == slug[:40]))
        if station is not None:
            return station
    return db.session.scalars(select(Station).order_by(Station.id).limit(1)).first()


SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


def add_station(slug: str, name: str, timezone: str = "Asia/Shanghai") -> Station:
    from .suggestions import add_standard_categories as add_suggestion_categories
    from .swap import add_standard_categories
    from .walkins import add_standard_services

    if not SLUG.fullmatch(slug or ""):
        raise DomainError(_l("A station's short name uses a-z, 0-9 and -, at most 40."), field="slug")
    name = " ".join((name or "").split())
    if not name or len(name) > 80:
        raise DomainError(_l("Please enter the station's name (at most 80 characters)."), field="name")
    try:
        ZoneInfo(timezone)
    except (ValueError, KeyError, OSError):
        raise DomainError(_l("Unknown timezone."), field="timezone") from None
    if db.session.scalar(select(Station).where(Station.slug == slug)):
        raise DomainError(_l("A station with this short name exists already."), field="slug")
    station = Station(slug=slug, name=name, timezone=timezone)
    db.session.add(station)
    db.session.flush()
    add_standard_services(station)
    add_standard_categories(station)
    add_suggestion_categories(station)
    return station


def local_today(station: Station, now: datetime) -> date:
    return now.astimezone(ZoneInfo(station.timezone)).date()


def day_bounds(station: Station, day: date) -> tuple[datetime, datetime]:
    """The UTC instants where the station's local day starts and ends (DST-safe)."""
    zone = ZoneInfo(station.timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def local_moment(station: Station, day: date, at: time) -> datetime:
    return datetime.combine(day, at, ZoneInfo(station.timezone))


def parse_local_datetime(station: Station, text: str | None, field: str) -> datetime | None:
    """A time a keeper typed (2026-11-22T09:00, as a datetime-local input sends it) in the
    station's timezone, as an aware UTC instant. Blank gives None."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            naive = datetime.strptime(text[:19], pattern)
            break
        except ValueError:
            continue
    else:
        raise DomainError(_l("Please enter a date and time such as 2026-11-22 09:00."), field=field)
    if not 2000 <= naive.year <= 2100:
        # A year typed wrong (0001, 9999) is a typo, not a shift; far years also overflow the clock.
        raise DomainError(_l("Please enter a date and time such as 2026-11-22 09:00."), field=field)
    return naive.replace(tzinfo=ZoneInfo(station.timezone)).astimezone(UTC)


def local_input_value(station: Station, moment: datetime | None) -> str:
    """The value a datetime-local input shows for a stored instant."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(station.timezone)).strftime("%Y-%m-%dT%H:%M")
