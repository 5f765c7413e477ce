from datetime import time

from sqlalchemy import String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Station(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(20, 0))
    # A second scan of the same badge within this many minutes changes nothing.
    duplicate_window_minutes: Mapped[int] = mapped_column(default=5)
    # Served hours are rounded to this many minutes (30 = to the half hour).
    hours_rounding_minutes: Mapped[int] = mapped_column(default=30)
    # Items on the swap shelf longer than this many days are highlighted for clearing.
    swap_clear_after_days: Mapped[int] = mapped_column(default=30, server_default="30")

    teams: Mapped[list["Team"]] = relationship(back_populates="station", order_by="Team.id")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Station {self.slug}>"
