"""Hostile input everywhere: every state-changing endpoint, found in the app's URL map (a new one is
covered without editing this file), gets generated form data — wrong types, huge values, control
characters, script and SQL payloads, odd encodings — as a signed-in keeper and as a stranger.
Never a 5xx, and a request that is refused (4xx) changes nothing in the database."""

import re
import secrets
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from flask import url_for
from sqlalchemy import select

from kiosk import create_app
from kiosk.core.extensions import db
from kiosk.core.web import IdConverter
from kiosk.people.demo import load_demo_station
from kiosk.people.models import Keeper
from kiosk.swap.shelf import bring_item, categories
from tests.conftest import CSRF_INPUT, START, make_app
from tests.http.conftest import PASSWORD, sign_in

ROOT = Path(__file__).resolve().parents[2]
# Every field name any form of the app sends, read from the templates and routes themselves.
FIELD_NAMES = re.compile(r'name="([a-z_]+)"|form\.get(?:list)?\("([a-z_]+)"|^\s+([a-z_]+) = \w*Field\(', re.M)
FIELDS = sorted({name for path in (ROOT / "kiosk").rglob("*") if path.suffix in (".html", ".py")
                 for found in FIELD_NAMES.findall(path.read_text()) for name in found if name} - {"csrf_token"})
# Counting a refused try is the point of these: a wrong password or phone code, a lookup that
# found nobody. They may change on a refusal; nothing else may.
COUNTED = {"rate_event", "sign_in_attempt"}
COUNTED_COLUMNS = {("volunteer", "phone_code_tries")}
# Signing out would end the keeper's own session halfway through the run.
NOT_FOR_THE_KEEPER = {"auth.logout", "auth.leave"}

NASTY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200),
    st.sampled_from(["", " ", "0", "-1", "1e309", "999999999999999999999", "NaN", "true", "[]", "{}",
                     "' OR 1=1 --", "1; DROP TABLE volunteer", "<script>alert(1)</script>", "\u202e\u200b",
                     "%00", "../../etc/passwd", "J-0001", "S-ABCDEF", "13800138001", "2026-11-22T09:00", "zh_Hant",
                     "张" * 3000, "x" * 70000, "\ufeff\u3000", "é" * 10]),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
)
# Values a real form would send, so that generated forms also get past the first check and reach
# the rules behind it; each field gets one of these or something hostile, or is left out.
PLAUSIBLE = {"tap_id": "ab" * 16, "once": "cd" * 16, "method": "scanner", "category": "1", "condition": "good",
             "status": "resolved", "reason": "donated", "active": "0", "refused": "1", "lang": "en",
             "service_id": "1", "volunteer_id": "1", "entered": "0001", "code": "J-0001", "title": "旧书",
             "text": "路灯坏了", "name": "王五", "mobile": "13900001111", "public_reply": "已修好",
             "checked_in_at": "2026-11-22T08:00", "at": "2026-11-22T08:30", "username": "keeper"}


# Numbers as people and scripts type them: other scripts' digits, too large for the database, …
NUMBER_SAMPLES = ["-1", "²", "١٢", "99999999999999999999"]
NUMBERS = st.sampled_from(NUMBER_SAMPLES)
ID_FIELDS = {"category", "service_id", "volunteer_id", "station_id", "birth_year", "teams", "number"}


def value_for(name: str):
    hostile = st.one_of(NUMBERS, NUMBERS, NUMBERS, NASTY) if name in ID_FIELDS else \
        st.one_of(NASTY, st.lists(NASTY, max_size=3))
    return st.one_of(st.just(PLAUSIBLE[name]), hostile) if name in PLAUSIBLE else hostile


# A plausible form with one to four fields made hostile: it reaches the rules behind the first check.
FORMS = st.dictionaries(st.sampled_from(FIELDS), st.deferred(lambda: st.one_of(NUMBERS, NASTY, st.lists(NASTY, max_size=3))),
                        min_size=1, max_size=4).map(lambda hostile: {**PLAUSIBLE, **hostile})


def fresh(form: dict) -> dict:
    """One-time tokens as a new page would carry them, so a resend does not stand for the form."""
    return {**form, **{k: secrets.token_hex(16) for k in ("once", "tap_id") if form.get(k) == PLAUSIBLE[k]}}


def state_changing_endpoints():
    """(endpoint, who) for every rule that takes a POST, as the keeper and as a stranger."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": "/tmp/kiosk-hostile-url-map"})
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if rule.endpoint != "static" and "POST" in rule.methods:
            for who in ("keeper", "stranger"):
                if not (who == "keeper" and rule.endpoint in NOT_FOR_THE_KEEPER):
                    found.append(pytest.param(rule.endpoint, who, id=f"{rule.endpoint}-{who}"))
    return found


def url_for_rule(app, endpoint: str) -> str:
    """The endpoint's URL with a real record in it: id 1, or the first swap item's label."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {arg: 1 if isinstance(rule._converters[arg], IdConverter) else "J-0001" for arg in rule.arguments}
    with app.test_request_context():
        return url_for(endpoint, **values)


def snapshot(app) -> dict:
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            if table.name in COUNTED:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in COUNTED_COLUMNS]
            rows = db.session.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            tables[table.name] = [tuple(map(repr, row)) for row in rows]
        db.session.remove()
        return tables


@pytest.fixture
def station_app(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        station, _keeper, _password = load_demo_station()
        db.session.scalar(select(Keeper)).set_password(PASSWORD)
        # Something on the shelf, so the item pages have a J-0001 to act on.
        bring_item(station, title="旧书", category_id=categories(station)[0].id, condition="good", photo=None,
                   contact=None, now=START)
        db.session.commit()
        db.session.remove()
    return app


def token_of(client, path: str) -> str:
    return CSRF_INPUT.search(client.get(path).get_data(as_text=True)).group(1)


def browser_of(app, who: str):
    """A client signed in as the keeper or a stranger's, reading English, and its CSRF token."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    if who == "keeper":
        assert sign_in(client).status_code == 303
        return client, token_of(client, "/keeper/volunteers/new")
    return client, token_of(client, "/")


@pytest.mark.parametrize("endpoint, who", state_changing_endpoints())
def test_generated_forms_never_break_a_page_and_refusals_store_nothing(station_app, endpoint, who):
    app = station_app
    client, token = browser_of(app, who)
    url = url_for_rule(app, endpoint)

    @settings(max_examples=10, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(form=FORMS, with_token=st.booleans(), htmx=st.booleans())
    def send(form, with_token, htmx):
        data = {**fresh(form), **({"csrf_token": token} if with_token else {})}
        before = snapshot(app)
        response = client.post(url, data=data, headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code < 500, (endpoint, data, response.get_data(as_text=True)[:500])
        if response.status_code >= 400:
            assert snapshot(app) == before, (endpoint, response.status_code, data)

    send()


@pytest.mark.parametrize("endpoint, who", state_changing_endpoints())
def test_every_number_field_takes_any_number_a_person_or_script_types(station_app, endpoint, who):
    """The plausible form, with each number-like field in turn set to each odd number."""
    app = station_app
    client, token = browser_of(app, who)
    url = url_for_rule(app, endpoint)
    for field in sorted(ID_FIELDS | {"entered", "code"}):
        for number in NUMBER_SAMPLES:
            data = {**fresh(PLAUSIBLE), field: number, "csrf_token": token}
            before = snapshot(app)
            response = client.post(url, data=data, headers={"HX-Request": "true"})
            assert response.status_code < 500, (endpoint, field, number)
            if response.status_code >= 400:
                assert snapshot(app) == before, (endpoint, field, number, response.status_code)
