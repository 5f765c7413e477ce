"""The one source of "now". Tests replace it to move time instead of sleeping."""

from datetime import UTC, datetime, timedelta

from flask import Flask, current_app


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """A clock for tests: starts at a given instant and moves only when told."""

    def __init__(self, start: datetime):
        self.current = start.astimezone(UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, when: datetime) -> None:
        self.current = when.astimezone(UTC)


def init_app(app: Flask) -> None:
    app.extensions.setdefault("kiosk_clock", app.config.get("CLOCK") or SystemClock())


def utcnow() -> datetime:
    return current_app.extensions["kiosk_clock"].now()
