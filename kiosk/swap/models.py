from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import StationChoice, UTCDateTime
from kiosk.people.models import Keeper

# The shelf's usual categories, in the order the intake screen shows them; keepers rename, hide,
# add, or mark one "not accepted" (food and medicine are, from the start).
STANDARD_CATEGORIES = ("clothing", "books", "toys", "kitchen", "appliances", "daily", "other", "food", "medicine")
REFUSED_FROM_START = ("food", "medicine")
CONDITIONS = ("like_new", "good", "worn")
REMOVAL_REASONS = ("donated", "discarded", "not_allowed")


class SwapCategory(StationChoice, db.Model):
    # Shown at intake, but an item in it is refused with a message (e.g. food, medicine).
    refused: Mapped[bool] = mapped_column(default=False)


class SwapItem(db.Model):
    """Something a resident left on the swap shelf (旧物集市), from intake until it leaves."""

    __table_args__ = (
        UniqueConstraint("station_id", "code"),
        Index("ix_swap_item_station_status_logged", "station_id", "status", "logged_at"),
        Index("ix_swap_item_station_taken", "station_id", "taken_at"),
        Index("ix_swap_item_station_logged", "station_id", "logged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    number: Mapped[int]  # 157 -> code J-0157
    code: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(60))
    category_id: Mapped[int] = mapped_column(ForeignKey("swap_category.id"))
    condition: Mapped[str] = mapped_column(String(10))
    photo: Mapped[str | None] = mapped_column(String(64))  # server-chosen file name under instance/uploads
    contact_mobile: Mapped[str | None] = mapped_column(String(11))  # keepers only
    status: Mapped[str] = mapped_column(String(10), default="on_shelf")  # on_shelf | taken | removed
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(String(20))
    removed_note: Mapped[str | None] = mapped_column(String(200))
    # The taker brought something in exchange: the item they left.
    swapped_for_id: Mapped[int | None] = mapped_column(ForeignKey("swap_item.id"))
    # The intake form's one-time token: a double tap or a resent form logs the item once.
    intake_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The take form's one-time token: the same form sent again (a reload) is the same taker.
    take_token: Mapped[str | None] = mapped_column(String(32))

    category: Mapped[SwapCategory] = relationship()
    swapped_for: Mapped["SwapItem | None"] = relationship(remote_side=[id])


class SwapEvent(db.Model):
    """An item's history: logged, taken, removed, put back."""

    __table_args__ = (Index("ix_swap_event_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("swap_item.id"))
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    keeper: Mapped[Keeper | None] = relationship()
