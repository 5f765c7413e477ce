"""A keeper can hand a volunteer everything the station stores about them, and erase it: the
personal data goes, the hours stay as anonymous totals. Both are on the volunteer's page."""

import html
import json

import pytest
from sqlalchemy import func, select

from kiosk.checkin.attendance import minutes_served, scan_badge
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import AuditEvent, Volunteer
from tests.conftest import HX, START, csrf_token
from tests.databases import on_postgres
from tests.http.conftest import sign_in


@pytest.fixture
def served(app, station):
    """Volunteer 1 served 3 hours; returns their badge token."""
    with app.test_request_context("/", method="POST"):
        place = db.session.get(Station, station)
        token = badge_token(db.session.get(Volunteer, 1))
        scan_badge(place, token, "scanner", START)
        scan_badge(place, token, "scanner", START.replace(hour=4))
        db.session.commit()
        return token


@pytest.fixture
def keeper(app, client, keeper_id):
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    return client


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/keeper/volunteers/1"), **data})


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.volunteer_id == 1)
                                       .order_by(AuditEvent.id)))


def test_the_export_holds_everything_stored_and_is_recorded(app, keeper, served):
    r = post(keeper, "/keeper/volunteers/1/export")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert "attachment" in r.headers["Content-Disposition"]
    record = json.loads(r.get_data(as_text=True))
    assert record["volunteer"]["name"] == "张晓华" and record["volunteer"]["mobile"] == "13800138001"
    assert len(record["service_sessions"]) == 1 and record["service_sessions"][0]["checked_out_at"]
    assert actions(app) == ["volunteer.exported"]


def test_erasing_needs_the_volunteer_number_typed(app, keeper, served):
    r = post(keeper, "/keeper/volunteers/1/erase", confirm="9999")
    assert r.status_code == 422
    assert "type this volunteer's number: 0001" in html.unescape(r.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(Volunteer, 1).name == "张晓华"
    assert actions(app) == []


def test_erasing_removes_the_person_and_keeps_the_hours(app, keeper, client, served):
    with app.app_context():
        minutes_before = minutes_served(db.session.get(Station, 1), 1)
    r = post(keeper, "/keeper/volunteers/1/erase", confirm="1")
    assert r.status_code == 303
    with app.app_context():
        volunteer = db.session.get(Volunteer, 1)
        assert volunteer.erased_at is not None and not volunteer.active and volunteer.badge_nonce is None
        assert volunteer.name != "张晓华" and "13800138001" not in volunteer.mobile and volunteer.teams == []
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 1
        assert minutes_served(db.session.get(Station, 1), 1) == minutes_before == 180
    assert actions(app) == ["volunteer.erased"]
    exported = post(keeper, "/keeper/volunteers/1/export").get_data(as_text=True)
    assert "张晓华" not in exported and "13800138001" not in exported
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert "The personal data was erased" in page and "Erased the personal data" in page
    # The old badge checks no one in any more.
    kiosk = app.test_client()
    scan = kiosk.post("/checkin/scan", data={"code": served, "method": "scanner",
                                             "csrf_token": csrf_token(kiosk, "/checkin/")}, headers=HX)
    assert scan.status_code == 422


def test_erasing_twice_from_two_tabs_erases_once(app, keeper, served):
    for _ in range(2):  # the second tab still shows the form
        assert post(keeper, "/keeper/volunteers/1/erase", confirm="0001").status_code == 303
    assert actions(app) == ["volunteer.erased"]


def test_an_erased_volunteers_name_stays_masked_in_suggestions_that_named_them(app, keeper, client, served):
    """Public wording masks the names the station has registered; once erased, the name is not
    registered any more, and a suggestion naming them would show it in full."""
    from tests.http.test_suggestions import seed, update

    with app.app_context():
        name = db.session.get(Volunteer, 1).name
    clock = app.extensions["kiosk_clock"]
    code = seed(app, clock, text=f"志愿者{name}很热心")
    spaced = seed(app, clock, text=f"还有{name[0]} {name[1:]}也很好")  # a space typed inside the name
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    assert update(keeper, code, {"status": "accepted"}).status_code == 303
    assert update(keeper, spaced, {"status": "accepted"}).status_code == 303
    for path in (f"/s/{code}", f"/s/{spaced}", "/api/v1/open311/requests.json"):
        page = client.get(path).get_data(as_text=True)
        assert name not in page and f"{name[0]} {name[1:]}" not in page, path


@pytest.mark.skipif(on_postgres(), reason="SQLite's files; PostgreSQL's are the server's")
def test_an_erased_name_and_mobile_are_gone_from_the_database_files(app, keeper, served):
    from pathlib import Path

    from sqlalchemy import make_url

    with app.app_context():
        volunteer = db.session.get(Volunteer, 1)
        name, mobile = volunteer.name.encode(), volunteer.mobile.encode()
    database = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    files = [database, database.with_name(database.name + "-wal")]
    # What a keeper wrote about them too: it stays, masked, and the old words are not left behind.
    words = f"{name.decode()}热心修灯，电话{mobile.decode()}"
    assert post(keeper, "/keeper/honor", number="1", note=words).status_code == 303
    assert post(keeper, "/keeper/volunteers/1/points", amount="5", reason=words).status_code == 303
    assert any(name in f.read_bytes() for f in files if f.exists())
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    for f in files:
        if f.exists():
            assert name not in f.read_bytes() and mobile not in f.read_bytes(), f.name


KEPT_ONLY_FOR_HOURS = "the record is kept only for the station's hours"


def test_an_erased_volunteer_is_not_put_back_into_use_from_any_keeper_page(app, keeper, served):
    honor = keeper.post("/keeper/honor", data={"number": "1", "note": "最美志愿者",
                                               "csrf_token": csrf_token(keeper, "/keeper/honor")})
    assert honor.status_code == 303
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    for path, data in [("/keeper/volunteers/1/active", {"active": "1"}), ("/keeper/volunteers/1/badge", {}),
                       ("/keeper/volunteers/1/phone-code", {}), ("/keeper/volunteers/1/check-in", {"at": ""}),
                       ("/keeper/volunteers/1/points", {"amount": "5", "reason": "奖励"})]:
        r = post(keeper, path, **data)
        assert r.status_code == 422, path
        assert KEPT_ONLY_FOR_HOURS in html.unescape(r.get_data(as_text=True)), path
    with app.app_context():
        volunteer = db.session.get(Volunteer, 1)
        assert not volunteer.active and volunteer.badge_nonce is None and volunteer.phone_code_hash is None
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)
                                 .where(ServiceSession.checked_out_at.is_(None))) == 0
    assert actions(app) == ["honor.picked", "volunteer.erased"]
    # The page says so plainly and offers none of those forms.
    page = html.unescape(keeper.get("/keeper/volunteers/1").get_data(as_text=True))
    assert KEPT_ONLY_FOR_HOURS in page
    for action in ("/active", "/badge", "/phone-code", "/check-in", "/points", "/gift"):
        assert f'action="/keeper/volunteers/1{action}"' not in page, action
    assert "Volunteer No. 0001" not in keeper.get("/keeper/badges").get_data(as_text=True)
    assert "0001" not in keeper.get("/keeper/honor").get_data(as_text=True)


def test_a_phone_code_asked_for_after_the_erasure_answers_with_the_volunteers_page(app, keeper, served):
    """Probe: 生成手机验证码 sent from a page opened before a colleague erased the volunteer was a 422
    "Please check your input" page, though nothing had been typed."""
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    r = post(keeper, "/keeper/volunteers/1/phone-code")
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and "Please check your input" not in page
    assert "erased meanwhile" in page and KEPT_ONLY_FOR_HOURS in page


@pytest.mark.parametrize("erased", [True, False], ids=["erased", "never issued"])
def test_a_volunteer_without_a_badge_has_no_badge_page_but_their_own_page_saying_so(app, keeper, served, erased):
    """Probe: the badge card, its PNG and SVG of an erased volunteer were a 422 "Please check your
    input" page, though nothing had been typed."""
    if erased:
        assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    else:
        with app.app_context():
            db.session.get(Volunteer, 1).badge_nonce = None
            db.session.commit()
    for path in ("/keeper/volunteers/1/badge", "/keeper/volunteers/1/badge.png", "/keeper/volunteers/1/badge.svg"):
        r = keeper.get(path)
        assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1", path
        page = html.unescape(keeper.get(r.headers["Location"]).get_data(as_text=True))
        assert "This volunteer has no badge, so there is none to print." in page and "check your input" not in page
        assert (KEPT_ONLY_FOR_HOURS in page) == erased
        # Never issued: the page offers to issue one, not to print or download one.
        assert ('href="/keeper/volunteers/1/badge/new"' in page) != erased
        assert 'href="/keeper/volunteers/1/badge"' not in page and 'href="/keeper/volunteers/1/badge.png"' not in page


def test_a_button_left_on_an_erased_volunteers_page_gives_their_page_saying_why(app, keeper, served):
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    r = post(keeper, "/keeper/volunteers/1/active", active="1")  # reactivate, from a page opened before
    shown = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and "check your input" not in shown
    assert "Not done: this volunteer's personal data was erased meanwhile." in shown and "<h1>—" in shown
    assert 'name="active"' in page
    r = post(keeper, "/keeper/volunteers/1/badge", seen="x")  # the new-badge step, opened before
    assert r.status_code == 422 and "Not done: this volunteer's personal data was erased meanwhile." in html.unescape(
        r.get_data(as_text=True))


def test_an_erased_volunteers_placeholder_mobile_is_not_shown_and_they_cannot_be_edited(app, keeper, served):
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    with app.app_context():
        placeholder = db.session.get(Volunteer, 1).mobile
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    listing = keeper.get("/keeper/volunteers").get_data(as_text=True)
    for shown in (page, listing):
        assert placeholder not in shown
    assert "erased" in listing  # the list says what became of them
    assert 'href="/keeper/volunteers/1/edit"' not in page
    # The edit form is not offered, and a form left open in another tab changes nothing.
    r = keeper.get("/keeper/volunteers/1/edit")
    assert r.status_code == 303 and r.headers["Location"].endswith("/keeper/volunteers/1")
    r = keeper.post("/keeper/volunteers/1/edit", data={"name": "张晓华", "mobile": "13800138001",
                                                        "csrf_token": csrf_token(keeper, "/keeper/volunteers/1")})
    assert r.status_code == 422 and KEPT_ONLY_FOR_HOURS in html.unescape(r.get_data(as_text=True))
    with app.app_context():
        volunteer = db.session.get(Volunteer, 1)
        assert (volunteer.name, volunteer.mobile) == ("—", placeholder)
    # Searching by mobile digits finds no erased placeholder.
    assert "/keeper/volunteers/1\"" not in keeper.get("/keeper/volunteers?q=0000").get_data(as_text=True)


@pytest.mark.parametrize("mobile", ["13800138001", "12345"], ids=["as it was", "mistyped too"])
def test_an_edit_form_left_open_while_the_volunteer_was_erased_gives_their_page_not_the_form(app, keeper, served,
                                                                                          mobile):
    """Probe: the save was refused, but the answer was an empty form with Save, as if to fill in again."""
    import re

    form = keeper.get("/keeper/volunteers/1/edit").get_data(as_text=True)
    seen = html.unescape(re.search(r'name="seen"[^>]*value="([^"]*)"', form)[1])
    assert post(keeper, "/keeper/volunteers/1/erase", confirm="1").status_code == 303
    r = post(keeper, "/keeper/volunteers/1/edit", name="张晓华", mobile=mobile, birth_year="1958", seen=seen)
    page = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert KEPT_ONLY_FOR_HOURS in page and "Your changes were not saved" in page
    assert 'action="/keeper/volunteers/1/edit"' not in page and 'name="mobile"' not in page
    with app.app_context():
        assert db.session.get(Volunteer, 1).name == "—"


def test_what_keepers_wrote_about_an_erased_volunteer_shows_masked_on_every_keeper_page(app, keeper):
    """The steps a new keeper took on the demo station: 王建国 (0003) on the honor roll with a note
    naming him and his mobile, +5 points with a reason naming him, a certificate; then erased."""
    from datetime import timedelta

    with app.app_context():
        db.session.add(ServiceSession(station_id=1, volunteer_id=3, checked_in_at=START - timedelta(days=2),
                                      checked_out_at=START - timedelta(days=2, hours=-3), check_in_method="scanner",
                                      check_out_method="scanner", confirmed_at=START))
        station = db.session.get(Station, 1)
        station.person_in_charge, station.contact = "王主任", "010-65123456"  # printed on every certificate
        db.session.commit()
    day = (START - timedelta(days=2)).date().isoformat()
    assert post(keeper, "/keeper/honor", number="0003", note="王建国热心修灯，电话13800138003").status_code == 303
    assert post(keeper, "/keeper/volunteers/3/points", amount="5", reason="表扬王建国修灯").status_code == 303
    assert post(keeper, "/keeper/volunteers/3/certificates", start=day, end=day).status_code == 303
    assert "王建国" in keeper.get("/keeper/volunteers/3").get_data(as_text=True)
    assert post(keeper, "/keeper/volunteers/3/erase", confirm="0003").status_code == 303
    page = keeper.get("/keeper/volunteers/3").get_data(as_text=True)
    assert "王*国热心修灯，电话***" in page and "表扬王*国修灯" in page
    points = keeper.get("/keeper/points").get_data(as_text=True)
    assert "表扬王*国修灯" in points
    exported = post(keeper, "/keeper/volunteers/3/export").get_data(as_text=True)
    for shown in (page, points, exported):
        assert "王建国" not in shown and "13800138003" not in shown
