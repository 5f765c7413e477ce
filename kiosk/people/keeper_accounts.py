"""A station's keepers as other keepers look after them: adding one, a new password for one who
forgot theirs, deactivating one who left. The `flask --app kiosk` commands (people/cli.py) and the
keeper's account page (account_routes.py) both come here, so one rule holds for both.

Admins (role "admin", no station) are never listed or changed here: only the command line makes
and changes them, so no keeper can ever reach a district admin's account from a station's page."""

import hmac
import secrets
import unicodedata
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kiosk.core.database import serialize_writes
from kiosk.core.edits import edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import clean_name
from kiosk.people.audit import audit
from kiosk.people.keepers import BAD_USERNAME, check_new_username, set_keeper_active, usable_username
from kiosk.people.models import AuditEvent, Keeper

OWN_PASSWORD = _l("To change your own password, use “Change your password” on this page.")
NOT_YOURSELF = _l("You cannot deactivate yourself. Another keeper of the station can do it.")

ADDED, PASSWORD_RESET, DEACTIVATED, REACTIVATED = ("keeper.added", "keeper.password_reset", "keeper.deactivated",
                                                   "keeper.reactivated")


class PasswordChangedMeanwhile(DomainError):
    """The password the confirmation page was shown for is no longer the keeper's: nothing was made."""

    status = 409


# Read off a screen and copied by hand: no 0/O, 1/l/I, nor - and _ that a hand-written note blurs.
PASSWORD_LETTERS = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
PASSWORD_LENGTH = 12


def new_random_password() -> str:
    """12 letters and digits, about 70 random bits: no guessing at the sign-in throttle's pace finds it."""
    return "".join(secrets.choice(PASSWORD_LETTERS) for _ in range(PASSWORD_LENGTH))


def clean_username(raw: str) -> str:
    """A user name as it will be typed at sign-in. Spaces around it go (sign-in trims them too), and
    full-width letters are kept as the letters they read as (ＷＡＮＧ is WANG, found by "wang")."""
    username = unicodedata.normalize("NFKC", raw or "").strip()
    if not usable_username(username):
        raise DomainError(BAD_USERNAME, field="username")
    return username


def add_keeper(station: Station | None, username: str, name: str | None, *, by: Keeper | None, now: datetime,
               admin: bool = False) -> tuple[Keeper, str]:
    """A new keeper of `station` (or, `admin`, a district admin: no station), and their random
    password, which is never stored as typed: the caller shows it once. `name` is the name shown on
    their changes (None: the user name). `by`: the keeper adding them (None: the command line)."""
    if admin != (station is None):
        raise ValueError("a keeper has a station; an admin has none")
    username = clean_username(username)
    name = clean_name(username if name is None else name)
    # Two keepers adding "Lina" and "lina" at one moment: one after the other, the second refused.
    serialize_writes("keeper-names")
    check_new_username(username)
    password = new_random_password()
    keeper = Keeper(username=username, display_name=name, station=station, role="admin" if admin else "keeper",
                    active=True)
    keeper.set_password(password)
    db.session.add(keeper)
    db.session.flush()
    if station is not None:  # an admin belongs to no station's trail
        audit(by, station, ADDED, after=_who(keeper), now=now)
    return keeper, password


def password_stamp(keeper: Keeper) -> str:
    """A stamp of the password a confirmation page was shown for (keyed: it tells nothing of the hash)."""
    return edit_stamp({"keeper": keeper.id, "password": keeper.password_hash})


def new_password_for(keeper: Keeper, *, by: Keeper | None, now: datetime, seen: str | None = None) -> str:
    """A new random password for a keeper who forgot theirs; every sign-in they have ends at once.
    `seen`: the stamp of the password the confirmation page was shown for: sent twice (a double
    tap, two keepers at one moment), the second makes no other password and says why."""
    if by is not None and by.id == keeper.id:
        raise DomainError(OWN_PASSWORD)
    serialize_writes(f"keeper-{keeper.id}")
    db.session.refresh(keeper)  # as it is now, after any change that was waiting before us
    if seen is not None and not hmac.compare_digest(seen.encode(), password_stamp(keeper).encode()):
        raise PasswordChangedMeanwhile(_l(
            "%(name)s's password has just been changed (by you or another keeper), so no new one was made this "
            "time. If you do not have the new password, make one again below.", name=keeper.display_name))
    password = new_random_password()
    keeper.set_password(password)  # also ends every sign-in
    db.session.flush()
    if keeper.station is not None:
        audit(by, keeper.station, PASSWORD_RESET, after=_who(keeper), now=now)
    return password


def change_keeper_active(keeper: Keeper, active: bool, *, by: Keeper | None, now: datetime,
                         last_may_go: bool = False) -> Keeper:
    """Deactivate (signed out everywhere at once, cannot sign in) or reactivate a keeper. Nobody
    deactivates themselves, and a station's page never takes its last active keeper: nobody would
    be left to sign in and reactivate one. `last_may_go`: the command line, whose operator can
    always bring one back. The same answer sent twice changes nothing more."""
    if not active and by is not None and by.id == keeper.id:
        raise DomainError(NOT_YOURSELF)
    station = keeper.station
    if station is not None:
        # Two keepers deactivating each other at one moment: the second finds itself the last one.
        serialize_writes(f"keepers-of-{station.id}")
    db.session.refresh(keeper)
    if keeper.active == active:
        return keeper
    if not active and not last_may_go and station is not None and not keeper.is_admin and active_keepers(station) <= 1:
        raise DomainError(_l("%(name)s is the station's last active keeper: add or reactivate another keeper "
                             "first.", name=keeper.display_name))
    set_keeper_active(keeper, active)
    if station is not None:
        audit(by, station, REACTIVATED if active else DEACTIVATED, before={**_who(keeper), "active": not active},
              after={**_who(keeper), "active": active}, now=now)
    return keeper


def active_keepers(station: Station) -> int:
    return db.session.scalar(select(func.count()).select_from(Keeper).where(
        Keeper.station_id == station.id, Keeper.role == "keeper", Keeper.active.is_(True)))


def station_keepers(station: Station) -> list[Keeper]:
    """The station's keepers, active ones first; never an admin."""
    return list(db.session.scalars(select(Keeper).where(Keeper.station_id == station.id, Keeper.role == "keeper")
                                   .order_by(Keeper.active.desc(), Keeper.username)))


def keeper_of(station: Station, keeper_id: int) -> Keeper | None:
    """The station's keeper with this id; None for another station's keeper, or an admin."""
    keeper = db.session.get(Keeper, keeper_id)
    if keeper is None or keeper.station_id != station.id or keeper.role != "keeper":
        return None
    return keeper


def keeper_events(station: Station, limit: int = 20) -> list[AuditEvent]:
    """The latest changes to the station's keepers, newest first."""
    actions = (ADDED, PASSWORD_RESET, DEACTIVATED, REACTIVATED)
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.station_id == station.id,
                                                            AuditEvent.action.in_(actions))
                                   .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def _who(keeper: Keeper) -> dict:
    # Who was changed, as they were named then: never a password, not even hashed.
    return {"keeper_id": keeper.id, "username": keeper.username, "name": keeper.display_name}


def describe(values: dict) -> str:
    """Who a change to a keeper was about, as the trail reads it: "李娜 (lina)". The action says
    what happened ("Deactivated keeper: 李娜 (lina)"; ": inactive" after it said it twice)."""
    return str(_l("%(name)s (%(username)s)", name=values.get("name", ""), username=values.get("username", "")))
