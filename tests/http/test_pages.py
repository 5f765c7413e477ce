"""The home screen, the language switch, headers, CSRF, and the error pages."""

import re
from pathlib import Path

import pytest
from flask import Blueprint, abort

from kiosk.core.extensions import db
from kiosk.people.demo import load_demo_station
from tests.conftest import HX, csrf_token, make_app

TEMPLATES = Path(__file__).resolve().parents[2] / "kiosk" / "templates"


def test_home_is_in_simplified_chinese_by_default(client, station):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "幸福里暖心驿站" in page
    for label in ["志愿者签到", "旧物集市", "建议筒", "驿站服务"]:
        assert label in page
    assert "2026年11月22日" in page


@pytest.mark.parametrize(
    "lang, html_lang, words",
    [("zh_Hant", "zh-Hant", ["志願者簽到", "建議筒"]), ("en", "en", ["Volunteer check-in", "Suggestion box"])],
)
def test_language_switch_is_remembered_by_the_device(client, station, lang, html_lang, words):
    token = csrf_token(client)
    r = client.post("/language", data={"lang": lang, "next": "/?from=switch", "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/?from=switch"
    cookie = client.get_cookie("kiosk_lang")
    assert cookie.value == lang and cookie.http_only and cookie.max_age > 365 * 24 * 3600
    page = client.get("/").get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in page
    for word in words:
        assert word in page


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "javascript:alert(1)", "\\\\evil", ""])
def test_language_switch_only_returns_to_this_server(client, station, target):
    r = client.post("/language", data={"lang": "en", "next": target, "csrf_token": csrf_token(client)})
    assert r.status_code == 303 and r.headers["Location"] == "/"


@pytest.mark.parametrize("switch, data", [("/language", {"lang": "en"}), ("/text-size", {"size": "large"})])
@pytest.mark.parametrize("target, back", [("/s/S-QW\nQVKK", "/s/S-QW%0AQVKK"),
                                          ("/swap/items/J-0001\r\n", "/swap/items/J-0001%0D%0A"),
                                          ("/\n/evil.example/", "/%0A/evil.example/"), ("/?q=\t\x7f", "/?q=%09%7F")])
def test_a_switch_sent_with_a_line_break_in_its_address_goes_back_there(client, station, switch, data, target, back):
    """A line break cannot go in a header (it was a 500): written as %0A it leads back to the same
    page, and never to another site."""
    r = client.post(switch, data={**data, "next": target, "csrf_token": csrf_token(client)})
    assert r.status_code == 303 and r.headers["Location"] == back


def test_the_switches_work_on_a_page_opened_with_an_encoded_line_break(client, station):
    import html

    page = client.get("/swap/items/J-0001%0A")
    text = page.get_data(as_text=True)
    here = html.unescape(re.search(r'<input type="hidden" name="next" value="([^"]*)"', text).group(1))
    assert here == "/swap/items/J-0001\n"
    for switch, data in [("/language", {"lang": "en"}), ("/text-size", {"size": "large"})]:
        r = client.post(switch, data={**data, "next": here, "csrf_token": csrf_token(client)})
        assert r.status_code == 303 and r.headers["Location"] == "/swap/items/J-0001%0A"
        assert client.get(r.headers["Location"]).status_code == page.status_code


@pytest.mark.parametrize("lang", ["fr", "", "zh_Hans'><script>", "x" * 10000])
def test_unknown_language_is_refused_and_nothing_is_set(client, station, lang):
    r = client.post("/language", data={"lang": lang, "csrf_token": csrf_token(client)})
    assert r.status_code == 400
    assert "返回首页" in r.get_data(as_text=True)
    assert client.get_cookie("kiosk_lang") is None


def test_post_without_csrf_token_is_refused_in_plain_words(client, station):
    r = client.post("/language", data={"lang": "en"})
    assert r.status_code == 400
    assert "页面已过期" in r.get_data(as_text=True)
    assert client.get_cookie("kiosk_lang") is None


def test_htmx_post_carries_the_token_in_a_header(client, station):
    token = csrf_token(client)
    r = client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": token, **HX})
    assert r.status_code == 303


def test_page_carries_csrf_header_for_htmx_and_loads_only_local_scripts(client, station):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"hx-headers='\{&#34;X-CSRFToken&#34;: &#34;[^']+&#34;\}'|hx-headers='\{\"X-CSRFToken\": \"[^']+\"\}'", page)
    assert re.search(r'src="/static/vendor/htmx-2.0.11.min.js\?v=[0-9a-f]{12}"', page)
    assert "<script>" not in page and " onclick=" not in page


def test_templates_load_nothing_from_another_host():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r'(?:src|href|action)="(https?:)?//', path.read_text()):
            offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


def test_vendored_htmx_is_pinned_with_its_licence():
    vendor = TEMPLATES.parent / "static" / "vendor"
    assert 'version:"2.0.11"' in (vendor / "htmx-2.0.11.min.js").read_text()
    assert (vendor / "htmx-2.0.11.LICENSE").read_text().startswith("Zero-Clause BSD")


def test_vendored_decoder_is_pinned_with_its_licences_and_fetches_nothing_from_a_cdn():
    vendor = TEMPLATES.parent / "static" / "vendor"
    script = (vendor / "zxing-wasm-3.1.6.reader.js").read_text()
    assert "zxing-wasm@3.1.6" in script  # the version it was built as
    assert (vendor / "zxing-wasm-3.1.6.reader.wasm").read_bytes()[:4] == b"\0asm"
    assert (vendor / "zxing-wasm-3.1.6.LICENSE").read_text().startswith("MIT License")
    assert "Apache License" in (vendor / "zxing-cpp.LICENSE").read_text()
    # Its default is a CDN; the worker points it at the station's own copy.
    worker = (TEMPLATES.parent / "static" / "js" / "decoder-worker.js").read_text()
    assert "locateFile" in worker and "jsdelivr" not in worker and "unpkg" not in worker


def test_every_response_has_security_headers_and_varies_on_htmx(client, station):
    for path in ["/", "/missing", "/static/css/kiosk.css"]:
        with client.get(path) as r:
            headers = r.headers
        assert "HX-Request" in headers["Vary"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_get_never_changes_state_language_switch_is_post_only(client, station):
    r = client.get("/language?lang=en")
    assert r.status_code == 405
    assert client.get_cookie("kiosk_lang") is None


def test_no_station_yet_says_so(client):
    r = client.get("/")
    assert r.status_code == 503
    assert "还没有设置" in r.get_data(as_text=True)


# --- Error pages ---------------------------------------------------------------------------

CODES = [400, 403, 404, 405, 413, 422, 429, 500]
TITLES = {
    "zh_Hans": {400: "出了点小问题", 403: "没有权限", 404: "找不到这个页面", 405: "不能这样操作", 413: "内容太长了",
                422: "请检查一下填写的内容", 429: "操作太频繁了", 500: "抱歉，系统出了点问题"},
    "zh_Hant": {400: "出了點小問題", 403: "沒有權限", 404: "找不到這個頁面", 405: "不能這樣操作", 413: "內容太長了",
                422: "請檢查一下填寫的內容", 429: "操作太頻繁了", 500: "抱歉，系統出了點問題"},
    "en": {400: "Something was not right", 403: "Not allowed here", 404: "Page not found", 405: "That did not work",
           413: "Too long", 422: "Please check your input", 429: "Too many tries", 500: "Sorry, something went wrong"},
}
BACK = {"zh_Hans": "返回首页", "zh_Hant": "返回首頁", "en": "Back to start"}


@pytest.fixture
def failing_app(tmp_path):
    app = make_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("fail", __name__)

    @bp.route("/fail/<int:code>", methods=["GET"])
    def fail(code):
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    app.register_blueprint(bp)
    return app


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
@pytest.mark.parametrize("code", CODES)
def test_error_pages_in_every_language_with_a_way_back(failing_app, code, lang):
    client = failing_app.test_client()
    client.set_cookie("kiosk_lang", lang)
    path = f"/fail/{code}"
    r = client.get(path) if code != 405 else client.post("/fail/1")
    assert r.status_code == code
    page = r.get_data(as_text=True)
    assert "<html" in page and TITLES[lang][code] in page and BACK[lang] in page
    assert 'href="/"' in page


@pytest.mark.parametrize("code", [403, 404, 500])
def test_htmx_request_gets_an_error_fragment_that_takes_the_screen(failing_app, code):
    r = failing_app.test_client().get(f"/fail/{code}", headers=HX)
    assert r.status_code == code
    body = r.get_data(as_text=True)
    assert "<html" not in body and "返回首页" in body
    assert r.headers["HX-Retarget"] == "#main" and r.headers["HX-Reswap"] == "innerHTML"


def test_upload_over_the_size_limit_gets_413(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=3000, FORM_MAX_CONTENT_LENGTH=1000, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    r = client.post("/language", data={"lang": "en", "blob": "x" * 2000})  # a plain form: 1000 at most
    assert r.status_code == 413
    assert "内容太长了" in r.get_data(as_text=True)  # no file here: what was entered is too long
    # A page that takes a photo accepts more, up to its own limit, and then the file is too large.
    with app.app_context():
        load_demo_station()
        db.session.commit()
    assert client.post("/suggest/", data={"text": "x" * 2000}).status_code != 413
    too_large = client.post("/suggest/", data={"text": "x" * 5000})
    assert too_large.status_code == 413 and "文件太大了" in too_large.get_data(as_text=True)


@pytest.mark.parametrize("where", ["query", "form", "key"])
def test_a_nul_character_anywhere_is_refused_plainly(client, station, where):
    """PostgreSQL cannot store NUL and no person types it: 400 with the usual page, nothing done."""
    token = csrf_token(client)
    if where == "query":
        r = client.get("/keeper/login?next=%00")
    elif where == "form":
        r = client.post("/language", data={"lang": "en\x00", "csrf_token": token})
    else:
        r = client.post("/language", data={"lang": "en", "x\x00": "1", "csrf_token": token})
    # The way back from a keeper page (sign-in) leads into the keeper pages; from the kiosk, to its start.
    assert r.status_code == 400 and ("返回站长页面" if where == "query" else "返回首页") in r.get_data(as_text=True)
    assert client.get_cookie("kiosk_lang") is None


@pytest.mark.parametrize("asked, shown", [("zh-TW,zh;q=0.9", "建議"), ("zh-HK", "建議"), ("zh-Hant-TW", "建議"),
                                          ("zh-CN,zh;q=0.9,en;q=0.8", "建议"), ("en-US,en;q=0.9", "Suggestion"),
                                          ("fr-FR", "建议"), ("", "建议")])
def test_before_the_language_switch_is_used_the_browsers_language_is(client, station, asked, shown):
    """A resident's phone opening the suggestion box for the first time reads its own script."""
    page = client.get("/suggest/phone?station=demo", headers={"Accept-Language": asked} if asked else {})
    assert shown in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/checkin/", "/suggest/", "/keeper/login"])
def test_a_station_screen_stays_in_the_stations_language_whatever_its_browser_says(client, station, path):
    """A tablet set up by a vendor in English still greets the station's volunteers in Chinese."""
    page = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page


def test_the_tracking_page_a_phone_opens_reads_the_phones_language(app, client, station):
    from tests.http.test_suggestions import seed

    code = seed(app, app.extensions["kiosk_clock"])
    page = client.get(f"/s/{code}", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert '<html lang="zh-Hant"' in page


@pytest.mark.parametrize("path", ["/suggest/find", "/suggest/phone?station=demo", "/s/S-NOSUCH"])
def test_on_the_stations_kiosk_tablet_a_page_opened_by_its_address_reads_the_stations_language(app, client, station,
                                                                                                 path):
    """A page meant for a resident's phone, typed into the address bar of the station's kiosk tablet
    (whose browser a vendor set to English): a station screen, in the station's language."""
    from tests.conftest import set_up_as_kiosk

    set_up_as_kiosk(app, client)
    page = client.get(path, headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="zh-Hans"' in page
    phone = app.test_client()
    page = phone.get(path, headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en"' in page


def test_a_page_that_reads_the_phones_language_says_so_to_caches(client, station):
    """A shared cache (a community Wi-Fi's proxy) must not hand one phone's 繁體 page to the next."""
    phone_page = client.get("/suggest/phone?station=demo", headers={"Accept-Language": "zh-TW"})
    assert {"Accept-Language", "Cookie"} <= set(phone_page.vary)
    station_screen = client.get("/suggest/", headers={"Accept-Language": "zh-TW"})
    assert "Accept-Language" not in station_screen.vary


@pytest.mark.parametrize("referer, back", [("http://localhost/checkin/forgot", "/checkin/forgot"),
                                           (None, "/"), ("http://elsewhere.example/checkin/forgot", "/")],
                         ids=["from the form's page", "not known", "another site"])
def test_the_switches_on_a_forms_answer_come_back_to_the_forms_page_not_a_405(client, station, referer, back):
    """Without JavaScript a form's answer is a whole page at the form's POST address; the language or
    large-text switch there must not send the browser to GET it."""
    headers = {"Referer": referer} if referer else {}
    page = client.post("/checkin/find", data={"csrf_token": csrf_token(client, "/checkin/forgot"), "entered": "8001"},
                       headers=headers).get_data(as_text=True)
    nexts = re.findall(r'name="next" value="([^"]*)"', page)
    assert len(nexts) == 2 and set(nexts) == {back}
    assert client.get(back).status_code == 200


def test_the_language_switch_wins_over_the_browsers_language(client, station):
    client.set_cookie("kiosk_lang", "zh_Hans")
    page = client.get("/suggest/phone?station=demo", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)
    assert "建议" in page and "建議" not in page


# Probe: most kiosk screens had no way back but the station's name in the top bar, which does not
# look like a button; on a pinned full-screen tablet (no browser Back) people waited for the idle
# return home. Every public screen now ends with the same big button, in every language.
KIOSK_SCREENS = ["/checkin/", "/checkin/forgot", "/services/", "/gifts/", "/activities/", "/swap/", "/swap/bring",
                 "/swap/take", "/swap/items/J-0001", "/swap/items/J-0001/label", "/swap/items/J-9999",
                 "/suggest/", "/suggest/done", "/suggest/find", "/suggest/find?code=S-ZZZZZZ", "/s/{code}",
                 "/s/S-ZZZZZZ", "/no-such-page"]


@pytest.mark.parametrize("lang", BACK)
def test_every_public_kiosk_screen_has_one_big_button_back_to_the_start(app, client, station, lang):
    from tests.conftest import set_up_as_kiosk
    from tests.http.test_suggestions import seed
    from tests.http.test_swap import bring

    code = seed(app, app.extensions["kiosk_clock"])
    set_up_as_kiosk(app, client)
    assert bring(client).status_code == 200
    client.set_cookie("kiosk_lang", lang)
    way_home = re.compile(rf'<a class="button[^"]*button-huge[^"]*" href="/">{BACK[lang]}</a>')
    for path in KIOSK_SCREENS:
        page = client.get(path.format(code=code)).get_data(as_text=True)
        assert len(way_home.findall(page)) == 1, path
    # Not on the start screen itself, nor a keeper's page, nor with an answer fetched into a screen.
    assert BACK[lang] not in client.get("/").get_data(as_text=True)
    assert BACK[lang] not in client.get("/swap/", headers=HX).get_data(as_text=True)
    assert BACK[lang] not in client.get("/keeper/login").get_data(as_text=True)


def test_a_status_page_opened_from_its_qr_on_a_phone_offers_no_way_to_the_kiosks_start(app, client, station):
    """The kiosk's start screen means nothing on a resident's own phone."""
    from tests.http.test_suggestions import seed

    client.set_cookie("kiosk_lang", "en")
    code = seed(app, app.extensions["kiosk_clock"])
    for path in (f"/s/{code}", "/suggest/find", "/m/checkin"):
        assert "Back to start" not in client.get(path).get_data(as_text=True), path
