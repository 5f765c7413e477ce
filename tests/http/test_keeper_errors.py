"""Error pages reached from a keeper page lead back into the keeper pages, without the kiosk's
idle countdown; an expired form on a keeper page sends the keeper back to it to try again."""

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.walkins.models import WalkInService
from tests.conftest import HX, csrf_token

HOST = "http://localhost"


def back_link(page: str) -> str:
    import re

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
    assert "What you entered was not saved" in page
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
