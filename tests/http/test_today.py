"""Issue 4: the kiosk's walk-in service tiles, the keeper's Today screen (live), its CSV, stations,
the keeper's services page, and sign-in throttling."""

import csv
import html
import io
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.keepers import MAX_FAILURES, MAX_FAILURES_PER_ADDRESS
from kiosk.people.models import SignInAttempt, Team, Volunteer
from kiosk.people.volunteers import register_volunteer
from kiosk.walkins.models import WalkInService, WalkInVisit
from kiosk.walkins.visits import add_standard_services
from tests.conftest import HX, START, csrf_token
from tests.http.conftest import add_keeper, PASSWORD, sign_in, signed_in_admin
from tests.http.test_deactivated_volunteers import text
from tests.http.test_keeper import field_errors, plain, post, scan, signed_in_user, utc

# --- Helpers -------------------------------------------------------------------------------

TAP_ID = re.compile(r"[0-9a-f]{32}")
TILE = re.compile(r'name="service_id" value="([^"]*)">\s*<input type="hidden" name="tap_id" value="([^"]*)"')


def tiles(page: str) -> list[tuple[int, str]]:
    """(service id, tap id) of every tile form on a kiosk services page or fragment."""
    return [(int(sid), tap) for sid, tap in TILE.findall(page)]


def tap(client, service_id, tap_id, htmx=True):
    """One tap on a tile, as the kiosk's htmx form sends it."""
    token = csrf_token(client, "/services/")
    headers = {"X-CSRFToken": token, **(HX if htmx else {})}
    return client.post("/services/tap", data={"service_id": str(service_id), "tap_id": tap_id}, headers=headers)


def fresh_tap(client, code="rest"):
    """Tap the tile of the service with this code, using the tap id the page gave it."""
    page = client.get("/services/").get_data(as_text=True)
    ids = dict(tiles(page))
    service_id = service_ids(client.application)[code]
    return tap(client, service_id, ids[service_id])


def service_ids(app, station_id=None) -> dict[str, int]:
    """code (or name, for a keeper's own) -> id of the demo station's services (or another's)."""
    with app.app_context():
        query = select(WalkInService)
        if station_id is not None:
            query = query.where(WalkInService.station_id == station_id)
        else:
            query = query.where(WalkInService.station_id == db.session.scalar(select(func.min(Station.id))))
        return {(s.code or s.name): s.id for s in db.session.scalars(query.order_by(WalkInService.id))}


def visits(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(WalkInVisit.station_id, WalkInVisit.service_id, WalkInVisit.tap_id).order_by(WalkInVisit.id))
        return [tuple(r) for r in rows]


def services_state(app):
    with app.app_context():
        return [vars(plain(s)) for s in db.session.scalars(select(WalkInService).order_by(WalkInService.id))]


def totals(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-total="([^"]+)">([^<]*)<', page))


def live_div(page: str) -> str:
    """The opening tag of the self-replacing live part of the Today screen."""
    match = re.search(r'<div id="today-live"[^>]*>', page)
    assert match, "the page should have the #today-live part"
    return match.group(0)


def live_url(page: str) -> str:
    match = re.search(r'hx-get="([^"]+)"', live_div(page))
    assert match, "today's live part should poll"
    return match.group(1).replace("&amp;", "&")


def stamp_of(page: str) -> str:
    return re.search(r'data-stamp="([^"]*)"', live_div(page)).group(1)


def section(page: str, start: str, end: str) -> str:
    """The markup between two markers (e.g. the on-duty list)."""
    return page.split(start, 1)[1].split(end, 1)[0]


def on_duty(page: str) -> str:
    return section(page, "data-on-duty", "</ul>")


def rows(page: str) -> str:
    return section(page, "data-sessions", "</table>")


def walk_in_counts(page: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-service="([^"]+)">(\d+)<', page)}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def attempts(app):
    with app.app_context():
        found = db.session.scalars(select(SignInAttempt).order_by(SignInAttempt.id))
        return [(a.username, a.address, a.at) for a in found]


def login(client, username="keeper", password=PASSWORD, remember=False, address=None):
    token = csrf_token(client, "/keeper/login")
    data = {"username": username, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    kwargs = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return client.post("/keeper/login", data=data, **kwargs)


def set_cookie_headers(response, name):
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def keeper(client, keeper_id):
    """The test client, signed in as the demo station's keeper, reading English."""
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    return client


@pytest.fixture
def kiosk(app, station):
    """A second browser: the kiosk tablet in the station, nobody signed in."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    return client


@pytest.fixture
def other_station(app, station):
    """Station B with its own services, a volunteer who served 07:00–08:00 today and one visit at 08:30."""
    with app.app_context():
        other = Station(slug="other", name="别的驿站", timezone="Asia/Shanghai")
        team = Team(station=other, name="别队")
        db.session.add_all([other, team])
        db.session.flush()
        add_standard_services(other)
        volunteer = register_volunteer(other, name="外站人", mobile="13700000001", teams=[team])
        db.session.add(ServiceSession(station_id=other.id, volunteer_id=volunteer.id,
                                      checked_in_at=START - timedelta(hours=2),
                                      checked_out_at=START - timedelta(hours=1),
                                      check_in_method="scanner", check_out_method="scanner"))
        rest = db.session.scalar(select(WalkInService).where(WalkInService.station_id == other.id,
                                                             WalkInService.code == "rest"))
        db.session.add(WalkInVisit(station_id=other.id, service_id=rest.id, at=START - timedelta(minutes=30),
                                   tap_id="b" * 32))
        db.session.commit()
        return other.id


@pytest.fixture
def admin(app, client, station):
    """A district admin (no station of their own), signed in, reading English."""
    return signed_in_admin(app, client)


def tokens_of(app, *volunteer_ids):
    with app.app_context():
        return {i: badge_token(db.session.get(Volunteer, i)) for i in volunteer_ids}


def morning(app, kiosk, clock):
    """张晓华 (0001) and 李桂英 (0002) scan in at 09:00; 张晓华 scans out at 12:30 (3.5 h); three walk-in
    taps (rest twice, water once). Returns badge tokens of volunteers 1–3 for later scans."""
    tokens = tokens_of(app, 1, 2, 3)
    assert scan(kiosk, tokens[1]).status_code == 200
    assert scan(kiosk, tokens[2]).status_code == 200
    clock.advance(hours=3, minutes=30)
    assert scan(kiosk, tokens[1]).status_code == 200
    for code in ("rest", "rest", "water"):
        assert fresh_tap(kiosk, code).status_code == 200
        clock.advance(seconds=5)  # one resident after another, not one double tap
    return tokens


@pytest.fixture
def busy_morning(app, kiosk, clock):
    return morning(app, kiosk, clock)


# --- Walk-in taps on the kiosk ----------------------------------------------------------------


def test_services_screen_has_one_tile_form_per_active_service_with_fresh_tap_ids(app, kiosk):
    first = kiosk.get("/services/")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    ids = service_ids(app)
    found = tiles(page)
    assert [sid for sid, _ in found] == [ids[c] for c in ("rest", "water", "charging", "first_aid", "wifi", "other")]
    assert all(TAP_ID.fullmatch(t) for _, t in found)
    assert len({t for _, t in found}) == 6
    for label in ("Rest", "Drinking water", "Phone charging", "First-aid kit", "Wi-Fi", "Other"):
        assert f'<span class="tile-label">{label}</span>' in page
    assert page.count('hx-post="/services/tap"') == 6 and page.count('hx-sync="this:drop"') == 6
    assert page.count('hx-target="#service-tiles"') == 6
    second = tiles(kiosk.get("/services/").get_data(as_text=True))
    assert {t for _, t in second}.isdisjoint({t for _, t in found})
    assert visits(app) == []  # looking is not tapping


def test_services_screen_is_in_chinese_by_default(client, station):
    page = client.get("/services/").get_data(as_text=True)
    assert "歇歇脚" in page and "喝水" in page and "Drinking water" not in page


def test_a_tap_records_a_visit_and_answers_with_thanks_and_fresh_tiles(app, kiosk, station):
    rest = service_ids(app)["rest"]
    page = kiosk.get("/services/").get_data(as_text=True)
    used = dict(tiles(page))[rest]
    r = tap(kiosk, rest, used)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body and 'id="service-tiles"' not in body  # the inside of #service-tiles only
    assert 'role="status"' in body and "Thank you" in body and "Rest" in body
    new = tiles(body)
    assert len(new) == 6 and used not in {t for _, t in new}
    assert all(TAP_ID.fullmatch(t) for _, t in new)
    assert "HX-Request" in r.headers["Vary"]
    assert visits(app) == [(station, rest, used)]
    with app.app_context():
        assert db.session.scalar(select(WalkInVisit.at)) == START


def test_a_tap_without_htmx_still_counts_and_shows_a_page(app, kiosk, station):
    water = service_ids(app)["water"]
    r = tap(kiosk, water, "c" * 32, htmx=False)
    assert r.status_code in (200, 303)
    if r.status_code == 200:
        assert "<html" in r.get_data(as_text=True) and len(tiles(r.get_data(as_text=True))) == 6
    else:
        assert urlsplit(r.headers["Location"]).path == "/services/"
    assert visits(app) == [(station, water, "c" * 32)]


def test_the_same_tap_twice_counts_once_and_a_new_tap_counts_again(app, kiosk, station, clock):
    rest = service_ids(app)["rest"]
    tap_id = dict(tiles(kiosk.get("/services/").get_data(as_text=True)))[rest]
    first, again = tap(kiosk, rest, tap_id), tap(kiosk, rest, tap_id)
    assert first.status_code == again.status_code == 200
    assert "Thank you" in again.get_data(as_text=True)  # the person sees the same thanks
    assert tap(kiosk, rest, tap_id.upper()).status_code == 200  # the same tap, however it is spelt
    assert len(visits(app)) == 1
    new_id = dict(tiles(again.get_data(as_text=True)))[rest]
    clock.advance(seconds=5)  # the next resident
    assert tap(kiosk, rest, new_id).status_code == 200
    assert visits(app) == [(station, rest, tap_id), (station, rest, new_id)]


# Probe: on a touch tablet a double tap on a tile sent two taps 0.15–0.35 s apart; the first answer
# had already replaced the tiles, so the second came with a fresh tap id and was counted too.
def test_a_double_tap_counts_once_though_its_second_tap_carries_the_fresh_tiles_id(app, kiosk, station, clock):
    wifi = service_ids(app)["wifi"]
    first = fresh_tap(kiosk, "wifi")
    clock.advance(milliseconds=300)
    again = tap(kiosk, wifi, dict(tiles(first.get_data(as_text=True)))[wifi])
    assert again.status_code == 200 and "Thank you" in again.get_data(as_text=True)  # the same thanks
    assert len(visits(app)) == 1
    other_tablet = app.test_client()  # a second tablet at the same moment: another person
    other_tablet.set_cookie("kiosk_lang", "en")
    assert fresh_tap(other_tablet, "wifi").status_code == 200
    assert len(visits(app)) == 2
    clock.advance(seconds=3)  # the next resident steps up to the first tablet and taps the same tile
    assert tap(kiosk, wifi, dict(tiles(again.get_data(as_text=True)))[wifi]).status_code == 200
    assert len(visits(app)) == 3


def bad_service(app, other_station, kind):
    if kind == "other station's":
        return service_ids(app, other_station)["rest"]
    if kind == "hidden":
        with app.app_context():
            service = db.session.get(WalkInService, service_ids(app)["wifi"])
            service.active = False
            db.session.commit()
            return service.id
    return kind


@pytest.mark.parametrize("kind", ["other station's", "hidden", "999", "0", "-1", "1.0", "abc", "", " 1", "0x1",
                                  "<b>1</b>"])
def test_bad_service_ids_are_refused_and_store_nothing(app, kiosk, other_station, kind):
    service_id = bad_service(app, other_station, kind)
    before = visits(app)
    r = tap(kiosk, service_id, "d" * 32)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert 'role="alert"' in body and "Please tap the one you used." in body
    assert "<b>1</b>" not in body
    assert len(tiles(body)) == (5 if kind == "hidden" else 6)  # the tiles come back to tap again
    assert visits(app) == before


# Probe: the thanks and the refusal differed by their border colour alone; the refusal said to tap
# the buttons "above" (上面), which stand below it.
def test_thanks_and_refusals_each_have_their_own_symbol_and_a_refusal_says_nothing_was_recorded(app, kiosk):
    thanks = fresh_tap(kiosk).get_data(as_text=True)
    symbol = r'\s*<span class="outcome-symbol" aria-hidden="true" data-symbol="{}">{}</span>'
    assert re.search(r'role="status"[^>]*>' + symbol.format("ok", "✓"), thanks)
    assert "✕" not in thanks
    refused = tap(kiosk, "999", "d" * 32)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'role="alert"[^>]*>' + symbol.format("error", "✕") +
                     r'\s*<p class="outcome-headline">Nothing was recorded</p>\s*'
                     r'<p class="outcome-detail">Please tap the one you used.</p>', body)
    assert "✓" not in body and "above" not in body


# Probe: too many taps said "Thank you! …", as if this one had counted.
def test_a_tap_past_the_limit_says_it_was_not_counted_and_to_wait(app, kiosk, monkeypatch):
    monkeypatch.setattr("kiosk.walkins.visits.TAPS_PER_MINUTE", 1)
    assert fresh_tap(kiosk).status_code == 200
    r = fresh_tap(kiosk, "water")
    assert r.status_code == 429
    body = r.get_data(as_text=True)
    assert "Thank you" not in body and 'data-symbol="error">✕</span>' in body
    assert '<p class="outcome-headline">Nothing was recorded</p>' in body
    assert "Please wait a moment, then tap again." in body
    assert len(tiles(body)) == 6 and len(visits(app)) == 1


# Probe: only the station's name in the top bar went home; the suggestion box and others have a button.
def test_the_services_screen_has_a_button_back_to_the_start(kiosk):
    page = kiosk.get("/services/").get_data(as_text=True)
    assert re.search(r'<a class="button[^"]*" href="/">Back to start</a>', page)
    assert "Back to start" not in fresh_tap(kiosk).get_data(as_text=True)  # not again with every answer


@pytest.mark.parametrize("service_id", ["²", "9" * 30])
def test_odd_digits_and_huge_service_ids_are_refused_not_a_server_error(app, kiosk, service_id):
    r = tap(kiosk, service_id, "d" * 32)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert visits(app) == []


@pytest.mark.parametrize("tap_id", ["", "abc123", "a" * 31, "a" * 33, "g" * 32, "a" * 31 + "-", " ",
                                    "a" * 10240, '<script>alert("x")</script>' + "a" * 32])
def test_bad_tap_ids_are_refused_and_store_nothing(app, kiosk, tap_id):
    r = tap(kiosk, service_ids(app)["rest"], tap_id)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert 'role="alert"' in body and "<script>" not in body and "a" * 64 not in body
    assert len(tiles(body)) == 6
    assert visits(app) == []


def test_a_get_with_tap_parameters_changes_nothing(app, kiosk):
    query = {"service_id": str(service_ids(app)["rest"]), "tap_id": "e" * 32}
    assert kiosk.get("/services/", query_string=query).status_code == 200
    assert kiosk.get("/services/tap", query_string=query).status_code == 405
    assert visits(app) == []


def test_a_tap_without_the_csrf_token_is_refused(app, kiosk):
    r = kiosk.post("/services/tap", data={"service_id": str(service_ids(app)["rest"]), "tap_id": "e" * 32},
                   headers=HX)
    assert r.status_code == 400
    assert visits(app) == []


# --- Keeper-only paths -----------------------------------------------------------------------

ANONYMOUS_GETS = ["/keeper/today", "/keeper/today?day=2026-11-21", "/keeper/today/live?stamp=x",
                  "/keeper/today.csv", "/keeper/services"]


@pytest.mark.parametrize("path", ANONYMOUS_GETS)
def test_anonymous_is_sent_to_sign_in(app, client, busy_morning_anonymous, path):
    r = client.get(path)
    assert r.status_code == 303
    location = urlsplit(r.headers["Location"])
    assert location.path == "/keeper/login"
    assert parse_qs(location.query)["next"][0].split("?")[0] == path.split("?")[0]
    body = r.get_data(as_text=True)
    assert "张晓华" not in body and "data-total" not in body


@pytest.fixture
def busy_morning_anonymous(app, station, kiosk):
    """Something to leak: 张晓华 on duty, and one visit; nobody signed in on `client`."""
    assert scan(kiosk, tokens_of(app, 1)[1]).status_code == 200
    assert fresh_tap(kiosk).status_code == 200


@pytest.mark.parametrize("path, data", [
    ("/keeper/services", {"name": "理发"}),
    ("/keeper/services/1", {"name": "改名"}),
    ("/keeper/services/1", {"active": "0"}),
    ("/keeper/station", {"station_id": "1"}),
])
def test_anonymous_posts_change_nothing(app, client, station, path, data):
    before = services_state(app)
    r = post(client, path, data)
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/keeper/login"
    assert services_state(app) == before


def test_anonymous_htmx_search_gets_hx_redirect(client, busy_morning_anonymous):
    r = client.get("/keeper/today?q=张", headers=HX)
    assert r.status_code == 200 and urlsplit(r.headers["HX-Redirect"]).path == "/keeper/login"
    assert "张晓华" not in r.get_data(as_text=True)


def test_sign_in_lands_on_today(client, keeper_id):
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"
    assert client.get("/keeper/").headers["Location"] == "/keeper/today"


def test_a_user_name_in_capitals_signs_in(app, keeper_id):
    assert sign_in(app.test_client(), username="KEEPER").status_code == 303


# --- Today ------------------------------------------------------------------------------------


def test_today_totals_match_what_was_recorded(app, keeper, busy_morning):
    r = keeper.get("/keeper/today")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert totals(page) == {"volunteers": "2", "person-times": "2", "hours": "3.5", "visitors": "3"}
    assert "李桂英" in on_duty(page) and "张晓华" not in on_duty(page)
    assert "since 09:00" in on_duty(page)
    table = rows(page)
    assert "张晓华" in table and "李桂英" in table and "12:30" in table and "on duty" in table
    assert walk_in_counts(page) == {"rest": 2, "water": 1, "charging": 0, "first_aid": 0, "wifi": 0, "other": 0}


# Probe: Today counted 张晓华's morning and afternoon as two person-times, the month report as one
# (one volunteer in one activity on one day): one day, two figures under one name.
def test_today_counts_person_times_as_the_reports_do(app, keeper, busy_morning, kiosk, clock):
    keeper.set_cookie("kiosk_lang", "en")
    clock.advance(hours=1)  # 13:30: 张晓华 comes back for the afternoon
    assert scan(kiosk, busy_morning[1]).status_code == 200
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert totals(page) == {"volunteers": "2", "person-times": "2", "hours": "3.5", "visitors": "3"}
    assert "张晓华" in on_duty(page) and "李桂英" in on_duty(page)
    day = keeper.get("/keeper/reports?kind=range&from=2026-11-22&to=2026-11-22").get_data(as_text=True)
    row = day.split('data-figure="person_times">', 1)[1].split("</td>", 1)[0]
    assert row.endswith("<td>2"), "the report's figure for the same day"
    searched = html.unescape(keeper.get("/keeper/today?q=张晓华").get_data(as_text=True))
    assert "2 of 3 sessions match" in searched  # the day's sessions, not its person-times


def test_today_is_in_chinese_by_default(app, client, keeper_id, busy_morning_anonymous):
    assert sign_in(client).status_code == 303
    page = client.get("/keeper/today").get_data(as_text=True)
    assert "值班中" in page and "歇歇脚" in page and "On duty now" not in page


def test_an_empty_day_shows_zeros_and_nobody_on_duty(keeper):
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert totals(page) == {"volunteers": "0", "person-times": "0", "hours": "0", "visitors": "0"}
    assert "Nobody on duty right now." in on_duty(page) and "No sessions yet." in rows(page)


def test_visits_of_yesterday_are_not_counted_today(app, keeper, kiosk, clock):
    assert fresh_tap(kiosk).status_code == 200
    clock.advance(hours=15)  # 00:00 next day in Shanghai
    assert fresh_tap(kiosk, "water").status_code == 200
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert totals(page)["visitors"] == "1" and walk_in_counts(page)["water"] == 1 and walk_in_counts(page)["rest"] == 0
    page = keeper.get("/keeper/today?day=2026-11-22").get_data(as_text=True)
    assert totals(page)["visitors"] == "1" and walk_in_counts(page)["rest"] == 1


@pytest.mark.parametrize("q, shown, hidden", [("李", "李桂英", "张晓华"), ("0001", "张晓华", "李桂英"),
                                              ("  张晓  ", "张晓华", "李桂英"), ("張曉華", "张晓华", "李桂英"),
                                              ("李 桂英", "李桂英", "张晓华")])
def test_search_filters_the_rows(keeper, busy_morning, q, shown, hidden):
    page = keeper.get("/keeper/today", query_string={"q": q}).get_data(as_text=True)
    assert "<html" in page
    assert shown in rows(page) and hidden not in rows(page)
    # The day's totals stay the day's; the search says how many of its sessions it found.
    assert totals(page) == {"volunteers": "2", "person-times": "2", "hours": "3.5", "visitors": "3"}
    assert re.search(r'data-matches>\s*1 of 2 sessions match', page)


def test_search_as_htmx_returns_only_the_live_part(keeper, busy_morning):
    r = keeper.get("/keeper/today", query_string={"q": "0002"}, headers=HX)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body and "keeper-nav" not in body
    assert body.lstrip().startswith('<div id="today-live"')
    assert "李桂英" in body and "张晓华" not in body
    assert "q=0002" in live_url(body)  # the poll keeps the search
    assert "HX-Request" in r.headers["Vary"]


def test_search_that_finds_nobody_says_so_and_escapes_what_was_typed(keeper, busy_morning):
    page = keeper.get("/keeper/today", query_string={"q": "<script>x</script>"}).get_data(as_text=True)
    assert "Nobody matches this search." in rows(page) and "张晓华" not in rows(page)
    assert re.search(r'data-matches>\s*0 of 2 sessions match “&lt;script&gt;x&lt;/script&gt;”', page)
    assert "<script>x</script>" not in page
    assert totals(page)["person-times"] == "2"


def test_a_past_day_shows_that_days_sessions_and_does_not_poll(app, keeper, station):
    with app.app_context():
        db.session.add(ServiceSession(station_id=station, volunteer_id=3, checked_in_at=utc(2026, 11, 21, 1, 0),
                                      checked_out_at=utc(2026, 11, 21, 3, 0), check_in_method="scanner",
                                      check_out_method="scanner"))
        db.session.add(WalkInVisit(station_id=station, service_id=service_ids(app)["charging"],
                                   at=utc(2026, 11, 21, 2, 0), tap_id="f" * 32))
        db.session.commit()
    page = keeper.get("/keeper/today?day=2026-11-21").get_data(as_text=True)
    assert "王建国" in rows(page) and "09:00" in rows(page) and "11:00" in rows(page)
    assert totals(page) == {"volunteers": "1", "person-times": "1", "hours": "2", "visitors": "1"}
    assert walk_in_counts(page)["charging"] == 1
    div = live_div(page)
    assert "hx-get" not in div and "hx-trigger" not in div
    assert "data-on-duty" not in page
    today = keeper.get("/keeper/today").get_data(as_text=True)
    assert "王建国" not in rows(today) and totals(today)["visitors"] == "0"
    assert "hx-trigger=\"every" in live_div(today)


def test_today_named_by_its_date_is_still_live(keeper):
    assert "hx-get" in live_div(keeper.get("/keeper/today?day=2026-11-22").get_data(as_text=True))
    assert keeper.get("/keeper/today?day=2000-01-01").status_code == 200  # the earliest day there is


BAD_DAYS = ["2026-11-23", "2027-01-01", "1999-12-31", "0001-01-01", "9999-12-31", "abc", "2026-13-45", "2026-02-30",
            "2026-11-22T00:00", "<b>", "9" * 1000]


@pytest.mark.parametrize("day", BAD_DAYS)
def test_a_day_that_cannot_be_shown_shows_today_and_says_so(app, keeper, busy_morning, day):
    r = keeper.get("/keeper/today", query_string={"day": day})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "keeper-nav" in page  # the keeper's own page, not a dead end
    assert totals(page) == {"volunteers": "2", "person-times": "2", "hours": "3.5", "visitors": "3"}
    assert 'value="2026-11-22"' in page and "hx-trigger=\"every" in live_div(page)
    future = day in ("2026-11-23", "2027-01-01", "9999-12-31")
    message = "That day has not come yet." if future else "That date cannot be shown."
    assert re.search(r'<p class="field-error" id="day-error" role="alert">\s*' + re.escape(message), page)
    assert 'aria-describedby="day-error"' in page
    assert "<b>" not in page


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_csv_of_a_day_that_cannot_be_shown_is_a_short_400(keeper, day):
    r = keeper.get("/keeper/today.csv", query_string={"day": day})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    body = r.get_data(as_text=True)
    assert body.startswith("That ") and len(body) < 200 and "<" not in body


@pytest.mark.parametrize("day", BAD_DAYS)
def test_the_poll_of_a_day_that_cannot_be_shown_answers_with_today(keeper, day):
    r = keeper.get("/keeper/today/live", query_string={"day": day, "stamp": "x"})
    assert r.status_code == 200 and 'value="2026-11-22"' not in r.get_data(as_text=True)
    assert "day=2026-11-22" in live_url(r.get_data(as_text=True))


def test_the_date_picker_goes_up_to_today(keeper):
    page = keeper.get("/keeper/today?day=2026-11-01").get_data(as_text=True)
    assert re.search(r'<input id="day" type="date" name="day" value="2026-11-01" min="2000-01-01" max="2026-11-22"',
                     page)


def test_forgotten_session_is_closed_when_today_is_opened(app, keeper, station, clock):
    """Volunteer 1 checked in at 09:00 and forgot; at 21:00 the keeper opens Today."""
    with app.app_context():
        db.session.add(ServiceSession(station_id=station, volunteer_id=1, checked_in_at=START,
                                      check_in_method="scanner"))
        db.session.commit()
    clock.advance(hours=12)
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert "张晓华" not in on_duty(page) and "to review" in rows(page)
    assert totals(page)["hours"] == "11"


# --- Live updates -------------------------------------------------------------------------------


def test_live_part_polls_itself_with_a_stamp(keeper, busy_morning):
    page = keeper.get("/keeper/today").get_data(as_text=True)
    div = live_div(page)
    assert 'hx-target="this"' in div and 'hx-swap="outerHTML"' in div and "hx-trigger=\"every" in div
    url = urlsplit(live_url(page))
    assert url.path == "/keeper/today/live"
    assert parse_qs(url.query)["stamp"] == [stamp_of(page)] and stamp_of(page)


def test_nothing_new_is_204_with_an_empty_body(keeper, busy_morning):
    url = live_url(keeper.get("/keeper/today").get_data(as_text=True))
    r = keeper.get(url, headers=HX)
    assert r.status_code == 204 and r.data == b""


def change_by_scan(app, keeper, kiosk, clock, tokens):
    assert scan(kiosk, tokens[3]).status_code == 200


def change_by_tap(app, keeper, kiosk, clock, tokens):
    assert fresh_tap(kiosk, "first_aid").status_code == 200


def change_by_correction(app, keeper, kiosk, clock, tokens):
    with app.app_context():
        session_id = db.session.scalar(select(ServiceSession.id).where(ServiceSession.volunteer_id == 1))
    clock.advance(minutes=5)
    r = post(keeper, f"/keeper/sessions/{session_id}/edit",
             {"checked_in_at": "2026-11-22T08:30", "checked_out_at": "2026-11-22T12:30"})
    assert r.status_code == 303


@pytest.mark.parametrize("change", [change_by_scan, change_by_tap, change_by_correction])
def test_a_change_makes_the_poll_return_the_new_part_with_a_new_stamp(app, keeper, kiosk, clock, busy_morning,
                                                                      change):
    page = keeper.get("/keeper/today").get_data(as_text=True)
    url, old_stamp = live_url(page), stamp_of(page)
    assert keeper.get(url, headers=HX).status_code == 204
    change(app, keeper, kiosk, clock, busy_morning)
    r = keeper.get(url, headers=HX)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="today-live"')
    new_stamp = stamp_of(body)
    assert new_stamp != old_stamp
    assert parse_qs(urlsplit(live_url(body)).query)["stamp"] == [new_stamp]
    assert keeper.get(live_url(body), headers=HX).status_code == 204  # and quiet again
    if change is change_by_scan:
        assert "王建国" in on_duty(body) and totals(body)["person-times"] == "3"
    elif change is change_by_tap:
        assert totals(body)["visitors"] == "4" and walk_in_counts(body)["first_aid"] == 1
    else:
        assert totals(body)["hours"] == "4" and "08:30" in rows(body)


@pytest.mark.parametrize("stamp", [None, "", "garbage", "0.0.0.0", "<script>", "9" * 5000])
def test_a_wrong_stamp_gets_the_fragment(keeper, busy_morning, stamp):
    query = {} if stamp is None else {"stamp": stamp}
    r = keeper.get("/keeper/today/live", query_string=query, headers=HX)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body and totals(body)["visitors"] == "3"
    assert "<script>" not in body


def test_the_poll_keeps_the_search(keeper, busy_morning):
    r = keeper.get("/keeper/today/live", query_string={"q": "李", "stamp": "x"}, headers=HX)
    body = r.get_data(as_text=True)
    assert "李桂英" in rows(body) and "张晓华" not in rows(body)
    assert parse_qs(urlsplit(live_url(body)).query)["q"] == ["李"]


def test_a_poll_for_a_day_gone_by_loads_today_whole(keeper):
    # Only today's page polls: a poll for yesterday comes from a page left open past midnight.
    r = keeper.get("/keeper/today/live", query_string={"day": "2026-11-21", "stamp": "x"}, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/keeper/today" and not r.data


def test_today_left_open_overnight_follows_the_stations_day(app, client, keeper_id, kiosk, clock):
    """Signed in at 23:58 on 12-09, Today left open: after midnight its poll brings the new day."""
    clock.set(utc(2026, 12, 9, 15, 58))  # 23:58 in Shanghai
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    page = client.get("/keeper/today").get_data(as_text=True)
    url = live_url(page)
    assert "day=2026-12-09" in url
    clock.set(utc(2026, 12, 9, 16, 1))  # 00:01 on 12-10
    assert scan(kiosk, tokens_of(app, 3)[3]).status_code == 200
    r = client.get(url, headers=HX)
    # The page was opened for today: the browser loads today's page whole (heading, totals, on duty).
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/keeper/today"
    clock.set(utc(2026, 12, 9, 23, 30))  # 07:30: the poll of a page left open all night says the same
    assert client.get(url, headers=HX).headers["HX-Redirect"] == "/keeper/today"
    page = client.get(r.headers["HX-Redirect"]).get_data(as_text=True)
    assert re.search(r"<h1>Today <span[^>]*>[^<]*December 10, 2026", page)
    assert "王建国" in on_duty(page) and totals(page)["volunteers"] == "1"
    assert "day=2026-12-10" in live_url(page)
    # A search made before midnight is kept.
    searched = live_url(client.get("/keeper/today", query_string={"q": "王"}).get_data(as_text=True))
    clock.advance(days=1)
    assert client.get(searched, headers=HX).headers["HX-Redirect"] == "/keeper/today?q=%E7%8E%8B"
    # A past day the keeper chose stays that day: its page does not poll.
    assert "hx-get" not in live_div(client.get("/keeper/today?day=2026-12-09").get_data(as_text=True))


def test_the_live_view_notices_closing_time(app, keeper, clock, busy_morning):
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert "李桂英" in on_duty(page)
    clock.advance(hours=8)  # 20:30: 李桂英 never scanned out; closing time was 20:00
    r = keeper.get(live_url(page), headers=HX)
    assert r.status_code == 200
    assert "李桂英" not in on_duty(r.get_data(as_text=True))


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_has_the_days_sessions_and_visits_with_chinese_intact(app, client, keeper_id, clock):
    morning(app, app.test_client(), clock)
    assert sign_in(client).status_code == 303  # reading 简体中文, the default
    r = client.get("/keeper/today.csv?day=2026-11-22")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.headers["Content-Disposition"] == 'attachment; filename="demo-2026-11-22.csv"'
    assert r.data.startswith(b"\xef\xbb\xbf")
    table = csv_rows(r)
    assert table[0] == ["编号", "姓名", "签到时间", "签退时间", "时长（小时）", "方式", "已确认", "备注"]
    blank = table.index([])
    sessions = sorted(table[1:blank])
    assert sessions == [
        ["0001", "张晓华", "2026-11-22 09:00", "2026-11-22 12:30", "3.5", "扫码枪", "否", ""],
        ["0002", "李桂英", "2026-11-22 09:00", "", "", "扫码枪", "否", ""],
    ]
    assert table[blank + 1:] == [
        ["驿站服务", "次数"], ["歇歇脚", "2"], ["喝水", "1"], ["手机充电", "0"], ["急救药箱", "0"], ["无线网络", "0"],
        ["其他", "0"], [], ["旧物集市", "带来", "已拿走"], ["2026-11-22", "0", "0"],
    ]


def test_csv_in_english_has_english_headers(keeper, busy_morning):
    table = csv_rows(keeper.get("/keeper/today.csv"))
    assert table[0][:5] == ["No.", "Name", "Checked in", "Checked out", "Hours"]
    assert ["Station services", "Visits"] in table and ["Rest", "2"] in table and ["Drinking water", "1"] in table


def test_csv_of_a_past_day_has_only_that_day(app, keeper, busy_morning):
    table = csv_rows(keeper.get("/keeper/today.csv?day=2026-11-21"))
    assert table[1] == [] and "张晓华" not in str(table)
    assert ["Rest", "0"] in table
    assert table[-1] == ["2026-11-21", "0", "0"]  # the shelf's row, named by its day


# (a person's name has a letter in it: "+1+1" alone is refused as a name)
@pytest.mark.parametrize("name", ['=HYPERLINK("x")', "+A1+1", "-B2+3", "@SUM(A1)"])
def test_a_name_that_looks_like_a_formula_is_defused(app, keeper, station, name):
    with app.app_context():
        v = register_volunteer(db.session.get(Station, station), name=name, mobile="13900000009")
        db.session.add(ServiceSession(station_id=station, volunteer_id=v.id, checked_in_at=START - timedelta(hours=1),
                                      checked_out_at=START, check_in_method="scanner", check_out_method="scanner"))
        db.session.commit()
    table = csv_rows(keeper.get("/keeper/today.csv"))
    [row] = [r for r in table if r and r[0] == "0021"]
    assert row[1] == "'" + name
    assert row[4] == "1"


def test_a_service_name_that_looks_like_a_formula_is_defused(app, keeper):
    assert post(keeper, "/keeper/services", {"name": "=1+1"}).status_code == 303
    table = csv_rows(keeper.get("/keeper/today.csv"))
    assert ["'=1+1", "0"] in table and ["=1+1", "0"] not in table


def test_a_past_days_csv_counts_a_forgotten_session_as_closed(app, keeper, station):
    with app.app_context():
        db.session.add(ServiceSession(station_id=station, volunteer_id=1, checked_in_at=START - timedelta(days=1),
                                      check_in_method="scanner"))
        db.session.commit()
    table = csv_rows(keeper.get("/keeper/today.csv?day=2026-11-21"))
    [row] = [r for r in table if r and r[0] == "0001"]
    assert row[3] == "2026-11-21 20:00" and row[4] == "11"


# --- Stations -----------------------------------------------------------------------------------


def test_a_keeper_never_sees_another_stations_data(app, keeper, busy_morning, other_station):
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert "外站人" not in page
    assert totals(page) == {"volunteers": "2", "person-times": "2", "hours": "3.5", "visitors": "3"}
    assert "外站人" not in keeper.get("/keeper/today/live?stamp=x").get_data(as_text=True)
    csv_text = keeper.get("/keeper/today.csv").data.decode("utf-8-sig")
    assert "外站人" not in csv_text and "Rest,2" in csv_text
    assert 'name="station_id"' not in page  # no station switch for a keeper


def test_an_admin_switches_station_and_sees_its_data(app, admin, busy_morning_anonymous, other_station):
    page = admin.get("/keeper/today").get_data(as_text=True)
    assert "张晓华" in page and "外站人" not in page
    assert f'<option value="{other_station}"' in page
    r = post(admin, "/keeper/station", {"station_id": str(other_station)})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"
    page = admin.get("/keeper/today").get_data(as_text=True)
    assert "外站人" in rows(page) and "张晓华" not in page
    assert totals(page) == {"volunteers": "1", "person-times": "1", "hours": "1", "visitors": "1"}
    r = admin.get("/keeper/today.csv")
    assert 'filename="other-2026-11-22.csv"' in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    assert "外站人" in text and "张晓华" not in text
    # and back
    assert post(admin, "/keeper/station", {"station_id": "1"}).status_code == 303
    assert "张晓华" in admin.get("/keeper/today").get_data(as_text=True)


def test_station_switch_only_returns_to_this_server(admin, other_station):
    r = post(admin, "/keeper/station", {"station_id": str(other_station), "next": "//evil.example/"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"


def test_a_keeper_cannot_switch_station(app, keeper, busy_morning, other_station):
    r = post(keeper, "/keeper/station", {"station_id": str(other_station)})
    assert r.status_code == 403
    with keeper.session_transaction() as session:
        assert "admin_station_id" not in session
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert "张晓华" in page and "外站人" not in page


@pytest.mark.parametrize("station_id", ["999", "0", "abc", "", "-1", "²", "9" * 30])
def test_switching_to_a_station_that_does_not_exist_is_not_found(admin, station_id):
    r = post(admin, "/keeper/station", {"station_id": station_id})
    assert r.status_code == 404
    with admin.session_transaction() as session:
        assert "admin_station_id" not in session


# --- The keeper's services page -----------------------------------------------------------------


def test_services_page_lists_every_service_with_rename_and_hide(keeper):
    r = keeper.get("/keeper/services")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    for label in ("Rest", "Drinking water", "Phone charging", "First-aid kit", "Wi-Fi", "Other"):
        assert f'value="{label}"' in page
    assert page.count(">Hide</button>") == 6 and "Show again" not in page


def test_add_a_service_and_it_becomes_a_tile(app, keeper, kiosk):
    r = post(keeper, "/keeper/services", {"name": "  理发  服务 "})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/services"
    new_id = service_ids(app)["理发 服务"]
    assert 'value="理发 服务"' in keeper.get("/keeper/services").get_data(as_text=True)
    page = kiosk.get("/services/").get_data(as_text=True)
    assert [sid for sid, _ in tiles(page)][-1] == new_id and "理发 服务" in page
    assert fresh_tap(kiosk, "理发 服务").status_code == 200
    assert totals(keeper.get("/keeper/today").get_data(as_text=True))["visitors"] == "1"


@pytest.mark.parametrize("name", ["", "   ", "长" * 41, "x" * 1000])
def test_adding_a_service_with_a_bad_name_is_refused(app, keeper, name):
    before = services_state(app)
    r = post(keeper, "/keeper/services", {"name": name})
    assert r.status_code == 422
    assert 'role="alert"' in r.get_data(as_text=True)
    assert services_state(app) == before


def test_rename_a_service(app, keeper, kiosk):
    rest = service_ids(app)["rest"]
    r = post(keeper, f"/keeper/services/{rest}", {"name": "歇脚处"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/services"
    page = kiosk.get("/services/").get_data(as_text=True)
    assert '<span class="tile-label">歇脚处</span>' in page and ">Rest<" not in page
    assert post(keeper, f"/keeper/services/{rest}", {"name": "长" * 40}).status_code == 303


@pytest.mark.parametrize("name", ["", "  ", "长" * 41, "<b>" + "x" * 60 + "</b>"])
def test_renaming_to_a_bad_name_shows_the_message_beside_it(app, keeper, name):
    rest = service_ids(app)["rest"]
    before = services_state(app)
    r = post(keeper, f"/keeper/services/{rest}", {"name": name})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert field_errors(page, "name")
    assert f'id="name-{rest}"' in section(page, 'has-error">', "</div>")  # beside this service's name box
    assert "<b>" not in page
    assert services_state(app) == before


def test_hide_a_service_and_show_it_again(app, keeper, kiosk):
    wifi = service_ids(app)["wifi"]
    page = kiosk.get("/services/").get_data(as_text=True)
    old_tap = dict(tiles(page))[wifi]
    r = post(keeper, f"/keeper/services/{wifi}", {"active": "0"})
    assert r.status_code == 303
    assert wifi not in dict(tiles(kiosk.get("/services/").get_data(as_text=True)))
    r = tap(kiosk, wifi, old_tap)  # a page still showing the tile
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert visits(app) == []
    assert "Show again" in keeper.get("/keeper/services").get_data(as_text=True)
    assert "wifi" not in walk_in_counts(keeper.get("/keeper/today").get_data(as_text=True))

    assert post(keeper, f"/keeper/services/{wifi}", {"active": "1"}).status_code == 303
    assert wifi in dict(tiles(kiosk.get("/services/").get_data(as_text=True)))
    assert tap(kiosk, wifi, old_tap).status_code == 200
    assert len(visits(app)) == 1


def test_a_hidden_service_keeps_its_visits_on_today(app, keeper, kiosk):
    assert fresh_tap(kiosk, "charging").status_code == 200
    charging = service_ids(app)["charging"]
    assert post(keeper, f"/keeper/services/{charging}", {"active": "0"}).status_code == 303
    page = keeper.get("/keeper/today").get_data(as_text=True)
    assert walk_in_counts(page)["charging"] == 1 and totals(page)["visitors"] == "1"
    assert ["Phone charging", "1"] in csv_rows(keeper.get("/keeper/today.csv"))


def test_another_stations_service_is_not_found(app, keeper, other_station):
    theirs = service_ids(app, other_station)["rest"]
    before = services_state(app)
    for data in ({"name": "偷改"}, {"active": "0"}):
        assert post(keeper, f"/keeper/services/{theirs}", data).status_code == 404
        assert post(keeper, "/keeper/services/9999", data).status_code == 404
        assert post(keeper, "/keeper/services/" + "9" * 30, data).status_code == 404  # not an overflow
    assert services_state(app) == before
    assert "偷改" not in keeper.get("/keeper/services").get_data(as_text=True)


# --- Sign-in throttling and sessions ------------------------------------------------------------


@pytest.fixture
def english(client):
    client.set_cookie("kiosk_lang", "en")
    return client


def fail_five_times(client, username="keeper"):
    for _ in range(5):
        r = login(client, username=username, password="wrong-password")
        assert r.status_code == 422


def test_five_wrong_passwords_lock_the_sixth_try_even_with_the_right_one(app, english, keeper_id, clock):
    fail_five_times(english)
    assert [(u, a) for u, a, _ in attempts(app)] == [("keeper", "127.0.0.1")] * 5
    assert all(at == START for _, _, at in attempts(app))
    r = login(english)
    assert r.status_code == 429
    page = r.get_data(as_text=True)
    assert "Too many wrong passwords" in " ".join(field_errors(page, "password"))
    assert PASSWORD not in page
    assert signed_in_user(english) is None
    assert english.get("/keeper/today").status_code == 303
    assert len(attempts(app)) == 5  # the refused try is not a guess

    clock.advance(minutes=14)
    assert login(english).status_code == 429  # still inside the 15 minutes
    clock.advance(minutes=2)
    r = login(english)
    assert r.status_code == 303 and signed_in_user(english) == str(keeper_id)


def test_the_lock_message_is_in_chinese_by_default(client, keeper_id):
    fail_five_times(client)
    r = login(client)
    assert r.status_code == 429 and "密码输错太多次了" in r.get_data(as_text=True)


def test_wrong_passwords_warn_before_the_lock_alike_from_every_worker_and_for_any_name(app, tmp_path, keeper_id):
    from tests.conftest import make_app

    # A second process on the same database (under PostgreSQL make_app alone would make a new one).
    other_worker = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    tablet, phone = app.test_client(), other_worker.test_client()

    def said(username, address):
        pages = []
        for n in range(MAX_FAILURES):
            r = login((tablet, phone)[n % 2], username=username, password="wrong-password", address=address)
            assert r.status_code == 422
            pages.append(" ".join(field_errors(r.get_data(as_text=True), "password")))
        return pages

    real, unknown = said("keeper", "10.0.0.1"), said("nobody-here", "10.0.0.2")
    assert real == unknown
    assert real[0] == "用户名或密码错误"
    assert real[1] == "用户名或密码错误。再错 3 次，要等 15 分钟才能再试。"
    assert real[3] == "用户名或密码错误。再错 1 次，要等 15 分钟才能再试。"
    assert real[4] == "用户名或密码错误。现在要等 15 分钟才能再试。"
    r = login(phone, address="10.0.0.1")
    assert r.status_code == 429 and "密码输错太多次了" in r.get_data(as_text=True)  # the lock says what it said


def test_four_wrong_passwords_do_not_lock(app, english, keeper_id):
    for _ in range(4):
        assert login(english, password="wrong-password").status_code == 422
    assert login(english).status_code == 303


def test_old_failures_fall_out_of_the_window(app, english, keeper_id, clock):
    for _ in range(4):
        assert login(english, password="wrong-password").status_code == 422
    clock.advance(minutes=16)
    assert login(english, password="wrong-password").status_code == 422  # only one in the window
    assert login(english).status_code == 303


@pytest.fixture
def second_keeper(app, station):
    with app.app_context():
        add_keeper("deputy", "副站长", db.session.get(Station, station))
        db.session.commit()


def test_failures_from_one_address_lock_other_user_names_from_it(app, english, keeper_id, second_keeper):
    fail_five_times(english, username="keeper")
    assert login(english, username="deputy").status_code == 303  # five for one name lock that name only
    english.post("/keeper/logout", data={"csrf_token": csrf_token(english, "/keeper/today")})
    for n in range(MAX_FAILURES_PER_ADDRESS - MAX_FAILURES):
        assert login(english, username=f"guess{n % 3}", password="wrong-password").status_code == 422
    r = login(english, username="deputy")  # an address that guesses many names waits
    assert r.status_code == 429 and signed_in_user(english) is None
    assert login(english, username="deputy", address="10.0.0.9").status_code == 303  # another tablet


def test_failures_from_other_addresses_do_not_lock_the_keeper_out(app, english, keeper_id, station):
    # Issue 10: five wrong passwords from five addresses used to make the right one fail for 15 minutes.
    for i in range(5):
        assert login(english, password="wrong-password", address=f"10.0.0.{i + 1}").status_code == 422
    assert {a for _, a, _ in attempts(app)} == {f"10.0.0.{i + 1}" for i in range(5)}
    assert login(english, address="10.0.1.1").status_code == 303


def test_unknown_user_names_count_as_failures_too(app, english, keeper_id):
    for i in range(MAX_FAILURES_PER_ADDRESS):
        assert login(english, username=f"nobody{i}", password="x").status_code == 422
    assert login(english).status_code == 429


def test_a_sign_in_is_a_session_that_expires(app, english, keeper_id):
    r = login(english)
    assert r.status_code == 303
    [cookie] = set_cookie_headers(r, "session")
    assert "Expires=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert not set_cookie_headers(r, "remember_token")
    with english.session_transaction() as session:
        assert session.permanent


def test_keep_me_signed_in_sets_a_remember_cookie(app, english, keeper_id):
    r = login(english, remember=True)
    assert r.status_code == 303
    [remember] = set_cookie_headers(r, "remember_token")
    assert "Expires=" in remember and "HttpOnly" in remember
    # The remember cookie alone signs the keeper in again (the session cookie is gone).
    english.delete_cookie("session")
    assert english.get("/keeper/today").status_code == 200


def test_an_entry_by_hand_says_so_and_only_a_correction_says_edited(app, keeper, clock):
    """A keeper checking in and out by hand is an entry, not a change: it must not look like one."""
    for volunteer in (1, 2):
        assert post(keeper, f"/keeper/volunteers/{volunteer}/check-in", {"at": "2026-11-22T07:00"}).status_code == 303
        assert post(keeper, f"/keeper/volunteers/{volunteer}/check-out", {"at": "2026-11-22T08:00"}).status_code == 303
    [(corrected,)] = db_rows(app, 2)
    assert post(keeper, f"/keeper/sessions/{corrected}/edit",
                {"checked_in_at": "2026-11-22T07:00", "checked_out_at": "2026-11-22T08:30"}).status_code == 303
    entered = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert '<span class="badge-flag">entered by keeper</span>' in entered and "edited" not in entered
    table = entered.split("<h2>Sessions</h2>")[1].split("</table>")[0]
    assert "entered by keeper" in table and "by keeper /" not in table  # the flag says it, not "by keeper" twice
    assert '<span class="badge-flag">edited</span>' in keeper.get("/keeper/volunteers/2").get_data(as_text=True)
    notes = {row[0]: row[7] for row in csv_rows(keeper.get("/keeper/today.csv"))[1:3]}
    assert notes == {"0001": "entered by keeper", "0002": "edited"}


def test_a_session_whose_real_end_a_keeper_entered_is_no_longer_noted_as_closed_at_closing_time(app, keeper):
    """Copied from paper the next morning: checked in at 08:00 yesterday, closed by the system at
    20:00, then the real end 17:00 entered. The day's file says a keeper entered it, nothing more."""
    assert post(keeper, "/keeper/volunteers/1/check-in", {"at": "2026-11-21T08:00"}).status_code == 303
    assert keeper.get("/keeper/review").status_code == 200  # closes it at 20:00, for review
    assert post(keeper, "/keeper/volunteers/1/check-out", {"at": "2026-11-21T17:00"}).status_code == 303
    [row] = csv_rows(keeper.get("/keeper/today.csv?day=2026-11-21"))[1:2]
    assert (row[0], row[3][-5:], row[5], row[7]) == ("0001", "17:00", "", "entered by keeper")


def test_the_days_file_says_when_the_system_closed_a_session_left_open_overnight(app, keeper):
    """Probe: an evening session nobody closed, ended by the system at the next morning's opening,
    was noted in the day's file as "closed at closing time" beside a How column that said the truth."""
    with app.app_context():
        evening = START + timedelta(hours=11, minutes=20)  # 20:20 local, after closing time
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=evening, check_in_method="scanner"))
        db.session.commit()
    app.extensions["kiosk_clock"].advance(days=1)
    assert keeper.get("/keeper/review").status_code == 200  # the system closes it
    [row] = csv_rows(keeper.get("/keeper/today.csv?day=2026-11-22"))[1:2]
    assert row[0] == "0001" and "next opening time" in row[5], row
    assert "closing time" not in row[7], row


def db_rows(app, volunteer_id):
    with app.app_context():
        return db.session.execute(select(ServiceSession.id).where(ServiceSession.volunteer_id == volunteer_id)).all()


def test_a_session_that_ends_after_midnight_shows_the_day_it_ended(app, keeper):
    # 20:00 – 02:00 read as a session that ended before it began.
    with app.app_context():
        night = START + timedelta(hours=11)  # 20:00 local
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=night, check_in_method="scanner",
                                      checked_out_at=night + timedelta(hours=6), check_out_method="scanner"))
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=START - timedelta(days=1),
                                      check_in_method="scanner", checked_out_at=START - timedelta(days=1, hours=-3),
                                      check_out_method="scanner"))
        db.session.commit()
    page = text(keeper.get("/keeper/volunteers/1"))
    assert "20:00 11-23 02:00" in page
    assert "09:00 12:00" in page  # the same day: the time alone
    assert "20:00 11-23 02:00" in text(keeper.get("/keeper/today"))
