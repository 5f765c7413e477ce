"""A keeper's own new password (people/keepers.py change_password): the rules it must meet, the
current one asked first and counted like a sign-in when wrong, every sign-in ended when it changes."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.keepers import MAX_FAILURES, SignInThrottled, WrongSignIn, change_password
from kiosk.people.models import Keeper, SignInAttempt
from tests.conftest import START, in_english

OLD = "old-password-1"


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        keeper = db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))
        keeper.set_password(OLD)
        db.session.flush()
        yield keeper, db.session.get(Station, station)


def attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(SignInAttempt))


def test_a_new_password_is_kept_hashed_and_ends_every_sign_in(ctx):
    keeper, station = ctx
    version = keeper.session_version
    change_password(keeper, station, OLD, "a new one 2026", "a new one 2026", "10.0.0.1", START)
    assert keeper.check_password("a new one 2026") and "a new one 2026" not in keeper.password_hash
    assert keeper.session_version == version + 1


@pytest.mark.parametrize("new, again, field", [
    ("1234567", "1234567", "new_password"),  # seven characters
    ("x" * 201, "x" * 201, "new_password"),  # longer than the sign-in form takes
    ("password ", "password ", "new_password"),
    ("Keeper", "Keeper", "new_password"),
    ("KEEPERkeeper", "KEEPERkeeper", None),  # the name inside a longer one is allowed
    ("a new one 2026", "a new one 2025", "new_password_again"),
    (OLD, OLD, "new_password"),
])
def test_what_a_new_password_must_be(ctx, new, again, field):
    keeper, station = ctx
    if field is None:
        change_password(keeper, station, OLD, new, again, "10.0.0.1", START)
        assert keeper.check_password(new)
        return
    with pytest.raises(DomainError) as refused:
        change_password(keeper, station, OLD, new, again, "10.0.0.1", START)
    assert refused.value.field == field and not refused.value.keep_changes
    assert keeper.check_password(OLD) and attempts() == 0


def test_eight_characters_of_any_script_are_enough(ctx):
    keeper, station = ctx
    change_password(keeper, station, OLD, "暖心驿站志愿服务", "暖心驿站志愿服务", "10.0.0.1", START)
    assert keeper.check_password("暖心驿站志愿服务")


def test_a_wrong_current_password_is_counted_as_a_wrong_sign_in_and_then_waits(ctx):
    keeper, station = ctx
    for n in range(MAX_FAILURES):
        with pytest.raises(WrongSignIn) as wrong:
            change_password(keeper, station, f"guess {n}", "a new one 2026", "a new one 2026", "10.0.0.1", START)
        assert wrong.value.field == "current_password" and wrong.value.keep_changes
    assert attempts() == MAX_FAILURES
    with pytest.raises(SignInThrottled):
        change_password(keeper, station, OLD, "a new one 2026", "a new one 2026", "10.0.0.1", START)
    # From another address, or once the window has passed, the right one is taken.
    change_password(keeper, station, OLD, "a new one 2026", "a new one 2026", "10.0.0.2", START)
    assert keeper.check_password("a new one 2026")
    change_password(keeper, station, "a new one 2026", "another 2027", "another 2027", "10.0.0.1",
                    START + timedelta(minutes=16))
