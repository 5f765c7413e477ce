"""The swap shelf as residents use it at a tablet: bring with a photo, see it, take it, see it go."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.swap.models import SwapCategory, SwapItem
from kiosk.swap.shelf import bring_item
from tests.browser.conftest import LANDSCAPE, PORTRAIT, launch
from tests.browser.media import qr_video


def test_bring_with_a_photo_see_it_on_the_shelf_and_take_it_by_tapping(page, server, live_app, tmp_path):
    photo = tmp_path / "books.jpg"
    Image.new("RGB", (1200, 900), (200, 120, 60)).save(photo, "JPEG")
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/swap/")
    page.get_by_role("link", name="我带来了东西").click()
    page.get_by_role("radio", name="书籍").click()  # the tile itself is the radio, as a finger meets it
    page.locator("#title").fill("儿童绘本 5 本")
    page.get_by_role("radio", name="几乎全新").click()
    page.locator("#photo").set_input_files(str(photo))
    page.get_by_role("button", name="放上货架").click()
    expect(page.locator(".swap-label-code")).to_have_text("J-0001")

    page.get_by_role("link", name="回到货架").first.click()
    tile = page.locator('[data-item="J-0001"]')
    expect(tile).to_contain_text("儿童绘本 5 本")
    assert tile.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    tile.click()
    page.get_by_role("button", name="我要这个").click()
    expect(page.locator("#take-result")).to_contain_text("用得开心")
    page.get_by_role("link", name="回到货架").click()
    expect(page.locator('[data-item="J-0001"]')).to_have_count(0)
    with live_app.app_context():
        assert db.session.query(SwapItem).one().status == "taken"


def on_the_shelf(live_app, title: str) -> str:
    """A book brought to the demo station's shelf; its label code."""
    with live_app.app_context():
        books = db.session.query(SwapCategory).filter_by(code="books").one()
        item = bring_item(db.session.get(Station, books.station_id), title=title, category_id=books.id,
                          condition="good", photo=None, contact=None, now=live_app.extensions["kiosk_clock"].now())
        db.session.commit()
        return item.code


# A label's QR holds the item page's address, for a phone; labels printed before hold the code
# alone. The kiosk's camera reads both.
@pytest.mark.parametrize("holds", ["code", "address"])
def test_take_by_scanning_the_label_with_the_camera(playwright_driver, server, live_app, tmp_path, holds):
    code = on_the_shelf(live_app, "象棋")
    video = qr_video(code if holds == "code" else f"{server.url}/swap/items/{code}", tmp_path / "label.y4m")
    browser = launch(playwright_driver, ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                         f"--use-file-for-fake-video-capture={video}"])
    try:
        page = browser.new_context(viewport=LANDSCAPE, permissions=["camera"]).new_page()
        page.goto(server.url + "/swap/take")
        found = page.locator('#take-found [data-outcome="found"]')
        expect(found).to_contain_text("象棋", timeout=15_000)
        found.get_by_role("button", name="我要这个").click()
        expect(page.locator('#take-found [data-outcome="taken"]')).to_be_visible()
        page.goto(server.url + "/swap/")
        expect(page.locator(f'[data-item="{code}"]')).to_have_count(0)
        expect(page.get_by_text(re.compile("暂时没有东西"))).to_be_visible()
    finally:
        browser.close()


def test_a_language_switch_after_taking_a_photo_says_it_must_be_taken_again(page, server, tmp_path):
    """What was typed comes along across a language switch, but a photo cannot (a file field cannot
    be filled in again): the new page said nothing, and the item went up without its photo."""
    photo = tmp_path / "books.jpg"
    Image.new("RGB", (400, 300), (200, 120, 60)).save(photo, "JPEG")
    page.goto(server.url + "/swap/bring")
    page.locator("#title").fill("儿童绘本 5 本")
    page.locator("#photo").set_input_files(str(photo))
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#title")).to_have_value("儿童绘本 5 本")
    expect(page.locator("[data-photo-chosen]")).to_have_text("不好意思，照片要麻煩您再拍一次。")
    page.goto(server.url + "/swap/bring")  # only for that one reload
    expect(page.locator("[data-photo-chosen]")).to_have_text("")


def test_print_label_opens_the_print_dialog_on_the_same_page_and_prints_only_the_label(page, server):
    """It was a link opening the label in a new tab, each tap one more tab behind a full-screen
    kiosk, and no print dialog. Counted on the page itself, as the badges' test does."""
    page.add_init_script("window.print = () => { const html = document.documentElement;"
                         " html.dataset.printed = Number(html.dataset.printed || 0) + 1; };")
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/swap/bring")
    page.get_by_role("radio", name="书籍").click()
    page.locator("#title").fill("儿童绘本 5 本")
    page.get_by_role("button", name="放上货架").click()
    expect(page.locator(".swap-label-code")).to_have_text("J-0001")
    button = page.get_by_role("button", name="打印标签")
    button.tap()
    expect(page.locator("html")).to_have_attribute("data-printed", "1")
    assert len(page.context.pages) == 1 and page.url == server.url + "/swap/bring"
    page.emulate_media(media="print")
    expect(page.locator(".swap-label")).to_be_visible()
    for hidden in (button, page.get_by_role("heading", name="我带来了东西"), page.locator(".outcome"),
                   page.get_by_role("link", name="回到货架")):
        expect(hidden).to_be_hidden()
    page.emulate_media(media="screen")
    page.goto(server.url + "/swap/items/J-0001/label")
    page.get_by_role("button", name="打印标签").tap()
    expect(page.locator("html")).to_have_attribute("data-printed", "1")
    assert len(page.context.pages) == 1


# Probe: J-0001 typed, Enter, then Tab to 我要这个 and Enter: the answer took the button away and the
# keyboard's focus with it (document.activeElement was BODY), so the next Tab began again at the top.
def test_taking_with_the_keyboard_keeps_the_focus_on_the_screen(page, server, live_app):
    code = on_the_shelf(live_app, "象棋")
    page.set_viewport_size(LANDSCAPE)
    page.goto(server.url + "/swap/take")
    page.locator("#scanner-input").click()
    page.keyboard.type(code, delay=120)  # a person's pace, not a scanner's burst
    page.keyboard.press("Enter")
    take = page.locator('#take-found [data-outcome="found"] button')
    expect(take).to_be_visible()
    for _ in range(10):
        if take.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    taken = page.locator('#take-found [data-outcome="taken"]')
    expect(taken).to_be_visible()
    expect(taken).to_be_focused()  # the answer itself: read first, and Tab goes on to the code field
    page.keyboard.press("Tab")
    expect(page.locator("#scanner-input")).to_be_focused()


# CI: the answer took the focus twice, the browser's own autofocus first and htmx's a moment
# later, so a keyboard user who had already tabbed on to the code field was taken back to it.
def test_the_answer_takes_the_focus_once(page, server, live_app):
    code = on_the_shelf(live_app, "象棋")
    page.goto(server.url + "/swap/take")
    page.locator("#scanner-input").fill(code)
    page.keyboard.press("Enter")
    take = page.locator('#take-found [data-outcome="found"] button')
    expect(take).to_be_visible()
    # Someone quick: the moment the answer has the focus, they move on to the code field.
    page.evaluate("""() => {
        let movedOn = false;
        document.addEventListener("focusin", event => {
            if (event.target.dataset.outcome !== "taken" || movedOn) return;
            movedOn = true;
            document.getElementById("scanner-input").focus();
        });
    }""")
    take.click()
    expect(page.locator('#take-found [data-outcome="taken"]')).to_be_visible()
    page.wait_for_timeout(300)  # past htmx's settling, which took it back
    expect(page.locator("#scanner-input")).to_be_focused()
