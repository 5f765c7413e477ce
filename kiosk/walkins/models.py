from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import StationChoice, UTCDateTime

# The services every 暖心驿站 offers; a keeper can rename them, hide them, or add others.
STANDARD_SERVICES = ("rest", "water", "charging", "first_aid", "wifi", "other")


class WalkInService(StationChoice, db.Model):
    """Something a rider or resident can use at the station and record with one tap; `code` is one
    of STANDARD_SERVICES."""


class WalkInVisit(db.Model):
    """One tap on a service tile: one person served."""

    __table_args__ = (Index("ix_walk_in_visit_station_at", "station_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("walk_in_service.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Each tile on the page carries a fresh random id; a retry sends the same one twice and the
    # unique constraint keeps one visit. (A double tap's second tap comes with the fresh tiles' id:
    # visits.DOUBLE_TAP counts that once.)
    tap_id: Mapped[str] = mapped_column(String(32), unique=True)

    service: Mapped[WalkInService] = relationship()
