"""The keepers of a station, looked after on the keeper's own account page (/keeper/account): a
colleague added, given a new password or deactivated without the command line. Each change asks
first, a new password is shown once, and nothing reaches another station's keepers or an admin."""

import re

import pytest
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.people.models import AuditEvent, Keeper
from tests.conftest import csrf_token
from tests.http.conftest import PASSWORD, add_keeper, sign_in, signed_in_admin
from tests.http.test_keeper import field_errors

PAGE = "/keeper/account"
ADD = "/keeper/account/keepers"
ONE_TIME = re.compile(r'data-one-time-password>([^<]+)<')


@pytest.fixture
def lina(app, station, keeper_id):
    """A second keeper of the demo station, signed in on a tablet of her own; returns (id, client)."""
    with app.app_context():
        lina = add_keeper("lina", "李娜", db.session.get(Station, station))
        db.session.commit()
        lina_id = lina.id
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="lina").status_code == 303
    return lina_id, client


@pytest.fixture
def away(app, station):
    """A keeper of another station; returns their id."""
    with app.app_context():
        other = add_station("nanyuan", "南苑暖心驿站")
        away = add_keeper("nan", "南苑站长", other)
        db.session.commit()
        return away.id


def add(client, username="wang", name="王芳", token=None):
    return client.post(ADD, data={"keeper-username": username, "keeper-name": name,
                                  "csrf_token": token or csrf_token(client, PAGE)})


def confirm(client, path):
    """Open the confirmation step and send its form, as a finger on "Yes" would."""
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)}
    data.update(re.findall(r'<input type="hidden" name="(seen|active)" value="([^"]*)"', text))
    return client.post(path, data=data)


def signed_in(client) -> bool:
    return client.get("/keeper/today").status_code == 200


def keeper_row(app, keeper_id):
    with app.app_context():
        k = db.session.get(Keeper, keeper_id)
        return k.password_hash, k.active, k.session_version


def count_keepers(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Keeper))


def test_the_page_lists_this_stations_keepers_only(app, keeper, lina, away, client):
    signed_in_admin(app, app.test_client())  # an admin exists too
    page = keeper.get(PAGE).get_data(as_text=True)
    section = page[page.index("data-station-keepers"):]
    assert 'data-keeper="keeper"' in section and 'data-keeper="lina"' in section and "李娜" in section
    assert 'data-keeper="nan"' not in section and 'data-keeper="admin"' not in section
    own = section[section.index('data-keeper="keeper"'):section.index("</tr>", section.index('data-keeper="keeper"'))]
    assert "(you)" in own and "/password" not in own and "/active" not in own  # nothing offered on oneself
    assert f"/keeper/account/keepers/{lina[0]}/password" in section
    assert f"/keeper/account/keepers/{lina[0]}/active" in section


def test_an_admin_sees_the_keepers_of_the_station_they_look_at(app, station, keeper_id, away, client):
    admin = signed_in_admin(app, client)
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'data-keeper="keeper"' in page and 'data-keeper="nan"' not in page and 'data-keeper="admin"' not in page
    with app.app_context():
        nanyuan = db.session.get(Keeper, away).station_id
    admin.post("/keeper/station", data={"station_id": str(nanyuan), "csrf_token": csrf_token(admin, "/keeper/today")})
    page = admin.get(PAGE).get_data(as_text=True)
    assert 'data-keeper="nan"' in page and 'data-keeper="keeper"' not in page


def test_a_new_keeper_is_added_and_their_password_shown_once(app, keeper, station):
    r = add(keeper, username=" wang ", name="王 芳")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    password = ONE_TIME.search(page).group(1)
    assert "Please hand this password to 王芳. After signing in they can change it on “My account”." in page
    assert "shown only this once" in page
    # The new keeper signs in with it, at this station.
    assert sign_in(app.test_client(), username="wang", password=password).status_code == 303
    with app.app_context():
        wang = db.session.scalar(select(Keeper).where(Keeper.username == "wang"))
        assert (wang.display_name, wang.station_id, wang.role) == ("王芳", station, "keeper")
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keeper.added"))
        assert password not in str(event.after)
    # Not on the page again: opened afresh, or the answer's address opened again.
    again = keeper.get(PAGE).get_data(as_text=True)
    assert password not in again and 'data-keeper="wang"' in again
    # The change in the list of recent ones, a line of its own in sentence case (probe: "gave a keeper …")
    assert "Added a keeper: 王芳 (wang)" in again
    reopened = keeper.get(ADD)
    assert reopened.status_code == 303 and reopened.headers["Location"] == "/keeper/account#keepers"


@pytest.mark.parametrize("username, name, field, message", [
    ("wang", "", "keeper-name", "Please fill this in."),
    ("wang", "   ", "keeper-name", "Please fill this in."),
    ("", "王芳", "keeper-username", "Please fill this in."),
    ("wang fang", "王芳", "keeper-username", "A user name is 1 to 40 characters with no spaces."),
    ("w" * 500, "王芳", "keeper-username", "Please keep this to 40 characters or fewer."),
    ("wang", "王" * 500, "keeper-name", "Please keep this to 40 characters or fewer."),
    ("Keeper", "王芳", "keeper-username", "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
    ("keeper", "王芳", "keeper-username", "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
    ("ｋｅｅｐｅｒ", "王芳", "keeper-username", "A keeper named “keeper” already exists (user names ignore capitals, full-width letters and spaces around them)."),
])
def test_bad_input_is_refused_beside_the_field_and_nothing_is_stored(app, keeper, username, name, field, message):
    before = count_keepers(app)
    r = add(keeper, username=username, name=name)
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and field_errors(page, field) == [message]
    assert not ONE_TIME.search(page)
    assert count_keepers(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_the_message_is_in_the_keepers_language(app, keeper):
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    r = add(keeper, username="wang", name="")
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "keeper-name") == ["请填写这一项"]


def test_adding_needs_the_forms_csrf_token(app, keeper):
    before = count_keepers(app)
    r = add(keeper, token="not-the-token")
    assert r.status_code != 200 and not ONE_TIME.search(r.get_data(as_text=True))  # sent back to the page
    assert count_keepers(app) == before


def test_a_new_password_asks_first_shows_once_and_ends_the_other_keepers_sign_ins(app, keeper, lina):
    lina_id, lina_tablet = lina
    path = f"/keeper/account/keepers/{lina_id}/password"
    before = keeper_row(app, lina_id)
    step = keeper.get(path).get_data(as_text=True)
    assert "Give 李娜 a new password?" in step and "signed out on every device" in step
    assert keeper_row(app, lina_id) == before and signed_in(lina_tablet)  # asking changes nothing
    r = confirm(keeper, path)
    assert r.status_code == 200
    password = ONE_TIME.search(r.get_data(as_text=True)).group(1)
    # Her tablet is sent to sign in; the new password works, the old one no longer.
    answer = lina_tablet.get("/keeper/today")
    assert answer.status_code == 303 and "/keeper/login" in answer.headers["Location"]
    assert sign_in(app.test_client(), username="lina", password=PASSWORD).status_code == 422
    assert sign_in(app.test_client(), username="lina", password=password).status_code == 303
    assert signed_in(keeper)  # the keeper who did it stays signed in
    assert password not in keeper.get(PAGE).get_data(as_text=True)
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "keeper.password_reset"))
        assert event.after["username"] == "lina" and password not in str(event.after)


def test_the_same_confirmation_sent_again_makes_no_second_password(app, keeper, lina):
    lina_id, _tablet = lina
    path = f"/keeper/account/keepers/{lina_id}/password"
    page = keeper.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(keeper, path), "seen": re.search(r'name="seen" value="([^"]+)"', page).group(1)}
    first = keeper.post(path, data=data)
    password = ONE_TIME.search(first.get_data(as_text=True)).group(1)
    second = keeper.post(path, data=data)  # a double tap, or the answer reloaded
    assert second.status_code == 409 and "has just been changed" in second.get_data(as_text=True)
    assert not ONE_TIME.search(second.get_data(as_text=True))
    assert sign_in(app.test_client(), username="lina", password=password).status_code == 303


def test_a_keeper_is_deactivated_after_asking_and_reactivated(app, keeper, lina):
    lina_id, lina_tablet = lina
    path = f"/keeper/account/keepers/{lina_id}/active"
    assert "Deactivate 李娜?" in keeper.get(path).get_data(as_text=True) and signed_in(lina_tablet)
    r = confirm(keeper, path)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/account#keepers"
    page = keeper.get(PAGE).get_data(as_text=True)
    assert "李娜 is deactivated" in page and "Deactivated a keeper: 李娜 (lina)<" in page and "(lina): inactive" not in page
    assert not signed_in(lina_tablet)
    assert sign_in(app.test_client(), username="lina").status_code == 422
    assert "Reactivate 李娜?" in keeper.get(path).get_data(as_text=True)
    assert confirm(keeper, path).status_code == 303
    assert sign_in(app.test_client(), username="lina").status_code == 303


@pytest.mark.parametrize("answer", [None, "", "yes", "true", "01", "1 "])
def test_an_answer_the_page_never_sends_changes_nobody(app, keeper, lina, answer):
    """Only active=0 or 1 means anything: a missing or odd value deactivated the keeper."""
    lina_id, lina_tablet = lina
    before = keeper_row(app, lina_id)
    data = {"csrf_token": csrf_token(keeper, PAGE), **({"active": answer} if answer is not None else {})}
    r = keeper.post(f"/keeper/account/keepers/{lina_id}/active", data=data)
    assert r.status_code == 400 and keeper_row(app, lina_id) == before and signed_in(lina_tablet)


def test_a_keeper_cannot_deactivate_themselves(app, keeper, keeper_id, lina):
    path = f"/keeper/account/keepers/{keeper_id}/active"
    step = keeper.get(path).get_data(as_text=True)
    assert "You cannot deactivate yourself." in step and 'name="active"' not in step  # nothing to press
    before = keeper_row(app, keeper_id)
    r = keeper.post(path, data={"active": "0", "csrf_token": csrf_token(keeper, PAGE)})
    assert r.status_code == 422 and "You cannot deactivate yourself." in r.get_data(as_text=True)
    assert keeper_row(app, keeper_id) == before and signed_in(keeper)
    # Nor a new password for oneself here: that is the form with the current one, above.
    own = keeper.post(f"/keeper/account/keepers/{keeper_id}/password", data={"csrf_token": csrf_token(keeper, PAGE)})
    assert own.status_code == 303 and keeper_row(app, keeper_id) == before


def test_the_last_active_keeper_of_a_station_stays(app, station, keeper_id, client):
    admin = signed_in_admin(app, client)
    r = confirm(admin, f"/keeper/account/keepers/{keeper_id}/active")
    assert r.status_code == 422 and "last active keeper" in r.get_data(as_text=True)
    assert keeper_row(app, keeper_id)[1] is True


@pytest.mark.parametrize("what", ["password", "active"])
def test_another_stations_keeper_or_an_admin_is_not_found_and_nothing_changes(app, keeper, away, what):
    signed_in_admin(app, app.test_client())
    with app.app_context():
        admin_id = db.session.scalar(select(Keeper.id).where(Keeper.role == "admin"))
    for target in (away, admin_id, 999999):
        before = keeper_row(app, target) if target != 999999 else None
        path = f"/keeper/account/keepers/{target}/{what}"
        assert keeper.get(path).status_code == 404
        token = csrf_token(keeper, PAGE)
        assert keeper.post(path, data={"csrf_token": token, "active": "0", "seen": "x"}).status_code == 404
        if before:
            assert keeper_row(app, target) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_signed_out_the_keepers_pages_ask_for_a_sign_in(app, client, keeper_id):
    for path in (ADD, f"/keeper/account/keepers/{keeper_id}/password", f"/keeper/account/keepers/{keeper_id}/active"):
        assert "/keeper/login" in client.get(path).headers["Location"]
