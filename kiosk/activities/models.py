from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kiosk.core.extensions import db
from kiosk.core.models import UTCDateTime
from kiosk.people.models import Team, Volunteer


class Activity(db.Model):
    """An activity (爱心课堂, 学雷锋理发) or a recurring duty (平安巡防) volunteers sign up for. The
    station's everyday duty (驿站值班) is no row at all: a session without an activity."""

    __table_args__ = (Index("ix_activity_station_starts", "station_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    name: Mapped[str] = mapped_column(String(60))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    place: Mapped[str] = mapped_column(String(80), default="")
    # 服务内容: what volunteers do, as the national service record puts it.
    content: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A recurring duty runs every day between its dates; an activity only between its times.
    recurring: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int | None]  # None: no limit
    person_in_charge: Mapped[str] = mapped_column(String(40), default="")
    organiser: Mapped[str] = mapped_column(String(80), default="")  # 组织单位
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    team: Mapped[Team | None] = relationship()


class Signup(db.Model):
    """A volunteer signed up for an activity. Withdrawing deletes the row (the place is free again)."""

    __table_args__ = (UniqueConstraint("activity_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    volunteer: Mapped[Volunteer] = relationship()
    activity: Mapped[Activity] = relationship()


class Rating(db.Model):
    """A resident's satisfaction with an activity (服务满意度): 1–5 and optional words, one per
    device and activity, no sign-in. device_key is a hash; no address or cookie is stored."""

    __table_args__ = (UniqueConstraint("activity_id", "device_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    score: Mapped[int] = mapped_column(SmallInteger)
    words: Mapped[str | None] = mapped_column(String(200))
    device_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
