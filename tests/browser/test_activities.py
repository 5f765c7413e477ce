"""Recording an activity held elsewhere with many volunteers: who signed up comes first, and a box
finds the rest by name (either script) or number without sending the form."""

from datetime import timedelta

from playwright.sync_api import expect

from kiosk.activities.models import Activity, Signup
from kiosk.core.extensions import db
from tests.browser.conftest import PORTRAIT
from tests.browser.test_today import sign_in


def test_the_record_list_puts_sign_ups_first_and_filters_as_a_name_is_typed(context, server, live_app):
    clock = live_app.extensions["kiosk_clock"]
    with live_app.app_context():
        now = clock.now()
        walk = Activity(station_id=1, name="河道巡护", place="滨河路", content="捡垃圾", starts_at=now - timedelta(hours=3),
                        ends_at=now - timedelta(hours=1), created_at=now)
        db.session.add(walk)
        db.session.flush()
        db.session.add(Signup(activity_id=walk.id, volunteer_id=20, at=now))  # 欧阳明月, No. 0020
        db.session.commit()
        activity_id = walk.id

    page = context.browser.new_context(viewport=PORTRAIT, locale="zh-CN").new_page()
    sign_in(page, server, live_app)
    page.goto(f"{server.url}/keeper/activities/{activity_id}")
    ticks = page.locator("#record-volunteers label.checkbox")
    expect(ticks).to_have_count(20)
    expect(ticks.first).to_contain_text("欧阳明月")
    expect(ticks.first).to_contain_text("已报名")

    ticks.first.locator("input").check()
    find = page.get_by_label("按姓名或编号找")
    find.fill("張曉華")  # typed in traditional characters: the registered 张晓华 is found
    find.press("Enter")  # filters; does not send the form
    visible = page.locator("#record-volunteers label.checkbox:visible")
    expect(visible).to_have_count(2)  # 张晓华, and the one already ticked stays in sight
    expect(visible.nth(1)).to_contain_text("张晓华")
    find.fill("0012")
    expect(visible).to_have_count(2)
    expect(visible.nth(1)).to_contain_text("孙立新")
    visible.nth(1).locator("input").check()
    find.fill("")
    expect(visible).to_have_count(20)
    page.get_by_role("button", name="记录他们的时长").click()
    expect(page.locator(".flash")).to_contain_text("2")


def test_a_plan_with_several_mistakes_shows_every_message_after_one_tap(context, server, live_app):
    """The browser's own check stopped at the first empty box, and the server then said one thing
    per send: now the first tap shows every field's message beside it."""
    page = context.browser.new_context(viewport=PORTRAIT, locale="zh-CN").new_page()
    sign_in(page, server, live_app)
    page.goto(f"{server.url}/keeper/activities")
    form = page.locator("form.stack-form")
    form.locator("#name").fill("")
    form.locator("#capacity").fill("0")
    form.get_by_role("button", name="保存").click()
    expect(form.locator("#name-error")).to_have_text("请填写这一项")
    expect(form.locator("#starts_at-error")).to_have_text("请填写这一项")
    expect(form.locator("#ends_at-error")).to_have_text("请填写这一项")
    expect(form.locator("#capacity-error")).to_contain_text("名额：请填 1 到")
