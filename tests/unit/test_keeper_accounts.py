"""A station's keepers looked after by other keepers (people/keeper_accounts.py), the rules the
account page and the `flask --app kiosk` commands share: the user name rule, a random password
stored only hashed, sign-ins ended, nobody deactivating themselves or a station's last keeper,
admins out of reach, and every change in the audit trail without a password."""

import json

import pytest
from sqlalchemy import func, select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.keeper_accounts import (PasswordChangedMeanwhile, add_keeper, change_keeper_active, describe,
                                          keeper_events, keeper_of, new_password_for, password_stamp,
                                          station_keepers)
from kiosk.people.keepers import authenticate
from kiosk.people.models import AuditEvent, Keeper
from tests.conftest import START, at_once, in_english


@pytest.fixture
def ctx(app, station):
    """In English: the demo station and its keeper (who does the changes)."""
    with in_english(app):
        yield db.session.get(Station, station), db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def keepers() -> int:
    return db.session.scalar(select(func.count()).select_from(Keeper))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_a_new_keeper_gets_a_random_password_kept_only_hashed_and_an_audit_line_without_it(ctx):
    station, me = ctx
    lina, password = add_keeper(station, " lina ", "李 娜", by=me, now=START)
    other, second = add_keeper(station, "wang", "王芳", by=me, now=START)
    assert (lina.username, lina.display_name, lina.station_id, lina.role, lina.active) == (
        "lina", "李娜", station.id, "keeper", True)  # spaces around the name go, as at sign-in
    assert lina.check_password(password) and password not in lina.password_hash
    assert len(password) == 12 and password != second
    assert not set(password) & set("0O1lI-_")  # nothing that reads as another when copied by hand
    event, _wang = events("keeper.added")
    assert event.keeper_id == me.id and event.station_id == station.id
    assert event.after == {"keeper_id": lina.id, "username": "lina", "name": "李娜"}
    assert password not in json.dumps([event.before, event.after])
    assert describe(event.after) == "李娜 (lina)"


@pytest.mark.parametrize("username, name, field, says", [
    ("", "李娜", "username", "1 to 40 characters with no spaces"),
    ("li na", "李娜", "username", "no spaces"),
    ("l" * 41, "李娜", "username", "1 to 40"),
    ("l" * 500, "李娜", "username", "1 to 40"),
    ("lina\x00", "李娜", "username", "no spaces"),
    # reads as "anil" and cannot be typed again at sign-in; beside a plain "lina" it looks the same
    ("\u202elina", "李娜", "username", "no spaces"),
    ("li\u200bna", "李娜", "username", "no spaces"),
    ("lina", "  ", "name", "Please enter a name."),
    ("lina", "李" * 41, "name", "at most 40"),
    ("keeper", "另一位", "username", "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
    ("KEEPER", "另一位", "username", "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
])
def test_a_user_name_or_name_nobody_could_use_is_refused_and_nothing_is_stored(ctx, username, name, field, says):
    station, me = ctx
    before = keepers()
    with pytest.raises(DomainError) as refused:
        add_keeper(station, username, name, by=me, now=START)
    assert refused.value.field == field and says in str(refused.value.message)
    assert keepers() == before and events("keeper.added") == []


# Probe: a keeper added as ＷＡＮＧ (what a full-width input mode types) was stored so and could
# sign in only as ＷＡＮＧ: "wang" at the sign-in form and on the command line found nobody.
def test_a_full_width_user_name_is_kept_as_the_letters_it_reads_as(ctx):
    station, me = ctx
    wang, password = add_keeper(station, "ＷＡＮＧ", "王芳", by=me, now=START)
    assert wang.username == "WANG"
    assert authenticate("wang", password, "10.0.0.9", START) is wang


def test_a_name_taken_by_an_admin_or_another_stations_keeper_is_taken_too(ctx):
    station, me = ctx
    add_keeper(None, "District", None, by=None, now=START, admin=True)
    with pytest.raises(DomainError, match="ignore capitals"):
        add_keeper(station, "district", "区里", by=me, now=START)


def test_an_admin_made_from_the_command_line_has_no_station_and_no_stations_trail(ctx):
    admin, password = add_keeper(None, "district", None, by=None, now=START, admin=True)
    assert admin.is_admin and admin.station_id is None and admin.display_name == "district"
    assert admin.check_password(password) and events("keeper.added") == []


def test_a_new_password_ends_every_sign_in_and_is_audited_without_it(ctx):
    station, me = ctx
    lina, first = add_keeper(station, "lina", "李娜", by=me, now=START)
    version = lina.session_version
    password = new_password_for(lina, by=me, now=START, seen=password_stamp(lina))
    assert lina.check_password(password) and not lina.check_password(first)
    assert lina.session_version == version + 1
    [event] = events("keeper.password_reset")
    assert event.keeper_id == me.id and event.after == {"keeper_id": lina.id, "username": "lina", "name": "李娜"}
    assert password not in json.dumps(event.after)


def test_the_same_confirmation_sent_twice_makes_no_second_password(ctx):
    station, me = ctx
    lina, _first = add_keeper(station, "lina", "李娜", by=me, now=START)
    seen = password_stamp(lina)
    password = new_password_for(lina, by=me, now=START, seen=seen)
    with pytest.raises(PasswordChangedMeanwhile) as refused:
        new_password_for(lina, by=me, now=START, seen=seen)
    assert refused.value.status == 409 and "李娜" in str(refused.value.message)
    assert lina.check_password(password) and len(events("keeper.password_reset")) == 1


def test_a_keeper_does_not_reset_their_own_password_here(ctx):
    _station, me = ctx
    hash_before = me.password_hash
    with pytest.raises(DomainError, match="To change your own password"):
        new_password_for(me, by=me, now=START)
    assert me.password_hash == hash_before


def test_deactivating_ends_every_sign_in_and_reactivating_lets_them_sign_in_again(ctx):
    station, me = ctx
    lina, _password = add_keeper(station, "lina", "李娜", by=me, now=START)
    version = lina.session_version
    change_keeper_active(lina, False, by=me, now=START)
    assert not lina.active and lina.session_version == version + 1
    change_keeper_active(lina, False, by=me, now=START)  # sent twice: nothing more
    assert len(events("keeper.deactivated")) == 1
    change_keeper_active(lina, True, by=me, now=START)
    assert lina.active
    [off] = events("keeper.deactivated")
    [on] = events("keeper.reactivated")
    assert (off.before["active"], off.after["active"], on.after["active"]) == (True, False, True)
    assert describe(off.after) == "李娜 (lina)"  # "Deactivated keeper: 李娜 (lina)", not ": inactive" again
    assert [e.action for e in keeper_events(station)] == ["keeper.reactivated", "keeper.deactivated", "keeper.added"]


def test_nobody_deactivates_themselves(ctx):
    station, me = ctx
    add_keeper(station, "lina", "李娜", by=me, now=START)
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        change_keeper_active(me, False, by=me, now=START)
    assert me.active


def test_the_last_active_keeper_of_a_station_stays(ctx):
    station, me = ctx
    lina, _password = add_keeper(station, "lina", "李娜", by=me, now=START)
    admin, _ = add_keeper(None, "district", "区管理员", by=None, now=START, admin=True)
    change_keeper_active(me, False, by=lina, now=START)
    with pytest.raises(DomainError, match="last active keeper"):
        change_keeper_active(lina, False, by=admin, now=START)  # an admin neither
    assert lina.active
    # The command line may: whoever runs it can bring one back the same way.
    change_keeper_active(lina, False, by=None, now=START, last_may_go=True)
    assert not lina.active


def test_a_station_lists_and_finds_only_its_own_keepers_never_an_admin(ctx):
    station, me = ctx
    other = Station(slug="other", name="别的驿站", timezone="Asia/Shanghai")
    db.session.add(other)
    db.session.flush()
    lina, _ = add_keeper(station, "lina", "李娜", by=me, now=START)
    away, _ = add_keeper(other, "away", "外站站长", by=None, now=START)
    admin, _ = add_keeper(None, "district", "区管理员", by=None, now=START, admin=True)
    change_keeper_active(lina, False, by=me, now=START)
    assert [k.username for k in station_keepers(station)] == ["keeper", "lina"]  # active ones first
    assert keeper_of(station, lina.id) is lina
    assert keeper_of(station, away.id) is None and keeper_of(station, admin.id) is None
    assert keeper_of(station, 999999) is None


def test_two_keepers_adding_one_name_in_other_capitals_at_once_add_one_keeper(app, station):
    def add(i):
        me = db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))
        add_keeper(db.session.get(Station, station), ("Lina", "lina")[i], "李娜", by=me, now=START)

    results = at_once(app, 2, add)
    assert results.count("ok") == 1 and len(results) == 2
    assert "already exists" in next(r for r in results if r != "ok")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Keeper).where(
            func.lower(Keeper.username) == "lina")) == 1


def test_two_keepers_deactivating_each_other_at_once_leave_one_active(app, station, monkeypatch):
    """Each counts the active keepers, then waits (briefly) for the other to have counted too:
    without turns taken, both would count two and both would go."""
    import threading

    from kiosk.people import keeper_accounts

    counted, real_count = threading.Barrier(2), keeper_accounts.active_keepers

    def count_then_wait(station):
        found = real_count(station)
        try:
            counted.wait(1)  # with turns taken the other is still waiting for its turn: go on alone
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(keeper_accounts, "active_keepers", count_then_wait)
    with app.app_context():
        lina, _ = add_keeper(db.session.get(Station, station), "lina", "李娜", by=None, now=START)
        db.session.commit()
        ids = [db.session.scalar(select(Keeper.id).where(Keeper.username == "keeper")), lina.id]

    def deactivate(i):
        me, other = db.session.get(Keeper, ids[i]), db.session.get(Keeper, ids[1 - i])
        change_keeper_active(other, False, by=me, now=START)

    results = at_once(app, 2, deactivate)
    assert results.count("ok") == 1 and "last active keeper" in next(r for r in results if r != "ok")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Keeper).where(Keeper.active.is_(True))) == 1


# The sign-in version starts at random (tests/http/test_security.py says why); the largest start
# it can take must still make a sign-in id the loader reads (a start of up to 2**30 made one
# keeper in fifteen signed out at every request).
def test_a_keeper_whose_version_started_as_high_as_it_can_stays_signed_in(ctx, monkeypatch):
    from kiosk.people.keepers import load_keeper

    station, me = ctx
    monkeypatch.setattr("kiosk.people.models.secrets.randbelow", lambda n: n - 1)
    lina, _password = add_keeper(station, "lina", "李娜", by=me, now=START)
    db.session.commit()
    for _ in range(3):  # and after a few sign-outs
        assert load_keeper(lina.get_id()) is lina
        lina.end_sign_ins()
