"""Pages a resident or a volunteer opens on a small phone (360 px wide) in 长辈模式, and a keeper's
everyday pages on a phone (390 px): nothing may run off the side, in any language. A page that
scrolls sideways hides its last button (非常满意 on the rating page, 确认 on To review) or half a
code (a tracking code cut as "S-" / "RUEX5N")."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.checkin.models import ServiceSession
from kiosk.checkin.phone import remember_token
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.badges import badge_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.suggest.box import submit
from kiosk.suggest.models import Suggestion, SuggestionCategory
from kiosk.swap.models import SwapCategory, SwapItem
from kiosk.tablets.certificates import Names, ensure_station_certificates, tls_folder
from tests.browser.conftest import PORTRAIT
from tests.browser.test_elder import sign_in
from tests.browser.test_phone import station_link

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture(params=["zh_Hans", "zh_Hant", "en"])
def phone(request, browser, server, live_app):
    """A small phone in large-text mode, reading the language (cookies as the switches set them),
    linked to volunteer 3; the station has a recent activity with a long name to rate."""
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        now = clock.now()
        db.session.add(Activity(station_id=1, name="重阳节敬老包饺子联欢会 Double Ninth dumplings party", place="驿站二楼",
                                starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1), created_at=now))
        phone_cookie = remember_token(db.session.get(Volunteer, 3))
        db.session.commit()
    context = browser.new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": name, "value": value, "url": server.url} for name, value in
                         (("kiosk_lang", request.param), ("kiosk_text", "large"), ("kiosk_phone", phone_cookie))])
    page = context.new_page()
    page.language = request.param
    yield page
    context.close()


def assert_fits(page, what):
    assert page.locator("html.large-text").count() == 1, "the page should be in large-text mode"
    # A mobile browser widens its window to content that runs off (innerWidth grows with it), so
    # both are held to the phone's own width.
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert max(wide, window) <= SMALL_PHONE["width"], \
        f"{what} in {page.language} scrolls sideways: {wide} px wide, window {window} px, on a 360 px phone"


def test_the_rating_page_fits_and_its_faces_take_their_own_taps(phone, browser, server, live_app):
    link = station_link(browser.new_page(), server, live_app)
    station = link.split("station=")[1].split("&")[0]
    phone.goto(f"{server.url}/activities/rate?station={station}")
    faces = phone.locator(".face-button")
    expect(faces).to_have_count(5)
    assert_fits(phone, "the rating page")
    for i in range(5):  # every face is on screen and nothing lies over it
        face = faces.nth(i)
        face.scroll_into_view_if_needed()
        box = face.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"]
        hit = phone.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('.face-button') !== null",
                             [box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 20)])
        assert hit, f"face {i + 1} should take a tap at its middle"


def test_the_phone_check_in_result_fits(phone, browser, server, live_app):
    phone.goto(station_link(browser.new_page(), server, live_app))
    phone.locator(".phone-go").click()
    expect(phone.locator(".outcome")).to_be_visible()
    assert_fits(phone, "the phone check-in result")


def test_a_full_name_longer_than_the_line_still_fits_the_phone_check_in_result(phone, browser, server, live_app):
    # The name in the headline is kept whole (.nowrap); one longer than a whole line must still wrap.
    with live_app.app_context():
        db.session.get(Volunteer, 3).name = "Maximilian Alexander Wolfgang Oberhausen"
        db.session.commit()
    phone.goto(station_link(browser.new_page(), server, live_app))
    phone.locator(".phone-go").click()
    expect(phone.locator(".outcome-headline")).to_contain_text("Oberhausen")
    assert_fits(phone, "the phone check-in result with a long name")


def test_the_suggestion_receipt_and_tracking_page_fit_with_the_code_on_one_line(phone, server, live_app):
    phone.goto(server.url + "/suggest/phone")
    phone.locator(".choice").first.click()
    phone.locator("#text").fill("三号楼楼道的灯坏了")
    phone.locator("form button[type=submit]").last.click()
    code = phone.locator(".receipt-code")
    expect(code).to_be_visible()
    assert_fits(phone, "the suggestion receipt")
    lines = code.evaluate("el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))")
    assert lines == 1, "the tracking code should stay on one line"
    with live_app.app_context():
        tracking = db.session.scalar(select(Suggestion.tracking_code))
    phone.goto(f"{server.url}/s/{tracking}")
    assert_fits(phone, "the tracking page")


def test_the_swap_receipt_and_label_fit(phone, server):
    phone.goto(server.url + "/swap/bring")
    phone.locator(".choice").first.click()
    phone.locator("#title").fill("儿童绘本 5 本 children's picture books")
    phone.locator("form button[type=submit]").last.click()
    expect(phone.locator(".swap-label")).to_be_visible()
    assert_fits(phone, "the swap receipt")
    phone.goto(server.url + "/swap/items/J-0001/label")
    assert_fits(phone, "the swap label")


@pytest.mark.parametrize("where", ["check-in", "my hours"])
def test_the_header_leaves_a_small_phone_to_the_page_in_large_text(phone, browser, server, live_app, where):
    # The header took 43 % of a 360 × 740 screen (the station name on two lines, the switches on
    # three rows): an elder saw the check-in button only after scrolling.
    phone.goto(station_link(browser.new_page(), server, live_app) if where == "check-in" else server.url + "/m/me")
    assert_fits(phone, f"the {where} page")
    header = phone.locator("header.topbar").bounding_box()
    assert header["height"] <= SMALL_PHONE["height"] * 0.25, \
        f"the header takes {header['height']} px of {SMALL_PHONE['height']} in {phone.language}"
    # The station name keeps to one line, and every switch shares one row below it.
    name = phone.locator(".topbar-home").bounding_box()
    assert name["height"] <= 60, f"the station name wraps: {name['height']} px"
    buttons = phone.locator(".text-size-button, .language-button")
    boxes = [buttons.nth(i).bounding_box() for i in range(buttons.count())]
    assert max(b["y"] for b in boxes) < min(b["y"] + b["height"] for b in boxes), \
        f"the switches wrap onto more than one row in {phone.language}"
    assert all(b["height"] >= 48 and b["width"] >= 48 for b in boxes)  # still a finger's target each
    # The page itself begins in the first third of the screen.
    heading = phone.locator("main h1").bounding_box()
    assert heading["y"] <= SMALL_PHONE["height"] / 3, f"the page's heading starts at {heading['y']} px"


@pytest.mark.parametrize("where", ["check-in", "my hours"])
def test_the_volunteers_name_and_number_each_stay_whole_on_a_small_phone(phone, browser, server, live_app, where):
    # "王建国，您 / 好 编号 0003": the greeting broke in the middle to keep the number beside it.
    phone.goto(station_link(browser.new_page(), server, live_app) if where == "check-in" else server.url + "/m/me")
    lines = phone.evaluate("""() => {
        const h1 = document.querySelector("main h1");
        const walker = document.createTreeWalker(h1, NodeFilter.SHOW_TEXT);
        const out = [];
        while (walker.nextNode()) {
            const node = walker.currentNode;
            if (!node.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            out.push([node.textContent, new Set([...range.getClientRects()].map(r => Math.round(r.top))).size]);
        }
        return out;
    }""")
    assert [text for text, _ in lines] and all(count == 1 for _, count in lines), \
        f"a part of the heading is broken over lines in {phone.language}: {lines}"


# A keeper's everyday pages on a phone (390 × 844), the way a keeper over 60 reads them: a page as
# wide as the screen, every button in sight without scrolling sideways, a number never split
# ("18." over "5", a volunteer number one digit a line) and words never one character a line.
KEEPER_PHONE = {"width": 390, "height": 844}
KEEPER_PAGES = ["/keeper/today", "/keeper/review", "/keeper/volunteers/1", "/keeper/account", "/keeper/teams",
                "/keeper/suggestions", "/keeper/swap", "/keeper/swap-categories", "/keeper/suggestion-categories",
                "/keeper/services", "/keeper/volunteers", "/keeper/reports", "/keeper/stars", "/keeper/badges",
                "/keeper/tablet", "/keeper/gifts", "/keeper/points", "/keeper/certificates",
                "/keeper/activities", "/keeper/activities/1"]
# The pages of one editor (kiosk/core/templates/core/choices.html): a name box, Rename, Hide.
CHOICE_EDITORS = ["/keeper/swap-categories", "/keeper/suggestion-categories", "/keeper/services"]


@pytest.fixture(params=[(language, text) for language in ("zh_Hans", "zh_Hant", "en") for text in ("normal", "large")],
                ids=lambda p: "-".join(p))
def keeper_phone(request, browser, server, live_app):
    """A keeper signed in on a phone, reading the language in the text size (cookies as the
    switches set them). Today has sessions whose hours add up to a decimal (17.5), three of
    volunteer 1's forgotten sessions wait to be reviewed, and the station has a second keeper.
    The suggestion box holds a long suggestion with a phone number to call back, the swap shelf
    an item with its giver's mobile. Volunteer 2 reached a star this year (the stars' list has a
    row), and the station has its certificate (the tablet page shows its step pictures). Today's
    sessions served activity 1, held this morning; another with a long name is coming up."""
    clock = live_app.extensions["kiosk_clock"]
    clock.set(datetime.fromisoformat("2026-11-22T18:00:00+08:00"))
    with live_app.app_context():
        start = datetime.fromisoformat("2026-11-22T08:30:00+08:00")
        held = Activity(station_id=1, name="爱心课堂", place="驿站二楼", starts_at=start, created_at=start,
                        ends_at=start + timedelta(hours=4))
        db.session.add(held)
        db.session.add(Activity(station_id=1, name="重阳节敬老包饺子联欢会 Double Ninth dumplings party",
                                place="幸福里社区活动中心二楼多功能厅", capacity=20, created_at=start,
                                starts_at=start + timedelta(days=3), ends_at=start + timedelta(days=3, hours=3)))
        db.session.flush()
        for volunteer in range(1, 6):
            db.session.add(ServiceSession(station_id=1, volunteer_id=volunteer, checked_in_at=start,
                                          check_in_method="scanner", check_out_method="scanner", activity_id=held.id,
                                          checked_out_at=start + timedelta(hours=3, minutes=40)))
        for day in range(1, 4):  # forgotten, closed by the system at closing time
            begun = start - timedelta(days=day)
            db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=begun, check_in_method="scanner",
                                          checked_out_at=begun.replace(hour=20, minute=0), check_out_method="auto",
                                          auto_closed=True, needs_review=True))
        colleague = Keeper(station_id=1, username="lina", display_name="李娜", role="keeper", active=True)
        colleague.set_password("lina-pw")
        db.session.add(colleague)
        station = db.session.get(Station, 1)
        submit(station, category_id=db.session.scalar(select(SuggestionCategory.id).where(SuggestionCategory.station_id == 1)),
               text="三号楼楼道的灯坏了好几天了，晚上老人上下楼很不方便，希望尽快修一下。The stair light in building 3 is out.",
               photo=None, contact="13812345678", anonymous=False, source="kiosk", device_id="phone-layout", now=clock.now())
        shelf = db.session.scalar(select(SwapCategory).where(SwapCategory.station_id == 1, SwapCategory.code == "appliances"))
        db.session.add(SwapItem(station_id=1, number=1, code="J-0001", title="电饭煲 rice cooker, 3 L", category_id=shelf.id,
                                condition="good", contact_mobile="13912345678", status="on_shelf", logged_at=clock.now()))
        for day in range(10, 24):  # 14 confirmed days of 8 hours: 112 hours, one star
            begun = start.replace(month=10, day=day)
            db.session.add(ServiceSession(station_id=1, volunteer_id=2, checked_in_at=begun, check_in_method="scanner",
                                          checked_out_at=begun + timedelta(hours=8), check_out_method="scanner",
                                          confirmed_at=begun + timedelta(days=1)))
        db.session.commit()
    ensure_station_certificates(tls_folder(live_app.instance_path), Names.of(["localhost"], ["127.0.0.1"]),
                                now=datetime.now(UTC))
    language, text = request.param
    context = browser.new_context(viewport=KEEPER_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                         {"name": "kiosk_text", "value": text, "url": server.url}])
    page = context.new_page()
    page.language, page.text_size = language, text
    sign_in(page, server, live_app)
    yield page
    context.close()


# Each run of text in a table cell, with how many lines it takes.
CELL_TEXTS = """() => [...document.querySelectorAll("main td, main th")].flatMap(cell => {
  const out = []; const walk = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const text = node.textContent.trim(); if (!text) continue;
    const r = document.createRange(); r.selectNodeContents(node); const tops = new Set();
    for (const box of r.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top));
    if (tops.size) out.push([text, tops.size]); }
  return out; })"""


def test_a_keepers_everyday_pages_fit_a_phone_with_every_button_in_sight(keeper_phone):
    page = keeper_phone
    faults = []  # every page's, so one run shows them all
    for path in KEEPER_PAGES:
        page.goto(page.url.split("/keeper/")[0] + path)
        assert page.locator("html.large-text").count() == (page.text_size == "large")
        wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if max(wide, window) > KEEPER_PHONE["width"]:
            faults.append(f"{path} scrolls sideways: {wide} px wide, window {window} px")
        boxes = [(b.inner_text(), b.bounding_box()) for b in page.locator("main .button").all() if b.is_visible()]
        off = [(words, round(box["x"]), round(box["x"] + box["width"])) for words, box in boxes
               if box["x"] < 0 or box["x"] + box["width"] > KEEPER_PHONE["width"]]
        if off:
            faults.append(f"{path}: buttons out of sight to the side: {off}")
        texts = page.evaluate(CELL_TEXTS)
        numbers = [(text, lines) for text, lines in texts if re.fullmatch(r"[\d.,:\-–]+", text) and lines > 1]
        if numbers:
            faults.append(f"{path}: numbers broken over lines: {numbers}")
        # Words a character or two a line ("编/号", "时/长/（/小/时/）"): at least three to a line on average.
        thin = [(text, lines) for text, lines in texts if lines > 1 and len(text) < 3 * lines]
        if thin:
            faults.append(f"{path}: words a character or two a line: {thin}")
    assert not faults, f"on a 390 px phone in {page.language}, {page.text_size} text:\n" + "\n".join(faults)


# How many lines the text inside an element takes.
LINES_OF_TEXT = """el => { const tops = new Set(); const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const r = document.createRange(); r.selectNodeContents(node);
    for (const box of r.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top)); }
  return tops.size; }"""


def test_a_name_in_the_category_editors_shows_whole_on_a_phone(keeper_phone):
    # "Small appli…": the name box of a category was narrower than its name, Hide off to the side.
    page = keeper_phone
    for path in CHOICE_EDITORS:
        page.goto(page.url.split("/keeper/")[0] + path)
        boxes = page.locator("main table input[name=name]")
        assert boxes.count() >= 5
        cut = [box.input_value() for box in boxes.all() if box.evaluate("el => el.scrollWidth > el.clientWidth")]
        assert not cut, f"{path} in {page.language}, {page.text_size} text: names cut in their boxes: {cut}"


def test_the_days_hours_and_the_review_buttons_on_a_phone(keeper_phone):
    page = keeper_phone
    hours = page.locator("[data-total=hours]")
    expect(hours).to_have_text(re.compile(r"^\d+[.,]\d$"))
    assert hours.evaluate("el => el.getClientRects().length") == 1 and hours.evaluate(LINES_OF_TEXT) == 1, \
        f"the day's hours {hours.inner_text()!r} break over lines in {page.language}, {page.text_size} text"
    page.goto(page.url.split("/keeper/")[0] + "/keeper/review")
    buttons = page.locator("main table .button")
    assert buttons.count() == 7  # 确认 and 更正 for each of three sessions, and 确认这一天
    for button in buttons.all():
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= KEEPER_PHONE["width"], \
            f"{button.inner_text()!r} lies at x {box['x']:.0f}–{box['x'] + box['width']:.0f} on a 390 px phone"
        hit = page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('.button')",
                            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2])
        assert hit, f"{button.inner_text()!r} does not take a tap at its middle"


def test_a_keepers_tables_stay_tables_on_a_tablet(browser, server, live_app):
    # What a phone gets must not reach the tablet: there the columns are read across as before.
    page = browser.new_page(viewport=PORTRAIT)
    sign_in(page, server, live_app, "/keeper/review")
    assert page.locator("main table").first.evaluate("el => getComputedStyle(el).display") == "table"
    assert page.locator("main thead").first.is_visible()
    page.close()


# A volunteer's own phone (390 × 844, and the small 360 px one), in large text.
@pytest.fixture
def my_hours(browser, server, live_app):
    """Opens /m/me on a phone linked to volunteer 3 (who served three mornings), in large text."""
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        for day in range(1, 4):
            begun = clock.now() - timedelta(days=day)
            db.session.add(ServiceSession(station_id=1, volunteer_id=3, checked_in_at=begun, check_in_method="scanner",
                                          checked_out_at=begun + timedelta(hours=3, minutes=30), check_out_method="scanner"))
        phone_cookie = remember_token(db.session.get(Volunteer, 3))
        db.session.commit()
    contexts = []

    def open_it(language, width=KEEPER_PHONE["width"], **options):
        context = browser.new_context(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True,
                                      locale="zh-CN", **options)
        contexts.append(context)
        context.add_cookies([{"name": name, "value": value, "url": server.url} for name, value in
                             (("kiosk_lang", language), ("kiosk_text", "large"), ("kiosk_phone", phone_cookie))])
        page = context.new_page()
        page.goto(server.url + "/m/me")
        expect(page.locator("main table tbody tr")).to_have_count(3)
        return page

    yield open_it
    for context in contexts:
        context.close()


# Each word of each column name ("Date", "时长", "（小时）") with how many lines it takes.
HEADER_WORDS = """() => [...document.querySelectorAll("main th")].flatMap(th => {
  const node = th.firstChild; if (!node || node.nodeType !== Node.TEXT_NODE) return [];
  const out = []; const words = /[^\\s（(]+|[（(][^\\s）)]*[）)]?/g; let m;
  while ((m = words.exec(node.textContent))) {
    const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
    out.push([m[0], new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top))).size]); }
  return out; })"""


@pytest.mark.parametrize("language, width", [("en", 390), ("zh_Hans", 390), ("zh_Hant", 390), ("en", 360)])
def test_my_hours_column_names_are_never_split_inside_a_word(my_hours, language, width):
    # "Dat/e", "Hour/s": in large text the names of the columns broke wherever the table squeezed them.
    page = my_hours(language, width)
    words = page.evaluate(HEADER_WORDS)
    assert len(words) >= 4 and all(lines == 1 for _, lines in words), \
        f"a column's name is split inside a word in {language} at {width} px: {words}"
    wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert max(wide, window) <= width
    table, main = page.locator("main table").bounding_box(), page.locator("main").bounding_box()
    assert table["x"] + table["width"] <= main["x"] + main["width"] + 0.5, "the hours table runs past the page's edge"


@pytest.mark.parametrize("scripts", [True, False], ids=["htmx", "no-script"])
def test_signing_this_phone_out_asks_first_and_stands_apart_from_the_hours(my_hours, scripts):
    # It signed the phone out at one tap, touching the hours table above it: linking again takes the
    # badge, or over plain HTTP a keeper's code.
    page = my_hours("en", java_script_enabled=scripts)
    ask = page.locator("main summary", has_text="Sign this phone out")
    gap = ask.bounding_box()["y"] - (lambda box: box["y"] + box["height"])(page.locator("main table").bounding_box())
    assert gap >= 24, f"the sign-out button is {gap:.0f} px below the hours"
    confirm = page.get_by_role("button", name="Yes, sign this phone out")
    expect(confirm).to_be_hidden()
    ask.click()
    expect(confirm).to_be_visible()
    expect(page.locator("main")).to_contain_text("code from a keeper")
    expect(page.locator("h1.phone-name")).to_contain_text("王建国")  # asking signed nothing out
    page.reload()
    expect(page.locator("h1.phone-name")).to_contain_text("王建国")
    page.locator("main summary").click()
    confirm.click()
    expect(page.locator("main h1")).to_have_text("My hours")
    expect(page.locator("main")).not_to_contain_text("王建国")


@pytest.mark.parametrize("text", ["normal", "large"])
def test_the_first_link_pages_heading_stands_apart_from_the_camera(browser, server, live_app, text):
    # 繁體: "或者：輸入編號和站長給的驗證碼" sat right on the camera box's edge.
    link = station_link(browser.new_page(), server, live_app)
    context = browser.new_context(viewport=KEEPER_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": "kiosk_lang", "value": "zh_Hant", "url": server.url},
                         {"name": "kiosk_text", "value": text, "url": server.url}])
    page = context.new_page()
    page.goto(link)
    camera = page.locator("#phone-link .camera").bounding_box()
    heading = page.locator("#phone-link h2", has_text="站長給的驗證碼").bounding_box()
    gap = heading["y"] - (camera["y"] + camera["height"])
    assert gap >= 16, f"the heading is {gap:.0f} px below the camera"
    context.close()


# The reports' figures on a phone: a table of figures is no list of cards, so it keeps its columns,
# a figure and a word stay whole ("+ / 20", "202 / 6年 / 12月" were one), and a table wider than the
# phone scrolls inside its own box, never the page.
REPORT_TABLES = """() => [...document.querySelectorAll("main table")].map(table => {
  const box = table.parentElement, style = getComputedStyle(box);
  return [table.className, table.getBoundingClientRect().width, box.clientWidth,
          ["auto", "scroll"].includes(style.overflowX), box.getBoundingClientRect().right]; })"""


@pytest.mark.parametrize("language", ["en", "zh_Hans", "zh_Hant"])
def test_the_reports_figures_stay_whole_on_a_phone(browser, server, live_app, language):
    with live_app.app_context():
        admin = Keeper(station_id=None, username="admin", display_name="区管理员", role="admin", active=True)
        admin.set_password("admin-pw")
        db.session.add(admin)
        db.session.commit()
    context = browser.new_context(viewport=KEEPER_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                         {"name": "kiosk_text", "value": "large", "url": server.url}])
    page = context.new_page()
    page.goto(server.url + "/keeper/login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill("admin-pw")
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r"/keeper/(?!login)"))
    faults = []
    for path in ["/keeper/reports?kind=month&month=2026-12", "/keeper/reports/district?kind=month&month=2026-12"]:
        page.goto(server.url + path)
        wide, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if max(wide, window) > KEEPER_PHONE["width"]:
            faults.append(f"{path} scrolls sideways: {wide} px wide")
        broken = [(text, lines) for text, lines in page.evaluate(CELL_TEXTS)
                  if lines > 1 and (re.fullmatch(r"[+\-−–]?[\d.,:%]+|\d{4}年\d{1,2}月", text) or len(text) < 3 * lines)]
        if broken:
            faults.append(f"{path}: figures or words broken over lines: {broken}")
        main = page.locator("main").bounding_box()
        for name, width, room, scrolls, right in page.evaluate(REPORT_TABLES):
            if width > room + 1 and not scrolls:
                faults.append(f"{path}: table {name!r} is {width:.0f} px in {room} px, and its box does not scroll")
            if right > main["x"] + main["width"] + 1:
                faults.append(f"{path}: table {name!r}'s box runs to x {right:.0f}")
    context.close()
    assert not faults, f"on a 390 px phone in {language}, large text:\n" + "\n".join(faults)


def luminance(colour):
    """The relative luminance of a computed CSS colour ("rgb(232, 217, 204)")."""
    channels = [int(c) / 255 for c in re.findall(r"\d+(?:\.\d+)?", colour)[:3]]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one, other):
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


PAGE_BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"


def test_a_chosen_tile_is_marked_by_more_than_its_colour(page, server):
    # The chosen category differed from the others by its border's colour and a pale fill alone, and
    # an unchosen tile's border (#e8d9cc) hardly showed on the page (1.33:1): tiles read as no buttons.
    page.context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url}])
    page.goto(server.url + "/suggest/")
    tiles = page.locator(".choice span")
    page.locator(".choice").first.click()
    chosen, other = tiles.first, tiles.nth(1)
    style = "(el, what) => getComputedStyle(el, what)"
    mark = chosen.evaluate("el => getComputedStyle(el, '::before').content")
    assert "✓" in mark, f"the chosen tile carries no mark: {mark!r}"
    assert other.evaluate("el => getComputedStyle(el, '::before').content") in ("none", "normal", '""')
    width = lambda tile: float(tile.evaluate(f"el => ({style})(el, null).borderTopWidth").rstrip("px"))  # noqa: E731
    assert width(chosen) > width(other), "the chosen tile's border is no thicker than the others'"
    background = page.evaluate(PAGE_BACKGROUND)
    border = other.evaluate("el => getComputedStyle(el).borderTopColor")
    assert contrast(border, background) >= 3, f"an unchosen tile's border {border} is {contrast(border, background):.2f}:1"


def test_fields_and_their_placeholders_stand_out_from_the_page(page, server, live_app):
    # A text box's #bbb border was 1.85:1 on the page, the scanner's dashed line 1.33:1, and a
    # placeholder's grey 4.61:1 where the README promises 7:1 for text.
    page.context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url}])
    faults = []
    for path, selector in [("/suggest/", "#text"), ("/swap/take", "[data-scanner-input]"), ("/keeper/volunteers", "#q"),
                           ("/keeper/reports", "#period-year"), ("/keeper/volunteers/new", "#name")]:
        if path.startswith("/keeper") and "/keeper/" not in page.url:
            sign_in(page, server, live_app, path)
        page.goto(server.url + path)
        field = page.locator(selector).first
        page.locator("main h1").first.click()  # nothing focused: the field as it waits
        background = page.evaluate(PAGE_BACKGROUND)
        border = field.evaluate("el => getComputedStyle(el).borderTopColor")
        if contrast(border, background) < 3:
            faults.append(f"{path} {selector}: border {border} is {contrast(border, background):.2f}:1 on the page")
        if field.get_attribute("placeholder"):
            hint = field.evaluate("el => getComputedStyle(el, '::placeholder').color")
            fill = field.evaluate("el => getComputedStyle(el).backgroundColor")
            if contrast(hint, fill) < 7:
                faults.append(f"{path} {selector}: placeholder {hint} is {contrast(hint, fill):.2f}:1")
    assert not faults, "\n".join(faults)


@pytest.mark.parametrize("path, selector", [("/keeper/activities", "input[name=recurring]"),
                                            ("/suggest/", "input[name=anonymous]"),
                                            ("/keeper/volunteers/new", "input[name=teams]")])
def test_a_check_box_keeps_its_size_and_grows_with_large_text(browser, server, live_app, path, selector):
    # Beside three lines of words the recurring duty's box shrank to 13 × 24 px; the others stayed
    # 24 px while the words around them grew.
    sizes = {}
    for text in ("normal", "large"):
        context = browser.new_context(viewport=KEEPER_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url},
                             {"name": "kiosk_text", "value": text, "url": server.url}])
        page = context.new_page()
        if path.startswith("/keeper"):
            sign_in(page, server, live_app, path)
        page.goto(server.url + path)
        box = page.locator(selector).first.bounding_box()
        sizes[text] = (round(box["width"]), round(box["height"]))
        context.close()
    for text, (width, height) in sizes.items():
        assert width == height >= 24, f"the box on {path} is {width} × {height} px in {text} text"
    assert sizes["large"][0] > sizes["normal"][0], f"the box on {path} does not grow with large text: {sizes}"


@pytest.fixture
def large_phone(browser, server):
    """A phone (390 px) in large text, reading English unless told."""
    contexts = []

    def open_it(language="en"):
        context = browser.new_context(viewport=KEEPER_PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        contexts.append(context)
        context.add_cookies([{"name": "kiosk_lang", "value": language, "url": server.url},
                             {"name": "kiosk_text", "value": "large", "url": server.url}])
        return context.new_page()

    yield open_it
    for context in contexts:
        context.close()


# Each run of text inside the elements, with how many lines it takes.
TEXT_LINES = """(els) => els.flatMap(el => { const out = []; const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const text = node.textContent.trim(); if (!text) continue;
    const r = document.createRange(); r.selectNodeContents(node); const tops = new Set();
    for (const box of r.getClientRects()) if (box.width > 0) tops.add(Math.round(box.top));
    out.push([text, tops.size]); }
  return out; })"""


def last_line(page, selector):
    """The words on the last line of the element's text."""
    return page.locator(selector).first.evaluate("""el => {
      const node = [...el.childNodes].reverse().find(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      const text = node.textContent; const r = document.createRange(); let last = null, from = 0;
      for (let i = 0; i < text.length; i++) { r.setStart(node, i); r.setEnd(node, i + 1);
        const box = r.getClientRects()[0]; if (!box || !box.width) continue;
        if (last !== null && Math.round(box.top) > last) from = i; last = Math.round(box.top); }
      return text.slice(from).trim(); }""")


# How many lines `name` takes inside the element, wherever in its text it stands.
NAME_LINES = """(el, name) => { const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const at = node.textContent.indexOf(name); if (at < 0) continue;
    const r = document.createRange(); r.setStart(node, at); r.setEnd(node, at + name.length);
    return new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top))).size; }
  return 0; }"""


def test_a_check_in_result_keeps_a_name_and_a_figure_whole_on_a_phone(large_phone, server, live_app):
    # "Welcome, 杨*" over "兰", and "In all 0" over "h".
    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, 6))
    page = large_phone()
    page.goto(server.url + "/checkin/")
    page.locator("[data-scanner-input]").focus()
    page.keyboard.type(token, delay=5)
    page.keyboard.press("Enter")
    headline = page.locator("#scan-result .outcome-headline")
    expect(headline).to_contain_text("杨*兰")
    name = headline.evaluate(NAME_LINES, "杨*兰")
    assert name == 1, f"the name breaks over lines: {headline.inner_text()!r}"
    assert last_line(page, "#scan-result .outcome-totals") not in ("h", "小时", "小時"), "a unit stands alone on its line"


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "en"])
def test_a_check_in_and_out_never_split_the_name_from_a_phone_to_an_upright_tablet(large_phone, server, live_app, language):
    # "欢迎，杨" over "*兰" (488–568 px wide), "Thank you, 杨*" over "兰" (up to 800): the headline broke
    # inside the masked name where the line ran out.
    with live_app.app_context():
        token = badge_token(db.session.get(Volunteer, 6))
    page = large_phone(language)
    page.goto(server.url + "/checkin/")
    split = []
    for outcome in ("checked_in", "checked_out"):
        page.locator("[data-scanner-input]").focus()
        page.keyboard.type(token, delay=5)
        page.keyboard.press("Enter")
        headline = page.locator(f"#scan-result .outcome-{outcome} .outcome-headline")
        expect(headline).to_contain_text("杨*兰")
        for width in range(320, 801, 8):
            page.set_viewport_size({"width": width, "height": 844})
            if headline.evaluate(NAME_LINES, "杨*兰") != 1:
                split.append((outcome, width, headline.inner_text()))
        page.set_viewport_size(KEEPER_PHONE)
        live_app.extensions["kiosk_clock"].advance(hours=2)  # past the duplicate-scan window
    assert not split, f"the name breaks over lines in {language}: {split}"


@pytest.mark.parametrize("language, words", [("zh_Hans", ["您还在吗？", "我还在用"]), ("en", ["Still there?"])])
def test_the_idle_warning_keeps_its_words_whole_on_a_phone(large_phone, server, language, words):
    # "您还在" over "吗？", and the button "我还在" over "用", with room to spare in the box.
    page = large_phone(language)
    page.goto(server.url + "/checkin/")
    page.evaluate("document.getElementById('idle-warning').hidden = false")
    lines = dict(page.locator("#idle-warning .idle-title, #idle-warning button").evaluate_all(TEXT_LINES))
    for word in words:
        assert lines.get(word) == 1, f"{word!r} breaks over lines in {language}: {lines}"


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant", "en"])
def test_the_home_date_and_a_long_choice_read_whole_on_a_phone(large_phone, server, live_app, language):
    # "2026年12月8日星期" over "二"; the rounding step cut off as "取整到半小时（30 分钟".
    page = large_phone(language)
    page.goto(server.url + "/")
    date = page.locator(".home-date")
    assert date.evaluate(LINES_OF_TEXT) == 1, f"the date breaks: {date.inner_text()!r}"
    sign_in(page, server, live_app, "/keeper/settings")
    for choice in page.locator("main select").all() + [None]:
        if choice is None:
            page.goto(server.url + "/keeper/badges")
            choice = page.locator("main select").first
        cut = choice.evaluate("""el => { const style = getComputedStyle(el); const c = document.createElement("canvas").getContext("2d");
          c.font = style.font; const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
          return [...el.options].filter(o => c.measureText(o.text).width > room).map(o => o.text); }""")
        # English rounding steps ("to the quarter hour (15 minutes)") are longer than a phone's line at
        # any readable size: a closed choice box shows one line, so they still end in "…" there.
        if language != "en" or "/settings" not in page.url:
            assert not cut, f"{page.url}: choices cut off in their box in {language}: {cut}"
        box = choice.bounding_box()
        assert box["x"] + box["width"] <= KEEPER_PHONE["width"], f"{page.url}: the choice runs off the side"
