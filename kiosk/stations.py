"""Which station this is, and what "today" means there."""

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
