"""Limits on how often one device or address may do something (look a volunteer up, tap a tile,
bring or take an item). Counted in the database, so every worker agrees, and checked and recorded
in one step that two requests at once cannot both slip through."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select

from kiosk.core.database import serialize_writes
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import RateEvent

DEVICE_COOKIE = "kiosk_device"


class TooMany(DomainError):
    status = 429


def _hashed(kind: str, key: str) -> str:
    return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()


def who() -> list[str]:
    """The keys a request is counted under: its network address (a fresh cookie does not reset
    that), and the device's own id when it has one (so one busy tablet does not use up the
    allowance of another behind the same address)."""
    keys = [f"addr:{request.remote_addr or ''}"]
    device = request.cookies.get(DEVICE_COOKIE, "")[:64]
    if device:
        keys.append(f"device:{device}")
    return keys


def device_id() -> str:
    """This tablet or phone: a random id in a cookie, else the network address."""
    return request.cookies.get(DEVICE_COOKIE, "")[:64] or f"addr:{request.remote_addr}"


def with_device_cookie(response):
    """Give a device its random id the first time it is seen (kept five years)."""
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(DEVICE_COOKIE, secrets.token_hex(16), max_age=5 * 365 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def check_and_count(kind: str, limits: Iterable[tuple[str, int]], window: timedelta, now: datetime,
                    message) -> None:
    """Refuse with `message` (429) if any key has been used `limit` times within `window`;
    otherwise count this use under every key."""
    limits = [(_hashed(kind, key), limit) for key, limit in limits]
    serialize_writes(f"limit:{kind}")
    since = now - window
    for key, limit in limits:
        used = db.session.scalar(select(func.count()).select_from(RateEvent).where(
            RateEvent.kind == kind, RateEvent.key == key, RateEvent.at >= since))
        if used >= limit:
            raise TooMany(message)
    # Uses older than the window count for nothing any more: clear them, for every key of this kind
    # (some keys, such as a phone's station code, are never used again).
    db.session.execute(delete(RateEvent).where(RateEvent.kind == kind, RateEvent.at < since))
    for key, _limit in limits:
        db.session.add(RateEvent(kind=kind, key=key, at=now))
    db.session.flush()
