"""Check-in on the volunteer's own phone: the station code, linking the phone, checking in and out."""

import html
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.checkin.phone import issue_phone_code, remember_token, station_code
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token, issue_badge
from kiosk.people.models import Volunteer
from tests.conftest import HX, START, csrf_token, set_up_as_kiosk

COOKIE = "kiosk_phone"
LINK_FORMS = ('action="/m/link?station=demo"', 'action="/m/link-badge?station=demo"')


# --- Helpers -------------------------------------------------------------------------------


def code_at(app, station_id, when) -> str:
    """The station code the kiosk showed at `when`."""
    with app.app_context():
        return station_code(db.session.get(Station, station_id), when)


def give_phone_code(app, volunteer_id=1) -> str:
    """A keeper gives the volunteer a one-time code for their phone."""
    with app.app_context():
        code = issue_phone_code(db.session.get(Volunteer, volunteer_id), app.extensions["kiosk_clock"].now())
        db.session.commit()
        return code


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def token_of(app, volunteer_id=1) -> str:
    with app.app_context():
        return badge_token(db.session.get(Volunteer, volunteer_id))


def volunteer(app, volunteer_id=1):
    with app.app_context():
        v = db.session.get(Volunteer, volunteer_id)
        return SimpleNamespace(**{c.key: getattr(v, c.key) for c in Volunteer.__table__.columns})


def sessions(app):
    with app.app_context():
        return [SimpleNamespace(**{c.key: getattr(s, c.key) for c in ServiceSession.__table__.columns})
                for s in db.session.scalars(select(ServiceSession).order_by(ServiceSession.id))]


def post(client, path, data, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, **kwargs)


def link(client, c, number, code, **kwargs):
    return post(client, "/m/link", {"c": c, "number": number, "code": code}, **kwargs)


def link_badge(client, c, token, **kwargs):
    return post(client, "/m/link-badge", {"c": c, "code": token, "method": "camera"}, **kwargs)


def press(client, c, **kwargs):
    """The big check-in / check-out button on the phone."""
    return post(client, "/m/checkin", {"c": c}, **kwargs)


def outcome(response) -> str | None:
    match = re.search(r'data-outcome="([a-z_]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def shows_link_forms(page: str) -> bool:
    return all(form in page for form in LINK_FORMS)


@pytest.fixture
def fresh(app, station, clock):
    """The code the kiosk shows right now (call again after moving the clock)."""
    return lambda: code_at(app, station, clock.now())


@pytest.fixture
def phone(app, client, fresh):
    """A phone that has linked itself to volunteer 1 (张晓华) by scanning the badge."""
    r = link_badge(client, fresh(), token_of(app))
    assert r.status_code == 303 and client.get_cookie(COOKIE) is not None
    return client


# --- Opening the phone page from the kiosk's QR --------------------------------------------


def _tamper_signature(code):
    return code[:-1] + ("A" if code[-1] != "A" else "B")


def _tamper_time(code):
    station_id, seconds, signature = code.split("-", 2)
    return f"{station_id}-{int(seconds) + 30}-{signature}"


def _tamper_station(code):
    _station_id, seconds, signature = code.split("-", 2)
    return f"2-{seconds}-{signature}"


BAD_CODES = {
    "garbage": lambda app, station, now: "hello",
    "garbage with dashes": lambda app, station, now: "1-2-3",
    "very long": lambda app, station, now: "1-" + "9" * 5000,
    "tampered signature": lambda app, station, now: _tamper_signature(code_at(app, station, now)),
    "tampered time": lambda app, station, now: _tamper_time(code_at(app, station, now)),
    "another station": lambda app, station, now: _tamper_station(code_at(app, station, now)),
    "61 seconds old": lambda app, station, now: code_at(app, station, now - timedelta(seconds=61)),
    "yesterday's": lambda app, station, now: code_at(app, station, now - timedelta(days=1)),
    "from the future": lambda app, station, now: code_at(app, station, now + timedelta(minutes=2)),
}


@pytest.mark.parametrize("kind", BAD_CODES)
def test_phone_page_refuses_a_missing_or_bad_station_code(app, client, station, clock, kind):
    code = BAD_CODES[kind](app, station, clock.now())
    r = client.get("/m/checkin", query_string={"c": code})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'role="alert"' in page
    assert not any(form in page for form in LINK_FORMS) and 'action="/m/checkin?station=demo"' not in page
    assert client.get_cookie(COOKIE) is None and sessions(app) == []


@pytest.mark.parametrize("query", [{}, {"c": ""}], ids=["no code", "an empty code"])
def test_the_phone_page_opened_without_a_code_says_where_to_get_one_not_that_it_failed(app, client, station, query):
    """A bookmark or a typed address: nothing went wrong, so no 400 and no "Nothing was recorded"."""
    client.set_cookie("kiosk_lang", "en")
    r = client.get("/m/checkin", query_string=query)
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "scan the code on the station's kiosk screen" in page and "expired" not in page
    assert 'role="alert"' not in page and "Nothing was recorded" not in page
    assert not any(form in page for form in LINK_FORMS)
    assert client.get_cookie(COOKIE) is None and sessions(app) == []


def test_already_checked_in_on_a_phone_is_not_told_to_scan_again(app, phone, fresh):
    phone.set_cookie("kiosk_lang", "en")
    c = fresh()
    press(phone, c)
    page = press(phone, c).get_data(as_text=True)
    assert "do the same again after 09:05 to check out" in page and "scan again" not in page.lower()


def test_phone_page_refuses_a_station_code_with_non_ascii_characters(app, client, station):
    r = client.get("/m/checkin", query_string={"c": "1-1764000000-签名"})
    assert r.status_code == 400 and 'role="alert"' in r.get_data(as_text=True)


def test_fresh_code_shows_the_first_time_forms(client, fresh):
    code = fresh()
    r = client.get("/m/checkin", query_string={"c": code})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert shows_link_forms(page)
    assert 'name="number"' in page and 'name="code"' in page
    assert page.count(f'name="c" type="hidden" value="{code}"') == 2


def test_code_59_seconds_old_still_opens_the_page(client, fresh, clock):
    code = fresh()
    clock.advance(seconds=59)
    assert client.get("/m/checkin", query_string={"c": code}).status_code == 200


# --- Linking the phone with the number and a code from a keeper ----------------------------


@pytest.mark.parametrize("number", ["0001", "1", " 0001 "])
def test_link_with_number_and_keeper_code(app, client, fresh, number):
    c = fresh()
    r = link(client, c, number, give_phone_code(app))
    assert r.status_code == 303
    location = urlsplit(r.headers["Location"])
    assert location.path == "/m/checkin" and parse_qs(location.query)["c"] == [c]
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert 90 * 24 * 3600 <= cookie.max_age <= 200 * 24 * 3600  # about half a year (issue 10: not 400 days)
    assert volunteer(app).phone_code_hash is None  # used up

    page = client.get(r.headers["Location"]).get_data(as_text=True)
    # Their own phone greets them by their full name (issue A14), and never shows the mobile.
    assert "张晓华" in page and 'action="/m/checkin?station=demo"' in page
    assert not shows_link_forms(page) and "张*华" not in page and "13800138001" not in page


def test_link_as_htmx_gets_hx_redirect(app, client, fresh):
    c = fresh()
    r = link(client, c, "0001", give_phone_code(app), headers=HX)
    assert r.status_code == 200
    location = urlsplit(r.headers["HX-Redirect"])
    assert location.path == "/m/checkin" and parse_qs(location.query)["c"] == [c]
    assert client.get_cookie(COOKIE).http_only
    # The browser loads the linked page whole: header, language and large-text switches
    page = client.get(r.headers["HX-Redirect"]).get_data(as_text=True)
    assert "<html" in page and "language-switch" in page and "text-size-switch" in page


def test_wrong_code_is_refused_and_the_try_is_counted(app, client, fresh):
    code = give_phone_code(app)
    r = link(client, fresh(), "0001", wrong(code))
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'role="alert"' in page and shows_link_forms(page)
    assert client.get_cookie(COOKIE) is None
    assert volunteer(app).phone_code_tries == 1  # kept, although the request failed
    link(client, fresh(), "0001", wrong(code))
    assert volunteer(app).phone_code_tries == 2


def test_after_five_wrong_tries_even_the_right_code_is_refused(app, client, fresh):
    code = give_phone_code(app)
    for _ in range(5):
        assert link(client, fresh(), "0001", wrong(code)).status_code == 422
    assert volunteer(app).phone_code_tries == 5
    r = link(client, fresh(), "0001", code)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is None


def test_a_new_code_from_the_keeper_starts_the_count_again(app, client, fresh):
    code = give_phone_code(app)
    for _ in range(5):
        link(client, fresh(), "0001", wrong(code))
    assert link(client, fresh(), "0001", give_phone_code(app)).status_code == 303


def test_a_used_code_cannot_be_used_twice(app, client, fresh):
    code = give_phone_code(app)
    assert link(client, fresh(), "0001", code).status_code == 303
    other_phone = app.test_client()
    r = link(other_phone, fresh(), "0001", code)
    assert r.status_code == 422
    assert other_phone.get_cookie(COOKIE) is None


def test_an_expired_code_is_refused(app, client, fresh, clock):
    code = give_phone_code(app)
    clock.advance(hours=25)
    r = link(client, fresh(), "0001", code)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is None


@pytest.mark.parametrize(
    "number, code",
    [("0002", None), ("", None), ("0001", ""), ("abc", None), ("0001", "12345"), ("0001", "1234567"),
     ("9999", None), ("0001", "<b>12</b>")],
)
def test_link_refuses_a_wrong_number_or_malformed_code(app, client, fresh, number, code):
    right = give_phone_code(app)
    r = link(client, fresh(), number, right if code is None else code)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'role="alert"' in page and "<b>12</b>" not in page
    assert client.get_cookie(COOKIE) is None
    assert volunteer(app).phone_code_hash is not None  # still good for the right person


def test_link_refuses_a_station_code_older_than_five_minutes(app, client, fresh, clock):
    c = fresh()
    code = give_phone_code(app)
    clock.advance(minutes=5, seconds=1)
    r = link(client, c, "0001", code)
    assert r.status_code == 422 and client.get_cookie(COOKIE) is None
    assert volunteer(app).phone_code_hash is not None


def test_linking_a_minute_and_a_half_after_opening_the_page_lands_on_the_check_in_button(app, client, fresh, clock):
    c = fresh()
    code = give_phone_code(app)
    clock.advance(seconds=90)  # typing the number and the code takes a while
    r = link(client, c, "0001", code)
    assert r.status_code == 303
    page = client.get(r.headers["Location"])
    assert page.status_code == 200 and 'action="/m/checkin?station=demo"' in page.get_data(as_text=True)


# --- Linking the phone by scanning the badge with its camera -------------------------------


def test_link_by_scanning_the_badge(app, client, fresh):
    c = fresh()
    r = link_badge(client, c, token_of(app).lower() + "\n")  # a camera may read it however it likes
    assert r.status_code == 303 and parse_qs(urlsplit(r.headers["Location"]).query)["c"] == [c]
    assert client.get_cookie(COOKIE).http_only
    assert "张晓华" in client.get(r.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("token", ["", "garbage", "HX" + "A" * 32, "x" * 5000, "<script>alert(1)</script>"])
def test_link_by_badge_refuses_what_is_not_a_badge(app, client, fresh, token):
    r = link_badge(client, fresh(), token)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'role="alert"' in page and "<script>alert(1)</script>" not in page
    assert client.get_cookie(COOKIE) is None


def test_link_by_badge_refuses_a_replaced_or_deactivated_badge(app, client, fresh):
    old = token_of(app, 1)
    with app.app_context():
        issue_badge(db.session.get(Volunteer, 1))
        db.session.get(Volunteer, 2).active = False
        db.session.commit()
    for token in [old, token_of(app, 2)]:
        assert link_badge(client, fresh(), token).status_code == 422
    assert client.get_cookie(COOKIE) is None


# --- Checking in and out on a linked phone -------------------------------------------------


def test_phone_checks_in_then_ignores_a_double_tap_then_checks_out(app, phone, fresh, clock):
    c = fresh()
    r = press(phone, c)
    assert r.status_code == 200 and outcome(r) == "checked_in"
    [s] = sessions(app)
    assert (s.volunteer_id, s.check_in_method, s.checked_in_at, s.checked_out_at) == (1, "phone", START, None)

    clock.advance(minutes=1)  # the same page, pressed again
    phone.set_cookie("kiosk_lang", "en")
    r = press(phone, c)
    assert r.status_code == 200 and outcome(r) == "already_in"
    # Said when pressing again checks out, in the phone's own words (no kiosk to scan at).
    assert "Checked in less than 5 min ago: do the same again after 09:05 to check out." in r.get_data(as_text=True)
    assert [vars(x) for x in sessions(app)] == [vars(s)]

    clock.advance(hours=2)
    r = press(phone, fresh())
    assert r.status_code == 200 and outcome(r) == "checked_out"
    [s] = sessions(app)
    assert (s.checked_out_at, s.check_out_method) == (START + timedelta(hours=2, minutes=1), "phone")


# Probe: reloaded after checking in, the phone said only "签到 / 签退", so a volunteer unsure whether it
# worked tapped "again" and, after the duplicate window, checked out.
def test_the_phone_says_before_the_tap_whether_it_checks_in_or_out(app, phone, fresh, clock):
    phone.set_cookie("kiosk_lang", "en")
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "data-on-duty" not in page and re.search(r'class="[^"]*phone-go">Check in</button>', page)
    assert outcome(press(phone, fresh())) == "checked_in"  # 09:00
    clock.advance(minutes=30)
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "You checked in at 09:00 and are on duty now." in page
    assert re.search(r'class="[^"]*phone-go">Check out</button>', page)
    phone.set_cookie("kiosk_lang", "zh_Hans")
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "您 09:00 签到了，正在值班" in page
    # Past closing time (21:30) the session is no longer under way, but the next tap is still the
    # check-out they meant (counted to closing time), even once a keeper's page closed it: the
    # button said "Check in" and the tap answered "checked out".
    clock.advance(hours=12)
    with app.app_context():
        from kiosk.checkin.attendance import close_forgotten_sessions

        close_forgotten_sessions(db.session.get(Station, 1), clock.now())
        db.session.commit()
    phone.set_cookie("kiosk_lang", "en")
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "You checked in at 09:00 and have not checked out yet." in page
    assert re.search(r'class="[^"]*phone-go">Check out</button>', page)
    assert outcome(press(phone, fresh())) == "checked_out"
    assert len(sessions(app)) == 1
    # The next day, the tap checks in anew.
    clock.advance(hours=12)
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "data-on-duty" not in page and re.search(r'class="[^"]*phone-go">Check in</button>', page)


def test_phone_check_in_as_htmx_returns_the_outcome_fragment(app, phone, fresh):
    r = press(phone, fresh(), headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body
    assert outcome(r) == "checked_in" and "张晓华" in body and "张*华" not in body


def test_phone_check_in_with_a_code_older_than_five_minutes_is_refused(app, phone, fresh, clock):
    c = fresh()
    clock.advance(minutes=5, seconds=1)
    r = press(phone, c)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert sessions(app) == []


@pytest.mark.parametrize("bad", ["", "garbage", "1-2-3"])
def test_phone_check_in_with_a_bad_code_is_refused(app, phone, bad):
    r = press(phone, bad)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert sessions(app) == []


def test_phone_check_in_refuses_a_volunteer_deactivated_since(app, phone, fresh):
    with app.app_context():
        db.session.get(Volunteer, 1).active = False
        db.session.commit()
    r = press(phone, fresh())
    # Refused in the volunteer's words: paused, not "first time on this phone".
    assert r.status_code == 422 and "您的志愿者身份暂时停用了" in r.get_data(as_text=True)  # read in 简体
    assert sessions(app) == []


def test_pressing_check_in_on_an_unknown_phone_goes_back_to_the_first_time_forms(app, client, fresh):
    r = press(client, fresh())
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/m/checkin"
    assert sessions(app) == []


# --- My hours, forgetting, and a badge re-issued -------------------------------------------


def test_my_hours_shows_recent_sessions_and_the_total(app, phone, fresh, clock):
    press(phone, fresh())
    clock.advance(hours=2)
    press(phone, fresh())
    clock.advance(days=1)
    press(phone, fresh())  # on duty now, since 11:00 the next day
    phone.set_cookie("kiosk_lang", "en")
    r = phone.get("/m/me")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "张晓华" in page and "No. 0001" in page and "张*华" not in page and "13800138001" not in page
    assert "In all 2 hours" in page
    rows = re.findall(r"<tr>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>\s*<td[^>]*>([^<]*)</td>", page)
    assert rows == [("11/23", "11:00", "on duty"), ("11/22", "09:00", "11:00")]


def test_two_volunteers_of_one_name_see_whose_phone_it_is_by_badge_number(app, station, fresh):
    from kiosk.people.volunteers import register_volunteer

    with app.app_context():
        namesake = register_volunteer(db.session.get(Station, station), name="张晓华", mobile="13912345678",
                                      id_type="resident_id", id_number="11010519491231002X")
        db.session.commit()
        namesake_id, namesake_number = namesake.id, namesake.number
    assert namesake_number != "0001"
    for volunteer_id, number in ((1, "0001"), (namesake_id, namesake_number)):
        phone = app.test_client()
        assert link_badge(phone, fresh(), token_of(app, volunteer_id)).status_code == 303
        for page in (phone.get(f"/m/checkin?c={fresh()}"), phone.get("/m/me")):
            heading = html.unescape(re.search(r"<h1[^>]*>(.*?)</h1>", page.get_data(as_text=True), re.S).group(1))
            assert "张晓华" in heading and f"编号 {number}" in heading, heading
            assert "13912345678" not in page.get_data(as_text=True) and "13800138001" not in page.get_data(as_text=True)
            assert "11010519491231002X" not in page.get_data(as_text=True)


def test_my_hours_in_chinese_shows_the_total(app, phone, fresh, clock):
    press(phone, fresh())
    clock.advance(hours=3, minutes=20)
    press(phone, fresh())
    page = phone.get("/m/me").get_data(as_text=True)
    total = re.search(r'class="big-number">([^<]*)<', page).group(1)
    assert re.findall(r"\d+(?:\.\d+)?", total) == ["3.5"]


def test_forget_clears_the_cookie(app, phone, fresh):
    assert 'action="/m/forget?station=demo"' in phone.get("/m/me").get_data(as_text=True)
    assert phone.get("/m/forget").status_code == 405
    r = post(phone, "/m/forget", {})
    assert r.status_code == 303 and r.headers["Location"] == "/m/me?station=demo"
    assert phone.get_cookie(COOKIE) is None
    page = phone.get("/m/me").get_data(as_text=True)
    assert "张晓华" not in page and "张*华" not in page and 'action="/m/forget?station=demo"' not in page
    assert shows_link_forms(phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True))


def test_reissuing_the_badge_makes_the_phone_forget(app, phone, fresh):
    assert "张晓华" in phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    with app.app_context():
        issue_badge(db.session.get(Volunteer, 1))
        db.session.commit()
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert shows_link_forms(page) and "张晓华" not in page
    assert "张晓华" not in phone.get("/m/me").get_data(as_text=True)
    assert press(phone, fresh()).status_code == 303
    assert sessions(app) == []
    # Probe: the phone, linked minutes before, then said "first time on this phone".
    phone.set_cookie("kiosk_lang", "en")
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert "Your badge was renewed" in page and "First time on this phone" not in page
    assert "scan the new badge with it" in page
    me = phone.get("/m/me").get_data(as_text=True)
    assert "Your badge was renewed" in me and "does not know you yet" not in me
    phone.set_cookie("kiosk_lang", "zh_Hans")
    assert "胸卡换新了" in phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)


def test_a_phone_never_linked_or_signed_out_is_a_first_time_phone(app, client, fresh):
    client.set_cookie("kiosk_lang", "en")
    for cookie in (None, "garbage", _signed(app, [1, "not-the-nonce"], key="not-our-key")):
        if cookie:
            client.set_cookie(COOKIE, cookie)
        page = client.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
        assert "First time on this phone" in page and "renewed" not in page


def _signed(app, payload, key=None):
    return URLSafeSerializer(key or app.config["SECRET_KEY"], salt="phone-volunteer").dumps(payload)


def _real(app):
    with app.app_context():
        return remember_token(db.session.get(Volunteer, 1))


FORGED = {
    "garbage": lambda app: "garbage",
    "empty": lambda app: "",
    "non-ascii": lambda app: "张晓华",
    "very long": lambda app: "x" * 3000,
    "real one, tampered": lambda app: _real(app)[:-2] + ("AA" if not _real(app).endswith("AA") else "BB"),
    "signed with another key": lambda app: _signed(app, [1, volunteer(app).badge_nonce], key="not-our-key"),
    "another purpose": lambda app: URLSafeSerializer(app.config["SECRET_KEY"]).dumps([1, volunteer(app).badge_nonce]),
    "wrong shape": lambda app: _signed(app, {"id": 1}),
    "one item": lambda app: _signed(app, [1]),
    "a number": lambda app: _signed(app, 5),
    "id as text": lambda app: _signed(app, ["1", volunteer(app).badge_nonce]),
    "no nonce": lambda app: _signed(app, [1, None]),
    "old nonce": lambda app: _signed(app, [1, "00" * 10]),
    "no such volunteer": lambda app: _signed(app, [999, "00" * 10]),
}


@pytest.mark.parametrize("kind", FORGED)
def test_forged_or_garbage_cookie_is_an_unknown_phone(app, client, fresh, kind):
    client.set_cookie(COOKIE, FORGED[kind](app))
    r = client.get("/m/checkin", query_string={"c": fresh()})
    assert r.status_code == 200
    assert shows_link_forms(r.get_data(as_text=True)) and "张晓华" not in r.get_data(as_text=True)
    r = client.get("/m/me")
    assert r.status_code == 200 and "张晓华" not in r.get_data(as_text=True)
    assert press(client, fresh()).status_code == 303
    assert sessions(app) == []


def test_a_phone_checks_in_at_the_station_whose_kiosk_it_scanned(app, station):
    """A second station's kiosk QR works on a phone that has never seen that station."""
    from kiosk.core.stations import add_station
    from kiosk.people.volunteers import register_volunteer

    with app.app_context():
        other = add_station("other", "别的驿站")
        volunteer = register_volunteer(other, name="外站志愿者", mobile="13911112222")
        token = badge_token(volunteer)
        db.session.commit()
    kiosk = app.test_client()
    set_up_as_kiosk(app, kiosk, "other")
    body = kiosk.get("/checkin/station-code", headers=HX).get_data(as_text=True)
    link = html.unescape(re.search(r'data-station-link="([^"]+)"', body).group(1)).replace("http://localhost", "")
    assert "station=other" in link
    phone = app.test_client()
    page = phone.get(link)
    assert page.status_code == 200 and "别的驿站" in page.get_data(as_text=True)
    code = parse_qs(urlsplit(link).query)["c"][0]
    csrf = csrf_token(phone, link)
    r = phone.post("/m/link-badge?station=other", data={"csrf_token": csrf, "c": code, "code": token})
    assert r.status_code == 303
    r = phone.post("/m/checkin?station=other", data={"csrf_token": csrf, "c": code})
    assert r.status_code == 200 and 'data-outcome="checked_in"' in r.get_data(as_text=True)


def test_a_station_code_checks_a_volunteer_in_or_out_once(app, phone, fresh, clock):
    """Issue 10: a code fetched once was accepted again and again for five minutes."""
    c = fresh()
    assert outcome(press(phone, c)) == "checked_in"
    clock.advance(minutes=4)  # pressing again on the same page is just "already in"
    assert outcome(press(phone, c)) == "already_in"
    clock.advance(minutes=1)  # past the duplicate window, still within the code's five minutes
    again = press(phone, c)
    assert again.status_code == 429 and outcome(again) is None
    assert sessions(app)[0].checked_out_at is None  # nothing changed
    assert outcome(press(phone, fresh())) == "checked_out"  # a fresh scan of the kiosk's QR works


# --- A link pasted slightly wrong or opened again later (probe on a 390x844 phone) ----------------


# What a chat app leaves stuck to the end of a link pasted in a message.
CHAT_TAILS = ["。", "，", ")", "）", "]", "】", ".", ",", "!", "?", " ", "\u3000", '"', "”", ">"]


@pytest.mark.parametrize("tail", CHAT_TAILS)
def test_a_code_with_punctuation_pasted_after_it_still_opens_the_button(app, phone, fresh, tail):
    c = fresh()
    r = phone.get("/m/checkin", query_string={"c": c + tail})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'action="/m/checkin?station=demo"' in page
    assert f'name="c" type="hidden" value="{c}"' in page  # the tap sends the code itself
    assert outcome(press(phone, c + tail)) == "checked_in"


STALE_CODES = {
    "cut short": lambda code, app, station, now: code[:-3],
    "one character changed": lambda code, app, station, now: _tamper_signature(code),
    "a week old": lambda code, app, station, now: code_at(app, station, now - timedelta(days=7)),
    "a stray letter after it": lambda code, app, station, now: code + "x",
}


@pytest.mark.parametrize("kind", STALE_CODES)
def test_a_linked_phone_opening_an_old_or_broken_code_still_sees_who_it_is_and_its_hours(app, phone, station, clock,
                                                                                         fresh, kind):
    """Probe: the page said only "这次没有记上 / 这个码已过期", with no name and no way on."""
    phone.set_cookie("kiosk_lang", "en")
    code = STALE_CODES[kind](fresh(), app, station, clock.now())
    r = phone.get("/m/checkin", query_string={"c": code})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'role="alert"' in page
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert "张晓华" in heading and "No. 0001" in heading
    # Nothing was tried yet: not "nothing was recorded", but what to do.
    assert "Nothing was recorded" not in page and "This code no longer works" in page
    assert "scan the code on the kiosk screen again" in page
    assert re.search(r'<a [^>]*href="/m/me\?station=demo"[^>]*>My hours</a>', page)
    assert 'action="/m/checkin?station=demo"' not in page and sessions(app) == []


def test_a_phone_not_linked_opening_an_old_code_is_told_to_scan_again_not_that_it_failed(app, client, station, clock):
    client.set_cookie("kiosk_lang", "en")
    r = client.get("/m/checkin", query_string={"c": code_at(app, station, clock.now() - timedelta(days=7))})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "This code no longer works" in page and "Nothing was recorded" not in page
    assert not shows_link_forms(page)


@pytest.mark.parametrize("path", ["/m/me%E3%80%82", "/m/me)", "/m/me%EF%BC%89", "/m/me/", "/m/me.", "/m/me%E3%80%82/"])
def test_my_hours_with_punctuation_after_its_address_opens_my_hours(phone, path):
    r = phone.get(path + "?station=demo")
    assert r.status_code in (301, 302, 303, 308) and r.headers["Location"] == "/m/me?station=demo"


def test_a_check_in_address_with_punctuation_after_it_keeps_its_code(phone, fresh):
    c = fresh()
    r = phone.get(f"/m/checkin%E3%80%82?c={c}&station=demo")
    assert r.status_code in (301, 302, 303, 308)
    assert urlsplit(r.headers["Location"]).path == "/m/checkin"
    assert parse_qs(urlsplit(r.headers["Location"]).query)["c"] == [c]


@pytest.mark.parametrize("path", ["/m", "/m/"])
def test_the_phone_pages_own_root_leads_to_my_hours(phone, path):
    r = phone.get(path, follow_redirects=True)
    assert r.status_code == 200 and r.request.path == "/m/me"
    assert "张晓华" in r.get_data(as_text=True)


def test_a_phone_address_that_is_not_there_offers_the_phones_own_pages(phone):
    """Probe: its only button was 返回首页, to the kiosk's start screen."""
    phone.set_cookie("kiosk_lang", "en")
    r = phone.get("/m/no-such-page?station=demo")
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and "Page not found" in page
    assert re.search(r'<a [^>]*href="/m/me\?station=demo"[^>]*>My hours</a>', page)
    assert "Back to start" not in page and 'href="/"' not in page.split("</header>")[1]


# --- Signing the phone out, and the hours, before any tap ----------------------------------------


def test_not_you_leads_straight_to_signing_the_phone_out(app, phone, fresh):
    """Probe: the link went to the top of /m/me; the button was 5,800 px further down."""
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    href = html.unescape(re.search(r'<a href="([^"]+)">[^<]*</a></p>', page.split("phone-go")[1]).group(1))
    assert urlsplit(href).path == "/m/me" and urlsplit(href).fragment == "sign-out"
    me = phone.get("/m/me").get_data(as_text=True)
    target = re.search(r'<[^>]+id="sign-out"[^>]*>', me).group(0)
    assert target.startswith("<details") and 'action="/m/forget?station=demo"' in me.split('id="sign-out"')[1]


def test_a_linked_phone_sees_its_hours_button_before_tapping(app, phone, fresh):
    phone.set_cookie("kiosk_lang", "en")
    page = phone.get("/m/checkin", query_string={"c": fresh()}).get_data(as_text=True)
    assert 'action="/m/checkin?station=demo"' in page
    assert re.search(r'<a [^>]*href="/m/me\?station=demo"[^>]*>My hours</a>', page)


# --- A volunteer erased while their phone page was open ---------------------------------------------


def erase(app, volunteer_id=1):
    from kiosk.people.models import Keeper
    from kiosk.people.privacy import erase_volunteer

    with app.app_context():
        v = db.session.get(Volunteer, volunteer_id)
        keeper = db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))
        erase_volunteer(keeper, db.session.get(Station, v.station_id), v, v.number,
                        app.extensions["kiosk_clock"].now())
        db.session.commit()


def test_a_phone_whose_volunteer_was_erased_says_it_is_no_longer_linked(app, phone, fresh):
    """Probe: an open page, tapped, showed the first-time forms under the old "周桂英，您好" heading."""
    phone.set_cookie("kiosk_lang", "en")
    c = fresh()
    assert "张晓华" in phone.get("/m/checkin", query_string={"c": c}).get_data(as_text=True)
    erase(app)
    r = press(phone, c, headers=HX)  # the page opened before: the whole screen changes, not the outcome box
    assert r.status_code == 200 and urlsplit(r.headers["HX-Redirect"]).path == "/m/checkin"
    for page in (phone.get(r.headers["HX-Redirect"]), phone.get("/m/checkin", query_string={"c": fresh()}),
                 phone.get("/m/me"), press(phone, c)):
        text = page.get_data(as_text=True)
        if page.status_code in (302, 303):
            text = phone.get(page.headers["Location"]).get_data(as_text=True)
        assert "This phone is no longer linked to a volunteer here. Please talk to a keeper." in text
        assert "张晓华" not in text and "First time on this phone" not in text and not shows_link_forms(text)
        assert "does not know you yet" not in text
    assert sessions(app) == []
