"""Printed badges: whatever the name, the QR stays whole inside the dashed cut line, on the tablet's
screen (portrait and landscape) and on A4 paper, and the sheet never scrolls sideways."""

import re

import pytest
from playwright.sync_api import expect

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import Volunteer
from kiosk.people.volunteers import register_volunteer
from tests.browser.conftest import LANDSCAPE, PORTRAIT
from tests.browser.test_elder import sign_in

A4_WIDTH_PX = 210 / 25.4 * 96  # CSS pixels are 1/96 inch
LONG_NAMES = ["Nurmukhammedova Gulnara", "阿卜杜热合曼·买买提艾力", "Abdurakhmonovich-Nurmukhammedov"]
SCREENS = {"portrait": PORTRAIT, "landscape": LANDSCAPE,
           "print": {"width": round(A4_WIDTH_PX), "height": LANDSCAPE["width"]}}


@pytest.fixture
def long_named(live_app):
    """Volunteers whose names are long: one Latin word wider than the card's text column, a long
    Chinese name (wraps between characters), and one hyphenated Latin name with no space at all."""
    with live_app.app_context():
        station = db.session.get(Station, 1)
        ids = [register_volunteer(station, name=name, mobile=f"1390000{index:04d}").id
               for index, name in enumerate(LONG_NAMES)]
        db.session.commit()
    return ids


def inside(inner: dict, outer: dict, slack: float = 0.5) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


def show(page, screen: str) -> None:
    page.set_viewport_size(SCREENS[screen])
    page.emulate_media(media="print" if screen == "print" else "screen")


def assert_cards_hold_their_qr(page, screen: str) -> None:
    cards = page.locator("article.badge-card")
    assert cards.count() > 0
    for index in range(cards.count()):
        card = cards.nth(index)
        name = card.locator(".badge-card-name").inner_text()
        card_box = card.bounding_box()
        qr_box = card.locator(".badge-card-qr svg").bounding_box()
        assert qr_box["width"] > 100, (screen, name, qr_box)  # still a QR a camera reads (46 mm)
        assert inside(qr_box, card_box), (screen, name, qr_box, card_box)
        # The name itself stays in its column: wrapped or smaller, never spilling under the QR.
        spill = card.locator(".badge-card-name").evaluate("p => p.scrollWidth - p.clientWidth")
        assert spill <= 0, (screen, name, spill)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[screen]["width"], (screen, width)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_long_name_keeps_the_qr_inside_the_cut_line(page, server, live_app, long_named, screen):
    sign_in(page, server, live_app, f"/keeper/volunteers/{long_named[0]}/badge")
    for volunteer_id in long_named:
        page.goto(server.url + f"/keeper/volunteers/{volunteer_id}/badge")
        show(page, screen)
        expect(page.locator(".badge-card-name")).to_have_text(LONG_NAMES[long_named.index(volunteer_id)])
        assert_cards_hold_their_qr(page, screen)
        page.emulate_media(media="screen")


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_badge_sheet_with_long_names_does_not_scroll_sideways(page, server, live_app, long_named, screen):
    sign_in(page, server, live_app, "/keeper/badges")
    show(page, screen)
    expect(page.locator("article.badge-card", has_text=LONG_NAMES[0])).to_have_count(1)
    assert_cards_hold_their_qr(page, screen)


@pytest.mark.parametrize("path", ["/keeper/volunteers/1/badge", "/keeper/badges"])
def test_a_finger_on_print_opens_the_print_dialog_and_the_button_stays_off_the_paper(page, server, live_app, path):
    # Counted on the page itself, so a selector can wait for it (wait_for_function evaluates a
    # string, which the page's CSP forbids now and then).
    page.add_init_script("window.print = () => { const html = document.documentElement;"
                         " html.dataset.printed = Number(html.dataset.printed || 0) + 1; };")
    page.set_viewport_size(PORTRAIT)
    sign_in(page, server, live_app, path)
    button = page.get_by_role("button", name="打印")
    box = button.bounding_box()
    assert box["width"] >= 48 and box["height"] >= 48
    button.tap()
    expect(page.locator("html")).to_have_attribute("data-printed", "1")
    show(page, "print")
    expect(button).to_be_hidden()
    expect(page.locator("article.badge-card").first).to_be_visible()


def badge_nonce(live_app, volunteer_id=1):
    with live_app.app_context():
        return db.session.get(Volunteer, volunteer_id).badge_nonce


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_new_badge_asks_first_then_says_the_old_card_is_void(browser, server, live_app, javascript):
    ctx = browser.new_context(viewport=PORTRAIT, locale="zh-CN", has_touch=True, java_script_enabled=javascript)
    try:
        page = ctx.new_page()
        sign_in(page, server, live_app, "/keeper/volunteers/1")
        old = badge_nonce(live_app)
        new_badge = page.get_by_role("link", name="补发新胸卡（旧卡作废）")
        new_badge.click()
        expect(page).to_have_url(re.compile(r"/keeper/volunteers/1/badge/new$"))
        expect(page.locator(".new-badge-effects")).to_contain_text("请把旧卡收回来")
        assert badge_nonce(live_app) == old  # asking changed nothing
        page.get_by_role("link", name="取消").click()
        expect(page).to_have_url(re.compile(r"/keeper/volunteers/1$"))
        assert badge_nonce(live_app) == old

        new_badge.click()
        confirm = page.locator("form[action$='/volunteers/1/badge'] button[type=submit]")
        box = confirm.bounding_box()
        assert box["width"] >= 48 and box["height"] >= 48
        confirm.click()
        expect(page).to_have_url(re.compile(r"/keeper/volunteers/1/badge\?new=1$"))
        expect(page.locator(".flash[role=status]")).to_have_text("新胸卡已生成，旧卡从现在起不能再签到，请收回旧卡")
        assert badge_nonce(live_app) != old
        expect(page.locator("article.badge-card")).to_have_count(1)
        show(page, "print")
        expect(page.locator(".flash")).to_be_hidden()  # the message is for the keeper, not the card
        # Back from the printed card: the question says a badge was just re-issued (not the page as it was).
        page.go_back()
        expect(page).to_have_url(re.compile(r"/keeper/volunteers/1/badge/new$"))
        expect(page.locator("[data-reissued-today]")).to_be_visible()
    finally:
        ctx.close()
