"""Keepers: loading the signed-in one."""

from .extensions import db, login_manager
from .models import Keeper


@login_manager.user_loader
def load_keeper(keeper_id: str) -> Keeper | None:
    if not keeper_id.isdigit():
        return None
    return db.session.get(Keeper, int(keeper_id))
