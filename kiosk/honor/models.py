from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime
from kiosk.people.models import Volunteer


class HonorPick(db.Model):
    """A station's own pick for the honor roll (最美志愿者) for one month."""

    __table_args__ = (UniqueConstraint("station_id", "month", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    note: Mapped[str] = mapped_column(String(60), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
