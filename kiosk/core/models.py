"""Column types and the models every feature builds on: the station and its lists of choices."""

from datetime import UTC, datetime, time

from sqlalchemy import DateTime, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from kiosk.core.extensions import db


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every engine; always handed back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class StationChoice:
    """A station's own list of choices (walk-in services, swap or suggestion categories): standard
    entries carry a code and are shown in the reader's language; a keeper's own carry a name, which
    also overrides a standard one. Keepers hide rather than delete, so history keeps its labels."""

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Station(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    # The name as 繁體 pages write it (幸福里暖心驛站), typed by a keeper: a converter would turn the
    # place name 幸福里 into 幸福裏. Empty: 繁體 pages show `name` (core/i18n.py station_title).
    name_hant: Mapped[str] = mapped_column(String(80), default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(20, 0))
    # A second scan of the same badge within this many minutes changes nothing.
    duplicate_window_minutes: Mapped[int] = mapped_column(default=5)
    # Seconds a check-in result stays on the kiosk before the screen clears itself (at least 20,
    # so it can be read slowly; the next scan replaces it at once anyway).
    result_seconds: Mapped[int] = mapped_column(default=20, server_default="20")
    # Served hours are rounded to this many minutes (30 = to the half hour).
    hours_rounding_minutes: Mapped[int] = mapped_column(default=30)
    # Items on the swap shelf longer than this many days are highlighted for clearing.
    swap_clear_after_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Points a volunteer earns for each confirmed hour (kiosk/points).
    points_per_hour: Mapped[int] = mapped_column(default=10, server_default="10")
    # Confirmed hours for one to five stars (kiosk/stars): the common ladder; regions differ.
    star_hours: Mapped[str] = mapped_column(String(60), default="100,300,600,1000,1500",
                                            server_default="100,300,600,1000,1500")
    # A star also needs this average satisfaction (1–5) over the volunteer's rated activities; 0: none.
    star_min_rating: Mapped[float] = mapped_column(default=0, server_default="0")
    # Who is in charge of the station and how to reach it: printed on service certificates.
    person_in_charge: Mapped[str] = mapped_column(String(40), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(40), default="", server_default="")

    def __repr__(self) -> str:
        return f"<Station {self.slug}>"


class RateEvent(db.Model):
    """One use of something that is limited per device or address (a lookup, a tap, an upload),
    kept in the database so every worker and every app machine counts alike. The key is a hash:
    no address is stored."""

    __table_args__ = (Index("ix_rate_event_kind_key_at", "kind", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
