"""Keepers: signing in, and loading the signed-in one."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .extensions import db, login_manager
from .models import Keeper

BAD_SIGN_IN = _l("The user name or password is not right.")


@login_manager.user_loader
def load_keeper(keeper_id: str) -> Keeper | None:
    if not keeper_id.isdigit():
        return None
    return db.session.get(Keeper, int(keeper_id))


def authenticate(username: str, password: str) -> Keeper | None:
    keeper = db.session.scalar(select(Keeper).where(Keeper.username == (username or "").strip()))
    if keeper is None or not keeper.active or not keeper.check_password(password or ""):
        return None
    return keeper
