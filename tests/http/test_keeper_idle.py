"""A keeper page left alone on the station's kiosk tablet ends that tablet's sign-in on the server
too, not only in the page's script: a keeper request more than the keeper idle time after that
keeper's previous request on that tablet goes to the sign-in page with a short message. The
keeper's other devices, and other tablets, are untouched. Time moves with the test clock."""

from urllib.parse import parse_qs, urlsplit

import pytest

from kiosk.people.keepers import keeper_idle_seconds

from tests.conftest import HX, csrf_token, set_up_as_kiosk
from tests.http.conftest import PASSWORD

AWAY = "You were away for a while, so this tablet signed you out. Please sign in again."


@pytest.fixture
def limit(app) -> int:
    return keeper_idle_seconds(app.config)


def signed_in(app, kiosk=False, remember=False):
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    if kiosk:
        set_up_as_kiosk(app, client)
    data = {"username": "keeper", "password": PASSWORD, "csrf_token": csrf_token(client, "/keeper/login")}
    if remember:
        data["remember"] = "y"
    assert client.post("/keeper/login", data=data).status_code == 303
    return client


def to_sign_in(response) -> dict:
    """Where a refused keeper request was sent: the sign-in page's query, or fail."""
    target = response.headers.get("HX-Redirect") or response.headers.get("Location")
    assert target, (response.status_code, dict(response.headers))
    parts = urlsplit(target.strip('"') if not target.startswith("{") else __import__("json").loads(target)["path"])
    assert parts.path == "/keeper/login", target
    return parse_qs(parts.query)


def test_the_keeper_idle_time_is_a_few_minutes_and_never_shorter_than_the_screens_own(app, limit):
    assert limit >= 180
    assert limit >= app.config["IDLE_SECONDS"] + max(app.config["IDLE_WARNING_SECONDS"], 20)


def test_a_keeper_request_after_the_idle_time_on_the_kiosk_signs_that_tablet_out(app, clock, keeper_id, limit):
    kiosk, own = signed_in(app, kiosk=True), signed_in(app)
    assert kiosk.get("/keeper/volunteers").status_code == 200
    assert own.get("/keeper/volunteers").status_code == 200
    clock.advance(seconds=limit + 1)
    r = kiosk.get("/keeper/volunteers")
    assert r.status_code == 303
    assert to_sign_in(r) == {"next": ["/keeper/volunteers?"], "idle": ["1"]}
    assert AWAY in kiosk.get(r.headers["Location"]).get_data(as_text=True)
    assert kiosk.get("/keeper/volunteers").status_code == 303  # signed out on this tablet
    # The keeper's own tablet, idle just as long, is no kiosk: it stays signed in.
    assert own.get("/keeper/volunteers").status_code == 200


def test_each_keeper_request_starts_the_idle_time_again(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True)
    for _ in range(4):
        clock.advance(seconds=limit - 1)
        assert kiosk.get("/keeper/volunteers").status_code == 200
    clock.advance(seconds=limit)  # exactly the idle time is still in
    assert kiosk.get("/keeper/suggestions").status_code == 200


def test_the_idle_time_counts_from_signing_in(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True)
    clock.advance(seconds=limit + 1)
    assert kiosk.get("/keeper/volunteers").status_code == 303


def test_a_background_refresh_does_not_keep_the_kiosk_signed_in(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True)
    assert kiosk.get("/keeper/today").status_code == 200
    polls = []
    for _ in range(3):
        clock.advance(seconds=limit // 2)
        polls.append(kiosk.get("/keeper/today/live", headers=HX))
    assert [p.status_code for p in polls[:2]] == [200, 200] and "HX-Redirect" not in polls[1].headers
    # The third poll comes more than the idle time after the last thing the keeper did: it takes
    # the page to the sign-in page itself (htmx cannot see a redirect).
    assert polls[2].status_code == 200 and to_sign_in(polls[2])["idle"] == ["1"]
    assert kiosk.get("/keeper/volunteers").status_code == 303


def test_an_htmx_request_after_the_idle_time_goes_to_sign_in_through_hx_redirect(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True)
    clock.advance(seconds=limit + 1)
    r = kiosk.get("/keeper/volunteers?q=张", headers=HX)
    assert r.status_code == 200 and to_sign_in(r)["idle"] == ["1"]
    assert r.get_data(as_text=True) == ""


def test_a_background_refresh_after_the_idle_time_returns_to_its_page_after_sign_in(app, clock, keeper_id, limit):
    """The page a poll is part of, as htmx names it: never the poll's own address (a bare fragment)."""
    kiosk = signed_in(app, kiosk=True)
    clock.advance(seconds=limit + 1)
    r = kiosk.get("/keeper/today/live?day=2026-11-22", headers={**HX, "HX-Current-URL": "http://localhost/keeper/today"})
    assert to_sign_in(r)["next"] == ["/keeper/today"]


def test_a_change_sent_after_the_idle_time_is_not_made(app, clock, keeper_id, limit):
    from sqlalchemy import select

    from kiosk.core.extensions import db
    from kiosk.people.models import Volunteer

    kiosk = signed_in(app, kiosk=True)
    with app.app_context():
        volunteer_id = db.session.scalar(select(Volunteer.id).where(Volunteer.name == "张晓华"))
    page = f"/keeper/volunteers/{volunteer_id}"
    token = csrf_token(kiosk, page)
    clock.advance(seconds=limit + 1)
    r = kiosk.post(f"/keeper/volunteers/{volunteer_id}/active", data={"csrf_token": token, "active": "0"},
                   headers={"Referer": f"http://localhost{page}"})
    # Not saved, and said so; after signing in, back to the form's page, where forms.js puts back
    # what had been typed (tests/browser/test_unsaved_forms.py).
    assert r.status_code == 303 and to_sign_in(r) == {"next": [page], "idle": ["1"], "unsaved": ["1"]}
    login = kiosk.get(r.headers["Location"]).get_data(as_text=True)
    assert AWAY in login and "data-unsaved" in login
    with app.app_context():
        assert db.session.get(Volunteer, volunteer_id).active is True
    again = {"username": "keeper", "password": PASSWORD, "csrf_token": csrf_token(kiosk, r.headers["Location"])}
    assert kiosk.post(r.headers["Location"], data=again).headers["Location"] == page


def test_a_keeper_typing_on_the_kiosk_stays_signed_in_however_long_the_typing(app, clock, keeper_id, limit):
    """Typing sends nothing, so the page itself tells the server someone is there (kiosk.js, at
    most every few seconds while keys or taps come): a long reply is saved, not refused as idle."""
    from sqlalchemy import select

    from kiosk.core.extensions import db
    from kiosk.people.models import Volunteer

    kiosk = signed_in(app, kiosk=True)
    with app.app_context():
        volunteer_id = db.session.scalar(select(Volunteer.id).where(Volunteer.name == "张晓华"))
    token = csrf_token(kiosk, f"/keeper/volunteers/{volunteer_id}")
    for _ in range(4):
        clock.advance(seconds=limit // 2)
        r = kiosk.get("/keeper/still-here")
        assert r.status_code == 204 and r.get_data() == b""
    r = kiosk.post(f"/keeper/volunteers/{volunteer_id}/active", data={"csrf_token": token, "active": "0"})
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path != "/keeper/login"
    with app.app_context():
        assert db.session.get(Volunteer, volunteer_id).active is False


def test_saying_someone_is_there_does_not_bring_an_idle_kiosk_back(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True, remember=True)
    clock.advance(seconds=limit + 1)
    r = kiosk.get("/keeper/still-here")
    assert r.status_code == 303 and to_sign_in(r)["idle"] == ["1"]
    assert kiosk.get("/keeper/volunteers").status_code == 303
    # Nor does it sign anyone in: signed out, it is sent to the sign-in page like any keeper page.
    assert app.test_client().get("/keeper/still-here").status_code in (302, 303)


def test_keep_me_signed_in_does_not_bring_an_idle_kiosk_back(app, clock, keeper_id, limit):
    kiosk = signed_in(app, kiosk=True, remember=True)
    clock.advance(seconds=limit + 1)
    assert kiosk.get("/keeper/volunteers").status_code == 303
    assert kiosk.get("/keeper/volunteers").status_code == 303  # the remembered sign-in went too


def test_leaving_the_kiosk_ends_a_kept_sign_in_too(app, keeper_id):
    kiosk = signed_in(app, kiosk=True, remember=True)
    r = kiosk.post("/keeper/leave", headers={"X-CSRFToken": csrf_token(kiosk, "/keeper/volunteers")})
    assert r.status_code == 303
    assert kiosk.get("/keeper/volunteers").status_code == 303


def test_only_a_keeper_page_on_the_kiosk_tells_the_server_someone_is_there(app, keeper_id):
    """Residents tapping the kiosk's own screens, a keeper still signed in there, are not the keeper
    at work: those screens do not keep the keeper's sign-in going on the server."""
    kiosk, own = signed_in(app, kiosk=True), signed_in(app)
    assert 'data-still-here-url="/keeper/still-here"' in kiosk.get("/keeper/volunteers").get_data(as_text=True)
    assert "data-still-here-url" not in kiosk.get("/").get_data(as_text=True)
    assert "data-still-here-url" not in kiosk.get("/suggest/").get_data(as_text=True)
    assert "data-still-here-url" not in own.get("/keeper/volunteers").get_data(as_text=True)  # no idle sign-out there
