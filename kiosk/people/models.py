import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.models import UTCDateTime

volunteer_team = Table(
    "volunteer_team",
    db.metadata,
    Column("volunteer_id", ForeignKey("volunteer.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
)


class Keeper(UserMixin, db.Model):
    """A signed-in station keeper (站长/社区工作者) or a district admin (no station: sees all)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"))
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default="keeper")
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every sign-in (session and "keep me signed in" cookie): raising it ends them all, on
    # every device, without touching the secret key that badges and phone links depend on. It
    # starts at random: keeper 1 of the demo's database and keeper 1 of the real station's, made
    # after it with the same secret key, would otherwise share a sign-in.
    session_version: Mapped[int] = mapped_column(default=lambda: _first_session_version(), server_default="0")

    station: Mapped[Station | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def end_sign_ins(self) -> None:
        """Every session and remembered sign-in of this keeper stops working."""
        held = self.session_version
        self.session_version = (_first_session_version() if held is None else held) + 1

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sign_ins()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Team(db.Model):
    """A volunteer team such as 党旗红 or 暖心橙."""

    __table_args__ = (UniqueConstraint("station_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    name: Mapped[str] = mapped_column(String(40))

    station: Mapped[Station] = relationship()


# Identity documents the national volunteer system knows (证件类型).
ID_TYPES = ("resident_id", "hk_macau_pass", "taiwan_pass", "passport", "other")


class Volunteer(db.Model):
    __table_args__ = (
        UniqueConstraint("station_id", "number"),
        UniqueConstraint("station_id", "mobile"),
        Index("ix_volunteer_station_mobile_tail", "station_id", "mobile_tail"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    number: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str] = mapped_column(String(11))
    # The last four digits, kept apart so "forgot my badge" can look them up by index.
    mobile_tail: Mapped[str] = mapped_column(String(4))
    birth_year: Mapped[int | None]
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    national_code: Mapped[str | None] = mapped_column(String(40))
    # Identity document, only if the station keeps it (for the national volunteer system's
    # records): keeper-only, masked on screen. id_type is one of ID_TYPES.
    id_type: Mapped[str | None] = mapped_column(String(12))
    id_number: Mapped[str | None] = mapped_column(String(40))
    # The volunteer asked not to appear on the honor roll (光荣榜).
    hide_from_honor_roll: Mapped[bool] = mapped_column(default=False, server_default="0")
    active: Mapped[bool] = mapped_column(default=True)
    # The badge QR carries a token made from this nonce and the secret key; re-issuing the
    # badge draws a new nonce, so the old card stops working at once. See badges.py.
    badge_nonce: Mapped[str | None] = mapped_column(String(32), unique=True)
    badge_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A one-time code a keeper gives a volunteer to link their own phone (hash only; expires).
    phone_code_hash: Mapped[str | None] = mapped_column(String(255))
    phone_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    phone_code_tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when a keeper erased the volunteer's personal data; the sessions stay, anonymous.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    station: Mapped[Station] = relationship()
    teams: Mapped[list[Team]] = relationship(secondary=volunteer_team, order_by=Team.id)


class SignInAttempt(db.Model):
    """Failed keeper sign-ins, kept in the database so every worker throttles alike."""

    __table_args__ = (Index("ix_sign_in_attempt_username_at", "username", "at"),
                      Index("ix_sign_in_attempt_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(db.Model):
    """Who changed what, when, and the values before and after. Every keeper correction writes one."""

    __table_args__ = (Index("ix_audit_event_volunteer_at", "volunteer_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    keeper_id: Mapped[int | None] = mapped_column(ForeignKey("keeper.id"))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer.id"))
    session_id: Mapped[int | None] = mapped_column()  # kept after the session itself is deleted
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    keeper: Mapped[Keeper | None] = relationship()


def _first_session_version() -> int:
    # Eight digits: a sign-in's id holds at most nine (keepers.SIGN_IN_ID), leaving room for every
    # later sign-out and password change.
    return secrets.randbelow(10**8)
