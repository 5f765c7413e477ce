"""What forms.js adds to a keeper's forms: a paste cut short by a field's limit says so beside it, and the
language and text-size switches keep a search made in place."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PORTRAIT
from tests.browser.test_today import sign_in

NOTES = {
    "en": "The pasted text was longer than {max} characters, so only the first {max} were kept.",
    "zh_Hans": "粘贴的内容超过 {max} 个字，只留下了前 {max} 个字。",
}


def paste(page, field, text: str) -> None:
    """As a keeper pastes from another window: through the clipboard, with the keyboard."""
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    field.focus()
    page.keyboard.press("Control+V")


@pytest.fixture
def keeper_page(browser, server, live_app):
    context = browser.new_context(viewport=PORTRAIT, locale="zh-CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    sign_in(page, server, live_app)
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh_Hans"])
def test_a_pasted_name_cut_at_its_limit_says_so_beside_the_field(keeper_page, server, lang):
    page = keeper_page
    page.context.add_cookies([{"name": "kiosk_lang", "value": lang, "url": server.url}])
    page.goto(f"{server.url}/keeper/volunteers/new")
    name = page.locator("#name")
    paste(page, name, "张" * 300)
    expect(name).to_have_value("张" * 40)
    note = page.locator('.field:has(#name) [data-paste-note-for="name"]')
    expect(note).to_have_text(NOTES[lang].format(max=40))
    name.fill("")
    paste(page, name, "张晓华")  # a paste that fits: the note has done its work
    expect(name).to_have_value("张晓华")
    expect(note).to_have_count(0)


def test_a_paste_that_fits_says_nothing(keeper_page, server):
    page = keeper_page
    page.goto(f"{server.url}/keeper/volunteers/new")
    paste(page, page.locator("#skills"), "理发、理疗\r\n家政")  # a line break becomes a space, not a cut
    expect(page.locator("#skills")).to_have_value("理发、理疗 家政")
    page.locator("#mobile").click()
    expect(page.locator("[data-paste-note-for]")).to_have_count(0)


# Probe: a search made in place moved the address on (?q=0003), but the language and text-size
# switches brought the page back to the address it was loaded at: the box still said 0003 and the
# list showed everyone.
@pytest.mark.parametrize("switch", ['.language-switch button[value="en"]', ".text-size-switch button"])
def test_a_switch_keeps_a_search_made_in_place(keeper_page, server, switch):
    page = keeper_page
    page.goto(server.url + "/keeper/volunteers")
    rows = page.locator("#volunteer-results tbody tr")
    expect(rows).not_to_have_count(1)
    page.locator("#q").press_sequentially("0003", delay=50)  # the list follows the typing, in place
    expect(page).to_have_url(server.url + "/keeper/volunteers?q=0003")
    expect(rows).to_have_count(1)
    page.locator(switch).first.click()
    page.wait_for_load_state()
    expect(page.locator("#q")).to_have_value("0003")
    expect(rows).to_have_count(1)


# Probe: Today's search did not move the address at all, so a switch (or a reload) lost it.
def test_a_switch_keeps_todays_search(keeper_page, server):
    page = keeper_page
    page.goto(server.url + "/keeper/today")
    page.locator("#q").press_sequentially("0002", delay=50)
    expect(page.locator("[data-matches]")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/keeper/today\?.*q=0002"))
    page.locator('.language-switch button[value="en"]').click()
    expect(page.locator("[data-matches]")).to_contain_text("“0002”")
    expect(page.locator("#q")).to_have_value("0002")
