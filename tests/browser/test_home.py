"""The home screen and the base layout as a person at the tablet meets them."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT


KIOSK_SCREENS = ["/", "/checkin/", "/checkin/forgot", "/services/", "/swap/", "/swap/bring", "/swap/take", "/suggest/",
                 "/suggest/done", "/suggest/find"]


@pytest.mark.parametrize("path", KIOSK_SCREENS)
@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_kiosk_screens_fit_the_tablet_with_big_targets(page, server, viewport, path):
    page.set_viewport_size(viewport)
    page.goto(server.url + path)
    expect(page.locator("h1")).to_be_visible()
    # The screen opens at its top (the header: station, language, large text), not scrolled down
    # to a field that took the focus.
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == 0
    # Nothing scrolls sideways, and every control a finger might press is at least 48 px each way.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    sizes = page.eval_on_selector_all(
        "a, button, input:not([type=hidden]), select, .tile",
        "els => els.filter(e => e.getClientRects().length && !e.closest('.visually-hidden, [hidden]'))"
        # A checkbox (or the photo's file input) is pressed through its label: the label is the target that counts.
        ".map(e => e.closest('label') || (e.type === 'file' && e.labels.length ? e.labels[0] : e))"
        ".map(e => { const r = e.getBoundingClientRect(); return [e.textContent.trim(), r.width, r.height]; })",
    )
    small = [s for s in sizes if s[1] < 48 or s[2] < 48]
    assert small == []


def test_home_shows_the_station_and_its_tiles(page, server):
    page.goto(server.url + "/")
    expect(page.locator("h1")).to_have_text("幸福里暖心驿站")
    expect(page.locator(".tile")).to_have_count(6)


def test_language_switch_changes_the_page_and_is_remembered(page, server):
    page.goto(server.url + "/")
    expect(page.locator(".tile-checkin .tile-label")).to_have_text("志愿者签到")
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator(".tile-checkin .tile-label")).to_have_text("志願者簽到")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    page.get_by_role("button", name="English").click()
    expect(page.locator(".tile-checkin .tile-label")).to_have_text("Volunteer check-in")
    page.reload()
    expect(page.locator(".tile-checkin .tile-label")).to_have_text("Volunteer check-in")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator(".tile-checkin .tile-label")).to_have_text("志愿者签到")


def test_idle_kiosk_screen_warns_then_returns_home(page, server):
    page.expected_errors.append("status of 404")
    page.clock.install()
    page.goto(server.url + "/no-such-screen")
    expect(page.get_by_role("heading", name="找不到这个页面")).to_be_visible()
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()
    page.clock.run_for(59_000)
    expect(warning).to_be_hidden()
    page.clock.run_for(2_000)
    expect(warning).to_be_visible()
    assert int(page.locator("[data-idle-count]").text_content()) >= 19
    # "I'm still here" gives the person their full time back.
    page.get_by_role("button", name="我还在用").click()
    expect(warning).to_be_hidden()
    page.clock.run_for(61_000)
    expect(warning).to_be_visible()
    page.clock.run_for(21_000)
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".tile")).to_have_count(6)


def test_a_badge_scanned_on_the_home_screen_checks_in_there(page, server, live_app):
    """Every kiosk screen goes home when left alone: the next volunteer's scan must not be lost there."""
    from tests.browser.test_scanner import Scanner, checked_in, outcomes, tokens

    first, = tokens(live_app, 1)
    page.goto(server.url + "/")
    page.evaluate("document.activeElement.blur()")  # nothing in focus, as after a tap on the screen
    Scanner(page).scan(first, enter=False)
    expect(outcomes(page)).to_have_attribute("data-outcome", "checked_in")
    assert checked_in(live_app) == [1]
    expect(page.locator(".tiles")).to_be_visible()  # still the home screen
    expect(outcomes(page)).to_be_in_viewport(ratio=1)  # the whole answer, where the volunteer can read it


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_a_scan_at_home_is_answered_in_sight_and_the_scanner_keeps_the_focus(page, server, live_app, viewport):
    from tests.browser.test_scanner import Scanner, outcomes, tokens

    first, = tokens(live_app, 1)
    page.set_viewport_size(viewport)
    page.goto(server.url + "/")
    expect(page.locator("[data-scanner-input]")).to_be_focused()
    assert page.evaluate("window.scrollY") == 0
    Scanner(page).scan(first)
    expect(outcomes(page)).to_be_in_viewport(ratio=1)


# Probe: with the station computer out of reach, a screen left alone went "home" to the browser's
# own "This site can't be reached" page and stayed there after the computer came back.
def test_a_screen_left_alone_while_the_station_is_out_of_reach_empties_itself_and_goes_home_once_it_answers(
        page, server):
    page.clock.install()
    page.goto(server.url + "/suggest/")
    page.locator("#text").fill("楼道灯坏了")
    down = lambda route: route.abort("internetdisconnected")  # noqa: E731 - the Wi-Fi dropped
    page.route(re.compile(r".*/$"), down)
    page.expected_errors += ["ERR_INTERNET_DISCONNECTED"]
    page.clock.run_for(61_000 + 21_000)
    note = page.locator("[data-offline]")
    expect(note).to_contain_text("暂时连不上驿站电脑")
    expect(note).to_have_attribute("role", "alert")
    expect(page.locator("#text")).to_have_count(0)  # what was typed is not left up for the next person
    assert page.url.endswith("/suggest/")
    page.unroute(re.compile(r".*/$"))
    page.clock.run_for(11_000)
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".tile")).to_have_count(6)


def test_a_tap_the_station_cannot_answer_says_it_was_not_saved_and_keeps_what_was_typed(page, server, live_app):
    from kiosk.suggest.models import Suggestion
    from sqlalchemy import func, select

    page.goto(server.url + "/suggest/")
    page.locator(".choice").first.click()
    page.locator("#text").fill("楼道灯坏了")
    page.route("**/suggest/", lambda route: route.abort("internetdisconnected") if route.request.method == "POST"
               else route.continue_())
    page.expected_errors += ["htmx:afterRequest", "htmx:sendError", "ERR_INTERNET_DISCONNECTED"]
    page.get_by_role("button", name="投进建议筒").click()
    note = page.locator("[data-offline]")
    expect(note).to_contain_text("驿站电脑没有回应，刚才的没有存上")
    expect(page.locator("#text")).to_have_value("楼道灯坏了")
    with live_app.app_context():
        assert live_app.extensions["sqlalchemy"].session.scalar(select(func.count()).select_from(Suggestion)) == 0
    page.unroute("**/suggest/")
    page.get_by_role("button", name="投进建议筒").click()
    expect(page.locator(".receipt")).to_be_visible()
    expect(note).to_have_count(0)  # the next answer takes the note away


# Probe: on screens with a scanner field, Space on a focused button moved the focus to the
# scanner field instead of pressing the button (keyboard and switch users could not use it).
@pytest.mark.parametrize("path", ["/", "/checkin/"])
def test_space_presses_the_button_in_focus_on_a_screen_that_listens_for_a_scanner(page, server, path):
    page.goto(server.url + path)
    english = page.locator('.language-switch button[value="en"]')
    english.focus()
    page.keyboard.press("Space")
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")


# Probe: on a slow link the suggestion and swap forms showed only a paler button for seconds.
def test_a_form_whose_answer_is_slow_says_it_is_on_its_way(page, server):
    page.goto(server.url + "/suggest/")
    page.locator(".choice").first.click()
    page.locator("#text").fill("楼道灯坏了")
    held = []
    page.route("**/suggest/", lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.get_by_role("button", name="投进建议筒").click()
    pending = page.locator("[data-pending]")
    expect(pending).to_have_text("正在处理，请稍候…")
    expect(pending).to_have_attribute("role", "status")
    held[0].continue_()
    expect(page.locator(".receipt")).to_be_visible()
    expect(pending).to_have_count(0)


def test_the_start_screen_of_a_tablet_not_set_up_as_the_kiosk_loads_itself_again_when_left_alone(page, server):
    """Only the station's kiosk tablet had the idle reset: any other tablet left on the start screen
    showed yesterday's date and lists for good. It now loads again after five untouched minutes,
    with no "Still there?" (nobody is using it), and not while someone is."""
    page.clock.install()
    page.goto(server.url + "/")
    # A mark on this load of the page, gone once it loads again. (Waited for with a selector:
    # wait_for_function evaluates a string, which the page's CSP forbids now and then.)
    page.evaluate("document.body.dataset.loadedBefore = '1'")
    loaded_before = page.locator("body[data-loaded-before]")
    page.clock.run_for(200_000)
    page.mouse.click(5, 400)  # someone touches it: the five minutes start again
    page.clock.run_for(200_000)
    expect(loaded_before).to_have_count(1)
    expect(page.locator("#idle-warning")).to_have_count(0)
    page.clock.run_for(101_000)
    expect(loaded_before).to_have_count(0)
    expect(page.locator(".tile")).to_have_count(6)
