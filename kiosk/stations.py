"""Which station this is, and what "today" means there."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from .extensions import db
from .models import Station


def station_for_kiosk(slug: str = "") -> Station | None:
    """The configured station, or the first one when none is named."""
    query = select(Station).order_by(Station.id).limit(1)
    if slug:
        query = query.where(Station.slug == slug)
    return db.session.scalars(query).first()


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
