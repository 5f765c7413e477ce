"""Error pages reached from a keeper page lead back into the keeper pages, without the kiosk's
idle countdown; an expired form on a keeper page sends the keeper back to it to try again."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.walkins.models import WalkInService
from tests.conftest import HX, csrf_token, set_up_as_kiosk
from tests.http.test_suggestions import category_id, stored

HOST = "http://localhost"


def back_link(page: str) -> str:
    match = re.search(r'<a class="button button-primary button-huge" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert match, "the error page should have its one big button"
    return match.group(1)


def services(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WalkInService))


def test_a_keeper_page_not_found_leads_to_the_keeper_pages_without_the_kiosk_countdown(keeper):
    r = keeper.get("/keeper/no-such-page")
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and "Page not found" in page
    assert back_link(page) == "/keeper/today" and "Back to the keeper pages" in page
    assert "data-idle-seconds" not in page and "idle-warning" not in page


def test_a_keeper_page_not_found_leads_back_to_the_page_the_keeper_came_from(keeper):
    r = keeper.get("/keeper/volunteers/999999", headers={"Referer": HOST + "/keeper/volunteers?q=王"})
    page = r.get_data(as_text=True)
    assert r.status_code == 404 and back_link(page) == "/keeper/volunteers?q=王" and ">Back<" in page
    assert "data-idle-seconds" not in page


def test_a_referrer_on_another_site_is_not_followed(keeper):
    page = keeper.get("/keeper/no-such-page", headers={"Referer": "https://evil.example/keeper/today"}).get_data(
        as_text=True)
    assert back_link(page) == "/keeper/today"


def test_a_kiosk_page_not_found_still_goes_back_to_the_kiosk_start(client, station):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert back_link(page) == "/" and "data-idle-seconds" in page


def test_an_expired_form_on_a_keeper_page_goes_back_to_it_with_a_message(app, keeper):
    before = services(app)
    r = keeper.post("/keeper/services", data={"csrf_token": "expired", "name": "理发"},
                    headers={"Referer": HOST + "/keeper/services"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/services"
    assert services(app) == before
    page = keeper.get("/keeper/services").get_data(as_text=True)
    assert "This page had been open too long, so what you sent was not saved. Please try again." in page
    assert "had been open too long" not in keeper.get("/keeper/services").get_data(as_text=True)  # said once


def test_an_expired_htmx_form_on_a_keeper_page_reloads_the_page(app, keeper):
    r = keeper.post("/keeper/services", data={"name": "理发"},
                    headers={**HX, "X-CSRFToken": "expired", "HX-Current-URL": HOST + "/keeper/services"})
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/keeper/services"


def test_an_expired_form_without_a_page_to_go_back_to_goes_to_the_keeper_pages(keeper):
    r = keeper.post("/keeper/services", data={"csrf_token": "expired", "name": "理发"})
    assert r.status_code == 303 and r.headers["Location"] == "/keeper/today"


def test_an_expired_form_of_a_keeper_no_longer_signed_in_goes_to_sign_in(app, client, keeper_id):
    client.set_cookie("kiosk_lang", "en")
    r = client.post("/keeper/services", data={"csrf_token": "expired", "name": "理发"},
                    headers={"Referer": HOST + "/keeper/services"})
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/keeper/login"


def test_an_expired_form_on_the_kiosk_still_gets_the_kiosk_page(client, station):
    r = client.post("/language", data={"lang": "en"})
    assert r.status_code == 400 and "页面已过期" in r.get_data(as_text=True)


# --- Signed out elsewhere, then a form is sent ------------------------------------------------


def test_a_form_sent_after_signing_out_elsewhere_says_why_and_returns_to_the_form_after_sign_in(app, keeper_id):
    from tests.http.conftest import sign_in

    tablet, phone = app.test_client(), app.test_client()
    for device in (tablet, phone):
        device.set_cookie("kiosk_lang", "en")
        assert sign_in(device).status_code == 303
    token = csrf_token(tablet, "/keeper/volunteers/new")
    phone.post("/keeper/logout", data={"csrf_token": csrf_token(phone, "/keeper/today")})  # ends every sign-in
    r = tablet.post("/keeper/volunteers/new", data={"csrf_token": token, "name": "王五", "mobile": "13911112222"},
                    headers={"Referer": HOST + "/keeper/volunteers/new"})
    assert r.status_code == 303
    login = r.headers["Location"]
    assert urlsplit(login).path == "/keeper/login"
    page = tablet.get(login).get_data(as_text=True)
    assert "You have been signed out. Please sign in again." in page
    assert "What you entered is not saved yet. After signing in you will be back on that page with it filled in" in page
    assert sign_in(tablet, query="?" + urlsplit(login).query).headers["Location"] == "/keeper/volunteers/new"


def test_a_keeper_page_opened_after_signing_out_elsewhere_says_why(app, keeper_id):
    from tests.http.conftest import sign_in

    tablet, phone = app.test_client(), app.test_client()
    for device in (tablet, phone):
        device.set_cookie("kiosk_lang", "en")
        assert sign_in(device).status_code == 303
    phone.post("/keeper/logout", data={"csrf_token": csrf_token(phone, "/keeper/today")})
    login = tablet.get("/keeper/volunteers").headers["Location"]
    page = tablet.get(login).get_data(as_text=True)
    assert "You have been signed out. Please sign in again." in page and "What you entered was not saved" not in page


def test_a_first_visit_to_a_keeper_page_just_asks_to_sign_in(client, keeper_id):
    client.set_cookie("kiosk_lang", "en")
    page = client.get(client.get("/keeper/today").headers["Location"]).get_data(as_text=True)
    assert "Keeper sign-in" in page and "signed out" not in page


def test_an_htmx_form_sent_after_signing_out_returns_to_its_page(app, keeper_id):
    from tests.http.conftest import sign_in

    tablet, phone = app.test_client(), app.test_client()
    for device in (tablet, phone):
        assert sign_in(device).status_code == 303
    token = csrf_token(tablet, "/keeper/services")
    phone.post("/keeper/logout", data={"csrf_token": csrf_token(phone, "/keeper/today")})
    r = tablet.post("/keeper/services", data={"name": "理发"},
                    headers={**HX, "X-CSRFToken": token, "HX-Current-URL": HOST + "/keeper/services"})
    location = urlsplit(r.headers["HX-Redirect"])
    assert location.path == "/keeper/login" and parse_qs(location.query)["next"] == ["/keeper/services"]


def test_a_background_refresh_cut_off_by_a_sign_out_returns_to_its_page_not_to_the_fragment(app, keeper_id):
    """Probe: Today's live list, polled after signing out elsewhere, sent the keeper to sign in with
    the poll's own address as where to go back: after signing in the browser opened the bare
    fragment (or, answered 204, stayed on the sign-in page as if it had failed)."""
    from tests.http.conftest import sign_in

    tablet, phone = app.test_client(), app.test_client()
    for device in (tablet, phone):
        assert sign_in(device).status_code == 303
    phone.post("/keeper/logout", data={"csrf_token": csrf_token(phone, "/keeper/today")})
    r = tablet.get("/keeper/today/live?day=2026-11-22&stamp=abc",
                   headers={**HX, "HX-Current-URL": HOST + "/keeper/today?day=2026-11-22"})
    location = urlsplit(r.headers["HX-Redirect"])
    assert location.path == "/keeper/login" and parse_qs(location.query)["next"] == ["/keeper/today?day=2026-11-22"]
    assert parse_qs(location.query)["signed_out"] == ["1"]
    assert sign_in(tablet, query="?" + location.query).headers["Location"] == "/keeper/today?day=2026-11-22"


@pytest.mark.parametrize("current", [None, "http://evil.example/keeper/today", HOST + "//evil.example/x"])
def test_a_background_refresh_from_no_known_page_of_this_site_lands_on_the_keeper_pages(client, keeper_id, current):
    from tests.http.conftest import sign_in

    headers = {**HX, **({"HX-Current-URL": current} if current else {})}
    location = urlsplit(client.get("/keeper/today/live?day=2026-11-22", headers=headers).headers["HX-Redirect"])
    assert location.path == "/keeper/login" and "next" not in parse_qs(location.query)
    assert sign_in(client, query="?" + location.query).headers["Location"] == "/keeper/today"


# --- What was typed in a form that was not saved comes back (forms.js, kiosk.js) ------------------


def test_an_expired_keeper_form_marks_the_page_it_returns_to_so_the_typing_comes_back(app, keeper):
    keeper.post("/keeper/services", data={"csrf_token": "expired", "name": "理发"},
                headers={"Referer": HOST + "/keeper/services"})
    page = keeper.get("/keeper/services").get_data(as_text=True)
    assert re.search(r'<p class="flash"[^>]* data-unsaved>[^<]*had been open too long', page)
    assert "data-unsaved" not in keeper.get("/keeper/services").get_data(as_text=True)


def test_a_failed_sign_in_still_says_the_form_sent_before_was_not_saved(app, client, keeper_id):
    """The sign-in page after an unsaved form keeps saying so (and marked, data-unsaved) when a
    password is mistyped, so what was typed in that form still comes back after signing in."""
    page = client.get("/keeper/login?next=/keeper/services&unsaved=1").get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(action).query) == {"next": ["/keeper/services"], "unsaved": ["1"]}
    r = client.post(action, data={"csrf_token": csrf_token(client, "/keeper/login"), "username": "keeper",
                                  "password": "wrong"})
    assert r.status_code in (401, 422) and "data-unsaved" in r.get_data(as_text=True)


def test_a_forms_answer_is_marked_so_a_language_switch_keeps_all_that_was_filled_in(app, client, keeper_id):
    r = client.post("/keeper/login", data={"csrf_token": csrf_token(client, "/keeper/login"), "username": "keeper",
                                          "password": "wrong"})
    assert re.search(r"<body[^>]* data-answer", r.get_data(as_text=True))
    assert not re.search(r"<body[^>]* data-answer", client.get("/keeper/login").get_data(as_text=True))


def test_a_kiosk_form_whose_token_no_longer_holds_keeps_the_screen_and_gets_a_new_token(app, station):
    """The tablet's session was renewed or lost while a resident typed: nothing is saved, the screen
    is not replaced (what was typed stays), and the answer carries a new token for the next tap."""
    tablet = app.test_client()
    set_up_as_kiosk(app, tablet)
    tablet.get("/suggest/")
    r = tablet.post("/suggest/", data={"csrf_token": "expired", "text": "楼道灯坏了"}, headers=HX)
    assert r.status_code == 400 and r.headers["HX-Reswap"] == "none" and "HX-Retarget" not in r.headers
    renewed = json.loads(r.headers["HX-Trigger"])["kiosk:renewed"]
    assert renewed["message"] == "刚才的没有存上：这个页面开得太久了。现在已经准备好，请再点一次。"
    assert len(stored(app)) == 0
    r = tablet.post("/suggest/", data={"csrf_token": renewed["token"], "text": "楼道灯坏了",
                                       "category": str(category_id(app))}, headers=HX)
    assert r.status_code == 200 and "data-tracking" in r.get_data(as_text=True)
    assert len(stored(app)) == 1


def test_another_sites_form_gets_no_new_token(app, client, station):
    """Only htmx, which only this site's pages can send as, gets a token back: another site's form
    posting to the kiosk gets the plain expired page."""
    r = client.post("/suggest/", data={"csrf_token": "expired", "text": "x"})
    assert r.status_code == 400 and "HX-Trigger" not in r.headers and "页面已过期" in r.get_data(as_text=True)


# --- An error on a person's own phone is not a kiosk screen -----------------------------------------


def test_an_error_on_a_residents_phone_has_no_kiosk_countdown_and_leads_back_to_its_page(app, client, station):
    """It counted down to the kiosk's start and offered "back to start" (the kiosk's home) on a phone."""
    r = client.post("/suggest/phone?station=demo", data={"csrf_token": "expired", "text": "x"},
                    headers={"Referer": HOST + "/suggest/phone?station=demo"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "页面已过期" in page and "请回到刚才的页面再试一次" in page
    assert "data-idle-seconds" not in page and "idle-warning" not in page
    assert back_link(page) == "/suggest/phone?station=demo"
    page = client.post("/suggest/phone?station=demo", data={"csrf_token": "expired"}).get_data(as_text=True)
    assert "data-idle-seconds" not in page and 'href="/"' not in page.split("<main", 1)[1]  # no page known: none


def test_the_same_error_on_the_stations_kiosk_tablet_is_a_kiosk_screen(app, client, station):
    set_up_as_kiosk(app, client)
    page = client.post("/suggest/phone?station=demo", data={"csrf_token": "expired", "text": "x"}).get_data(as_text=True)
    assert "data-idle-seconds" in page and back_link(page) == "/"
