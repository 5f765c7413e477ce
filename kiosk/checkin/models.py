from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime
from kiosk.people.models import Volunteer

def _now() -> datetime:
    from kiosk.core.clock import utcnow

    return utcnow()


# How a check-in or check-out was recorded ("deactivate": checked out when a keeper deactivated them).
METHODS = ("camera", "scanner", "manual", "phone", "keeper", "auto", "deactivate")


class ServiceSession(db.Model):
    """One volunteer's time on duty at one station: from check-in to check-out."""

    __table_args__ = (
        # At most one open session per volunteer, enforced by the database itself so that two
        # kiosks scanning the same badge at once cannot both check in. Partial unique indexes
        # work on SQLite and PostgreSQL alike.
        Index(
            "uq_service_session_one_open",
            "volunteer_id",
            unique=True,
            sqlite_where=text("checked_out_at IS NULL"),
            postgresql_where=text("checked_out_at IS NULL"),
        ),
        # "Today" views read by station and time; this keeps them as cheap in year three as on day one.
        Index("ix_service_session_station_in", "station_id", "checked_in_at"),
        # Who is on duty now: only open sessions are in this index, so it stays small for ever.
        # checked_out_at is in it (always NULL) so that SQLite, which keeps no statistics here,
        # sees the query use two of its columns and prefers it to station_in, whose station_id
        # alone would walk every session the station ever had.
        Index(
            "ix_service_session_station_open",
            "station_id",
            "checked_out_at",
            sqlite_where=text("checked_out_at IS NULL"),
            postgresql_where=text("checked_out_at IS NULL"),
        ),
        Index("ix_service_session_volunteer_in", "volunteer_id", "checked_in_at"),
        # Days still to confirm: only unconfirmed sessions are in it, so it stays small.
        Index(
            "ix_service_session_station_unconfirmed",
            "station_id",
            "confirmed_at",  # for the same reason as station_open
            sqlite_where=text("confirmed_at IS NULL"),
            postgresql_where=text("confirmed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_method: Mapped[str] = mapped_column(String(10))
    check_out_method: Mapped[str | None] = mapped_column(String(10))
    # Closed by the system at closing time because nobody checked out: a keeper should confirm it.
    auto_closed: Mapped[bool] = mapped_column(default=False)
    needs_review: Mapped[bool] = mapped_column(default=False)
    edited: Mapped[bool] = mapped_column(default=False)
    # A keeper agreed with these hours (checkin/hours.py): only confirmed hours earn points and
    # stars and go on a certificate.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id", ondelete="SET NULL"))
    # The activity served (kiosk/activities, which registers how a scan finds it); none is the
    # station's everyday duty (驿站值班).
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activity.id"))
    # Last change of any kind: the keeper's live Today view asks only "anything newer than this?"
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=_now, onupdate=_now)

    volunteer: Mapped[Volunteer] = relationship()
