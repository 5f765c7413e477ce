"""Keepers: signing in, and loading the signed-in one."""

from datetime import datetime, timedelta

from flask import Blueprint, abort, g, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db, login_manager
from kiosk.core.models import Station
from kiosk.people.models import Keeper, SignInAttempt

BAD_SIGN_IN = _l("The user name or password is not right.")
# After this many failures for one user name or from one address within the window, wait.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class SignInThrottled(DomainError):
    status = 429


class WrongSignIn(DomainError):
    keep_changes = True  # the failed try is recorded, so guessing slows down


@login_manager.user_loader
def load_keeper(keeper_id: str) -> Keeper | None:
    if not keeper_id.isdigit():
        return None
    return db.session.get(Keeper, int(keeper_id))


def authenticate(username: str, password: str, address: str, now: datetime) -> Keeper:
    """The keeper, or WrongSignIn for a wrong name or password (the failure is recorded and kept).
    Raises SignInThrottled after too many failures, before even checking the password."""
    username = (username or "").strip()[:40]
    address = (address or "")[:64]
    since = now - FAILURE_WINDOW
    failures = db.session.scalar(
        select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.at >= since, or_(SignInAttempt.username == username, SignInAttempt.address == address))
    )
    if failures >= MAX_FAILURES:
        raise SignInThrottled(_l("Too many wrong passwords. Please wait %(minutes)s minutes and try again.",
                                 minutes=int(FAILURE_WINDOW.total_seconds() // 60)))
    keeper = db.session.scalar(select(Keeper).where(Keeper.username == username))
    if keeper is None or not keeper.active or not keeper.check_password(password or ""):
        db.session.add(SignInAttempt(username=username, address=address, at=now))
        db.session.flush()
        raise WrongSignIn(BAD_SIGN_IN, field="password")
    return keeper


# --- Keeper pages ------------------------------------------------------------------------------


@login_required
def require_keeper():
    """Before every keeper page: signed in, and working at a station. A keeper works at their own
    station; an admin at the one they chose (else the kiosk's). Times and hours on keeper pages
    follow that station, not the kiosk's."""
    if current_user.station_id:
        station = current_user.station
    else:
        chosen = session.get("admin_station_id")
        station = (db.session.get(Station, chosen) if isinstance(chosen, int) else None) or g.station
    if station is None:
        abort(503)
    g.station = station


def keeper_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of keeper pages under /keeper: every one of them needs a signed-in keeper."""
    bp = Blueprint(name, import_name, url_prefix="/keeper", template_folder="templates")
    bp.before_request(require_keeper)
    return bp
