"""A keeper adds a colleague on My account with a finger, on the tablet held upright, in Chinese:
the new password stands big and whole on the screen, the colleague signs in with it; a new
password for them later sends their tablet back to the sign-in page."""

import os
import re

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.people.models import Keeper
from tests.browser.conftest import PORTRAIT


def sign_in(page, server, username, password):
    page.goto(server.url + "/keeper/today")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/keeper/(?!login)"))


def shown_password(page) -> str:
    password = page.locator("[data-one-time-password]")
    expect(password).to_be_visible()
    box = password.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PORTRAIT["width"]  # whole on the screen
    assert float(password.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 28  # big
    return password.inner_text().strip()


def shot(page, name):
    """KEEPER_SHOTS=folder keeps a picture of each step, to look at while changing the pages."""
    if os.environ.get("KEEPER_SHOTS"):
        page.screenshot(path=os.path.join(os.environ["KEEPER_SHOTS"], f"{name}.png"), full_page=True)


def test_a_keeper_adds_a_colleague_and_later_gives_them_a_new_password(browser, server, live_app):
    with live_app.app_context():
        db.session.scalar(select(Keeper)).set_password("keeper-pw")
        db.session.commit()
    mine = browser.new_context(viewport=PORTRAIT, locale="zh-CN", has_touch=True)
    theirs = browser.new_context(viewport=PORTRAIT, locale="zh-CN", has_touch=True)
    try:
        page = mine.new_page()
        sign_in(page, server, "keeper", "keeper-pw")
        page.get_by_text("更多").tap()  # My account is among the pages not used every day
        page.get_by_role("link", name="我的账号").tap()
        expect(page.get_by_role("heading", name="本站的站长")).to_be_visible()
        page.get_by_label("用户名").fill("lina")
        page.get_by_label("显示的名字").fill("李娜")
        page.get_by_role("button", name="添加", exact=True).tap()
        expect(page.get_by_role("heading", name="李娜已成为本站的站长")).to_be_visible()
        expect(page.get_by_text("请把这个密码交给李娜")).to_be_visible()
        first = shown_password(page)
        shot(page, "added")

        colleague = theirs.new_page()
        sign_in(colleague, server, "lina", first)

        page.get_by_role("link", name="好的").tap()
        shot(page, "account")
        page.locator('[data-keeper="lina"]').get_by_role("link", name="新密码").tap()
        expect(page.get_by_role("heading", name="要给李娜换一个新密码吗？")).to_be_visible()
        shot(page, "confirm")
        page.get_by_role("button", name="确定换新密码").tap()
        second = shown_password(page)
        assert second != first
        shot(page, "new-password")

        colleague.reload()
        expect(colleague.locator("#password")).to_be_visible()  # sent to sign in again
        sign_in(colleague, server, "lina", second)
    finally:
        mine.close()
        theirs.close()
