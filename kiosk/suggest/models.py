from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import StationChoice, UTCDateTime
from kiosk.people.models import Keeper

STANDARD_SUGGESTION_CATEGORIES = ("environment", "safety", "facilities", "station", "neighbours", "other")
SUGGESTION_STATUSES = ("received", "accepted", "in_progress", "resolved", "declined")
OPEN_STATUSES = ("received", "accepted", "in_progress")


class SuggestionCategory(StationChoice, db.Model):
    """What a suggestion is about; `code` is one of STANDARD_SUGGESTION_CATEGORIES."""


class Suggestion(db.Model):
    """A slip in the suggestion box (建议筒): what a resident said, and what the station did."""

    __table_args__ = (
        Index("ix_suggestion_station_created", "station_id", "created_at"),
        Index("ix_suggestion_station_status", "station_id", "status"),
        # Reports count what was resolved or declined in a period (kiosk/reports).
        Index("ix_suggestion_station_resolved", "station_id", "resolved_at"),
        Index("ix_suggestion_submitter_created", "submitter", "created_at"),
        Index("ix_suggestion_origin_created", "origin", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    # Printed on the receipt and in its QR: short to type, random so nobody can walk through others'.
    tracking_code: Mapped[str] = mapped_column(String(12), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("suggestion_category.id"))
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(64))  # keepers only
    contact_mobile: Mapped[str | None] = mapped_column(String(11))  # keepers only; never public
    source: Mapped[str] = mapped_column(String(10))  # kiosk | phone
    # Sent from a volunteer's linked phone, not anonymously: who found it (随手拍, a keeper may reward it).
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"))
    # A hash of the device that sent it, for rate limits; not a person, not reversible.
    submitter: Mapped[str] = mapped_column(String(64))
    # A hash of the network address it came from: a device that throws its cookie away is still one.
    origin: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="received")
    public_reply: Mapped[str | None] = mapped_column(Text)
    # The resident's words as public views show them: set when a keeper publishes the suggestion
    # (registered names and phone-like numbers masked) or edits it. Empty before that, and on
    # suggestions older than this column: then it is worked out from the text when shown.
    public_wording: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The form's one-time token: a double tap or a resent form drops one suggestion, not two.
    submit_token: Mapped[str | None] = mapped_column(String(32), unique=True)

    category: Mapped[SuggestionCategory] = relationship()
    duplicate_of: Mapped["Suggestion | None"] = relationship(remote_side=[id])


class SuggestionEvent(db.Model):
    __table_args__ = (Index("ix_suggestion_event_suggestion_at", "suggestion_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id"))
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(30))
    before: Mapped[str | None] = mapped_column(String(200))
    after: Mapped[str | None] = mapped_column(String(200))

    keeper: Mapped[Keeper | None] = relationship()
