"""Keeper pages: sign-in, permissions, volunteers, badges, corrections to sessions, and import."""

import html
import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

import PIL.Image
import pytest
import zxingcpp
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.security import check_password_hash
from werkzeug.test import encode_multipart

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import AuditEvent, Keeper, Team, Volunteer, volunteer_team
from kiosk.people.volunteers import register_volunteer
from tests.http.conftest import add_keeper, PASSWORD, sign_in
from tests.conftest import HX, START, csrf_token



# --- Helpers -------------------------------------------------------------------------------


def plain(row):
    """A model row as plain values that outlive the app context."""
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in row.__table__.columns})


def state(app):
    """Everything a keeper action could change, as plain values: compare before and after."""
    with app.app_context():
        def rows(model):
            return [vars(plain(r)) for r in db.session.scalars(select(model).order_by(model.id))]
        links = sorted(tuple(r) for r in db.session.execute(select(volunteer_team)))
        return rows(Volunteer), rows(ServiceSession), rows(AuditEvent), rows(Team), links


def volunteer(app, volunteer_id=1):
    with app.app_context():
        return plain(db.session.get(Volunteer, volunteer_id))


def sessions(app, volunteer_id=1):
    with app.app_context():
        query = select(ServiceSession).where(ServiceSession.volunteer_id == volunteer_id).order_by(ServiceSession.id)
        return [plain(s) for s in db.session.scalars(query)]


def events(app):
    with app.app_context():
        return [plain(e) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def count_volunteers(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Volunteer))


def token_of(app, volunteer_id=1):
    with app.app_context():
        return badge_token(db.session.get(Volunteer, volunteer_id))


def post(client, path, data=None, **kwargs):
    """A form post as the page would send it: with the CSRF token the session's pages carry."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, **kwargs)


def scan(client, token):
    """A badge scanned at the kiosk."""
    return post(client, "/checkin/scan", {"code": token, "method": "scanner"})


def utc(*args):
    return datetime(*args, tzinfo=UTC)


class _Fields(HTMLParser):
    """Each <div class="field"> of a page: the names of its inputs and its role="alert" .field-error texts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields = []
        self._divs = []  # for each open div, the field it opens (or None)
        self._error = None

    def _current(self):
        return next((f for f in reversed(self._divs) if f is not None), None)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            field = {"names": set(), "errors": []} if "field" in classes else None
            if field is not None:
                self.fields.append(field)
            self._divs.append(field)
        current = self._current()
        if current is None:
            return
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            current["names"].add(attrs["name"])
        if "field-error" in classes and attrs.get("role") == "alert":
            current["errors"].append("")
            self._error = tag

    def handle_endtag(self, tag):
        if tag == self._error:
            self._error = None
        if tag == "div" and self._divs:
            self._divs.pop()

    def handle_data(self, data):
        if self._error is not None:
            self._current()["errors"][-1] += data


def field_errors(page: str, name: str) -> list[str]:
    """The messages shown inside the .field box that holds the input called `name`."""
    parser = _Fields()
    parser.feed(page)
    boxes = [f for f in parser.fields if name in f["names"]]
    assert boxes, f"the page should have a field for {name!r}"
    return [e.strip() for box in boxes for e in box["errors"]]


def all_field_errors(page: str) -> list[str]:
    parser = _Fields()
    parser.feed(page)
    return [e for f in parser.fields for e in f["errors"]]


# --- Fixtures ------------------------------------------------------------------------------


def signed_in_user(client):
    """The keeper id a session names (after the dot comes the sign-in's version), or None."""
    with client.session_transaction() as session:
        sign_in_id = session.get("_user_id")
    return sign_in_id.split(".")[0] if sign_in_id else None


@pytest.fixture
def keeper(client, keeper_id):
    """The test client, signed in as the demo station's keeper."""
    r = sign_in(client)
    assert r.status_code == 303
    return client


@pytest.fixture
def forgotten_session(app, station):
    """Volunteer 1 checked in yesterday at 09:00 and never checked out: any keeper view would close it."""
    with app.app_context():
        session = ServiceSession(station_id=station, volunteer_id=1, checked_in_at=START - timedelta(days=1),
                                 check_in_method="scanner")
        db.session.add(session)
        db.session.commit()
        assert session.id == 1
        return session.id


@pytest.fixture
def other_station(app, station):
    """A second station with a team, a volunteer and a closed session: (volunteer id, session id, team id)."""
    with app.app_context():
        other = Station(slug="other", name="别的驿站", timezone="Asia/Shanghai")
        team = Team(station=other, name="别队")
        db.session.add_all([other, team])
        db.session.flush()
        v = register_volunteer(other, name="外站人", mobile="13700000001", teams=[team])
        s = ServiceSession(station_id=other.id, volunteer_id=v.id, checked_in_at=START - timedelta(hours=3),
                           checked_out_at=START - timedelta(hours=1), check_in_method="scanner", needs_review=True)
        db.session.add(s)
        db.session.commit()
        return v.id, s.id, team.id


# --- Every keeper-only path needs a signed-in keeper ----------------------------------------

CSV = "姓名,手机号\n新人甲,13900000001\n"

KEEPER_GETS = [
    "/keeper/", "/keeper/volunteers", "/keeper/volunteers/new", "/keeper/volunteers/1", "/keeper/volunteers/1/edit",
    "/keeper/volunteers/1/badge", "/keeper/volunteers/1/badge.svg", "/keeper/volunteers/1/badge.png",
    "/keeper/volunteers/1/badge/new", "/keeper/badges", "/keeper/review", "/keeper/sessions/1/edit",
    "/keeper/sessions/1/delete", "/keeper/volunteers/import",
]
KEEPER_POSTS = {
    "/keeper/volunteers/new": lambda: {"name": "新人甲", "mobile": "13900000001"},
    "/keeper/volunteers/1/edit": lambda: {"name": "改了名", "mobile": "13800138001"},
    "/keeper/volunteers/1/active": lambda: {"active": "0"},
    "/keeper/volunteers/1/badge": dict,
    "/keeper/volunteers/1/phone-code": dict,
    "/keeper/volunteers/1/check-in": lambda: {"at": ""},
    "/keeper/volunteers/1/check-out": lambda: {"at": ""},
    "/keeper/sessions/1/edit": lambda: {"checked_in_at": "2026-11-21T09:00", "checked_out_at": "2026-11-21T17:00"},
    "/keeper/sessions/1/confirm": dict,
    "/keeper/sessions/1/delete": dict,
    "/keeper/volunteers/import": lambda: {"file": (io.BytesIO(CSV.encode()), "v.csv")},
    "/keeper/volunteers/import/confirm": lambda: {"text": CSV},
}


@pytest.mark.parametrize("path", KEEPER_GETS)
def test_anonymous_get_is_sent_to_sign_in_and_comes_back_after(app, client, forgotten_session, path):
    before = state(app)
    r = client.get(path)
    assert r.status_code == 303
    location = urlsplit(r.headers["Location"])
    assert location.path == "/keeper/login"
    assert parse_qs(location.query)["next"][0].split("?")[0] == path
    assert "13800138001" not in r.get_data(as_text=True)
    assert state(app) == before  # not even the review page's auto-closing ran


@pytest.mark.parametrize("path", KEEPER_POSTS)
def test_anonymous_post_is_sent_to_sign_in_and_changes_nothing(app, client, forgotten_session, path):
    before = state(app)
    r = post(client, path, KEEPER_POSTS[path](), content_type="multipart/form-data")
    assert r.status_code == 303
    assert urlsplit(r.headers["Location"]).path == "/keeper/login"
    assert state(app) == before


@pytest.mark.parametrize("path", KEEPER_GETS[:4] + list(KEEPER_POSTS)[:4])
def test_anonymous_htmx_request_gets_hx_redirect_to_sign_in(app, client, forgotten_session, path):
    before = state(app)
    if path in KEEPER_POSTS:
        r = post(client, path, KEEPER_POSTS[path](), headers=HX)
    else:
        r = client.get(path, headers=HX)
    assert r.status_code == 200
    assert urlsplit(r.headers["HX-Redirect"]).path == "/keeper/login"
    body = r.get_data(as_text=True)
    assert "<html" not in body and "13800138001" not in body and "张晓华" not in body
    assert state(app) == before


def test_htmx_follows_hx_redirect_to_a_whole_sign_in_page(client, keeper_id):
    target = client.get("/keeper/volunteers", headers=HX).headers["HX-Redirect"]
    r = client.get(target)  # what htmx does with HX-Redirect: the browser loads the page whole
    assert r.status_code == 200 and "<html" in r.get_data(as_text=True) and "language-switch" in r.get_data(as_text=True)
    assert 'name="username"' in r.get_data(as_text=True) and 'name="password"' in r.get_data(as_text=True)


# --- Signing in and out --------------------------------------------------------------------


def test_wrong_password_shows_the_form_again_with_a_message(client, keeper_id):
    r = sign_in(client, password="not-the-password")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'name="username"' in page and 'value="keeper"' in page
    assert field_errors(page, "password")
    assert PASSWORD not in page and "not-the-password" not in page
    assert signed_in_user(client) is None
    assert client.get("/keeper/volunteers").status_code == 303


@pytest.mark.parametrize("username, password", [("", PASSWORD), ("keeper", ""), ("nobody", PASSWORD)])
def test_missing_or_unknown_credentials_are_refused(client, keeper_id, username, password):
    r = sign_in(client, username=username, password=password)
    assert r.status_code == 422
    assert all_field_errors(r.get_data(as_text=True))
    assert signed_in_user(client) is None


def test_right_password_signs_in_and_goes_to_today(client, keeper_id):
    r = sign_in(client)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"
    assert signed_in_user(client) == str(keeper_id)
    page = client.get("/keeper/volunteers").get_data(as_text=True)
    assert "张晓华" in page and "欧阳明月" in page and "13800138020" in page


def test_sign_in_returns_to_the_page_that_asked_for_it(client, keeper_id):
    login_page = client.get("/keeper/review").headers["Location"]
    page = client.get(login_page).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"[^>]*novalidate', page).group(1))
    r = client.post(action, data={"username": "keeper", "password": PASSWORD, "csrf_token": csrf_token(client, "/")})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/review"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/keeper", "javascript:alert(1)", "\\\\evil", "keeper/review"]
)
def test_sign_in_only_returns_to_a_path_on_this_server(client, keeper_id, target):
    r = sign_in(client, query="?next=" + quote(target, safe=""))
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"


def test_sign_out_is_post_only_and_works(client, keeper):
    assert client.get("/keeper/logout").status_code == 405
    assert client.get("/keeper/volunteers").status_code == 200
    r = post(client, "/keeper/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/login?left=everywhere"
    # Signing out ends every sign-in of this keeper, and the page says so (a phone signed out too).
    assert "其他手机、平板上的登录也一起退出了" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert signed_in_user(client) is None
    assert client.get("/keeper/volunteers").status_code == 303


def test_an_inactive_keeper_cannot_sign_in(app, client, keeper_id):
    with app.app_context():
        db.session.get(Keeper, keeper_id).active = False
        db.session.commit()
    r = sign_in(client)
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "password")
    assert signed_in_user(client) is None


def test_a_keeper_deactivated_while_signed_in_loses_access(app, client, keeper):
    with app.app_context():
        db.session.scalar(select(Keeper)).active = False
        db.session.commit()
    r = client.get("/keeper/volunteers")
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/keeper/login"


# --- One station's keeper cannot reach another station -------------------------------------


def test_keeper_gets_404_for_another_stations_volunteer_and_session(app, keeper, other_station):
    vid, sid, team_id = other_station
    before = state(app)
    for path in [f"/keeper/volunteers/{vid}", f"/keeper/volunteers/{vid}/edit", f"/keeper/volunteers/{vid}/badge",
                 f"/keeper/volunteers/{vid}/badge.svg", f"/keeper/volunteers/{vid}/badge.png",
                 f"/keeper/volunteers/{vid}/badge/new", f"/keeper/sessions/{sid}/edit", f"/keeper/sessions/{sid}/delete"]:
        r = keeper.get(path)
        assert r.status_code == 404, path
        assert "外站人" not in r.get_data(as_text=True)
    posts = {
        f"/keeper/volunteers/{vid}/edit": {"name": "改了名", "mobile": "13700000001"},
        f"/keeper/volunteers/{vid}/active": {"active": "0"},
        f"/keeper/volunteers/{vid}/badge": {},
        f"/keeper/volunteers/{vid}/phone-code": {},
        f"/keeper/volunteers/{vid}/check-in": {"at": ""},
        f"/keeper/volunteers/{vid}/check-out": {"at": ""},
        f"/keeper/sessions/{sid}/edit": {"checked_in_at": "2026-11-22T06:00", "checked_out_at": "2026-11-22T08:00"},
        f"/keeper/sessions/{sid}/confirm": {},
        f"/keeper/sessions/{sid}/delete": {},
    }
    for path, data in posts.items():
        assert post(keeper, path, data).status_code == 404, path
    assert state(app) == before
    assert "外站人" not in keeper.get("/keeper/volunteers?q=外站").get_data(as_text=True)
    assert "外站人" not in keeper.get(f"/keeper/badges?team={team_id}").get_data(as_text=True)
    assert "外站人" not in keeper.get("/keeper/review").get_data(as_text=True)


def test_keeper_of_another_station_sees_times_in_that_stations_timezone(app, client, other_station):
    vid, _sid, _team = other_station
    with app.app_context():
        other = db.session.get(Station, db.session.get(Volunteer, vid).station_id)
        other.timezone = "Asia/Urumqi"  # UTC+6: 07:00 there when the test clock starts
        add_keeper("other", "外站站长", other)
        db.session.commit()
    assert sign_in(client, username="other").status_code == 303
    assert post(client, f"/keeper/volunteers/{vid}/check-in", {"at": "2026-11-22T06:30"}).status_code == 303
    assert sessions(app, vid)[-1].checked_in_at == utc(2026, 11, 22, 0, 30)
    page = client.get(f"/keeper/volunteers/{vid}").get_data(as_text=True)
    assert "06:30" in page and "08:30" not in page


# --- Volunteers ----------------------------------------------------------------------------


def test_volunteer_search_is_a_page_and_an_htmx_fragment(keeper):
    page = keeper.get("/keeper/volunteers?q=张").get_data(as_text=True)
    assert "<html" in page and "张晓华" in page and "李桂英" not in page
    r = keeper.get("/keeper/volunteers?q=0020", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body
    assert "欧阳明月" in body and "张晓华" not in body
    assert "HX-Request" in r.headers["Vary"]


NEW = {"name": "新志愿者", "mobile": "139 0000 0001", "birth_year": "1966", "skills": "理发、理疗",
       "national_code": ""}


def test_register_a_volunteer_gives_the_next_number_and_a_badge(app, keeper):
    with app.app_context():
        teams = db.session.scalars(select(Team.id).order_by(Team.id)).all()
    r = post(keeper, "/keeper/volunteers/new", {**NEW, "teams": [str(teams[0]), str(teams[2])]})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/21?registered=1"
    v = volunteer(app, 21)
    assert (v.number, v.name, v.mobile, v.mobile_tail) == ("0021", "新志愿者", "13900000001", "0001")
    assert v.birth_year == 1966
    assert v.skills == ["理发", "理疗"] and v.active and v.badge_nonce
    with app.app_context():
        assert [t.id for t in db.session.get(Volunteer, 21).teams] == [teams[0], teams[2]]
    page = keeper.get("/keeper/volunteers/21").get_data(as_text=True)
    assert "新志愿者" in page and "0021" in page and "<svg" in page


@pytest.mark.parametrize(
    "field, changes",
    [
        ("name", {"name": ""}),
        ("name", {"name": "   "}),
        ("name", {"name": "张" * 10240}),
        ("name", {"name": "张\x01华"}),  # NUL itself is refused at the door (400), see test_pages
        ("mobile", {"mobile": ""}),
        ("mobile", {"mobile": "12345"}),
        ("mobile", {"mobile": "23800138000"}),
        ("mobile", {"mobile": "13800138001"}),  # 张晓华's
        ("mobile", {"mobile": "+86 138-0013-8005"}),  # 陈志强's, typed another way
        ("birth_year", {"birth_year": "一九五八"}),
        ("birth_year", {"birth_year": "1800"}),
        ("birth_year", {"birth_year": "1958<script>"}),
        ("birth_year", {"birth_year": "2027"}),  # not born yet: the tests' today is in 2026
        ("birth_year", {"birth_year": "99999999999999999999"}),
        ("national_code", {"national_code": "X" * 41}),
        ("teams", {"teams": "999"}),
        ("teams", {"teams": "abc"}),
    ],
)
def test_register_refuses_bad_input_beside_the_field_and_stores_nothing(app, keeper, field, changes):
    before = state(app)
    r = post(keeper, "/keeper/volunteers/new", {**NEW, **changes})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert field_errors(page, field), f"the message should sit beside {field}"
    assert 'name="csrf_token"' in page  # the same form, ready to fix and send again
    assert state(app) == before


@pytest.mark.parametrize("changes, fields", [
    ({"name": "  ", "mobile": "12345"}, {"name", "mobile"}),
    ({"name": "", "mobile": "13800138001", "birth_year": "1800"}, {"name", "mobile", "birth_year"}),
    ({"mobile": "12345", "birth_year": "一九五八"}, {"mobile", "birth_year"}),
])
def test_register_says_every_field_at_fault_at_once(app, keeper, changes, fields):
    """Probe: an empty name and a short mobile took two sends, the mobile's message only after
    the name was put right."""
    before = state(app)
    page = post(keeper, "/keeper/volunteers/new", {**NEW, **changes}).get_data(as_text=True)
    assert {field for field in ("name", "mobile", "birth_year") if field_errors(page, field)} == fields
    assert state(app) == before


SAME_NAME = "Same name: 0001 张晓华 is registered (mobile ending 8001)"


@pytest.mark.parametrize("typed", ["张晓华", "張曉華", "张 晓华"])
def test_registering_a_name_the_station_has_says_who_has_it_and_links_to_them(app, keeper, typed):
    """The import notes a new row under a registered name; one by one, a keeper registering the same
    person twice (a new phone) was told nothing. Two people may share a name: it is saved all the same."""
    keeper.set_cookie("kiosk_lang", "en")
    r = post(keeper, "/keeper/volunteers/new", {**NEW, "name": typed})
    assert r.status_code == 303
    assert volunteer(app, 21).name == typed.replace(" ", "")  # as typed, 張曉華 too
    page = keeper.get(r.headers["Location"]).get_data(as_text=True)
    note = re.search(r"<div[^>]*data-same-name.*?</div>", page, re.S).group(0)
    assert "Saved. Please check this is not a volunteer registered already:" in note
    assert f'<a href="/keeper/volunteers/1">{SAME_NAME}</a>' in note
    assert "/keeper/volunteers/21" not in note, "not itself"


def test_the_same_name_note_is_said_once_after_registering_and_only_for_a_name_taken(app, keeper):
    r = post(keeper, "/keeper/volunteers/new", NEW)  # 新志愿者: nobody else
    assert "data-same-name" not in keeper.get(r.headers["Location"]).get_data(as_text=True)
    post(keeper, "/keeper/volunteers/new", {**NEW, "name": "张晓华", "mobile": "13900000002"})
    assert "data-same-name" not in keeper.get("/keeper/volunteers/22").get_data(as_text=True), "later visits are calm"


def test_renaming_a_volunteer_to_a_name_the_station_has_says_who_has_it_once(app, keeper):
    """Registering said so; changing a name (a typo put right, a second record found) said nothing."""
    keeper.set_cookie("kiosk_lang", "en")
    mobile = volunteer(app, 2).mobile
    r = post(keeper, "/keeper/volunteers/2/edit", {"name": "張曉華", "mobile": mobile})
    assert r.status_code == 303 and volunteer(app, 2).name == "張曉華"
    note = re.search(r"<div[^>]*data-same-name.*?</div>", keeper.get(r.headers["Location"]).get_data(as_text=True),
                     re.S).group(0)
    assert f'<a href="/keeper/volunteers/1">{SAME_NAME}</a>' in note and "/keeper/volunteers/2" not in note
    assert "data-same-name" not in keeper.get("/keeper/volunteers/2").get_data(as_text=True), "later visits are calm"
    # Saved again with the name unchanged (a new phone number): nothing new to check.
    r = post(keeper, "/keeper/volunteers/2/edit", {"name": "張曉華", "mobile": "13911119999"})
    assert r.status_code == 303 and "data-same-name" not in keeper.get(r.headers["Location"]).get_data(as_text=True)


def test_the_same_name_note_speaks_the_keepers_language(app, keeper):
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    r = post(keeper, "/keeper/volunteers/new", {**NEW, "name": "张晓华"})
    assert "同名：已有 0001 张晓华（手机尾号 8001）" in keeper.get(r.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("lang, field, typed, message", [
    ("en", "name", "张" * 300, "Please keep this to 40 characters or fewer."),  # a pasted paragraph
    ("en", "skills", "理发、" * 70, "Please keep this to 200 characters or fewer."),
    ("zh_Hans", "name", "张" * 41, "最多 40 个字，请删短一些。"),
    ("zh_Hant", "national_code", "X" * 41, "最多 40 個字，請刪短一些。"),
])
def test_a_value_too_long_is_refused_saying_how_long_it_may_be(app, keeper, lang, field, typed, message):
    """"内容太长了" left a keeper guessing how much to cut."""
    keeper.set_cookie("kiosk_lang", lang)
    r = post(keeper, "/keeper/volunteers/new", {**NEW, field: typed})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), field) == [message]


def test_register_form_as_htmx_fragment_keeps_the_message(app, keeper):
    r = post(keeper, "/keeper/volunteers/new", {**NEW, "mobile": "12345"}, headers=HX)
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "<html" not in body and field_errors(body, "mobile")
    assert count_volunteers(app) == 20


def test_html_in_a_name_is_stored_as_typed_and_shown_escaped(app, keeper):
    name = "<img src=x onerror=alert(1)>"
    r = post(keeper, "/keeper/volunteers/new", {**NEW, "name": name})
    assert r.status_code == 303
    assert volunteer(app, 21).name == name
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for path in ["/keeper/volunteers", "/keeper/volunteers/21", "/keeper/volunteers/21/edit",
                 "/keeper/volunteers/21/badge", "/keeper/badges"]:
        page = keeper.get(path).get_data(as_text=True)
        assert name not in page, path
        assert escaped in page, path


def test_edit_a_volunteer(app, keeper):
    page = keeper.get("/keeper/volunteers/1/edit").get_data(as_text=True)
    assert 'value="张晓华"' in page and 'value="13800138001"' in page and 'value="1958"' in page
    with app.app_context():
        team = db.session.scalars(select(Team.id).where(Team.name == "生态绿")).one()
    data = {"name": "张小华", "mobile": "13800138001", "birth_year": "1959", "teams": str(team), "skills": "维修",
            "national_code": "GD-001"}
    r = post(keeper, "/keeper/volunteers/1/edit", data)
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1?renamed=1"
    v = volunteer(app, 1)
    assert (v.name, v.mobile, v.birth_year) == ("张小华", "13800138001", 1959)
    assert (v.skills, v.national_code) == (["维修"], "GD-001")
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert "张小华" in page and "生态绿" in page and "GD-001" in page


@pytest.mark.parametrize("path", ["/keeper/volunteers/new", "/keeper/volunteers/1/edit"])
@pytest.mark.parametrize("typed", ["1890", "2030", "2026", "2021"])
def test_a_birth_year_out_of_range_says_which_years_are_possible(app, keeper, path, typed):
    """A year that is a year but cannot be one's birth: the range, as the CSV import says it, not
    "please enter a year" as if nothing had been typed. This year (2026 on the tests' clock) is a slip
    of the finger too: a volunteer is at least six."""
    keeper.set_cookie("kiosk_lang", "en")
    before = state(app)
    r = post(keeper, path, {**NEW, "mobile": "13800138001" if path.endswith("edit") else NEW["mobile"],
                            "birth_year": typed})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "birth_year") == [
        "Please enter a year of birth from 1900 to 2020 (a volunteer is at least 6 years old)."]
    assert state(app) == before


@pytest.mark.parametrize("field, changes", [("mobile", {"mobile": "13800138002"}), ("name", {"name": ""}),
                                            ("birth_year", {"birth_year": "1800"})])
def test_edit_refuses_bad_input_and_changes_nothing(app, keeper, field, changes):
    before = state(app)
    r = post(keeper, "/keeper/volunteers/1/edit", {"name": "张晓华", "mobile": "13800138001", **changes})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), field)
    assert state(app) == before


def test_deactivated_volunteer_cannot_check_in_until_reactivated(app, keeper):
    token = token_of(app)
    r = post(keeper, "/keeper/volunteers/1/active", {"active": "0"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"
    assert not volunteer(app).active
    r = scan(keeper, token)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert sessions(app) == []
    assert "张晓华" not in keeper.get("/keeper/badges").get_data(as_text=True)

    assert post(keeper, "/keeper/volunteers/1/active", {"active": "1"}).status_code == 303
    assert volunteer(app).active
    assert scan(keeper, token).status_code == 200
    assert [s.check_in_method for s in sessions(app)] == ["scanner"]


def confirm_new_badge_page(keeper, volunteer_id=1):
    """The page the volunteer's "new badge" button opens, and the stamp its form carries."""
    r = keeper.get(f"/keeper/volunteers/{volunteer_id}/badge/new")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    [seen] = re.findall(r'name="seen" value="([^"]+)"', page)
    return page, seen


NEW_BADGE_MESSAGE = "New badge ready. From now on the old card can no longer check in: please take it back."


def test_reissued_badge_replaces_the_old_one_after_the_keeper_confirms(app, keeper):
    keeper.set_cookie("kiosk_lang", "en")
    old = token_of(app)
    # One tap on the volunteer's page only asks: a link to the step that says what happens.
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert 'action="/keeper/volunteers/1/badge"' not in page
    assert 'href="/keeper/volunteers/1/badge/new"' in page
    page, seen = confirm_new_badge_page(keeper)
    assert "stops working the moment you confirm" in page and "take the old card back" in page
    assert token_of(app) == old and [e.action for e in events(app)] == []

    r = post(keeper, "/keeper/volunteers/1/badge", {"seen": seen})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1/badge?new=1"
    new = token_of(app)
    assert new != old
    assert [e.action for e in events(app)] == ["volunteer.badge_reissued"]
    r = scan(keeper, old)
    assert r.status_code == 422 and 'role="alert"' in r.get_data(as_text=True)
    assert sessions(app) == []
    assert scan(keeper, new).status_code == 200
    assert len(sessions(app)) == 1
    card = keeper.get("/keeper/volunteers/1/badge?new=1").get_data(as_text=True)
    assert "张晓华" in card and "0001" in card and "<svg" in card
    assert f'class="flash" role="status">{html.escape(NEW_BADGE_MESSAGE)}<' in card
    # Opened again later (not just after a re-issue), the card page says nothing of it.
    assert NEW_BADGE_MESSAGE not in html.unescape(keeper.get("/keeper/volunteers/1/badge").get_data(as_text=True))


def test_a_double_tap_on_confirm_issues_one_new_badge_and_both_land_on_it(app, keeper):
    _page, seen = confirm_new_badge_page(keeper)
    first = post(keeper, "/keeper/volunteers/1/badge", {"seen": seen})
    new = token_of(app)
    again = post(keeper, "/keeper/volunteers/1/badge", {"seen": seen})  # the same form, sent a second time
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == "/keeper/volunteers/1/badge?new=1"
    assert token_of(app) == new
    assert [e.action for e in events(app)] == ["volunteer.badge_reissued"]


def test_back_on_the_question_after_a_reissue_says_the_card_just_printed_would_stop_too(app, keeper, clock):
    """Browser Back from the new card lands on the question again: it says a badge was re-issued
    today, at what time, and its button reads as one more badge, not the first."""
    keeper.set_cookie("kiosk_lang", "en")
    page, seen = confirm_new_badge_page(keeper)
    assert "already re-issued" not in page and "Yes, issue a new badge" in page
    post(keeper, "/keeper/volunteers/1/badge", {"seen": seen})
    clock.advance(minutes=5)
    page, seen = confirm_new_badge_page(keeper)
    page = html.unescape(page)
    assert ("This volunteer's badge was already re-issued at 09:00. Issuing another one makes the card you "
            "just printed stop working too.") in page
    assert "Yes, issue one more new badge" in page and "Yes, issue a new badge<" not in page
    # Confirmed anyway, it is a re-issue like any other.
    assert post(keeper, "/keeper/volunteers/1/badge", {"seen": seen}).status_code == 303
    assert [e.action for e in events(app)] == ["volunteer.badge_reissued"] * 2
    # The next day the card was handed over long ago: the question is the plain one again.
    clock.advance(days=1)
    page, _seen = confirm_new_badge_page(keeper)
    assert "already re-issued" not in page and "Yes, issue a new badge" in page
    # Another volunteer's question says nothing of this one's badge.
    assert "already re-issued" not in confirm_new_badge_page(keeper, 2)[0]


@pytest.mark.parametrize("data", [{}, {"seen": ""}])
def test_a_reissue_sent_without_the_confirmation_asks_for_it_and_changes_nothing(app, keeper, data):
    """A volunteer's page opened before this step (its one-tap form), or a hand-made post."""
    keeper.set_cookie("kiosk_lang", "en")
    before, old = state(app), token_of(app)
    r = post(keeper, "/keeper/volunteers/1/badge", data)
    assert r.status_code == 422
    page = html.unescape(r.get_data(as_text=True))
    assert "Please confirm first" in page and 'name="seen"' in page
    assert state(app) == before and token_of(app) == old


def test_an_erased_volunteer_has_no_badge_to_replace(app, keeper):
    assert post(keeper, "/keeper/volunteers/1/erase", {"confirm": "0001"}).status_code == 303
    r = keeper.get("/keeper/volunteers/1/badge/new")
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"


def test_badge_svg_is_an_svg_image(app, keeper):
    r = keeper.get("/keeper/volunteers/1/badge.svg")
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    assert "<svg" in r.get_data(as_text=True)


def test_badge_png_decodes_to_exactly_the_badge_token(app, keeper):
    r = keeper.get("/keeper/volunteers/3/badge.png")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Content-Disposition"] == 'attachment; filename="badge-0003.png"'
    found = zxingcpp.read_barcodes(PIL.Image.open(io.BytesIO(r.data)))
    assert [code.text for code in found] == [token_of(app, 3)]


def test_badge_sheet_lists_every_active_volunteer_and_filters_by_team(app, keeper):
    with app.app_context():
        db.session.get(Volunteer, 20).active = False
        db.session.commit()
        red = db.session.scalars(select(Team.id).where(Team.name == "党旗红")).one()
    page = keeper.get("/keeper/badges").get_data(as_text=True)
    assert page.count('class="badge-card"') == 19
    assert "张晓华" in page and "何春梅" in page and "欧阳明月" not in page
    page = keeper.get(f"/keeper/badges?team={red}").get_data(as_text=True)
    # 党旗红 has volunteers 1, 7, 13 and 19 in the demo station.
    assert page.count('class="badge-card"') == 4
    for name in ["张晓华", "赵德明", "马俊杰", "高永福"]:
        assert name in page
    assert "李桂英" not in page



@pytest.mark.parametrize("lang, button, hint", [
    ("zh_Hans", "打印", "点下面的“打印”，纸张选 A4，打好后沿线剪开"),
    ("zh_Hant", "列印", "點下面的「列印」，紙張選 A4，印好後沿線剪開"),
    ("en", "Print", "Tap “Print” below, choose A4 paper, then cut along the lines."),
])
def test_badge_pages_have_a_print_button_a_tablet_can_tap(app, keeper, lang, button, hint):
    """An Android tablet has no Ctrl+P: the page's own Print button (data-print, as on certificates,
    stars and reports), and the hint says to tap it."""
    keeper.set_cookie("kiosk_lang", lang)
    for path in ("/keeper/volunteers/1/badge", "/keeper/badges"):
        page = keeper.get(path).get_data(as_text=True)
        assert re.search(rf'<button type="button" class="button button-primary" data-print>{button}</button>', page), path
        assert hint in page and "Ctrl" not in page, path

def test_phone_code_is_shown_once_on_the_page(app, keeper):
    r = post(keeper, "/keeper/volunteers/1/phone-code")
    assert r.status_code == 200
    flash = re.search(r'class="flash" role="status">([^<]*)<', r.get_data(as_text=True)).group(1)
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", flash)
    v = volunteer(app)
    assert check_password_hash(v.phone_code_hash, code)
    assert v.phone_code_expires_at == START + timedelta(hours=24) and v.phone_code_tries == 0
    assert code not in keeper.get("/keeper/volunteers/1").get_data(as_text=True)


# --- Checking in and out by hand -----------------------------------------------------------


def test_keeper_checks_in_and_out_by_hand_and_each_change_is_audited(app, keeper, keeper_id, clock):
    r = post(keeper, "/keeper/volunteers/1/check-in", {"at": "2026-11-22T08:30"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"
    [s] = sessions(app)
    assert (s.checked_in_at, s.checked_out_at) == (utc(2026, 11, 22, 0, 30), None)
    assert (s.check_in_method, s.edited) == ("keeper", False)  # an entry, not a correction

    clock.advance(hours=3)  # 12:00 in Shanghai
    assert post(keeper, "/keeper/volunteers/1/check-out", {"at": ""}).status_code == 303
    [s] = sessions(app)
    assert (s.checked_out_at, s.check_out_method) == (utc(2026, 11, 22, 4, 0), "keeper")

    checked_in, checked_out = events(app)
    assert (checked_in.action, checked_in.keeper_id, checked_in.volunteer_id, checked_in.session_id) == (
        "session.checked_in", keeper_id, 1, s.id)
    assert checked_in.before is None
    assert checked_in.after["checked_in_at"] == "2026-11-22T00:30:00+00:00"
    assert (checked_out.action, checked_out.keeper_id) == ("session.checked_out", keeper_id)
    assert checked_out.before["checked_out_at"] is None
    assert checked_out.after["checked_out_at"] == "2026-11-22T04:00:00+00:00"

    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert "11-22 08:30 – 11-22 12:00" in page  # the check-out event: before → after
    assert page.count("11-22 08:30") == 3  # check-in event's after, check-out event's before and after
    assert "3.5" in page


def test_a_check_in_by_hand_on_a_day_already_closed_is_closed_at_its_closing_time_and_says_so(app, keeper, clock):
    keeper.set_cookie("kiosk_lang", "en")
    clock.advance(days=1)  # 11-23 09:00: the keeper enters yesterday's morning
    r = post(keeper, "/keeper/volunteers/1/check-in", {"at": "2026-11-22T09:00"})
    assert r.status_code == 303
    [s] = sessions(app)
    assert s.checked_out_at == utc(2026, 11, 22, 12, 0) and s.auto_closed and s.needs_review  # 20:00 local
    page = html.unescape(keeper.get("/keeper/volunteers/1").get_data(as_text=True))
    assert "That day has closed, so the system checked them out at its closing time (11-22 20:00)" in page
    assert "on duty" not in page.split("Sessions", 1)[1]
    # The real check-out replaces the system's.
    assert post(keeper, "/keeper/volunteers/1/check-out", {"at": "2026-11-22T17:00"}).status_code == 303
    [s] = sessions(app)
    assert s.checked_out_at == utc(2026, 11, 22, 9, 0) and s.check_out_method == "keeper"


# Probe: a check-in typed for 22:30 was closed at the next morning's opening, and the page called
# 08:00 the closing time. The third deadline: one at 00:30 would run to 20:00, so the system stops
# it at the 16-hour cap, and the page names that time rather than a closing or opening time.
@pytest.mark.parametrize("typed, closed, said", [
    ("2026-11-22T22:30", utc(2026, 11, 23, 0, 0), "checked them out at the next opening time (11-23 08:00)"),
    ("2026-11-22T00:30", utc(2026, 11, 22, 8, 30),
     "The system has already checked them out at 11-22 16:30: enter the real check-out time below."),
], ids=["after closing", "in the small hours"])
def test_a_check_in_by_hand_says_which_deadline_the_system_closed_it_at(app, keeper, clock, typed, closed, said):
    keeper.set_cookie("kiosk_lang", "en")
    clock.advance(days=1)
    assert post(keeper, "/keeper/volunteers/1/check-in", {"at": typed}).status_code == 303
    [s] = sessions(app)
    assert s.checked_out_at == closed
    page = html.unescape(keeper.get("/keeper/volunteers/1").get_data(as_text=True))
    assert said in page and "closing time (11-2" not in page


def test_a_keeper_copies_paper_days_in_any_order_while_the_volunteer_is_on_duty(app, keeper):
    """Probe: with 12-05 09:00–11:45 entered for 0003, 12-04's check-in was refused as "already
    checked in, or has a session at that time" with nothing on 12-04, and its check-out as "not
    checked in"; and no earlier day could be entered while they were on duty."""
    keeper.set_cookie("kiosk_lang", "en")
    page = "/keeper/volunteers/3"
    assert post(keeper, f"{page}/check-in", {"at": ""}).status_code == 303  # on duty now, 11-22 09:00
    for day in ("2026-11-20", "2026-11-19"):
        assert post(keeper, f"{page}/check-in", {"at": f"{day}T09:00"}).status_code == 303
        assert post(keeper, f"{page}/check-out", {"at": f"{day}T11:45"}).status_code == 303
    assert [(s.checked_in_at, s.checked_out_at, s.check_out_method, s.needs_review) for s in sessions(app, 3)] == [
        (utc(2026, 11, 22, 1, 0), None, None, False),
        (utc(2026, 11, 20, 1, 0), utc(2026, 11, 20, 3, 45), "keeper", False),
        (utc(2026, 11, 19, 1, 0), utc(2026, 11, 19, 3, 45), "keeper", False)]
    # A real overlap is still refused, and says which session it clashes with.
    before = state(app)
    r = post(keeper, f"{page}/check-in", {"at": "2026-11-19T10:00"})
    assert r.status_code == 422 and state(app) == before
    assert field_errors(html.unescape(r.get_data(as_text=True)), "at") == [
        "This volunteer already has a session at that time (11/19 09:00–11:45). Please check the date and time."]


def test_blank_time_means_now(app, keeper, clock):
    assert post(keeper, "/keeper/volunteers/2/check-in", {"at": ""}).status_code == 303
    clock.advance(minutes=90)
    assert post(keeper, "/keeper/volunteers/2/check-out", {"at": "  "}).status_code == 303
    [s] = sessions(app, 2)
    assert (s.checked_in_at, s.checked_out_at) == (START, START + timedelta(minutes=90))


@pytest.mark.parametrize(
    "already_in, action, at",
    [
        (False, "check-in", "2026-11-22T10:00"),  # an hour from now
        (False, "check-in", "next tuesday"),
        (False, "check-in", "2026-13-45T99:99"),
        (False, "check-out", ""),  # not checked in
        (False, "check-out", "2026-11-22T08:45"),  # not checked in
        (True, "check-in", ""),  # already in
        (True, "check-in", "2026-11-22T08:45"),  # already in, and overlapping
        (True, "check-out", "2026-11-22T08:00"),  # before the check-in at 08:30
        (True, "check-out", "2026-11-22T08:30"),  # the same minute as the check-in
        (True, "check-out", "2026-11-22T09:30"),  # in the future
        (True, "check-out", "<b>9 o'clock</b>"),
    ],
)
def test_bad_times_by_hand_are_refused_and_change_nothing(app, keeper, already_in, action, at):
    if already_in:
        assert post(keeper, "/keeper/volunteers/1/check-in", {"at": "2026-11-22T08:30"}).status_code == 303
    before = state(app)
    r = post(keeper, f"/keeper/volunteers/1/{action}", {"at": at})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert field_errors(page, "at")
    assert "<b>9 o'clock</b>" not in page
    assert state(app) == before


@pytest.fixture
def auto_closed_today(app, keeper, clock):
    """Volunteer 1 checked in at 09:00 and never out; at 23:00 the system has closed it at 20:00."""
    assert scan(keeper, token_of(app)).status_code == 200
    clock.advance(hours=14)
    assert keeper.get("/keeper/review").status_code == 200


@pytest.mark.parametrize("at, said", [
    ("2026-11-22T08:00", "Check-out must be after check-in (11/22 09:00)."),
    ("", "The system checked this volunteer out at closing time (11/22 20:00)"),
    ("2026-11-22T21:30", "The system checked this volunteer out at closing time (11/22 20:00)"),
])
def test_a_check_out_after_the_system_closed_the_session_says_why_it_is_refused(app, keeper, auto_closed_today, at,
                                                                               said):
    """Not "not checked in" just after the keeper saw them checked in: the real reason, and where
    the session can be corrected."""
    keeper.set_cookie("kiosk_lang", "en")
    before = state(app)
    r = post(keeper, "/keeper/volunteers/1/check-out", {"at": at})
    assert r.status_code == 422
    errors = " ".join(field_errors(r.get_data(as_text=True), "at"))
    assert said in html.unescape(errors) and "not checked in" not in errors
    assert state(app) == before


@pytest.mark.parametrize("path", ["/keeper/volunteers/1/check-in", "/keeper/sessions/1/edit"])
def test_a_time_out_of_range_is_refused_not_a_server_error(app, keeper, forgotten_session, path):
    before = state(app)
    r = post(keeper, path, {"at": "0001-01-01T00:00", "checked_in_at": "0001-01-01T00:00", "checked_out_at": ""})
    assert r.status_code == 422
    assert state(app) == before


def test_a_session_corrected_to_a_day_that_does_not_exist_is_told_so(app, keeper, forgotten_session):
    """Probe: 2026-02-29 was told "please write it like 2026-11-22 09:00": written right, no such day."""
    keeper.set_cookie("kiosk_lang", "en")
    before = state(app)
    r = post(keeper, "/keeper/sessions/1/edit", {"checked_in_at": "2026-02-29T09:00", "checked_out_at": ""})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "checked_in_at") == ["This day does not exist. Please check the date."]
    assert state(app) == before


# --- Sessions to review, corrections and deletion ------------------------------------------


@pytest.fixture
def auto_closed(app, keeper, clock):
    """Volunteer 1 scanned in at 09:00 and forgot to scan out; now it is 23:00 and the keeper looks."""
    assert scan(keeper, token_of(app)).status_code == 200
    clock.advance(hours=14)
    [s] = sessions(app)
    return s.id


def close_for_review(keeper):
    """Opening the review page is what closes forgotten sessions."""
    assert keeper.get("/keeper/review").status_code == 200


def test_session_left_open_is_closed_at_closing_time_and_listed_for_review(app, keeper, auto_closed):
    r = keeper.get("/keeper/review")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "张晓华" in page and "09:00" in page and "20:00" in page
    assert f"/keeper/sessions/{auto_closed}/confirm" in page
    [s] = sessions(app)
    assert s.checked_out_at == utc(2026, 11, 22, 12, 0)
    assert s.needs_review and s.auto_closed and s.check_out_method == "auto"


def test_confirm_clears_the_flag_and_is_audited(app, keeper, keeper_id, auto_closed):
    close_for_review(keeper)
    keeper.set_cookie("kiosk_lang", "en")  # the note is said in the language of the tap
    r = post(keeper, f"/keeper/sessions/{auto_closed}/confirm")
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/review"
    [s] = sessions(app)
    assert not s.needs_review and s.checked_out_at == utc(2026, 11, 22, 12, 0)
    [event] = events(app)
    assert (event.action, event.keeper_id, event.session_id) == ("session.confirmed", keeper_id, auto_closed)
    assert event.before["needs_review"] is True and event.after["needs_review"] is False
    page = keeper.get("/keeper/review").get_data(as_text=True)
    # Probe: the row just vanished, and a keeper could not tell a confirm from a slip of the finger.
    assert "Confirmed: 张晓华 11-22 09:00–20:00, 11 h." in page
    assert "张晓华" not in page.replace("Confirmed: 张晓华", "")


def test_confirm_can_return_to_the_volunteer_page(app, keeper, auto_closed):
    close_for_review(keeper)
    r = post(keeper, f"/keeper/sessions/{auto_closed}/confirm", {"back": "volunteer"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"


def test_correct_a_session_through_the_form(app, keeper, keeper_id, auto_closed):
    close_for_review(keeper)
    keeper.set_cookie("kiosk_lang", "en")
    page = keeper.get(f"/keeper/sessions/{auto_closed}/edit").get_data(as_text=True)
    assert 'value="2026-11-22T09:00"' in page and 'value="2026-11-22T20:00"' in page and "张晓华" in page
    r = post(keeper, f"/keeper/sessions/{auto_closed}/edit",
             {"checked_in_at": "2026-11-22T09:00", "checked_out_at": "2026-11-22T17:00"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"
    [s] = sessions(app)
    assert (s.checked_in_at, s.checked_out_at) == (utc(2026, 11, 22, 1, 0), utc(2026, 11, 22, 9, 0))
    assert not s.needs_review and s.edited and s.check_out_method == "keeper"
    [event] = events(app)
    assert (event.action, event.keeper_id) == ("session.corrected", keeper_id)
    assert event.before["checked_out_at"] == "2026-11-22T12:00:00+00:00"
    assert event.after["checked_out_at"] == "2026-11-22T09:00:00+00:00"
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert "11-22 09:00 – 11-22 17:00" in page and "Saved: 张晓华 11-22 09:00–17:00, 8 h." in page


@pytest.mark.parametrize(
    "checked_in_at, checked_out_at, field",
    [
        ("", "2026-11-22T17:00", "checked_in_at"),
        ("yesterday", "2026-11-22T17:00", "checked_in_at"),
        ("2026-11-22T09:00", "5pm", "checked_out_at"),
        ("2026-11-22T09:00", "2026-11-22T08:00", "checked_out_at"),  # out before in
        ("2026-11-22T09:00", "2026-11-23T09:00", "checked_out_at"),  # tomorrow
        ("2026-11-23T09:00", "2026-11-23T10:00", "checked_in_at"),  # tomorrow
        ("2026-11-21T09:00", "2026-11-22T09:00", "checked_out_at"),  # 24 hours
        ("2026-11-22T09:00", "", "checked_out_at"),  # a closed session cannot be reopened
    ],
)
def test_bad_corrections_are_refused_beside_the_field(app, keeper, auto_closed, checked_in_at, checked_out_at, field):
    close_for_review(keeper)
    before = state(app)
    r = post(keeper, f"/keeper/sessions/{auto_closed}/edit",
             {"checked_in_at": checked_in_at, "checked_out_at": checked_out_at})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), field)
    assert state(app) == before


def test_delete_a_session_leaves_an_audit_event(app, keeper, keeper_id, auto_closed):
    close_for_review(keeper)
    keeper.set_cookie("kiosk_lang", "en")
    r = post(keeper, f"/keeper/sessions/{auto_closed}/delete", {"confirm": "yes"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/volunteers/1"
    assert sessions(app) == []
    [event] = events(app)
    assert (event.action, event.keeper_id, event.volunteer_id, event.session_id) == (
        "session.deleted", keeper_id, 1, auto_closed)
    assert event.before["checked_in_at"] == "2026-11-22T01:00:00+00:00" and event.after is None
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert "11-22 09:00 – 11-22 20:00" in page and "Deleted: 张晓华 11-22 09:00–20:00, 11 h." in page
    assert keeper.get(f"/keeper/sessions/{auto_closed}/edit").status_code == 404


def test_a_session_left_open_overnight_is_labelled_as_closed_at_the_next_opening(app, keeper, clock):
    """Probe: an evening patrol nobody checked out of, closed at 08:00 the next morning, was called
    "closed at closing time" on the review page and the volunteer's page."""
    keeper.set_cookie("kiosk_lang", "en")
    clock.advance(hours=13, minutes=30)  # 22:30
    assert scan(keeper, token_of(app)).status_code == 200
    clock.advance(hours=12)  # 10:30 the next morning
    said = "nobody checked out: closed by the system at the next opening time (11-23 08:00)"
    for page in ("/keeper/review", "/keeper/volunteers/1"):
        text = html.unescape(keeper.get(page).get_data(as_text=True))
        assert said in text and "closing time" not in text, page


def test_deleting_a_session_asks_first_saying_its_hours_and_points_go(app, keeper, clock):
    """Probe: 删除这条记录 deleted at one tap, and took back the confirmed points at once."""
    keeper.set_cookie("kiosk_lang", "en")
    assert post(keeper, "/keeper/volunteers/1/check-in", {"at": "2026-11-22T06:00"}).status_code == 303
    assert post(keeper, "/keeper/volunteers/1/check-out", {"at": "2026-11-22T08:30"}).status_code == 303
    [s] = sessions(app)
    edit, ask = f"/keeper/sessions/{s.id}/edit", f"/keeper/sessions/{s.id}/delete"
    shown = keeper.get(edit).get_data(as_text=True)
    assert f'action="{ask}"' not in shown  # no form that deletes at one tap
    assert re.search(rf'<a class="button" href="{ask}#delete"\s+hx-get="{ask}" hx-target="#delete"'
                     r' hx-swap="outerHTML">Delete this session</a>', shown)
    asked = keeper.get(ask)
    text = " ".join(html.unescape(asked.get_data(as_text=True)).split())
    assert asked.status_code == 200 and "<html" in text and "Delete this session?" in text
    assert "张晓华 11-22 06:00–08:30, 2.5 h" in text
    assert "These 2.5 h come off their hours, and the points they earned are taken back." in text
    assert "Deleting cannot be undone." in text and f'action="{ask}"' in text
    assert 'name="confirm" value="yes"' in text and f'href="{edit}">Don\'t delete</a>' in text
    part = keeper.get(ask, headers=HX).get_data(as_text=True)
    assert "<html" not in part and part.lstrip().startswith('<div id="delete"') and "Yes, delete it" in part
    # A tap that did not answer the question (an old page, a stray post) asks it; nothing changes.
    before = state(app)
    unasked = post(keeper, ask, {})
    assert unasked.status_code == 303 and unasked.headers["Location"] == f"{ask}#delete"
    assert state(app) == before
    assert post(keeper, ask, {"confirm": "yes"}).status_code == 303
    assert sessions(app) == []


def test_deleting_a_session_not_yet_confirmed_or_under_way_says_what_goes(app, keeper, auto_closed):
    close_for_review(keeper)
    keeper.set_cookie("kiosk_lang", "en")
    text = " ".join(keeper.get(f"/keeper/sessions/{auto_closed}/delete").get_data(as_text=True).split())
    assert "These 11 h come off their hours." in text and "points they earned" not in text  # not confirmed: none
    assert post(keeper, "/keeper/volunteers/2/check-in", {"at": ""}).status_code == 303
    [on_duty] = sessions(app, 2)
    text = " ".join(keeper.get(f"/keeper/sessions/{on_duty.id}/delete").get_data(as_text=True).split())
    assert "Their check-in goes: they no longer show as on duty." in text


# --- Importing volunteers from CSV ---------------------------------------------------------

IMPORT_CSV = (
    "姓名,手机号,出生年份,队伍,技能\r\n"
    "新人甲,13900000001,1970,暖心橙,理发、维修\r\n"
    "张晓华,13800138001,1958,新队伍,\r\n"
    "坏号码,12345,,,\r\n"
)


def upload(client, data: bytes | None, filename="v.csv"):
    """Upload a file as a browser does. The body is encoded here, in memory: the test client would
    spool a large body to a temporary file it never closes (a ResourceWarning, an error here)."""
    form = {"csrf_token": csrf_token(client, "/")}
    if data is not None:
        form["file"] = FileStorage(io.BytesIO(data), filename=filename, content_type="text/csv")
    boundary, body = encode_multipart(form)
    return client.post("/keeper/volunteers/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_the_import_preview_calls_the_national_code_by_its_name(app, keeper):
    """Probe: a change of the national code read "志愿者编号: old → new", the name every page gives
    the station's own number (0001)."""
    keeper.set_cookie("kiosk_lang", "en")
    page = html.unescape(upload(keeper, "姓名,手机号,全国志愿者编号\r\n张晓华,13800138001,V123\r\n".encode())
                         .get_data(as_text=True))
    assert "national volunteer code:" in page and "volunteer code:" not in page.replace("national volunteer code:", "")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_import_previews_then_applies_on_confirm(app, keeper, encoding):
    before = state(app)
    r = upload(keeper, IMPORT_CSV.encode(encoding))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "新人甲" in page and "坏号码" in page
    assert page.count('class="import-new"') == 1 and page.count('class="import-update"') == 1
    assert page.count('class="import-rejected"') == 1
    assert state(app) == before  # a preview writes nothing

    text = html.unescape(re.search(r'<textarea name="text" hidden>(.*?)</textarea>', page, re.S).group(1))
    assert not text.startswith("\ufeff") and "新人甲" in text
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": text})
    assert r.status_code == 200 and 'role="status"' in r.get_data(as_text=True)
    with app.app_context():
        new = db.session.scalar(select(Volunteer).where(Volunteer.mobile == "13900000001"))
        assert (new.number, new.name, new.birth_year, new.skills) == ("0021", "新人甲", 1970, ["理发", "维修"])
        assert [t.name for t in new.teams] == ["暖心橙"] and new.badge_nonce
        assert [t.name for t in db.session.get(Volunteer, 1).teams] == ["新队伍"]
        assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 21
        new_id = new.id
    # Each volunteer the import made or changed shows it on their page, like a change by hand.
    assert "登记了志愿者（导入）" in keeper.get(f"/keeper/volunteers/{new_id}").get_data(as_text=True)
    assert "修改了资料（导入）" in keeper.get("/keeper/volunteers/1").get_data(as_text=True)


def roster_workbook() -> bytes:
    """IMPORT_CSV as an Excel workbook: the mobiles and the year are numbers, as Excel keeps them."""
    from openpyxl import Workbook

    book = Workbook()
    for row in [["姓名", "手机号", "出生年份", "队伍", "技能"], ["新人甲", 13900000001.0, 1970, "暖心橙", "理发、维修"],
                ["张晓华", 13800138001, 1958.0, "新队伍"], ["坏号码", 12345]]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "data, filename",
    [
        (roster_workbook(), "花名册.xlsx"),
        (b"\xff\xfe" + IMPORT_CSV.replace(",", "\t").encode("utf-16-le"), "花名册.txt"),  # Excel's Unicode text
        (IMPORT_CSV.encode("utf-16"), "v.csv"),
    ],
    ids=["xlsx", "unicode text", "utf-16 csv"],
)
def test_an_excel_workbook_or_unicode_text_imports_like_a_csv(app, keeper, data, filename):
    before = state(app)
    r = upload(keeper, data, filename)
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert page.count('class="import-new"') == 1 and page.count('class="import-update"') == 1
    assert page.count('class="import-rejected"') == 1
    assert state(app) == before
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)})
    assert r.status_code == 200
    with app.app_context():
        new = db.session.scalar(select(Volunteer).where(Volunteer.mobile == "13900000001"))
        assert (new.name, new.birth_year, new.skills) == ("新人甲", 1970, ["理发", "维修"])
        assert [t.name for t in db.session.get(Volunteer, 1).teams] == ["新队伍"]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"PK\x03\x04" + bytes(range(256)) * 8, "可能已损坏"),
        (roster_workbook()[:-300], "可能已损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"), "密码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), ".xls"),
    ],
    ids=["random", "truncated", "password", "xls"],
)
def test_a_workbook_that_cannot_be_read_says_why_in_the_keepers_language(app, keeper, data, words):
    before = state(app)
    r = upload(keeper, data, "花名册.xlsx")
    assert r.status_code == 422
    assert words in " ".join(field_errors(r.get_data(as_text=True), "file"))
    assert state(app) == before


def test_a_pdf_is_told_it_cannot_be_read_as_a_picture_is(app, keeper):
    """Probe: a PDF roster was told it had no 姓名 column, as if it were a roster missing one."""
    picture = upload(keeper, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "花名册.png")
    pdf = upload(keeper, b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
                 "花名册.pdf")
    assert pdf.status_code == picture.status_code == 422
    said = field_errors(picture.get_data(as_text=True), "file")
    assert said and field_errors(pdf.get_data(as_text=True), "file") == said


@pytest.mark.parametrize(
    "data, filename",
    [
        (None, None),  # no file chosen
        (b"", "v.csv"),  # empty
        (b"   \r\n\r\n", "v.csv"),  # only blank lines
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "v.csv"),  # a picture
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)), "v.xlsx"),  # an Excel workbook
        (bytes(range(128, 256)) * 4, "v.csv"),  # not text in any encoding we read
        ("甲,乙\n张三,13900000001\n".encode(), "v.csv"),  # no column we know
        ("姓名,手机号\n".encode(), "v.csv"),  # a header and no volunteers
        ("姓名,手机号\n".encode() + b"x" * (2 * 1024 * 1024), "v.csv"),  # over the 2 MB import limit
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_store_nothing(app, keeper, data, filename):
    before = state(app)
    r = upload(keeper, data, filename or "v.csv")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert field_errors(page, "file")
    assert 'name="text"' not in page  # no confirm form
    assert state(app) == before


@pytest.mark.parametrize("text", ["", "   ", "no,columns,we,know\n1,2,3,4\n", "姓名,手机号\n"])
def test_import_confirm_refuses_text_it_cannot_use(app, keeper, text):
    before = state(app)
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": text})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "file")
    assert state(app) == before


def test_a_preview_confirmed_again_from_a_second_tab_reports_no_changes(app, keeper):
    page = upload(keeper, IMPORT_CSV.encode()).get_data(as_text=True)
    first = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)}).get_data(as_text=True)
    assert "导入完成：新增 1 人，更新 1 人，没有变化 0 人，跳过 1 行" in first
    recorded = events(app)
    # The second tab's confirm reads the same text against what the first one saved.
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)})
    assert r.status_code == 200
    assert "导入完成：新增 0 人，更新 0 人，没有变化 2 人，跳过 1 行" in r.get_data(as_text=True)
    assert events(app) == recorded, "nothing changed, nothing recorded"
    again = upload(keeper, IMPORT_CSV.encode()).get_data(as_text=True)
    assert again.count('class="import-unchanged"') == 2 and "没有变化" in again


# Probe: "导入完成：新增 2 人…" ended the import with no next step, though the new volunteers have
# no card yet.
def test_an_import_that_adds_volunteers_leads_on_to_printing_their_badges(app, keeper):
    keeper.set_cookie("kiosk_lang", "en")
    page = upload(keeper, IMPORT_CSV.encode()).get_data(as_text=True)
    done = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)}).get_data(as_text=True)
    assert "Done: 1 new" in done
    assert re.search(r'<a [^>]*href="/keeper/badges"[^>]*>Print their badges</a>', done)
    again = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)}).get_data(as_text=True)
    assert "Done: 0 new" in again and "Print their badges" not in again  # nobody new, no new cards


def test_the_preview_notes_a_new_row_with_the_name_of_a_registered_volunteer(app, keeper):
    page = upload(keeper, "姓名,手机号\r\n张晓华,13900000001\r\n".encode()).get_data(as_text=True)
    new = re.search(r'<tr class="import-new">(.*?)</tr>', page, re.S).group(1)
    assert "同名：已有 0001 张晓华（手机尾号 8001）" in re.sub(r"<[^>]+>", "", new)


def test_the_import_preview_names_the_teams_it_would_make(app, keeper):
    """A typo (暖心桔 for 暖心橙) would make a team of its own: the preview says so before saving."""
    page = upload(keeper, "姓名,手机号,队伍\r\n新人甲,13900000001,暖心桔\r\n新人乙,13900000002,暖心橙\r\n"
                          .encode("utf-8")).get_data(as_text=True)
    notice = re.search(r'<p class="flash import-new-teams" role="status">([^<]*)</p>', page).group(1)
    assert "将新建这些队伍：暖心桔。" in notice and "暖心橙" not in notice


def test_html_in_an_imported_name_is_shown_escaped_in_the_preview(app, keeper):
    r = upload(keeper, "姓名,手机号\n<script>alert(1)</script>,13900000001\n".encode())
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_real_roster_preview_says_which_columns_count_and_lists_the_rejected_rows_first(app, keeper):
    from kiosk.people.volunteers import resident_id_check_char

    number = "11010519580312123" + resident_id_check_char("11010519580312123")
    roster = "\r\n".join(["XX社区志愿者花名册,,,,,", "序号,姓名,性别,联系电话,出生日期,身份证号",
                          f"1,王秀兰,女,13900000001,1958/3/12,{number}", "2,赵建国,男,1390000,1961/7/1,",
                          "3,孙丽,女,13900000003,1990-10-05,"]) + "\r\n"
    before = state(app)
    r = upload(keeper, roster.encode("gb18030"))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    columns = re.search(r'<dl class="import-columns">(.*?)</dl>', page, re.S).group(1)
    used, ignored, skipped = re.findall(r"<dd>(.*?)</dd>", columns, re.S)
    assert all(header in used for header in ("姓名", "联系电话", "出生日期", "身份证号"))
    assert "序号" in ignored and "性别" in ignored and "姓名" not in ignored
    assert "1" in skipped
    rows = re.findall(r'<tr class="import-(\w+)">\s*<td>(\d+)</td>', page)
    assert rows == [("rejected", "4"), ("new", "3"), ("new", "5")]
    table = re.search(r"<table.*?</table>", page, re.S).group(0)
    assert number not in table and "110***********" in table  # the ID shown masked
    assert "<td>1958</td>" in table
    assert state(app) == before


def test_names_of_things_are_not_called_a_persons_name_in_chinese(app, client, keeper_id):
    """姓名 is a person's name; a service, a category or an activity has a 名称 (名稱)."""
    client.set_cookie("kiosk_lang", "zh_Hans")
    assert sign_in(client).status_code == 303
    for path in ("/keeper/services", "/keeper/swap-categories", "/keeper/activities"):
        page = client.get(path).get_data(as_text=True)
        assert "名称" in page and "姓名" not in page, path
    client.set_cookie("kiosk_lang", "zh_Hant")
    page = client.get("/keeper/services").get_data(as_text=True)
    assert "名稱" in page and "姓名" not in page


@pytest.mark.parametrize("path", ["/keeper/services", "/keeper/swap-categories", "/keeper/suggestion-categories"])
def test_a_keeper_adding_a_tile_with_a_name_taken_or_no_name_is_told_so(app, client, keeper_id, path):
    client.set_cookie("kiosk_lang", "zh_Hans")
    assert sign_in(client).status_code == 303
    before = client.get(path).get_data(as_text=True).count('name="name"')
    taken = {"/keeper/services": "歇歇脚", "/keeper/swap-categories": "书籍", "/keeper/suggestion-categories": "环境卫生"}
    r = post(client, path, {"name": taken[path]})
    assert r.status_code == 422 and "已经有这个名称了" in r.get_data(as_text=True)
    r = post(client, path, {"name": "  "})
    assert r.status_code == 422 and "请填写名称" in r.get_data(as_text=True) and "姓名" not in r.get_data(as_text=True)
    assert client.get(path).get_data(as_text=True).count('name="name"') == before


def _seen(page: str) -> str:
    return re.search(r'name="seen"[^>]*value="([^"]*)"', page).group(1)


def test_a_save_from_a_volunteer_form_opened_before_another_keepers_change_is_refused(app, keeper):
    """Two tablets open volunteer 4: the second saves a new mobile and skills; the first, still
    showing the old ones, changes only the birth year. Saving it would quietly undo the second."""
    keeper.set_cookie("kiosk_lang", "en")
    other = app.test_client()
    other.set_cookie("kiosk_lang", "en")
    assert sign_in(other).status_code == 303
    with app.app_context():
        v = db.session.get(Volunteer, 4)
        name, mobile = v.name, v.mobile
    first_seen = _seen(keeper.get("/keeper/volunteers/4/edit").get_data(as_text=True))
    second_seen = _seen(other.get("/keeper/volunteers/4/edit").get_data(as_text=True))
    assert post(other, "/keeper/volunteers/4/edit", {"name": name, "mobile": "13811112222", "skills": "唱歌",
                                                     "seen": second_seen}).status_code == 303
    stale = post(keeper, "/keeper/volunteers/4/edit", {"name": name, "mobile": mobile, "birth_year": "1963",
                                                       "seen": first_seen})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this record" in page
    assert 'value="13811112222"' in page and _seen(page) != first_seen  # the form as it is now
    with app.app_context():
        v = db.session.get(Volunteer, 4)
        assert (v.mobile, v.skills, v.birth_year) == ("13811112222", ["唱歌"], None)
    again = post(keeper, "/keeper/volunteers/4/edit", {"name": name, "mobile": "13811112222", "skills": "唱歌",
                                                       "birth_year": "1963", "seen": _seen(page)})
    assert again.status_code == 303



@pytest.mark.parametrize("seen", ["印章" * 12, "x" * 24 + "é"])
def test_a_stamp_no_page_made_is_refused_like_a_stale_one(app, keeper, seen):
    """A hand-made post whose stamp holds characters beyond ASCII (hmac.compare_digest refuses to
    compare such strings): the record as stored and 409, never a 500."""
    keeper.set_cookie("kiosk_lang", "en")
    before = state(app)
    r = post(keeper, "/keeper/volunteers/4/edit", {"name": "改了名", "mobile": "13800138004", "seen": seen})
    assert r.status_code == 409 and "Someone else changed this record" in r.get_data(as_text=True)
    assert state(app) == before

def test_a_save_from_a_session_form_opened_before_another_keepers_change_is_refused(app, keeper, forgotten_session):
    keeper.set_cookie("kiosk_lang", "en")
    other = app.test_client()
    other.set_cookie("kiosk_lang", "en")
    assert sign_in(other).status_code == 303
    path = f"/keeper/sessions/{forgotten_session}/edit"
    first_seen = _seen(keeper.get(path).get_data(as_text=True))
    second_seen = _seen(other.get(path).get_data(as_text=True))
    assert post(other, path, {"checked_in_at": "2026-11-21T09:00", "checked_out_at": "2026-11-21T15:00",
                              "seen": second_seen}).status_code == 303
    stale = post(keeper, path, {"checked_in_at": "2026-11-21T09:00", "checked_out_at": "2026-11-21T10:00",
                                "seen": first_seen})
    page = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this record" in page and 'value="2026-11-21T15:00"' in page
    with app.app_context():
        session = db.session.get(ServiceSession, forgotten_session)
        assert (session.checked_out_at - session.checked_in_at).total_seconds() == 6 * 3600


def test_a_keeper_on_a_district_page_is_told_it_is_for_administrators(app, client, keeper_id):
    client.set_cookie("kiosk_lang", "zh_Hans")
    assert sign_in(client).status_code == 303
    r = client.get("/keeper/reports/district")
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "管理员" in page and "登录" not in page.split("<main", 1)[1]


# A label the template ends with a colon: Chinese wants the full-width one, English ": ".
HALF_WIDTH_AFTER_CHINESE = re.compile(r"[\u4e00-\u9fff]\s*:")


@pytest.mark.parametrize("lang, headings", [
    ("zh_Hans", ["累计服务时长：", "积分：", "星级："]),
    ("zh_Hant", ["累計服務時數：", "積分：", "星級："]),
    ("en", ["Hours served: ", "Points: ", "Stars: "]),
])
def test_headings_on_the_volunteer_page_use_the_languages_colon(app, keeper, lang, headings):
    keeper.set_cookie("kiosk_lang", lang)
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    for heading in headings:
        assert heading in text, heading
    assert not HALF_WIDTH_AFTER_CHINESE.search(text), HALF_WIDTH_AFTER_CHINESE.search(text)


def test_a_rejected_import_row_says_why_with_a_full_width_colon(app, keeper):
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    text = re.sub(r"<[^>]+>", "", upload(keeper, IMPORT_CSV.encode("utf-8")).get_data(as_text=True))
    assert "未导入：" in text and not HALF_WIDTH_AFTER_CHINESE.search(text)


# --- A row that would give a registered volunteer another name ----------------------------------
# The tester's roster: 13800138001 is 张晓华's mobile (0001, born 1958), typed onto 孙悟空's row.

TYPO_ROSTER = ("序号,姓名,联系电话,出生日期,所属队伍,备注\r\n"
               "5,孙悟空,13800138001,1950-05-05,党旗红,\r\n"
               "6,李桂英,13800138002,1956-01-01,暖心橙、新队伍,\r\n")


def import_text(page: str) -> str:
    return html.unescape(re.search(r'<textarea name="text" hidden>(.*?)</textarea>', page, re.S).group(1))


def row_cells(page: str, status: str) -> list[str]:
    row = re.search(rf'<tr class="import-{status}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def test_the_preview_marks_a_row_that_would_rename_a_volunteer_and_shows_old_and_new(app, keeper):
    before = state(app)
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    r = upload(keeper, TYPO_ROSTER.encode("gb18030"))
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert page.count('class="import-rename"') == 1 and page.count('class="import-update"') == 1
    line, name, mobile, born, teams, result = row_cells(page, "rename")
    assert (line, name, born, teams) == ("2", "张晓华 → 孙悟空", "1958 → 1950", "党旗红")
    assert mobile == "13800138001"
    # Its tick is inside the confirm form, unticked, naming the line and the volunteer it was shown for.
    form = re.search(r'<form method="post" action="/keeper/volunteers/import/confirm".*?</form>', page, re.S).group(0)
    assert re.search(r'<input type="checkbox" name="rename" value="2-1"(?! checked)[^>]*>', form)
    # The plain update shows what it changes too.
    _line, name, _mobile, born, teams, _result = row_cells(page, "update")
    assert (name, born, teams) == ("李桂英", "1955 → 1956", "暖心橙 → 暖心橙、新队伍")
    text = re.sub(r"<[^>]+>", "", page)
    assert not HALF_WIDTH_AFTER_CHINESE.search(text), HALF_WIDTH_AFTER_CHINESE.search(text)
    assert state(app) == before


def test_an_unticked_rename_row_is_not_imported_and_the_keeper_is_told(app, keeper):
    keeper.set_cookie("kiosk_lang", "en")
    page = upload(keeper, TYPO_ROSTER.encode("utf-8")).get_data(as_text=True)
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page)})
    assert r.status_code == 200
    with app.app_context():
        zhang = db.session.get(Volunteer, 1)
        assert (zhang.name, zhang.birth_year, zhang.number) == ("张晓华", 1958, "0001")
        assert [t.name for t in zhang.teams] == ["党旗红"]
        assert db.session.scalar(select(Volunteer).where(Volunteer.mobile == "13800138002")).birth_year == 1956
        assert not [e for e in db.session.scalars(select(AuditEvent)) if e.volunteer_id == 1]
    done = r.get_data(as_text=True)
    assert "Done: 0 new, 1 updated, 0 already up to date, 1 skipped." in done
    held = re.search(r'<p class="flash import-held-back" role="status">([^<]*)</p>', done).group(1)
    assert "1" in held and "name" in held


def test_a_ticked_rename_row_is_imported_and_shown_on_the_volunteers_page(app, keeper):
    page = upload(keeper, TYPO_ROSTER.encode("utf-8")).get_data(as_text=True)
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page), "rename": ["2-1"]})
    assert r.status_code == 200
    assert 'import-held-back' not in r.get_data(as_text=True)
    with app.app_context():
        zhang = db.session.get(Volunteer, 1)
        assert (zhang.name, zhang.birth_year, zhang.number) == ("孙悟空", 1950, "0001")
        (event,) = [e for e in db.session.scalars(select(AuditEvent)) if e.volunteer_id == 1]
        assert event.after == {"changed": ["name", "birth_year"]}, "which details, never their values"
    assert "修改了资料（导入）" in keeper.get("/keeper/volunteers/1").get_data(as_text=True)


@pytest.mark.parametrize("ticks", [["3-1"], ["2-2"], ["2"], [""], ["x" * 5000], ["2-1\x00"], ["2-1 "], ["-1"]])
def test_ticks_that_do_not_match_the_row_rename_nobody(app, keeper, ticks):
    page = upload(keeper, TYPO_ROSTER.encode("utf-8")).get_data(as_text=True)
    r = post(keeper, "/keeper/volunteers/import/confirm", {"text": import_text(page), "rename": ticks})
    assert r.status_code == (400 if "\x00" in ticks[0] else 200), "no person types NUL: refused for every form"
    assert (volunteer(app).name, volunteer(app).birth_year) == ("张晓华", 1958)


def test_an_open_typed_check_in_is_on_duty_on_the_review_page_with_nothing_to_confirm(app, keeper):
    """Volunteer 1 typed their number at 09:00 and is still on duty at 10:00."""
    with app.app_context():
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=START, check_in_method="manual",
                                      needs_review=True))
        db.session.commit()
        [s] = db.session.scalars(select(ServiceSession)).all()
        session_id = s.id
    keeper.set_cookie("kiosk_lang", "en")
    page = keeper.get("/keeper/review").get_data(as_text=True)
    summary = page.split('id="confirm-hours"', 1)[1]
    assert re.search(r"<td[^>]*>2026-11-22</td><td>0</td><td>0</td><td>1</td>", summary)
    listing = page.split('id="confirm-hours"', 1)[0]
    assert "张晓华" in listing and f"/keeper/sessions/{session_id}/confirm" not in listing
    r = post(keeper, f"/keeper/sessions/{session_id}/confirm")
    assert r.status_code == 422 and "still on duty" in r.get_data(as_text=True)
    [s] = sessions(app)
    assert s.needs_review and s.confirmed_at is None and events(app) == []


@pytest.mark.parametrize("q, found", [
    ("張曉華", "张晓华"),            # a 繁體 keyboard finds a name registered in 简体
    ("陈大文", "陳大文"),            # and the other way round
    ("李华", "李 华"),              # a space stored inside a Chinese name (registered before they were dropped)
    ("李 华", "李 华"),              # or typed in the search does not hide it
    ("阿卜杜热合曼买买提艾力", "阿卜杜热合曼·买买提艾力"),  # nor the dot between a name's parts
    ("阿卜杜热合曼 · 买买提艾力", "阿卜杜热合曼·买买提艾力"),
    ("chen da wen", "Chen Da-Wen"),
])
def test_the_volunteer_search_finds_a_name_however_it_is_written(app, keeper, station, q, found):
    with app.app_context():
        here = db.session.get(Station, station)
        for name, mobile in (("陳大文", "13700000011"), ("李 华", "13700000012"),
                             ("阿卜杜热合曼·买买提艾力", "13700000013"), ("Chen Da-Wen", "13700000014")):
            register_volunteer(here, name=name, mobile=mobile).name = name  # as stored before names were cleaned
        db.session.commit()
    page = keeper.get("/keeper/volunteers", query_string={"q": q}).get_data(as_text=True)
    assert found in html.unescape(page), q
    assert "王建国" not in page  # still a search, not the whole list


def test_a_link_saying_new_to_a_badge_never_reissued_says_nothing_of_a_new_one(app, keeper, clock):
    # ?new=1 typed or bookmarked: "the old card can no longer check in" would be untrue.
    keeper.set_cookie("kiosk_lang", "en")
    assert NEW_BADGE_MESSAGE not in html.unescape(keeper.get("/keeper/volunteers/2/badge?new=1").get_data(as_text=True))
    _page, seen = confirm_new_badge_page(keeper)
    post(keeper, "/keeper/volunteers/1/badge", {"seen": seen})
    assert NEW_BADGE_MESSAGE in html.unescape(keeper.get("/keeper/volunteers/1/badge?new=1").get_data(as_text=True))
    clock.advance(hours=1)  # the same link opened again later
    assert NEW_BADGE_MESSAGE not in html.unescape(keeper.get("/keeper/volunteers/1/badge?new=1").get_data(as_text=True))


# --- How keepers' changes read --------------------------------------------------------------------


def test_changes_and_points_lines_read_in_sentence_case_in_english(app, keeper):
    """Probe: "gave or took points", "put on the honor roll", "bonus · 表揚" read as fragments on
    the English page. The reason (表揚) is what the keeper typed, and stays as typed."""
    keeper.set_cookie("kiosk_lang", "en")
    token = csrf_token(keeper, "/keeper/volunteers/1")
    assert keeper.post("/keeper/volunteers/1/points", data={"amount": "5", "reason": "表揚", "csrf_token": token,
                                                             "once": "ab" * 16}).status_code == 303
    assert keeper.post("/keeper/honor", data={"number": "1", "note": "最美志愿者",
                                              "csrf_token": csrf_token(keeper, "/keeper/honor")}).status_code == 303
    page = html.unescape(keeper.get("/keeper/volunteers/1").get_data(as_text=True))
    assert ">Gave or took points<" in page and ">Put on the honor roll<" in page
    assert ">Bonus · 表揚<" in page and "bonus ·" not in page
    keeper.set_cookie("kiosk_lang", "zh_Hans")  # Chinese as it was
    page = keeper.get("/keeper/volunteers/1").get_data(as_text=True)
    assert ">奖励 · 表揚<" in page and ">调整了积分<" in page
