"""Satisfaction (服务满意度, 群众评单): after an activity has started, a resident rates it 1–5 with
optional words, without signing in. One rating per phone and activity; the station's kiosk is
shared by many residents, so there each rating counts (once per form shown), within a rate limit."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kiosk.activities.models import Activity, Rating
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.limits import check_and_count
from kiosk.core.models import Station
from kiosk.core.once import ONCE
from kiosk.core.text import one_line

RATE_WITHIN = timedelta(days=30)  # after its end, an activity can still be rated this long
RATINGS_PER_HOUR = 60  # per device and per address: a busy kiosk after a big activity


class AlreadyRated(DomainError):
    status = 409


TAP_A_FACE = _l("Please tap one of the faces.")


def device_key(activity_id: int, device: str) -> str:
    return hashlib.sha256(f"rating:{activity_id}:{device}".encode()).hexdigest()


def rate(station: Station, activity: Activity, score, words: str | None, device: str | None, who: list[str],
         now: datetime, once: str | None = None) -> Rating:
    """`device` is the phone's own id (one rating each), or None on the station's kiosk, where the
    same form sent twice (`once`, its one-time token: a reload, a double tap) counts once and is
    answered as the first was."""
    if activity.station_id != station.id or activity.cancelled:
        raise DomainError(_l("This activity cannot be rated here."))
    if activity.starts_at > now:
        raise DomainError(_l("This activity has not started yet."))
    if activity.ends_at + RATE_WITHIN < now:
        raise DomainError(_l("This activity was too long ago to rate."))
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(TAP_A_FACE, field="score")
    words = one_line(words or "")[:200] or None
    # On the kiosk the form's token stands for the device: each form shown is one resident's rating.
    once = once if device is None and once and ONCE.fullmatch(once) else None
    key = device_key(activity.id, device or f"kiosk:{once or secrets.token_hex(16)}")
    if once and (already := _rating_by(activity, key)):
        return already
    check_and_count("rating", [(k, RATINGS_PER_HOUR) for k in who], timedelta(hours=1), now,
                    _l("Many ratings from here just now. Please try again later."))
    rating = Rating(station_id=station.id, activity_id=activity.id, score=score, words=words, device_key=key, at=now)
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        if once and (twin := _rating_by(activity, key)):  # the same form, sent twice at once
            return twin
        raise AlreadyRated(_l("This phone has rated this activity already. Thank you!")) from None
    return rating


def _rating_by(activity: Activity, key: str) -> Rating | None:
    return db.session.scalar(select(Rating).where(Rating.activity_id == activity.id, Rating.device_key == key))


@dataclass(frozen=True)
class Summary:
    count: int
    average: float | None
    words: list[tuple[int, str, datetime]]


def summary(activity: Activity) -> Summary:
    rows = db.session.execute(select(Rating.score, Rating.words, Rating.at).where(Rating.activity_id == activity.id)
                              .order_by(Rating.at.desc())).all()
    if not rows:
        return Summary(0, None, [])
    return Summary(len(rows), round(sum(r.score for r in rows) / len(rows), 1),
                   [(r.score, r.words, r.at) for r in rows if r.words])


def average_for_volunteer(volunteer_id: int) -> float | None:
    """The average rating of the activities the volunteer served at (None: none rated)."""
    served = select(ServiceSession.activity_id).where(ServiceSession.volunteer_id == volunteer_id,
                                                      ServiceSession.activity_id.is_not(None)).distinct()
    average = db.session.scalar(select(func.avg(Rating.score)).where(Rating.activity_id.in_(served)))
    return None if average is None else float(average)
