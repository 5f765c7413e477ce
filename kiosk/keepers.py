"""Keepers: signing in, and loading the signed-in one."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from .errors import DomainError
from .extensions import db, login_manager
from .models import Keeper, SignInAttempt

BAD_SIGN_IN = _l("The user name or password is not right.")
# After this many failures for one user name or from one address within the window, wait.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)


class SignInThrottled(DomainError):
    status = 429


@login_manager.user_loader
def load_keeper(keeper_id: str) -> Keeper | None:
    if not keeper_id.isdigit():
        return None
    return db.session.get(Keeper, int(keeper_id))


def authenticate(username: str, password: str, address: str, now: datetime) -> Keeper | None:
    """The keeper, or None for a wrong name or password (the failure is recorded). Raises
    SignInThrottled after too many failures, before even checking the password."""
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
        return None
    return keeper
