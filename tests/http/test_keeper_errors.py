"""Error pages reached from a keeper page lead back into the keeper pages, without the kiosk's
idle countdown; an expired form on a keeper page sends the keeper back to it to try again."""

from urllib.parse import urlsplit

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
    assert "not saved" not in keeper.get("/keeper/services").get_data(as_text=True)  # said once


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
