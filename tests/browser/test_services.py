"""The station services screen as a rider meets it: each answer says what happened by its symbol and
words, not by its colour, and a button leads back to the start."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.walkins.models import WalkInService, WalkInVisit
from tests.browser.conftest import PORTRAIT


def symbol_beside_headline(outcome) -> bool:
    symbol = outcome.locator(".outcome-symbol").bounding_box()
    headline = outcome.locator(".outcome-headline").bounding_box()
    return symbol["width"] >= 32 and symbol["x"] + symbol["width"] <= headline["x"]


# Probe: the thanks and the refusal differed by their border colour alone, and only the station's
# name in the top bar went home.
def test_a_tap_is_answered_with_a_symbol_and_a_refusal_with_another(page, server, live_app):
    page.goto(server.url + "/services/")
    page.locator("button.tile-water").click()
    thanks = page.locator("#service-tiles .outcome")
    expect(thanks.locator(".outcome-symbol")).to_have_text("✓")
    expect(thanks.locator(".outcome-symbol")).to_be_visible()
    assert symbol_beside_headline(thanks)

    with live_app.app_context():  # a keeper hides Wi-Fi while its tile is still on the screen
        db.session.scalar(select(WalkInService).where(WalkInService.code == "wifi")).active = False
        db.session.commit()
    page.locator("button.tile-wifi").click()
    refused = page.locator("#service-tiles .outcome-error")
    expect(refused.locator(".outcome-symbol")).to_have_text("✕")
    expect(refused.locator(".outcome-headline")).to_be_visible()
    assert symbol_beside_headline(refused)
    expect(page.locator("button.tile-wifi")).to_have_count(0)

    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(server.url + "/")


# Probe: on an 800x1280 touch tablet a natural double tap on a tile sent two taps 0.15–0.35 s apart,
# and both counted: the first answer had already given the tiles new tap ids. Three double taps
# made six visits.
def test_a_double_tap_on_a_tile_counts_once(page, server, live_app):
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/services/")
    clock = live_app.extensions["kiosk_clock"]
    for resident in range(3):
        with page.expect_response("**/services/tap"):
            page.tap(".tile-wifi")
        page.wait_for_timeout(150)
        page.tap(".tile-wifi")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#service-tiles .outcome-symbol")).to_have_text("✓")
        clock.advance(seconds=10)  # the next resident steps up
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WalkInVisit)) == 3


def tab_to(page, selector, most=40):
    """Presses Tab until the keyboard focus is on `selector`, as a keyboard user gets there."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


# Probe: Tab to 喝水 and Enter: after the answer came in the focus fell to the page (BODY), so the
# next Tab started again from the top bar.
def test_the_keyboard_focus_stays_on_the_tapped_tile(page, server, live_app):
    page.goto(server.url + "/services/")
    tab_to(page, "button.tile-water")
    page.keyboard.press("Enter")
    expect(page.locator("#service-tiles .outcome .outcome-symbol")).to_have_text("✓")
    expect(page.locator("button.tile-water")).to_be_focused()
    page.keyboard.press("Tab")  # on to the next tile, not from the top of the page
    assert page.evaluate("document.activeElement.closest('.service-tiles') !== null")

    # A tile hidden meanwhile is gone with its answer: the focus goes to the answer, then on to the tiles.
    with live_app.app_context():
        db.session.scalar(select(WalkInService).where(WalkInService.code == "wifi")).active = False
        db.session.commit()
    tab_to(page, "button.tile-wifi")
    page.keyboard.press("Enter")
    refused = page.locator("#service-tiles .outcome-error")
    expect(refused).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.service-tiles') !== null")
