"""长辈模式 and the things a 75-year-old meets on first sight: large text from the first paint, a
big 拍照 button, targets a finger can hit, buttons that do not touch, Today that fits a portrait tablet."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.people.models import Keeper
from tests.browser.conftest import LANDSCAPE, PORTRAIT


def root_font_px(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


def sign_in(page, server, live_app, path="/keeper/today"):
    with live_app.app_context():
        db.session.scalar(select(Keeper)).set_password("keeper-pw")
        db.session.commit()
    page.goto(server.url + path)
    page.locator("#username").fill("keeper")
    page.locator("#password").fill("keeper-pw")
    page.locator("#password").press("Enter")  # in whatever language the page is in
    page.wait_for_url(re.compile(r"/keeper/(?!login)"))


def test_large_text_is_one_tap_remembered_and_large_from_the_first_paint(page, server):
    page.goto(server.url + "/swap/")
    normal = root_font_px(page)
    switch = page.get_by_role("button", name=re.compile("大字"))
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    page.wait_for_url(server.url + "/swap/")
    # The server sent it large: the page's own HTML carries the class, so nothing flashes small.
    assert 'class="large-text"' in page.request.get(server.url + "/checkin/").text()
    assert root_font_px(page) >= normal * 1.25
    expect(page.get_by_role("button", name=re.compile("大字"))).to_have_attribute("aria-pressed", "true")
    # Its state is said in words and a mark, not only a colour.
    expect(page.locator(".text-size-button")).to_contain_text("✓")
    for path in ["/", "/checkin/", "/suggest/"]:
        page.goto(server.url + path)
        assert root_font_px(page) >= normal * 1.25
        targets = page.evaluate("parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--target'))")
        assert targets >= 80
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name=re.compile("大字")).click()
    page.wait_for_url(server.url + "/suggest/")
    assert root_font_px(page) == normal


def test_large_text_switch_works_without_javascript(browser, server):
    context = browser.new_context(viewport=PORTRAIT, java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url + "/services/")
    page.get_by_role("button", name=re.compile("大字")).click()
    page.wait_for_url(server.url + "/services/")
    assert page.locator("html").get_attribute("class") == "large-text"
    context.close()


def test_large_text_reads_in_each_language(page, server):
    page.goto(server.url + "/")
    expect(page.locator("form.text-size-switch")).to_have_attribute("aria-label", "长辈模式")
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("form.text-size-switch")).to_have_attribute("aria-label", "長輩模式")
    expect(page.locator(".text-size-button")).to_contain_text("大字")
    page.get_by_role("button", name="English").click()
    expect(page.locator(".text-size-button")).to_contain_text("Large text")


def test_keeper_badge_sheet_and_name_links_are_finger_sized(page, server, live_app):
    page.set_viewport_size(PORTRAIT)
    sign_in(page, server, live_app, "/keeper/badges")
    team = page.locator("select#team").bounding_box()
    assert team["height"] >= 48
    page.goto(server.url + "/keeper/volunteers")
    name = page.get_by_role("link", name="张晓华").bounding_box()
    assert name["height"] >= 48 and name["width"] >= 48


def test_swap_photo_is_a_big_take_a_photo_button_in_the_page_language(page, server, tmp_path):
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/swap/bring")
    photo = page.locator("#photo")
    # The real file input stays (for the camera, screen readers and keyboards), labelled by a big button.
    expect(photo).to_have_attribute("type", "file")
    expect(photo).to_have_attribute("capture", "environment")
    button = page.locator("label[for=photo]")
    expect(button).to_contain_text("拍照")
    box = button.bounding_box()
    assert box["height"] >= 64 and box["width"] >= 300
    expect(page.get_by_label(re.compile("拍照"))).to_have_count(1)
    from PIL import Image
    picture = tmp_path / "cup.jpg"
    Image.new("RGB", (64, 64), (200, 120, 60)).save(picture, "JPEG")
    with page.expect_file_chooser() as chooser:
        button.click()
    chooser.value.set_files(str(picture))
    expect(page.locator("[data-photo-chosen]")).to_contain_text("照片")


def test_back_to_start_and_back_to_scanning_do_not_touch(page, server):
    page.set_viewport_size(PORTRAIT)
    page.goto(server.url + "/checkin/forgot")
    page.locator("#entered").fill("8001")
    page.get_by_role("button", name=re.compile("找")).click()
    page.get_by_role("button", name=re.compile(r"张\*华")).click()
    home = page.get_by_role("link", name="返回首页").bounding_box()
    scan = page.get_by_role("link", name="返回扫码").bounding_box()
    gap = max(scan["y"] - (home["y"] + home["height"]), home["y"] - (scan["y"] + scan["height"]),
              scan["x"] - (home["x"] + home["width"]), home["x"] - (scan["x"] + scan["width"]))
    assert gap >= 16


# Rows of buttons: controls whose heights overlap sit on one row.
ROWS = """els => {
  const boxes = els.map(e => e.getBoundingClientRect()).filter(r => r.height).sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -1;
  for (const r of boxes) { if (r.top >= bottom) { rows += 1; bottom = r.bottom; } else bottom = Math.max(bottom, r.bottom); }
  return rows;
}"""


def test_today_in_portrait_keeps_its_buttons_to_two_rows(page, server, live_app):
    sign_in(page, server, live_app)
    for lang in ("繁體中文", "English", "简体中文"):
        page.get_by_role("button", name=lang).click()
        for viewport in (PORTRAIT, LANDSCAPE):
            page.set_viewport_size(viewport)
            # Everything above the search: the day's buttons (and, before, the kiosk set-up below them).
            search = page.locator(".today .search").bounding_box()["y"]
            rows = page.eval_on_selector_all(
                ".today .page-head .button-row > *, .today > form", f"els => ({ROWS})(els.filter(e => e.getBoundingClientRect().bottom <= {search}))")
            assert rows <= 2, f"{lang} {viewport}: Today's buttons sit on {rows} rows"


def scan(page, token):
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")


def test_each_result_has_its_own_sound_and_symbol_and_stays_as_long_as_the_station_says(page, server, live_app):
    import hashlib
    from pathlib import Path

    from kiosk.core.models import Station
    from kiosk.people.badges import badge_token
    from kiosk.people.models import Volunteer

    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, 1))
        db.session.scalar(select(Station)).result_seconds = 45
        db.session.commit()
    page.clock.install()
    page.goto(server.url + "/checkin/")
    # Three sounds, three different files.
    body = page.locator("body")
    sounds = {kind: body.get_attribute(f"data-sound-{kind}").split("?")[0] for kind in ("ok", "notice", "error")}
    static = Path(live_app.static_folder)
    digests = {hashlib.sha256((static / url.removeprefix("/static/")).read_bytes()).hexdigest() for url in sounds.values()}
    assert len(digests) == 3

    outcome = page.locator("#scan-result .outcome")
    expected = [(token, "ok", "✓"), (token, "notice", "!"), ("NOT-A-BADGE-123", "error", "✕")]
    for code, sound, symbol in expected:
        scan(page, code)
        expect(outcome).to_have_attribute("data-sound", sound)
        expect(outcome.locator(".outcome-symbol")).to_have_text(symbol)
        box = outcome.locator(".outcome-symbol").bounding_box()
        assert box["height"] >= 60 and box["width"] >= 60  # large, beside the words
        expect(outcome).to_have_attribute("data-reset-after", "45")
    # It stays while it is read slowly, and only then clears itself for the next volunteer.
    page.clock.fast_forward(40_000)
    expect(outcome).to_be_visible()
    page.clock.fast_forward(6_000)
    expect(outcome).to_have_count(0)


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_no_words_spill_out_of_the_choice_tiles_in_english_large_text(browser, server, viewport):
    """English words are longer than Chinese ones ("Neighbour disputes", "Small appliances")."""
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url},
                         {"name": "kiosk_text", "value": "large", "url": server.url}])
    page = context.new_page()
    for path in ["/suggest/", "/swap/bring", "/services/"]:
        page.goto(server.url + path)
        assert page.locator("html").get_attribute("class") == "large-text"
        spilling = page.evaluate("""() => [...document.querySelectorAll('.choice span, .tile, .button')]
            .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
            .map(el => el.textContent.trim())""")
        assert spilling == [], f"{path}: {spilling}"
    context.close()


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_a_check_in_result_in_large_text_is_seen_whole_when_it_arrives(browser, server, live_app, viewport, language):
    """Issue A2: with 大字 on the upright kiosk the result landed under the camera, out of sight,
    and an older volunteer could not tell whether the scan had worked."""
    from kiosk.people.badges import badge_token
    from kiosk.people.models import Volunteer

    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, 1))
    context = browser.new_context(viewport=viewport, has_touch=True)
    context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                         {"name": "kiosk_text", "value": "large", "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/checkin/")
    outcome = page.locator("#scan-result .outcome")
    for expected in ("checked_in", "already_in"):  # the second, inside the window, says the most
        scan(page, token)
        expect(outcome).to_have_attribute("data-outcome", expected)
        page.wait_for_timeout(100)  # any scroll has happened by now
        box = outcome.bounding_box()
        # (a scroll lands on whole pixels: a fraction of one may stay below)
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1, (expected, box)
    context.close()


PHONE = {"width": 390, "height": 844}


def test_keeper_pages_start_on_the_first_screen_in_large_text_and_the_rest_wait_under_more(page, server, live_app):
    # Nineteen menu buttons in large text pushed Today's heading to 528 px of an 800 px tablet
    # screen, and to 1,830 px on a phone: a keeper scrolled past the menu on every page.
    sign_in(page, server, live_app)
    page.get_by_role("button", name=re.compile("大字")).click()
    page.wait_for_url(re.compile("/keeper/today"))
    nav = page.locator(".keeper-nav")
    for viewport in (LANDSCAPE, PORTRAIT, PHONE):
        page.set_viewport_size(viewport)
        heading = page.get_by_role("heading", level=1).bounding_box()
        assert heading["y"] + heading["height"] <= viewport["height"] * 0.75, f"{viewport}: Today's heading at {heading}"
        for everyday in ("今天", "志愿者", "待核对"):
            expect(nav.get_by_role("link", name=everyday, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name="统计报表")).to_be_hidden()
    expect(nav.get_by_role("link", name="今天")).to_have_attribute("aria-current", "page")

    more = nav.get_by_text("更多")
    more.click()
    expect(nav.get_by_role("link", name="统计报表")).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="统计报表")).to_be_hidden()
    more.click()
    page.locator(".topbar").click(position={"x": 5, "y": 5})  # a tap beside the menu closes it too
    expect(nav.get_by_role("link", name="统计报表")).to_be_hidden()

    more.click()
    nav.get_by_role("link", name="统计报表").click()
    page.wait_for_url(re.compile("/keeper/reports"))
    # The page a keeper is on stays in sight, marked, without opening "More".
    expect(nav.get_by_role("link", name="统计报表")).to_be_visible()
    expect(nav.get_by_role("link", name="统计报表")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="今天")).not_to_have_attribute("aria-current", "page")
