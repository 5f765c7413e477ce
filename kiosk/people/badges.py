"""Badge tokens and their QR codes.

A badge QR carries an opaque token: a random nonce and a MAC of it under the secret key. The
database keeps only the nonce (to find the volunteer) — a copy of the database alone cannot make
a working badge — and the card can be printed again at any time without re-issuing it.
Re-issuing draws a new nonce, so the old card stops working at once."""

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from kiosk.core.clock import utcnow
from kiosk.core.edits import edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import half_width, typed_digits
from kiosk.people.models import Volunteer
from kiosk.people.privacy import refuse_if_erased

PREFIX = "HX"
NONCE_BYTES = 10
MAC_BYTES = 10
# Upper-case base32 fits QR's alphanumeric mode: a smaller, easier code for an old phone camera.
TOKEN = re.compile(rf"{PREFIX}[A-Z2-7]{{32}}")
# The first part of a badge code: what a scanner has typed when it stalls in the middle of one.
# The start of a token, from its first letter on: a scanner may stall after any key.
TOKEN_START = re.compile(rf"{PREFIX[0]}(?:{PREFIX[1:]}[A-Z2-7]{{0,31}})?")
MAX_SCAN_LENGTH = 200  # longer input is not a badge, whatever it is


# When a badge must be read once more: a choice made from a stale scan, or a race lost to another kiosk.
SCAN_AGAIN = _l("Please scan your badge again.")


class UnknownBadge(DomainError):
    pass


def _mac(nonce: bytes) -> bytes:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"badge:" + nonce, hashlib.sha256).digest()[:MAC_BYTES]


def _new_badge() -> dict:
    # A phone linked with the old badge must prove itself again (its sign-in names the old nonce).
    return {"badge_nonce": secrets.token_bytes(NONCE_BYTES).hex(), "badge_issued_at": utcnow(), "phone_code_hash": None}


def issue_badge(volunteer: Volunteer) -> str:
    """Give the volunteer a new badge; any earlier badge stops working."""
    refuse_if_erased(volunteer)
    for column, value in _new_badge().items():
        setattr(volunteer, column, value)
    db.session.flush()
    return badge_token(volunteer)


def badge_stamp(volunteer: Volunteer) -> str:
    """A stamp of the badge a page shows, for a form that replaces it (keyed: it tells nothing of the token)."""
    return edit_stamp({"badge": volunteer.badge_nonce})


def replace_badge(volunteer: Volunteer, seen: str) -> bool:
    """Replace the badge a keeper was shown (`seen`: its badge_stamp) with a new one; the old card
    stops working at once. False, and nothing issued, when that badge is no longer the volunteer's:
    the same confirmation sent twice, or two keepers at one moment (the write is conditional, so only
    one of them replaces it)."""
    refuse_if_erased(volunteer)
    if not hmac.compare_digest(seen.encode(), badge_stamp(volunteer).encode()):  # bytes: any text a form sends
        return False
    replaced = db.session.execute(
        update(Volunteer).where(Volunteer.id == volunteer.id, Volunteer.badge_nonce == volunteer.badge_nonce)
        .values(**_new_badge()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(volunteer)
    return replaced == 1


def badge_token(volunteer: Volunteer) -> str:
    if not volunteer.badge_nonce:
        raise DomainError(_l("This volunteer has no badge yet."))
    nonce = bytes.fromhex(volunteer.badge_nonce)
    return PREFIX + base64.b32encode(nonce + _mac(nonce)).decode()


def normalise_scan(raw: str) -> str:
    """What a scanner or camera read, as a candidate token: scanners add spaces, Enter, or send lower case."""
    # A scanner behind a Chinese input method in full-width mode types ＨＸＩ５…: the same code.
    return "".join(half_width((raw or "")[:MAX_SCAN_LENGTH + 1]).split()).upper()


def looks_like_badge(raw: str) -> bool:
    """A volunteer's badge code (read where something else was expected: a swap label)."""
    return len(raw or "") <= MAX_SCAN_LENGTH and bool(TOKEN.fullmatch(normalise_scan(raw)))


# --- The name on a printed card ----------------------------------------------------------------
# The column beside the QR on an 85.6 mm card is about 31 mm (88 pt) wide. A Chinese name breaks
# between any two characters, so it only wraps; a Latin word cannot break, and at the card's big type
# even "Gulnara" barely fits. The type steps down (kiosk.css .badge-card-name-1 … -4) until the
# longest word fits; beyond the last step the word breaks where it must (overflow-wrap), so no name
# ever pushes the QR past the cut line.
CARD_NAME_POINTS = (20, 16, 13, 11, 10)
CARD_COLUMN_POINTS = 84  # a little under the 88 pt column: fonts differ from tablet to tablet
CARD_NAME_LINES = 3  # the station's name, the number and the teams share the card's height with it
NARROW_EM = 0.75  # a bold Latin letter, as wide as the widest fallback font draws one
_BREAKS_AFTER = frozenset("-/\u00b7\u2010\u2013")  # a browser may wrap a name after these anyway


def _em(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else NARROW_EM


def card_name_size(name: str) -> int:
    """Which step of CARD_NAME_POINTS to print `name` at on a badge: the biggest at which its
    longest unbreakable run fits the column and the whole name takes at most CARD_NAME_LINES lines."""
    longest = run = total = 0.0
    for char in name or "":
        width = _em(char)
        total += width
        if char.isspace() or width == 1.0:  # a line may break here (a Chinese character stands alone)
            run = 0.0
            longest = max(longest, width if not char.isspace() else 0.0)
            continue
        run += width
        longest = max(longest, run)
        if char in _BREAKS_AFTER:
            run = 0.0
    for step, points in enumerate(CARD_NAME_POINTS):
        if longest * points <= CARD_COLUMN_POINTS and total * points <= CARD_NAME_LINES * CARD_COLUMN_POINTS:
            return step
    return len(CARD_NAME_POINTS) - 1


_BY_NONCE = select(Volunteer).where(Volunteer.badge_nonce == bindparam("nonce"))  # built once: every scan runs it


def volunteer_for_token(station: Station, raw: str) -> Volunteer:
    """The volunteer a scanned code belongs to, or UnknownBadge with a plain reason."""
    if len(raw or "") > MAX_SCAN_LENGTH:
        raise UnknownBadge(_l("That is not a station badge."))
    token = normalise_scan(raw)
    if not TOKEN.fullmatch(token):
        if typed_digits(raw, 11):  # a volunteer number typed into the scanner's field
            raise UnknownBadge(_l("To check in with your number, tap “Forgot your badge? Type your number”."))
        raise UnknownBadge(_l("That is not a station badge."))
    body = base64.b32decode(token[len(PREFIX):])
    nonce, mac = body[:NONCE_BYTES], body[NONCE_BYTES:]
    if not hmac.compare_digest(mac, _mac(nonce)):
        raise UnknownBadge(_l("This badge was not made by this station."))
    volunteer = db.session.scalar(_BY_NONCE, {"nonce": nonce.hex()})
    if volunteer is None:
        # A genuine MAC but no volunteer holds this nonce any more: the badge was re-issued.
        raise UnknownBadge(_l("This badge has been replaced. Please ask a keeper for your new one."))
    if volunteer.station_id != station.id:
        raise UnknownBadge(_l("This badge belongs to another station."))
    return volunteer
