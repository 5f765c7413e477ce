from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime

# Why a line is there.
# "waived": hours taken back that had been spent already (a balance stays at zero); "unwaived": taken
# after all, when that session's points grew again.
KINDS = ("hours", "bonus", "correction", "gift", "reversal", "lead", "waived", "unwaived")


class PointsLine(db.Model):
    """One line of a volunteer's points: earned (+) or spent (−). Never edited or deleted: a
    mistake is undone by a reversal line that names the line it reverses. (Erasing the volunteer
    masks their name in a reason, nothing else.)"""

    __table_args__ = (Index("ix_points_line_volunteer_at", "volunteer_id", "at"),
                      # Reports sum a station's points for a period (kiosk/reports).
                      Index("ix_points_line_station_at", "station_id", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    amount: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(200))
    # For hours: the session they were earned for (a plain number: a deleted session keeps its lines).
    session_id: Mapped[int | None]
    # For hours: the points per confirmed hour they were priced at. A session keeps the rate in force
    # when it was first confirmed (points/ledger.py settle_hours); hours lines written before the
    # rate was stored had it filled in by the upgrade that added it.
    per_hour: Mapped[int | None]
    # For a gift: the redemption it paid for (kiosk/gifts).
    redemption_id: Mapped[int | None]
    # For a lead (随手拍): the suggestion rewarded; each is rewarded at most once.
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id"), unique=True)
    # A reversal names the one line it undoes; a line is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_line.id"), unique=True)
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id", ondelete="SET NULL"))
    # A keeper's points form's one-time token: the same form sent twice adds one line.
    once: Mapped[str | None] = mapped_column(String(32), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
