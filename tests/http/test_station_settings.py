"""The station's settings through the keeper's pages, and what a keeper sees after saving one.

A station box runs two gunicorn workers, each keeping the stations it read for a moment
(core/stations.py): here two apps on one database stand for them."""

import re

import pytest

from kiosk.core.extensions import db
from kiosk.core.models import Station
from tests.conftest import csrf_token, make_app
from tests.http.test_keeper import field_errors
from tests.http.test_refused_forms import shown


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


@pytest.fixture
def other_worker(app, tmp_path, keeper):
    """The station box's second worker: the same database and secret key, and the keeper's browser
    (its cookies) sending some of its requests there."""
    other = make_app(tmp_path / "other", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    browser = other.test_client()
    for name in ("session", "kiosk_lang"):
        browser.set_cookie(name, keeper.get_cookie(name).value)
    return browser


def points_rate_shown(page: str) -> str:
    return re.search(r'id="points_per_hour" [^>]*value="([^"]*)"', page).group(1)


def test_a_setting_saved_on_one_worker_shows_saved_on_the_other(app, keeper, other_worker):
    """The answer to a saved form is a redirect, and the browser's next request may go to the other
    worker, whose kept copy of the station is from a moment before the change."""
    assert points_rate_shown(other_worker.get("/keeper/points").get_data(as_text=True)) == "10"  # it keeps the station
    assert post(keeper, "/keeper/points", {"points_per_hour": "15"}, page="/keeper/points").status_code == 303
    page = other_worker.get("/keeper/points?saved=1").get_data(as_text=True)
    assert "Saved." in page and points_rate_shown(page) == "15"
    ladder = post(keeper, "/keeper/stars/ladder", {"star_hours": "100, 200, 500, 800, 1000", "min_rating": "0"},
                  page="/keeper/stars")
    assert ladder.status_code == 303
    assert 'value="100, 200, 500, 800, 1000"' in other_worker.get("/keeper/stars?saved=1").get_data(as_text=True)


def test_a_keepers_change_starts_from_the_station_as_it_is_not_as_a_worker_kept_it(app, keeper, other_worker):
    """Saving the value the other worker's old copy holds must still be saved (a change made on the
    old copy would look like no change at all) and audited from what it really was."""
    other_worker.get("/keeper/points")  # kept there: 10 points an hour
    assert post(keeper, "/keeper/points", {"points_per_hour": "15"}, page="/keeper/points").status_code == 303
    # Back to 10, sent to the second worker, whose copy says 10 still.
    assert post(other_worker, "/keeper/points", {"points_per_hour": "10"}, page="/keeper/points").status_code == 303
    with app.app_context():
        from sqlalchemy import select

        from kiosk.people.models import AuditEvent

        assert db.session.get(Station, 1).points_per_hour == 10
        last = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "points.setting")
                                  .order_by(AuditEvent.id.desc())).first()
        assert (last.before, last.after) == ({"points_per_hour": 15}, {"points_per_hour": 10})


# --- The settings page --------------------------------------------------------------------------

PAGE = "/keeper/settings"
AS_TYPED = {"name": "幸福里暖心驿站", "opens_at": "８：００", "closes_at": "18:30", "hours_rounding_minutes": "15",
            "duplicate_window_minutes": "３", "person_in_charge": "王主任", "contact": "０１０－６５１２３４５６"}


def stored(app) -> tuple:
    with app.app_context():
        s = db.session.get(Station, 1)
        return (s.name, s.opens_at.strftime("%H:%M"), s.closes_at.strftime("%H:%M"), s.hours_rounding_minutes,
                s.duplicate_window_minutes, s.person_in_charge, s.contact)


def test_the_settings_are_in_the_keepers_menu_and_show_the_station_as_it_is(app, keeper):
    assert 'href="/keeper/settings"' in keeper.get("/keeper/today").get_data(as_text=True)
    values = shown(keeper.get(PAGE).get_data(as_text=True))
    assert {k: values[k] for k in AS_TYPED} == {
        "name": "幸福里暖心驿站", "opens_at": "08:00", "closes_at": "20:00", "hours_rounding_minutes": "30",
        "duplicate_window_minutes": "5", "person_in_charge": "", "contact": ""}


def test_a_keeper_changes_the_settings_and_sees_them_saved_and_listed(app, keeper):
    r = post(keeper, PAGE, AS_TYPED, page=PAGE)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/settings?saved=1"
    assert stored(app) == ("幸福里暖心驿站", "08:00", "18:30", 15, 3, "王主任", "010-65123456")
    page = keeper.get(r.headers["Location"]).get_data(as_text=True)
    values = shown(page)
    assert "Saved." in page and (values["closes_at"], values["hours_rounding_minutes"]) == ("18:30", "15")
    listed = re.sub(r"<[^>]+>", " ", page.split("Changes to these settings")[1])
    assert "Closing time: 20:00 → 18:30" in listed and "Person in charge: — → 王主任" in listed
    assert "站长" in listed  # who made it
    # The certificates page shows and changes the same person in charge and contact.
    register = shown(keeper.get("/keeper/certificates").get_data(as_text=True))
    assert (register["person_in_charge"], register["contact"]) == ("王主任", "010-65123456")
    post(keeper, "/keeper/certificates/station", {"person_in_charge": "李站长", "contact": "13900001111"},
         page="/keeper/certificates")
    page = keeper.get(PAGE).get_data(as_text=True)
    assert shown(page)["person_in_charge"] == "李站长" and "Person in charge: 王主任 → 李站长" in page
    # Saved again as it is: nothing changed, nothing recorded, and the page says so.
    again = post(keeper, PAGE, {**AS_TYPED, "person_in_charge": "李站长", "contact": "13900001111"}, page=PAGE)
    assert again.headers["Location"] == "/keeper/settings?unchanged=1"
    assert "already so" in keeper.get(again.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("sent, field, message", [
    ({"closes_at": "7:30"}, "closes_at", "The closing time must come after the opening time."),
    ({"closes_at": "25:00"}, "closes_at", "Please enter a time such as 8:00 or 20:30."),
    ({"opens_at": "八点"}, "opens_at", "Please enter a time such as 8:00 or 20:30."),
    ({"opens_at": ""}, "opens_at", "Please fill this in."),
    ({"opens_at": " "}, "opens_at", "Please fill this in."),
    ({"closes_at": "\u3000"}, "closes_at", "Please fill this in."),  # an IME's full-width space
    ({"closes_at": "\t"}, "closes_at", "Please fill this in."),
    ({"hours_rounding_minutes": "7"}, "hours_rounding_minutes", "Please choose from the list."),
    ({"hours_rounding_minutes": "abc"}, "hours_rounding_minutes", "Please choose from the list."),
    ({"duplicate_window_minutes": "abc"}, "duplicate_window_minutes", "Please enter a whole number."),
    ({"duplicate_window_minutes": "0"}, "duplicate_window_minutes", "from 1 to 60"),
    # Probe: a number too large for any field was only "too large", not what the window may be.
    ({"duplicate_window_minutes": "9" * 30}, "duplicate_window_minutes", "from 1 to 60"),
    ({"duplicate_window_minutes": "-" + "9" * 12}, "duplicate_window_minutes", "from 1 to 60"),
    ({"name": " "}, "name", "Please"),
    ({"name": "南苑暖心驿站"}, "name", "A station with this name exists already."),
    ({"contact": "1" * 41}, "contact", "Please keep this to 40 characters or fewer."),
])
def test_a_refused_setting_keeps_what_was_typed_says_why_beside_it_and_stores_nothing(app, keeper, sent, field,
                                                                                     message):
    with app.app_context():
        from kiosk.core.stations import add_station

        add_station("nanyuan", "南苑暖心驿站")
        db.session.commit()
    before = stored(app)
    typed = {**AS_TYPED, "opens_at": "8:00", **sent}
    r = post(keeper, PAGE, typed, page=PAGE)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert [e for e in field_errors(page, field) if e.startswith(message) or message in e]
    values = shown(page)
    assert {k: values[k] for k in typed if k != "hours_rounding_minutes"} == {
        k: v for k, v in typed.items() if k != "hours_rounding_minutes"}
    if typed["hours_rounding_minutes"] == "15":
        assert values["hours_rounding_minutes"] == "15"  # the step chosen stays chosen
    assert stored(app) == before
    with app.app_context():
        from sqlalchemy import func, select

        from kiosk.people.models import AuditEvent

        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize("sent, said", [
    # Probe: only the first two were said; the 99 only once those were put right.
    ({"name": "", "opens_at": "25:00", "closes_at": "07:00", "duplicate_window_minutes": "99"},
     {"name": "Please fill this in.", "opens_at": "Please enter a time such as 8:00 or 20:30.",
      "duplicate_window_minutes": "from 1 to 60"}),
    # The rules' own refusals, all at once too.
    ({"opens_at": "18:00", "closes_at": "07:00", "duplicate_window_minutes": "99", "contact": "1" * 41},
     {"closes_at": "The closing time must come after the opening time.", "duplicate_window_minutes": "from 1 to 60",
      "contact": "Please keep this to 40 characters or fewer."}),
])
def test_a_refused_settings_form_says_every_reason_at_once_beside_each_field(app, keeper, sent, said):
    before = stored(app)
    r = post(keeper, PAGE, {**AS_TYPED, **sent}, page=PAGE)
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    for field, message in said.items():
        assert [e for e in field_errors(page, field) if message in e], field
    assert stored(app) == before


def test_signed_out_the_settings_page_asks_for_a_sign_in_and_changes_nothing(app, client, station):
    before = stored(app)
    assert "/keeper/login" in client.get(PAGE).headers["Location"]
    r = client.post(PAGE, data={**AS_TYPED, "csrf_token": csrf_token(client, "/keeper/login")})
    assert r.status_code == 303 and "/keeper/login" in r.headers["Location"]
    assert stored(app) == before


# Probe: a closing time set earlier than now checked out everyone on duty without a word.
def test_a_closing_time_set_earlier_than_now_asks_first_then_checks_out_who_is_on_duty_at_that_time(app, keeper,
                                                                                                     clock):
    """What the page says beside the closing time: it applies to sessions still open."""
    from tests.http.test_recognition import scan, token

    kiosk = app.test_client()
    kiosk.set_cookie("kiosk_lang", "en")
    assert 'data-outcome="checked_in"' in scan(kiosk, token(app)).get_data(as_text=True)  # 09:00
    clock.advance(hours=3)  # 12:00
    assert 'name="agreed"' not in keeper.get(PAGE).get_data(as_text=True)  # asked only when it matters
    before = stored(app)
    asked = post(keeper, PAGE, {**AS_TYPED, "opens_at": "7:00", "closes_at": "11:00"}, page=PAGE)
    assert asked.status_code == 422
    page = asked.get_data(as_text=True)
    assert field_errors(page, "closes_at") == ["1 on duty now would be checked out at 11:00, their hours waiting for "
                                               "you under To review. To save the new times anyway, tick the box "
                                               "below and save again."]
    assert 'name="agreed"' in page and (shown(page)["opens_at"], shown(page)["closes_at"]) == ("7:00", "11:00")
    assert stored(app) == before
    with app.app_context():
        from kiosk.checkin.models import ServiceSession

        assert db.session.get(ServiceSession, 1).checked_out_at is None
    # A later closing time, or one still to come today, ends nobody's session: saved at once.
    assert post(keeper, PAGE, {**AS_TYPED, "closes_at": "12:30"}, page=PAGE).status_code == 303
    assert post(keeper, PAGE, {**AS_TYPED, "opens_at": "7:00", "closes_at": "11:00", "agreed": "y"},
                page=PAGE).status_code == 303
    review = keeper.get("/keeper/review").get_data(as_text=True)
    with app.app_context():
        from kiosk.checkin.models import ServiceSession

        session = db.session.get(ServiceSession, 1)
        assert session.auto_closed and session.checked_out_at == session.checked_in_at.replace(hour=3)  # 11:00
    assert "11:00" in review


def test_a_save_from_a_page_opened_before_another_keepers_change_is_refused_and_shows_the_settings_as_they_are(
        app, keeper, other_worker):
    opened = keeper.get(PAGE).get_data(as_text=True)
    seen = re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', opened).group(1)
    # Another keeper (another tablet, another worker) moves the closing time meanwhile.
    assert post(other_worker, PAGE, {**AS_TYPED, "closes_at": "19:00"}, page=PAGE).status_code == 303
    late = keeper.post(PAGE, data={**AS_TYPED, "contact": "13900001111", "seen": seen,
                                   "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                                                           opened).group(1)})
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "Someone else changed this record while you had it open" in page
    assert (shown(page)["closes_at"], shown(page)["contact"]) == ("19:00", "010-65123456")  # as it is now
    assert stored(app)[2] == "19:00" and stored(app)[6] == "010-65123456"
    fresh = re.search(r'name="seen" type="hidden" value="([0-9a-f]+)"', page).group(1)
    assert fresh != seen
    again = keeper.post(PAGE, data={**AS_TYPED, "closes_at": "19:00", "contact": "13900001111", "seen": fresh,
                                    "csrf_token": csrf_token(keeper, PAGE)})
    assert again.status_code == 303 and stored(app)[2:] == ("19:00", 15, 3, "王主任", "13900001111")


# --- The station's name on 繁體 pages -----------------------------------------------------------


def topbar_and_title(client) -> tuple[str, str]:
    page = client.get("/").get_data(as_text=True)
    return (re.search(r'class="topbar-home"[^>]*>([^<]*)<', page).group(1),
            re.search(r'<h1 class="home-title">([^<]*)<', page).group(1))


def test_the_station_name_reads_in_the_script_of_the_page(app, keeper, client):
    """A 繁體 reader saw the station's name in 简体 on every page: the name is the station's own
    (幸福里 is a place, which no converter knows), so the keeper types how 繁體 pages write it."""
    client.set_cookie("kiosk_lang", "zh_Hant")
    assert topbar_and_title(client) == ("幸福里暖心驛站", "幸福里暖心驛站")  # the demo station has one
    r = post(keeper, PAGE, {**AS_TYPED, "name_hant": "  幸福里　暖心驛站 "}, page=PAGE)
    assert r.status_code == 303
    assert topbar_and_title(client) == ("幸福里 暖心驛站", "幸福里 暖心驛站")  # spaces tidied, as the name's are
    client.set_cookie("kiosk_lang", "zh_Hans")
    assert topbar_and_title(client) == ("幸福里暖心驿站", "幸福里暖心驿站")
    client.set_cookie("kiosk_lang", "en")
    assert topbar_and_title(client) == ("幸福里暖心驿站", "幸福里暖心驿站")  # the name on the station's sign
    page = keeper.get(PAGE).get_data(as_text=True)
    assert shown(page)["name_hant"] == "幸福里 暖心驛站" and "幸福里暖心驛站 → 幸福里 暖心驛站" in page
    # Left empty, 繁體 pages show the station name.
    assert post(keeper, PAGE, {**AS_TYPED, "name_hant": ""}, page=PAGE).status_code == 303
    client.set_cookie("kiosk_lang", "zh_Hant")
    assert topbar_and_title(client) == ("幸福里暖心驿站", "幸福里暖心驿站")


def test_a_traditional_name_keeps_no_control_or_direction_characters(app, keeper, client):
    # It is on every 繁體 public screen: a right-to-left override would turn it around there.
    assert post(keeper, PAGE, {**AS_TYPED, "name_hant": "幸福里\u202e暖心\x07驛站"}, page=PAGE).status_code == 303
    client.set_cookie("kiosk_lang", "zh_Hant")
    assert topbar_and_title(client) == ("幸福里 暖心 驛站", "幸福里 暖心 驛站")  # as a swap title is kept
    assert "\u202e" not in client.get("/").get_data(as_text=True)


def test_a_traditional_name_too_long_is_refused_beside_the_field(app, keeper):
    before = stored(app)
    r = post(keeper, PAGE, {**AS_TYPED, "name_hant": "驛" * 81}, page=PAGE)
    assert r.status_code == 422 and field_errors(r.get_data(as_text=True), "name_hant")
    assert stored(app) == before
