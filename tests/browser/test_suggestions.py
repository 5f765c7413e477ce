"""The suggestion box end to end: a resident drops one at the kiosk, follows it on a phone, a keeper
resolves it in another page, and the reply shows on the tracking page and on "you said, we did"."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.people.models import Keeper

PHONE = {"width": 390, "height": 844}


def keeper_opens(browser, server, live_app, path: str):
    """The station's keeper, on a tablet of their own, signs in on the way to `path`."""
    with live_app.app_context():
        db.session.scalar(select(Keeper)).set_password("keeper-pw")
        db.session.commit()
    keeper = browser.new_context().new_page()
    keeper.goto(server.url + path)
    keeper.locator("#username").fill("keeper")
    keeper.locator("#password").fill("keeper-pw")
    keeper.get_by_role("button", name="登录").click()
    return keeper


def test_submit_track_resolve_and_see_the_reply(browser, page, server, live_app):
    page.goto(server.url + "/suggest/")
    page.get_by_role("radio", name="公共设施").click()
    text = page.locator("#text")
    text.fill("三号楼楼道的灯坏了，晚上很黑 <b>请修</b>")
    expect(page.locator("[data-counter-for=text]")).to_have_text(re.compile(r"^2\d / 500$"))
    page.get_by_role("button", name="投进建议筒").click()
    receipt = page.locator(".receipt")
    expect(receipt).to_be_visible()
    code = receipt.get_attribute("data-tracking")
    link = page.locator(".receipt-link").text_content().strip()
    assert link.endswith(f"/s/{code}")

    phone = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN").new_page()
    phone.goto(link)
    expect(phone.locator("[data-status]")).to_have_text("已收到")

    keeper = keeper_opens(browser, server, live_app, f"/keeper/suggestions/{code}")
    expect(keeper.locator("[data-text]")).to_have_text("三号楼楼道的灯坏了，晚上很黑 <b>请修</b>")
    keeper.get_by_role("radio", name="已解决").click()
    keeper.locator("#public_reply").fill("已经换了新灯，谢谢提醒！")
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("h1")).to_contain_text("已解决")

    phone.reload()
    expect(phone.locator("[data-status]")).to_have_text("已解决")
    expect(phone.locator("[data-reply]")).to_have_text("已经换了新灯，谢谢提醒！")
    page.goto(server.url + "/suggest/done")
    expect(page.locator("[data-you-said]")).to_contain_text("已经换了新灯，谢谢提醒！")
    expect(page.locator("[data-you-said]")).to_contain_text("<b>请修</b>")  # shown as text, never as markup
    page.goto(server.url + "/")
    expect(page.locator(".home-done")).to_contain_text("已经换了新灯")


def test_the_keeper_sees_and_edits_what_residents_will_see_before_publishing(browser, page, server, live_app):
    """A volunteer's name in a suggestion is masked in the preview; the preview follows the keeper's
    edit as it is typed, and the saved wording is what the status page shows."""
    page.goto(server.url + "/suggest/")
    page.get_by_role("radio", name="公共设施").click()
    page.locator("#text").fill("谢谢李桂英阿姨帮我修好了椅子")
    page.get_by_role("button", name="投进建议筒").click()
    code = page.locator(".receipt").get_attribute("data-tracking")

    keeper = keeper_opens(browser, server, live_app, f"/keeper/suggestions/{code}")
    preview = keeper.locator("[data-mirror-of=public_wording]")
    expect(preview).to_have_text("谢谢李*英阿姨帮我修好了椅子")
    keeper.locator("#public_wording").fill("谢谢一位志愿者阿姨帮忙修好了椅子 <b>")
    expect(preview).to_have_text("谢谢一位志愿者阿姨帮忙修好了椅子 <b>")  # as text, never as markup
    keeper.get_by_role("radio", name="已受理").click()
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("h1")).to_contain_text("已受理")

    page.goto(server.url + f"/s/{code}")
    expect(page.locator("[data-wording]")).to_have_text("谢谢一位志愿者阿姨帮忙修好了椅子 <b>")
    expect(page.locator("body")).not_to_contain_text("李桂英")


def test_the_counter_counts_characters_as_the_server_does(page, server):
    """An emoji is one character to the server (a code point) but two to JavaScript's .length."""
    page.goto(server.url + "/suggest/")
    page.locator("#text").fill("路灯" + "\U0001F600" * 5)
    expect(page.locator("[data-counter-for=text]")).to_have_text("7 / 500")


def test_a_text_with_emoji_can_be_as_long_as_the_counter_says(page, server):
    """The browser's maxlength counts an emoji twice: 300 emoji stopped at 250 while the counter
    said 250 / 500. The limit is the server's, in characters, and no more than it."""
    page.goto(server.url + "/suggest/")
    text = page.locator("#text")
    text.click()
    page.keyboard.insert_text("\U0001F600" * 300)
    expect(page.locator("[data-counter-for=text]")).to_have_text("300 / 500")
    page.keyboard.insert_text("灯" * 300)
    expect(page.locator("[data-counter-for=text]")).to_have_text("500 / 500")
    assert text.input_value() == "\U0001F600" * 300 + "灯" * 200


def test_what_was_typed_stays_when_the_language_or_text_size_changes(page, server, live_app):
    """An older resident half-way through a suggestion switches to 繁體 or to large text: the
    page reloads in the new language with what they had typed and chosen still there."""
    page.goto(server.url + "/suggest/")
    page.get_by_role("radio", name="公共设施").click()
    page.locator("#text").fill("三号楼楼道的灯坏了")
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#text")).to_have_value("三号楼楼道的灯坏了")
    expect(page.get_by_role("radio", name="公共設施")).to_be_checked()
    expect(page.locator("[data-counter-for=text]")).to_have_text("9 / 500")
    page.locator("[data-text-size-switch]").click()
    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    expect(page.locator("#text")).to_have_value("三号楼楼道的灯坏了")
    # Kept for that one reload only: coming back to the box later starts it empty.
    page.goto(server.url + "/suggest/")
    expect(page.locator("#text")).to_have_value("")
