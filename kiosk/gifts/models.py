from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime
from kiosk.people.models import Volunteer

STATUSES = ("waiting", "handed", "cancelled")


class Gift(db.Model):
    """Something at the station a volunteer can have for points. Hidden rather than deleted, so
    past redemptions keep their name."""

    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),
                      CheckConstraint("points > 0", name="points_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    name: Mapped[str] = mapped_column(String(40))
    points: Mapped[int]
    stock: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)


class Redemption(db.Model):
    """A volunteer's gift: asked for (points spent, one taken from stock), then handed over by a
    keeper, or cancelled (points and stock back)."""

    __table_args__ = (Index("ix_redemption_station_status", "station_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    gift_id: Mapped[int] = mapped_column(ForeignKey("gift.id"))
    points: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id", ondelete="SET NULL"))
    # The kiosk's confirm form's one-time token: a double tap or a resent form takes one gift, once.
    once: Mapped[str | None] = mapped_column(String(32), unique=True)

    gift: Mapped[Gift] = relationship()
    volunteer: Mapped[Volunteer] = relationship()
