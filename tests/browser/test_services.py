"""The station services screen as a rider meets it: each answer says what happened by its symbol and
words, not by its colour, and a button leads back to the start."""

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.walkins.models import WalkInService


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
