"""What someone typed into a form that could not be saved comes back: a keeper signed out
elsewhere meanwhile, a keeper's page open too long, a kiosk tablet whose session was renewed
while a resident typed, and a sign-in refused before a language switch."""

from playwright.sync_api import expect
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.people.keepers import sign_out_everywhere
from kiosk.people.models import Keeper
from kiosk.suggest.models import Suggestion
from tests.browser.test_suggestions import keeper_opens


def drop_a_suggestion(page, server) -> str:
    page.goto(server.url + "/suggest/")
    page.get_by_role("radio", name="公共设施").click()
    page.locator("#text").fill("三号楼楼道的灯坏了")
    page.get_by_role("button", name="投进建议筒").click()
    return page.locator(".receipt").get_attribute("data-tracking")


def reply_of(live_app, code: str) -> str | None:
    with live_app.app_context():
        return db.session.scalar(select(Suggestion.public_reply).where(Suggestion.tracking_code == code))


def test_a_reply_typed_while_signed_out_elsewhere_comes_back_after_signing_in(browser, page, server, live_app):
    code = drop_a_suggestion(page, server)
    keeper = keeper_opens(browser, server, live_app, f"/keeper/suggestions/{code}")
    keeper.get_by_role("radio", name="已解决").click()
    keeper.locator("#public_reply").fill("已经换了新灯，谢谢提醒！")
    with live_app.app_context():  # 退出登录 on the keeper's phone ends this tablet's sign-in too
        sign_out_everywhere(db.session.scalar(select(Keeper)))
        db.session.commit()
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("[data-unsaved]")).to_be_visible()
    keeper.locator("#username").fill("keeper")
    keeper.locator("#password").fill("wrong-pw")  # a slip on the way back changes nothing
    keeper.get_by_role("button", name="登录").click()
    expect(keeper.locator(".field-error")).to_contain_text("用户名或密码错误")
    expect(keeper.locator("[data-unsaved]")).to_be_visible()
    keeper.locator("#password").fill("keeper-pw")
    keeper.get_by_role("button", name="登录").click()
    expect(keeper.locator("#public_reply")).to_have_value("已经换了新灯，谢谢提醒！")
    expect(keeper.get_by_role("radio", name="已解决")).to_be_checked()
    assert reply_of(live_app, code) is None
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("h1")).to_contain_text("已解决")
    assert reply_of(live_app, code) == "已经换了新灯，谢谢提醒！"
    # Brought back once: the page opened again later shows what is saved, nothing more.
    keeper.goto(server.url + "/keeper/today")
    keeper.goto(server.url + f"/keeper/suggestions/{code}")
    expect(keeper.locator("[data-unsaved]")).to_have_count(0)


def test_a_reply_left_unsaved_is_not_given_to_another_keeper_who_signs_in_on_that_tablet(browser, page, server,
                                                                                           live_app):
    """The typing belongs to the keeper who typed it: a colleague who signs in on the shared tablet
    next finds the form as it is saved, not a reply they did not write ready to send in their name."""
    from datetime import UTC, datetime

    from kiosk.core.models import Station
    from kiosk.people.keeper_accounts import add_keeper

    code = drop_a_suggestion(page, server)
    keeper = keeper_opens(browser, server, live_app, f"/keeper/suggestions/{code}")
    keeper.locator("#public_reply").fill("我下午去看看")
    with live_app.app_context():
        colleague, password = add_keeper(db.session.scalar(select(Station)), "xiaoli", "小李", by=None,
                                         now=datetime.now(UTC))
        sign_out_everywhere(db.session.scalar(select(Keeper).where(Keeper.username == "keeper")))
        db.session.commit()
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("[data-unsaved]")).to_be_visible()
    keeper.locator("#username").fill("xiaoli")
    keeper.locator("#password").fill(password)
    keeper.get_by_role("button", name="登录").click()
    keeper.wait_for_load_state()  # forms.js puts typing back at DOMContentLoaded, before this
    expect(keeper.locator("h1")).to_be_visible()
    expect(keeper.locator("#public_reply")).to_have_value("")
    assert reply_of(live_app, code) is None


def test_a_keeper_page_open_too_long_gives_back_what_was_typed(browser, page, server, live_app):
    code = drop_a_suggestion(page, server)
    keeper = keeper_opens(browser, server, live_app, f"/keeper/suggestions/{code}")
    keeper.locator("#public_reply").fill("下周一来修")
    # The page's token no longer holds (as after a restart with a new session): sent, refused.
    keeper.evaluate("""() => {
        document.querySelectorAll("input[name=csrf_token]").forEach(f => { f.value = "expired"; });
        document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": "expired"}));
    }""")
    keeper.get_by_role("button", name="保存").click()
    # Filled in again, it would look saved: the note at the top says it is not, and what to do.
    expect(keeper.locator("[data-unsaved][data-typed-back]")).to_be_visible()
    expect(keeper.locator("#public_reply")).to_have_value("下周一来修")
    assert reply_of(live_app, code) is None


def test_a_resident_keeps_the_typed_suggestion_when_the_tablets_session_was_renewed(page, server, live_app, context):
    page.expected_errors += ["status of 400"]
    page.goto(server.url + "/suggest/")
    page.get_by_role("radio", name="公共设施").click()
    page.locator("#text").fill("楼下的长椅坏了，老人坐着不安全")
    context.clear_cookies()  # the tablet's session is gone (renewed, or the station computer's key changed)
    page.get_by_role("button", name="投进建议筒").click()
    expect(page.locator("[data-offline]")).to_contain_text("刚才的没有存上")
    expect(page.locator("#text")).to_have_value("楼下的长椅坏了，老人坐着不安全")
    with live_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Suggestion)) == 0
    page.get_by_role("button", name="投进建议筒").click()
    expect(page.locator(".receipt")).to_be_visible()
    expect(page.locator("[data-offline]")).to_have_count(0)
    with live_app.app_context():
        assert db.session.scalar(select(Suggestion.text)) == "楼下的长椅坏了，老人坐着不安全"


def test_a_refused_sign_in_keeps_the_user_name_across_a_language_switch(page, server, live_app):
    page.goto(server.url + "/keeper/login")
    page.locator("#username").fill("keeper")
    page.locator("#password").fill("wrong-pw")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".field-error")).to_contain_text("用户名或密码错误")
    page.get_by_role("button", name="繁體中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("#username")).to_have_value("keeper")
    expect(page.locator("#password")).to_have_value("")  # never a password


# --- The station's kiosk tablet, and what is said when typing comes back (in English: the words are
# new, and their translations are merged into the catalogues separately). -------------------------

TYPED_BACK = "What you typed is back: check it and tap Save."


def keeper_on_the_kiosk(page, server, live_app, path: str, lang: str = "zh_Hans", remember: bool = False,
                        kiosk: bool = True):
    """The keeper signs in on the tablet set up as the station's kiosk (or, kiosk=False, on one of
    their own), on the way to `path`, with the page's clock in the test's hands (the idle countdown,
    the "still here" every 15 seconds)."""
    from kiosk.core.models import Station
    from kiosk.core.stations import KIOSK_STATION_COOKIE, kiosk_tablet_cookie

    with live_app.test_request_context():
        db.session.scalar(select(Keeper)).set_password("keeper-pw")
        db.session.commit()
        tablet = kiosk_tablet_cookie(db.session.scalar(select(Station)))
    page.context.add_cookies([{"name": "kiosk_lang", "value": lang, "url": server.url}]
                             + ([{"name": KIOSK_STATION_COOKIE, "value": tablet, "url": server.url}] if kiosk else []))
    page.clock.install()
    page.goto(server.url + path)
    page.locator("#username").fill("keeper")
    page.locator("#password").fill("keeper-pw")
    if remember:
        page.locator("#remember").check()
    page.locator("form.stack [type=submit]").click()
    expect(page.locator("h1")).not_to_contain_text("登录")
    return page


def test_a_long_reply_typed_on_the_kiosk_tablet_is_saved_not_refused_as_idle(page, server, live_app):
    """Typing sends nothing to the server: the page tells it someone is there, so a reply typed for
    longer than the keeper idle time is saved when 保存 is tapped."""
    from kiosk.people.keepers import keeper_idle_seconds

    code = drop_a_suggestion(page, server)
    keeper = keeper_on_the_kiosk(page, server, live_app, f"/keeper/suggestions/{code}")
    keeper.get_by_role("radio", name="已解决").click()
    clock, limit = live_app.extensions["kiosk_clock"], keeper_idle_seconds(live_app.config)
    for word in ["已经", "换了", "新灯", "谢谢"]:
        with keeper.expect_response(lambda r: "/keeper/still-here" in r.url) as told:
            keeper.locator("#public_reply").press_sequentially(word)
            keeper.clock.run_for(16_000)  # the page's clock: never so long without a key that it warns
        assert told.value.status == 204
        clock.advance(seconds=limit - 30)  # the server's: the whole reply takes far longer than the limit
    keeper.get_by_role("button", name="保存").click()
    expect(keeper.locator("h1")).to_contain_text("已解决")
    assert reply_of(live_app, code) == "已经换了新灯谢谢"


def test_a_form_sent_after_the_kiosk_signed_out_comes_back_after_signing_in_with_a_note(page, server, live_app):
    """The page asleep (its script not running), the server signed the kiosk out: the reply sent is
    not saved, the sign-in page says so and that it will be put back, and after signing in it is,
    on the same page, with a note at the top to check it and tap Save."""
    from kiosk.people.keepers import keeper_idle_seconds

    code = drop_a_suggestion(page, server)
    keeper = keeper_on_the_kiosk(page, server, live_app, f"/keeper/suggestions/{code}", lang="en")
    keeper.locator("#public_reply").fill("Fixed on Monday")
    live_app.extensions["kiosk_clock"].advance(seconds=keeper_idle_seconds(live_app.config) + 1)
    keeper.get_by_role("button", name="Save").click()
    expect(keeper.locator("[data-signed-out-idle]")).to_be_visible()
    expect(keeper.locator("[data-unsaved]")).to_contain_text("filled in again")
    expect(keeper.locator("[data-unsaved]")).not_to_contain_text("enter it again")
    keeper.locator("#username").fill("keeper")
    keeper.locator("#password").fill("keeper-pw")
    keeper.get_by_role("button", name="Sign in").click()
    expect(keeper).to_have_url(server.url + f"/keeper/suggestions/{code}")
    expect(keeper.locator("#public_reply")).to_have_value("Fixed on Monday")
    expect(keeper.locator("main > [data-typed-back]:first-child")).to_have_text(TYPED_BACK)
    assert reply_of(live_app, code) is None


def test_a_new_volunteer_typed_while_signed_out_elsewhere_comes_back_with_a_note(browser, page, server, live_app):
    keeper = keeper_opens(browser, server, live_app, "/keeper/volunteers/new")
    keeper.context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url}])
    keeper.reload()
    keeper.locator("#name").fill("王秀英")
    keeper.locator("#mobile").fill("13800138000")
    with live_app.app_context():  # signed out in another tab
        sign_out_everywhere(db.session.scalar(select(Keeper)))
        db.session.commit()
    keeper.get_by_role("button", name="Save").click()
    expect(keeper.locator("[data-unsaved]")).to_contain_text("filled in again, to check and save")
    keeper.locator("#username").fill("keeper")
    keeper.locator("#password").fill("keeper-pw")
    keeper.get_by_role("button", name="Sign in").click()
    expect(keeper.locator("#name")).to_have_value("王秀英")
    expect(keeper.locator("#mobile")).to_have_value("13800138000")
    expect(keeper.locator("main > [data-typed-back]:first-child")).to_have_text(TYPED_BACK)
    # Saved, the next page is as usual: no note.
    keeper.get_by_role("button", name="Save").click()
    expect(keeper.locator("h1")).to_contain_text("王秀英")
    expect(keeper.locator("[data-typed-back]")).to_have_count(0)


def test_a_form_sent_after_the_session_was_lost_comes_back_with_the_same_note(page, server, live_app):
    """Kept signed in, but the session cookie (and with it the form's token) is gone: the form goes
    back to its page, filled in again, and the note at the top says so."""
    code = drop_a_suggestion(page, server)
    keeper = keeper_on_the_kiosk(page, server, live_app, f"/keeper/suggestions/{code}", lang="en", remember=True,
                                 kiosk=False)
    keeper.locator("#public_reply").fill("On its way")
    kept = [c for c in keeper.context.cookies() if c["name"] != "session"]
    keeper.context.clear_cookies()
    keeper.context.add_cookies(kept)
    keeper.get_by_role("button", name="Save").click()
    expect(keeper.locator("#public_reply")).to_have_value("On its way")
    expect(keeper.locator("main > [data-typed-back]:first-child")).to_have_text(TYPED_BACK)
    assert reply_of(live_app, code) is None
