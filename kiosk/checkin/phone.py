"""Check-in from the volunteer's own phone.

The kiosk shows a station code that changes every few seconds; it is signed and dated, so a photo
of it taken yesterday checks no one in today. The first time, a phone proves whose it is (the badge,
or the volunteer number and a one-time code from a keeper); then it remembers the volunteer in a
signed cookie tied to the current badge, so re-issuing the badge also forgets the phone."""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.checkin.attendance import DEACTIVATED, ScanResult, record_attendance
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.text import typed_digits
from kiosk.core.limits import check_and_count
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import volunteer_for_token
from kiosk.people.models import Volunteer
from kiosk.people.privacy import refuse_if_erased

DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII digits, few enough to be a real id or timestamp
# What a station code is made of (digits, dashes, URL-safe base64). A link passed on in a chat often
# arrives with the message's own full stop or bracket stuck to it (。 ） ) ] ,): not part of the code.
CODE_CHARACTERS = re.compile(r"[0-9A-Za-z_-]*")
STATION_CODE_MAX_AGE = timedelta(seconds=60)
# Once the phone page is open, the volunteer has this long to press the button.
STATION_CODE_ACT_WITHIN = timedelta(minutes=5)
PHONE_CODE_LIFETIME = timedelta(hours=24)
PHONE_CODE_MAX_TRIES = 5


def _sign(message: str, purpose: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{message}".encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def station_code(station: Station, now: datetime) -> str:
    message = f"{station.id}-{int(now.timestamp())}"
    return f"{message}-{_sign(message, 'station-qr')}"


def pasted_station_code(raw: str | None) -> str:
    """The station code in a link as it arrived, without what a chat app added after it."""
    return CODE_CHARACTERS.match((raw or "")[:100].strip()).group()


def check_station_code(station: Station, code: str, now: datetime, max_age: timedelta = STATION_CODE_MAX_AGE) -> None:
    code = pasted_station_code(code)
    if not code:  # opened without a code (typed, or a bookmark): nothing has expired
        raise DomainError(_l("To check in with your phone, scan the code on the station's kiosk screen."))
    expired = DomainError(_l("This code has expired. Please scan the code on the kiosk screen again."))
    parts = code.split("-", 2)
    if len(parts) != 3 or not DIGITS.fullmatch(parts[0]) or not DIGITS.fullmatch(parts[1]):
        raise expired
    message = f"{parts[0]}-{parts[1]}"
    if not hmac.compare_digest(parts[2].encode(), _sign(message, "station-qr").encode()) or int(parts[0]) != station.id:
        raise expired
    issued = datetime.fromtimestamp(int(parts[1]), tz=now.tzinfo)
    if not timedelta(seconds=-5) <= now - issued <= max_age:
        raise expired


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="phone-volunteer")


def remember_token(volunteer: Volunteer) -> str:
    return _serializer().dumps([volunteer.id, volunteer.badge_nonce])


# Said on the phone of a volunteer who was deactivated: the phone knows them, they are paused.
PAUSED = _l("Your volunteer account is paused for now. Please talk to a keeper.")


def _linked_as(station: Station, token: str | None) -> tuple[Volunteer | None, str | None]:
    """The station's volunteer a phone's token names, and the badge it was linked with."""
    if not token:
        return None, None
    try:
        volunteer_id, nonce = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None, None
    volunteer = db.session.get(Volunteer, volunteer_id) if isinstance(volunteer_id, int) else None
    if volunteer is None or volunteer.station_id != station.id:
        return None, None
    return volunteer, nonce


def linked_volunteer(station: Station, token: str | None) -> Volunteer | None:
    """The volunteer this phone is linked to, if the link is still good, active or not (an erased
    one has no badge, so no link)."""
    volunteer, nonce = _linked_as(station, token)
    if volunteer is None or not nonce or volunteer.badge_nonce != nonce:
        return None  # the badge was re-issued since: the phone must prove itself again
    return volunteer


def badge_renewed_since_linked(station: Station, token: str | None) -> bool:
    """The phone was linked to an active volunteer whose badge was re-issued since: their pages
    say so rather than "first time on this phone"."""
    volunteer, nonce = _linked_as(station, token)
    return (volunteer is not None and volunteer.active and volunteer.badge_nonce is not None
            and volunteer.badge_nonce != nonce)


def volunteer_for_phone(station: Station, token: str | None) -> Volunteer | None:
    """The volunteer this phone remembers, if the link is still good and they are active."""
    volunteer = linked_volunteer(station, token)
    return volunteer if volunteer is not None and volunteer.active else None


def paused_on_phone(station: Station, token: str | None) -> bool:
    """The phone is linked to a volunteer who was deactivated since (reactivating them brings the
    link back): their pages say so rather than "this phone does not know you"."""
    volunteer = linked_volunteer(station, token)
    return volunteer is not None and not volunteer.active


# Said on the phone of a volunteer whose data a keeper erased: the phone knew them, and never will again.
NO_LONGER_LINKED = _l("This phone is no longer linked to a volunteer here. Please talk to a keeper.")


def phone_stopped(station: Station, token: str | None):
    """Why a phone that was linked cannot be used now, in the volunteer's words (paused, or erased),
    or None: their pages say this rather than "this phone does not know you yet"."""
    if paused_on_phone(station, token):
        return PAUSED
    volunteer, nonce = _linked_as(station, token)
    if volunteer is not None and nonce and volunteer.erased_at is not None:
        return NO_LONGER_LINKED
    return None


def link_phone_with_badge(station: Station, scanned: str) -> Volunteer:
    """First time on a phone: the volunteer scans their own badge with it."""
    volunteer = volunteer_for_token(station, scanned)
    if not volunteer.active:
        raise DomainError(DEACTIVATED)
    return volunteer


def issue_phone_code(volunteer: Volunteer, now: datetime) -> str:
    """A six-digit code a keeper reads out to the volunteer; good for one day."""
    refuse_if_erased(volunteer)
    code = f"{secrets.randbelow(10**6):06d}"
    volunteer.phone_code_hash = generate_password_hash(code)
    volunteer.phone_code_expires_at = now + PHONE_CODE_LIFETIME
    volunteer.phone_code_tries = 0
    db.session.flush()
    return code


class WrongPhoneCode(DomainError):
    keep_changes = True  # the failed try is counted, so guessing stops after a few


def link_phone_with_code(station: Station, number: str, code: str, now: datetime) -> Volunteer:
    wrong = WrongPhoneCode(_l("The number or the code is not right. Please check with a keeper."), field="code")
    number, code = typed_digits(number, 6), typed_digits(code, 6)
    if number is None or code is None or len(code) != 6:
        raise wrong
    volunteer = db.session.scalar(
        select(Volunteer).where(Volunteer.station_id == station.id, Volunteer.number == number.zfill(4))
    )
    if volunteer is None or not volunteer.active or not volunteer.phone_code_hash:
        raise wrong
    if volunteer.phone_code_expires_at is None or now > volunteer.phone_code_expires_at:
        raise DomainError(_l("This code has expired. Please ask a keeper for a new one."), field="code")
    if volunteer.phone_code_tries >= PHONE_CODE_MAX_TRIES:
        raise DomainError(_l("Too many wrong codes. Please ask a keeper for a new one."), field="code")
    if not check_password_hash(volunteer.phone_code_hash, code):
        volunteer.phone_code_tries += 1
        db.session.flush()
        raise wrong
    volunteer.phone_code_hash = None  # used once
    db.session.flush()
    return volunteer


def check_in_by_phone(station: Station, volunteer: Volunteer, code: str, now: datetime) -> ScanResult:
    """The volunteer pressed the button on their phone. The station code (scanned from the kiosk a
    moment ago) checks them in or out once: a code copied from the screen, or passed on, cannot be
    used again and again from elsewhere. Pressing again at once still just says "already in"."""
    code = pasted_station_code(code)  # counted as the code itself, however it was pasted
    check_station_code(station, code, now, max_age=STATION_CODE_ACT_WITHIN)
    result = record_attendance(station, volunteer, "phone", now)
    if result.changed:
        check_and_count("station-code", [(f"{code}|{volunteer.id}", 1)],
                        STATION_CODE_ACT_WITHIN + timedelta(minutes=1), now,
                        _l("This code has been used. Please scan the code on the kiosk screen again."))
    return result


def phone_as_data(volunteer: Volunteer) -> dict:
    """What the station knows of the volunteer's phones, for the export of everything stored. A
    linked phone keeps its link in its own cookie: the station stores no list of phones, only a
    code a keeper gave (when it expires, never the code or its hash) and when a phone was last used."""
    last_used = db.session.scalar(select(func.max(ServiceSession.checked_in_at)).where(
        ServiceSession.volunteer_id == volunteer.id,
        (ServiceSession.check_in_method == "phone") | (ServiceSession.check_out_method == "phone")))
    return {"phone_code_expires_at": volunteer.phone_code_expires_at.isoformat()
            if volunteer.phone_code_hash and volunteer.phone_code_expires_at else None,
            "wrong_code_tries": volunteer.phone_code_tries or 0,
            "last_check_in_or_out_by_phone": last_used.isoformat() if last_used else None}
