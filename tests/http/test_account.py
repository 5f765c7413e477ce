"""A keeper's own account page (/keeper/account): a new password without shell access. The current
one is asked first (a wrong one counts toward the sign-in throttle), every other sign-in of the
keeper ends, and this device stays signed in with a new session."""

import pytest
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.keepers import MAX_FAILURES
from kiosk.people.models import AuditEvent, Keeper, SignInAttempt
from tests.conftest import CSRF_INPUT, csrf_token
from tests.http.conftest import PASSWORD, add_keeper, sign_in
from tests.http.test_keeper import field_errors
from tests.http.test_refused_forms import shown

PAGE = "/keeper/account"
NEW = "新的密码-2026"


def change(client, current=PASSWORD, new=NEW, again=None):
    return client.post(PAGE, data={"current_password": current, "new_password": new,
                                   "new_password_again": new if again is None else again,
                                   "csrf_token": csrf_token(client, PAGE)})


def signed_in(client) -> bool:
    return client.get("/keeper/today").status_code == 200


def device(app, remember=False):
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    token = csrf_token(client, "/keeper/login")
    data = {"username": "keeper", "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    assert client.post("/keeper/login", data=data).status_code == 303
    return client


def attempts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SignInAttempt))


def test_the_account_page_is_in_the_menu_and_says_who_is_signed_in(app, keeper):
    assert f'href="{PAGE}"' in keeper.get("/keeper/today").get_data(as_text=True)
    page = keeper.get(PAGE).get_data(as_text=True)
    assert "Signed in as 站长 (user name: keeper)." in page


def test_a_new_password_ends_every_other_sign_in_and_keeps_this_device_signed_in(app, keeper_id):
    here, elsewhere, kept = device(app), device(app), device(app, remember=True)
    old_session = here.get_cookie("session").value
    r = change(here)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/account?changed=1"
    assert "Your password has been changed." in here.get(r.headers["Location"]).get_data(as_text=True)
    assert signed_in(here)
    # This device's session is a new one: the cookie it had before signs nobody in.
    replay = app.test_client()
    replay.set_cookie("session", old_session)
    assert not signed_in(replay)
    assert not signed_in(elsewhere)
    kept.delete_cookie("session")  # its "keep me signed in" cookie would bring it back: no longer
    assert not signed_in(kept)
    # The new password signs in, the old one no longer.
    assert sign_in(app.test_client(), password=NEW).status_code == 303
    assert sign_in(app.test_client(), password=PASSWORD).status_code == 422
    with app.app_context():
        keeper = db.session.get(Keeper, keeper_id)
        assert keeper.check_password(NEW) and not keeper.check_password(PASSWORD)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "keeper.password_changed"))
        assert event.keeper_id == keeper_id and event.station_id == keeper.station_id
        assert event.before is None and event.after is None  # no password, not even hashed


def test_a_device_kept_signed_in_stays_kept_signed_in_after_its_own_change(app, keeper_id):
    here = device(app, remember=True)
    assert change(here).status_code == 303
    here.delete_cookie("session")  # the browser closed: "keep me signed in" brings it back
    assert signed_in(here)


def test_the_new_session_has_a_new_csrf_token(app, keeper):
    before = CSRF_INPUT.search(keeper.get(PAGE).get_data(as_text=True)).group(1)
    assert change(keeper).status_code == 303
    after = CSRF_INPUT.search(keeper.get(PAGE).get_data(as_text=True)).group(1)
    assert before != after


@pytest.mark.parametrize("new, again, field, message", [
    ("short7!", None, "new_password", "at least 8 characters"),
    ("keeper", None, "new_password", "at least 8 characters"),
    (" 新的密码-2026", None, "new_password", "cannot begin or end with a space"),
    (NEW, "新的密码-2025", "new_password_again", "are not the same"),
    (PASSWORD, None, "new_password", "the same as the current one"),
    ("x" * 201, None, "new_password", "at most 200 characters"),
    ("", "", "new_password", "Please fill this in."),
])
def test_a_refused_new_password_changes_nothing_counts_nothing_and_says_why_beside_the_field(
        app, keeper, keeper_id, new, again, field, message):
    r = change(keeper, new=new, again=again)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and [e for e in field_errors(page, field) if message in e]
    assert all(value == "" for name, value in shown(page).items() if "password" in name)  # never filled in again
    assert signed_in(keeper) and attempts(app) == 0
    with app.app_context():
        assert db.session.get(Keeper, keeper_id).check_password(PASSWORD)


def test_a_password_that_is_the_user_name_is_refused(app, station):
    with app.app_context():
        add_keeper("wangzhanzhang", "王站长", db.session.get(Station, station))
        db.session.commit()
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="wangzhanzhang").status_code == 303
    r = change(client, new="WangZhanZhang")
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "new_password") == [
        "Please choose a password other than your user name."]


def test_a_wrong_current_password_counts_toward_the_sign_in_throttle(app, keeper, keeper_id):
    # It warns as the sign-in page does before the wait (it said nothing until the wait began).
    said = ["That is not your current password.",
            "That is not your current password. 3 more wrong tries and you will have to wait 15 minutes to try again.",
            "That is not your current password. 2 more wrong tries and you will have to wait 15 minutes to try again.",
            "That is not your current password. 1 more wrong try and you will have to wait 15 minutes to try again.",
            "That is not your current password. Now please wait 15 minutes before trying again."]
    for n in range(MAX_FAILURES):
        r = change(keeper, current=f"guess-{n}")
        assert r.status_code == 422
        assert field_errors(r.get_data(as_text=True), "current_password") == [said[n]]
    assert attempts(app) == MAX_FAILURES
    # Now even the right one waits, here and at the sign-in page from this address.
    throttled = change(keeper)
    assert throttled.status_code == 429 and "Too many wrong passwords" in throttled.get_data(as_text=True)
    assert sign_in(app.test_client()).status_code == 429
    with app.app_context():
        assert db.session.get(Keeper, keeper_id).check_password(PASSWORD)
    assert signed_in(keeper)  # guessing wrong does not sign the keeper out


def test_an_admin_keeps_the_station_they_chose(app, station, client):
    from tests.http.conftest import signed_in_admin
    from kiosk.core.stations import add_station

    with app.app_context():
        other = add_station("nanyuan", "南苑暖心驿站").id
        db.session.commit()
    admin = signed_in_admin(app, client)
    admin.post("/keeper/station", data={"station_id": str(other), "csrf_token": csrf_token(admin, "/keeper/today")})
    assert change(admin).status_code == 303
    assert f'<option value="{other}" selected>' in admin.get("/keeper/today").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "keeper.password_changed"))
        assert event.station_id == other


def test_signed_out_the_account_page_asks_for_a_sign_in(app, client, keeper_id):
    assert "/keeper/login" in client.get(PAGE).headers["Location"]
