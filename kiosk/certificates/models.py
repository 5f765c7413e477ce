from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime
from kiosk.people.models import Volunteer


class Certificate(db.Model):
    """One issued service certificate (志愿服务证明) in the station's numbered register. The
    figures are kept as issued, so the verification page shows what was printed."""

    __table_args__ = (UniqueConstraint("station_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    serial: Mapped[str] = mapped_column(String(20))  # e.g. 2026-0007, numbered per station and year
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    # Random, in the QR: opens the verification page without exposing the serial order.
    verify_token: Mapped[str] = mapped_column(String(32), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(String(200))

    volunteer: Mapped[Volunteer] = relationship()
