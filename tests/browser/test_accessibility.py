"""The accessibility audit: every public, phone and keeper page, found in the app's URL map (not a
hand-kept list) and filled in from seeded data, in each language, at both tablet sizes (and phone
size for phone pages), with normal and large text (长辈模式). On each it checks:

- axe-core (bundled in axe-playwright-python, nothing fetched) finds no serious or critical violation;
- every clickable element is at least 48×48 CSS px; text on kiosk and phone screens is at least 20 px;
  text stands at least 7:1 against its background (WCAG AAA);
- nothing overflows sideways; targets do not touch; every form control has a visible label, and every error beside a
  field is tied to it with aria-describedby; every timed screen gives at least 20 s.

The cheap checks run in one script per page and size (AUDIT_SCRIPT); one browser, one live server.
Kiosk and phone screens are photographed into test-artifacts/screens/ with a contact sheet
(index.html) beside them. Where a page is not audited, or a rule cannot hold, the reason is written
here in NOT_PAGES, ADMIN_PAGES, PHONE_PAGES_TOO and RULE_EXCEPTIONS, and nowhere else."""

import html
import os
import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from kiosk.core.extensions import db
from tests.browser.conftest import LANDSCAPE, PORTRAIT, LiveServer
from tests.conftest import START, make_app

LANGUAGES = ["zh_Hans", "zh_Hant", "en"]
TEXT_SIZES = ["normal", "large"]
PHONE = {"width": 390, "height": 844}
TABLET_SIZES = {"portrait": PORTRAIT, "landscape": LANDSCAPE}
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

# --- The one place for what is not audited, and why -----------------------------------------
# GET endpoints in the URL map that are not pages a person reads. Every other GET rule is audited,
# and a test below checks that each of these really is not an HTML page (or only sends one on).
NOT_PAGES = {
    "static": "CSS, scripts, sounds and vendored libraries",
    "suggest_api.open311_requests": "JSON for a district system (Open311)",
    "suggest_api.open311_request": "JSON for a district system (Open311)",
    "checkin.station_qr": "the phone-check-in QR fragment the check-in screen fetches; audited inside /checkin/",
    "today.today_live": "the fragment Today polls; audited inside /keeper/today",
    "today.today_csv": "a CSV download",
    "keeper.index": "only sends the keeper on to their first page (Today)",
    "auth.still_here": "what a keeper page on the kiosk tablet sends while someone types: 204, no page",
    "phone.not_here": "an address under /m that is no page: sends on to the page meant, else a 404 (not a 200 to audit)",
    "account.add_station_keeper": "only sends the keeper on to their account page (its POST answer, a new "
                                  "keeper's password, is shown once and is no page to open)",
    "keeper.badge_png": "a badge image to download",
    "keeper.badge_svg": "a badge image to download",
    "swap.photo": "a photo file",
    "swap_keeper.photo": "a photo file",
    "suggest_keeper.photo": "a photo file",
    "tablets.ca_der": "the station's root certificate, a file a tablet installs",
    "tablets.ca_pem": "the station's root certificate, a file a tablet installs",
    "reports.report_file": "a report as a CSV or XLSX download",
    "reports.district_file": "every station's report as a CSV or XLSX download",
}
# Keeper pages only a district admin may open (a station's keeper gets 403): audited signed in as one.
ADMIN_PAGES = {
    "reports.district": "every station's figures side by side",
}
# Pages not marked @phone_page that are still read on a phone: audited at phone size too.
PHONE_PAGES_TOO = {
    "suggest.track": "opened from the QR on a suggestion's receipt",
    "certificates.verify": "opened from the QR printed on a certificate",
}
# Pages opened with a query a QR carries, filled in from the seeded data.
QUERY = {
    "phone.checkin": lambda values: "c=" + quote(values["station_code"]),  # the kiosk's short-lived station QR
    "suggest.find": lambda values: "code=S-ZZZZZZ",  # audited with its "no such code" message showing
}
# Rules that cannot hold for some elements: CSS selector -> (rules it is spared, why).
RULE_EXCEPTIONS = {
    ".badge-card, .badge-card *": (
        {"text-size", "target-size"},
        "a badge is a printed ID card (85.6 × 54 mm), its type set in points for paper, not for the screen",
    ),
    ".swap-label, .swap-label *": (
        {"text-size"},
        "the swap label is printed and stuck on the item (90 mm wide), its type set in points for paper",
    ),
    ".certificate, .certificate *": (
        {"text-size"},
        "a certificate is an A4 sheet for printing (certificate.css), its small print sized for paper",
    ),
    ".camera-video": (
        {"contrast"},
        "the live camera picture is not text",
    ),
}
# --------------------------------------------------------------------------------------------

KEEPER_PASSWORD = "audit-keeper-pw"


def seed(app) -> dict:
    """One of everything a URL needs: an activity, a certificate, a session, a suggestion, a
    swap item. Returns the values for the URL parameters, by name."""
    from kiosk.activities.schedule import Plan, plan_activity
    from kiosk.certificates.register import issue_certificate
    from kiosk.checkin.models import ServiceSession
    from kiosk.people.demo import load_demo_station
    from kiosk.people.models import Volunteer
    from kiosk.suggest.box import submit
    from kiosk.suggest.models import SuggestionCategory
    from kiosk.swap.models import SwapCategory
    from kiosk.swap.shelf import bring_item

    from kiosk.people.models import Keeper

    with app.test_request_context("/"):
        station, keeper, _password = load_demo_station()
        keeper.set_password(KEEPER_PASSWORD)
        admin = Keeper(station_id=None, username="admin", display_name="区管理员", role="admin", active=True)
        admin.set_password(KEEPER_PASSWORD)
        db.session.add(admin)
        colleague = Keeper(station_id=station.id, username="lina", display_name="李娜", role="keeper", active=True)
        colleague.set_password(KEEPER_PASSWORD)
        db.session.add(colleague)
        volunteer = db.session.get(Volunteer, 1)
        for day in (2, 3):
            start = datetime(2026, 11, day, 1, 0, tzinfo=UTC)
            db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=start,
                                          checked_out_at=start + timedelta(hours=3), check_in_method="scanner",
                                          check_out_method="scanner", confirmed_at=START))
        db.session.flush()
        activity = plan_activity(keeper, station, Plan(
            "爱心课堂", None, "活动室", "给老人讲手机", START + timedelta(hours=1), START + timedelta(hours=3),
            False, 10, "李桂英", "幸福里社区"), START - timedelta(days=1))
        station.person_in_charge, station.contact = "王主任", "010-65123456"  # printed on every certificate
        certificate = issue_certificate(keeper, station, volunteer, date(2026, 11, 1), date(2026, 11, 20), START)
        category = db.session.scalars(select(SwapCategory).where(SwapCategory.refused.is_(False))).first()
        item = bring_item(station, title="儿童自行车", category_id=category.id, condition="good", photo=None,
                          contact=None, now=START)
        suggestion = submit(station, category_id=db.session.scalars(select(SuggestionCategory)).first().id, text="希望晚上多开一小时。", photo=None, contact=None,
                            anonymous=True, source="kiosk", device_id="audit", now=START)
        from kiosk.checkin.phone import station_code
        code_for_phones = station_code(station, START)
        db.session.commit()
        session_id = db.session.scalar(select(ServiceSession.id).limit(1))
        return {"activity_id": activity.id, "certificate_id": certificate.id, "session_id": session_id,
                "volunteer_id": volunteer.id, "code": item.code, "token": certificate.verify_token,
                "suggestion": suggestion.tracking_code, "station_code": code_for_phones, "keeper_id": colleague.id}


def discover(app, values: dict) -> list[dict]:
    """Every GET page in the URL map, its URL filled in, and who reads it: kiosk, phone or keeper."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        args = {}
        for name in rule.arguments:
            if name == "code":
                args[name] = values["suggestion"] if rule.endpoint.startswith("suggest") else values["code"]
            else:
                args[name] = values[name]
        path = rule.build(args)[1]
        if rule.endpoint in QUERY:
            path += "?" + QUERY[rule.endpoint](values)
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in ADMIN_PAGES:
            audience = "admin"
        elif rule.rule.startswith("/keeper/") and rule.endpoint != "auth.login":
            audience = "keeper"
        elif getattr(view, "phone_page", False) or rule.endpoint in PHONE_PAGES_TOO:
            audience = "phone"
        else:
            audience = "kiosk"
        pages.append({"endpoint": rule.endpoint, "path": path, "audience": audience})
    return pages


@pytest.fixture(scope="module")
def audit_server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("audit"))
    values = seed(app)
    with LiveServer(app) as live:
        # AUDIT_ONLY=regex narrows the run to matching paths while fixing a page (never in make test).
        only = re.compile(os.environ.get("AUDIT_ONLY", ""))
        live.all_pages = discover(app, values)
        live.pages = [p for p in live.all_pages if only.search(p["path"])]
        live.values = values
        yield live


@pytest.fixture(scope="module")
def audit_browser(playwright_driver):
    from tests.browser.conftest import launch

    browser = launch(playwright_driver)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def contact_sheet():
    """Written once the module's tests are done: every screenshot, by screen, side by side."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.jpg"):
        old.unlink()
    yield SCREENS
    write_contact_sheet(SCREENS)


def write_contact_sheet(folder: Path) -> None:
    shots = sorted(folder.glob("*.jpg"))
    screens: dict[str, list[Path]] = {}
    for shot in shots:
        screens.setdefault(shot.name.split("__")[0], []).append(shot)
    rows = []
    for screen, files in screens.items():
        cells = "".join(
            f'<figure><a href="{html.escape(f.name)}"><img src="{html.escape(f.name)}" loading="lazy" alt=""></a>'
            f'<figcaption>{html.escape(" · ".join(f.stem.split("__")[1:]))}</figcaption></figure>'
            for f in files)
        rows.append(f"<section><h2>{html.escape(screen.replace('~', '/'))}</h2><div class=row>{cells}</div></section>")
    (folder / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>Kiosk and phone screens</title><style>"
        "body{font-family:sans-serif;margin:1rem}.row{display:flex;gap:12px;overflow-x:auto;align-items:flex-start}"
        "figure{margin:0}img{height:320px;border:1px solid #999}figcaption{font-size:13px}</style>"
        f"<h1>Kiosk and phone screens ({len(shots)})</h1>" + "".join(rows), encoding="utf-8")


# One script per page and size: the cheap rules, each finding as {rule, where, detail}.
AUDIT_SCRIPT = r"""
([exceptions, kioskText]) => {
  const found = [];
  const spared = (el, rule) => exceptions.some(([sel, rules]) => rules.includes(rule) && el.matches(sel));
  const where = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + [...el.classList].join(".");
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().replace(/\s+/g, " ");
    return text ? s + ' "' + text.slice(0, 30) + '"' : s;
  };
  const shown = (el) => {
    if (!el.getClientRects().length || el.closest("[hidden], .visually-hidden")) return false;
    const style = getComputedStyle(el);
    return style.visibility !== "hidden";
  };
  // Nothing sideways.
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("body *")].filter(e => shown(e) && e.getBoundingClientRect().right > window.innerWidth + 1)
      .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1);
    found.push({rule: "overflow", where: wide.slice(0, 3).map(where).join(", ") || "page",
                detail: document.documentElement.scrollWidth + " > " + window.innerWidth});
  }
  // Targets: the control, or the label that carries it (a checkbox, a photo button), at least 48×48.
  // A table's scroll box takes the focus so a keyboard can scroll it (role=region); it is no
  // target a finger aims at, and a table's box borders its neighbours by design.
  const clickable = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex]:not([tabindex='-1']):not([role=region])";
  for (const el of document.querySelectorAll(clickable)) {
    if (!shown(el) || spared(el, "target-size") || el.tabIndex === -1 && el.tagName === "BUTTON") continue;
    const boxes = [el, ...(el.labels || [])].filter(shown).map(e => e.getBoundingClientRect());
    if (!boxes.some(r => r.width >= 47.5 && r.height >= 47.5)) {
      const r = el.getBoundingClientRect();
      found.push({rule: "target-size", where: where(el), detail: Math.round(r.width) + "×" + Math.round(r.height)});
    }
  }
  // Targets that touch are pressed by mistake: at least 4 px between two (one inside the other is one target).
  const targets = [...document.querySelectorAll(clickable)].filter(el => shown(el) && el.tabIndex !== -1 && !spared(el, "target-size"))
    .map(el => ({el, r: el.getBoundingClientRect()})).filter(t => t.r.width >= 8 && t.r.height >= 8);
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const a = targets[i], b = targets[j];
      if (a.el.contains(b.el) || b.el.contains(a.el) || (a.el.labels && [...a.el.labels].includes(b.el)) ||
          (b.el.labels && [...b.el.labels].includes(a.el))) continue;
      const gapX = Math.max(b.r.left - a.r.right, a.r.left - b.r.right), gapY = Math.max(b.r.top - a.r.bottom, a.r.top - b.r.bottom);
      if (Math.max(gapX, gapY) < 4) found.push({rule: "target-spacing", where: where(a.el) + " / " + where(b.el), detail: Math.max(gapX, gapY).toFixed(0) + " px"});
    }
  }
  // Text: size and contrast, for every element that holds visible text of its own.
  const rgba = (c) => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat(m.length < 4 ? [1] : []); };
  const lum = ([r, g, b]) => { const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || seen.has(el) || !shown(el) || el.closest("script, style, noscript, option")) continue;
    seen.add(el);
    const style = getComputedStyle(el), size = parseFloat(style.fontSize);
    if (kioskText && size < 19.5 && !spared(el, "text-size")) {
      found.push({rule: "text-size", where: where(el), detail: size + "px"});
    }
    if (spared(el, "contrast") || el.closest("[disabled], [aria-disabled=true]")) continue;
    const bg = background(el);
    const fg = over([...rgba(style.color).slice(0, 3), rgba(style.color)[3] * opacity(el)], bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 6.95) found.push({rule: "contrast", where: where(el), detail: ratio.toFixed(2) + ":1"});
  }
  // Line height at least 1.3 for the text a person reads.
  const bodyStyle = getComputedStyle(document.body);
  if (parseFloat(bodyStyle.lineHeight) / parseFloat(bodyStyle.fontSize) < 1.3) {
    found.push({rule: "line-height", where: "body", detail: bodyStyle.lineHeight});
  }
  // Every form control has a visible label.
  for (const el of document.querySelectorAll("input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea")) {
    if (!el.getClientRects().length || el.closest("[hidden]")) continue;
    const labels = [...(el.labels || [])];
    for (const id of (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean)) {
      const l = document.getElementById(id); if (l) labels.push(l);
    }
    if (!labels.some(l => shown(l) && l.innerText.trim() && l.getBoundingClientRect().width > 2)) {
      found.push({rule: "label", where: where(el), detail: "no visible label"});
    }
    for (const id of (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean)) {
      if (!document.getElementById(id)) found.push({rule: "error-tied", where: where(el), detail: "aria-describedby names no element: " + id});
    }
    if (el.getAttribute("aria-invalid") === "true" && !el.getAttribute("aria-describedby")) {
      found.push({rule: "error-tied", where: where(el), detail: "invalid without aria-describedby"});
    }
  }
  // Every error beside a field is tied to a control of that field.
  for (const err of document.querySelectorAll(".field-error")) {
    const field = err.closest(".field, fieldset, form");
    const tied = err.id && field && [...field.querySelectorAll("input, select, textarea")]
      .some(c => (c.getAttribute("aria-describedby") || "").split(/\s+/).includes(err.id));
    if (!tied) found.push({rule: "error-tied", where: where(err), detail: "no control names it in aria-describedby"});
  }
  // Timed screens: at least 20 s to read, and 20 s of warning before the screen goes home.
  const body = document.body.dataset;
  if (body.idleSeconds && (Number(body.idleWarningSeconds) < 20 || Number(body.idleSeconds) < 20)) {
    found.push({rule: "timing", where: "body", detail: "idle " + body.idleSeconds + " s, warning " + body.idleWarningSeconds + " s"});
  }
  for (const el of document.querySelectorAll("[data-reset-after], [data-auto-home]")) {
    const s = Number(el.dataset.resetAfter || el.dataset.autoHome);
    if (s && s < 20) found.push({rule: "timing", where: where(el), detail: s + " s"});
  }
  if (document.querySelector("meta[http-equiv=refresh]")) found.push({rule: "timing", where: "meta refresh", detail: ""});
  return found;
}
"""

AXE_OPTIONS = {"resultTypes": ["violations"]}
EXCEPTIONS_FOR_SCRIPT = [[selector, sorted(rules)] for selector, (rules, _why) in RULE_EXCEPTIONS.items()]


def sign_in(context, server, username: str = "keeper") -> None:
    page = context.new_page()
    page.goto(server.url + "/keeper/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(KEEPER_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/keeper/(?!login)"))
    page.close()


def keeper_page(entry: dict) -> bool:
    return entry["audience"] in ("keeper", "admin")


def reader(entry: dict) -> str:
    """Whose tab opens the page: a visitor's, the station keeper's or the district admin's."""
    return entry["audience"] if keeper_page(entry) else "visitor"


def sizes_for(audience: str) -> dict:
    return {**TABLET_SIZES, "phone": PHONE} if audience == "phone" else TABLET_SIZES


def shot_name(path: str, lang: str, text: str, size: str) -> str:
    screen = re.sub(r"[^A-Za-z0-9_.-]", "~", path.split("?")[0]).strip("~") or "home"
    return f"{screen}__{lang}__{text}__{size}.jpg"


@pytest.mark.parametrize("text", TEXT_SIZES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_passes_the_audit(audit_browser, audit_server, contact_sheet, lang, text):
    started = time.monotonic()
    server = audit_server
    axe = Axe()
    problems = []
    host = server.url.split("//")[1].split(":")[0]
    contexts = {}
    for who in ("visitor", "keeper", "admin"):
        ctx = audit_browser.new_context(locale="zh-CN", has_touch=True)
        ctx.add_cookies([{"name": "kiosk_lang", "value": lang, "domain": host, "path": "/"},
                         {"name": "kiosk_text", "value": text, "domain": host, "path": "/"}])
        if who != "visitor":
            sign_in(ctx, server, who)
        contexts[who] = ctx
    try:
        # One tab per context, reused page after page: a new tab for each would cost more than the checks.
        tabs = {who: ctx.new_page() for who, ctx in contexts.items()}
        errors = []
        for tab in tabs.values():
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        for entry in server.pages:
            page = tabs[reader(entry)]
            errors.clear()
            sizes = sizes_for(entry["audience"])
            page.set_viewport_size(next(iter(sizes.values())))
            response = page.goto(server.url + entry["path"])
            label = f'{entry["path"]} [{entry["audience"]}]'
            if response is None or response.status != 200:
                problems.append((label, "-", "status", "-", str(response and response.status)))
                continue
            page.evaluate("document.fonts.ready.then(() => true)")
            for size_name, viewport in sizes.items():
                page.set_viewport_size(viewport)
                for finding in page.evaluate(AUDIT_SCRIPT, [EXCEPTIONS_FOR_SCRIPT, not keeper_page(entry)]):
                    problems.append((label, size_name, finding["rule"], finding["where"], finding["detail"]))
                if not keeper_page(entry):
                    page.screenshot(path=str(contact_sheet / shot_name(entry["path"], lang, text, size_name)),
                                    full_page=True, type="jpeg", quality=70)
            # axe reads the page's structure, names and roles, the same at every size: once per page.
            results = axe.run(page, options=AXE_OPTIONS)
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = ", ".join(str(n["target"]) for n in violation["nodes"][:3])
                    problems.append((label, "-", "axe:" + violation["id"], targets, violation["help"]))
            for error in errors:
                problems.append((label, "-", "console", "-", error))
    finally:
        for ctx in contexts.values():
            ctx.close()
    elapsed = time.monotonic() - started
    print(f"\naudit {lang}/{text}: {len(server.pages)} pages in {elapsed:.1f} s")
    report = "\n".join(" | ".join(p) for p in problems)
    assert not problems, f"{len(problems)} accessibility problems ({lang}, {text} text):\n{report}"


def test_the_audit_covers_every_page_of_the_url_map(audit_server):
    """Every GET rule is audited, or named in NOT_PAGES with a reason; and what NOT_PAGES names
    really is no page (an image, a file, JSON, a fragment, a redirect)."""
    import urllib.request

    app = audit_server.app
    audited = {p["endpoint"] for p in audit_server.all_pages}
    gets = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert gets == audited | set(NOT_PAGES)
    assert set(NOT_PAGES) <= gets, "NOT_PAGES names an endpoint that no longer exists"
    assert {p["audience"] for p in audit_server.all_pages} == {"kiosk", "phone", "keeper", "admin"}
    assert len([p for p in audit_server.all_pages if p["audience"] == "keeper"]) >= 20
    # A page of each kind is really served as a whole HTML page.
    for entry in audit_server.all_pages:
        if not keeper_page(entry):
            with urllib.request.urlopen(audit_server.url + entry["path"]) as answer:
                assert answer.headers.get_content_type() == "text/html", entry
                assert b"</html>" in answer.read(), entry


def test_every_form_ties_its_errors_to_its_fields(audit_browser, audit_server):
    """Each form with fields, on every page, sent with its typed fields emptied: the message that
    comes back stands beside the field and is tied to it (aria-describedby), and still has a label."""
    server = audit_server
    problems, with_errors = [], set()
    contexts = {who: audit_browser.new_context(viewport=PORTRAIT, has_touch=True, locale="zh-CN")
                for who in ("visitor", "keeper", "admin")}
    sign_in(contexts["keeper"], server)
    sign_in(contexts["admin"], server, "admin")
    forms = "main form:has(.field)"
    try:
        tabs = {who: ctx.new_page() for who, ctx in contexts.items()}
        for entry in server.pages:
            page = tabs[reader(entry)]
            page.goto(server.url + entry["path"])
            for i in range(page.locator(forms).count()):
                page.goto(server.url + entry["path"])
                form = page.locator(forms).nth(i)
                submit = form.locator("button[type=submit]:visible, button:not([type]):visible").first
                if not submit.count() or not form.is_visible():
                    continue
                typed = form.locator("input[type=text]:visible, input:not([type]):visible, input[type=tel]:visible, "
                                     "input[type=number]:visible, textarea:visible")
                for j in range(typed.count()):
                    typed.nth(j).fill("")
                method = form.evaluate("f => { f.noValidate = true; return f.method.toUpperCase(); }")
                # The form's own answer: a POST, or for a GET form (a report's period) the page it asks for.
                with page.expect_response(lambda r: r.request.method == method and r.request.resource_type in
                                          ("document", "xhr", "fetch"), timeout=5_000):
                    submit.click()
                page.wait_for_load_state()
                expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
                if not page.locator(".field-error, [aria-invalid=true]").count():
                    continue
                with_errors.add(f'{entry["path"]} #{i}')
                for finding in page.evaluate(AUDIT_SCRIPT, [EXCEPTIONS_FOR_SCRIPT, False]):
                    if finding["rule"] in ("error-tied", "label"):
                        problems.append((f'{entry["path"]} form #{i}', finding["rule"], finding["where"], finding["detail"]))
    finally:
        for ctx in contexts.values():
            ctx.close()
    print(f"\n{len(with_errors)} forms answered with a message beside a field: {sorted(with_errors)}")
    # The check must have had errors to look at, on kiosk, phone and keeper forms alike.
    assert {"/swap/bring #0", "/suggest/ #0", "/keeper/volunteers/new #0"} <= with_errors
    report = "\n".join(" | ".join(p) for p in problems)
    assert not problems, f"{len(problems)} errors not tied to their fields:\n{report}"


def test_no_template_times_a_screen_under_20_seconds():
    """Results that clear themselves and screens that go home appear only after an action, so the
    page walk above rarely meets them: every such timer written in a template is read here."""
    templates = Path(__file__).resolve().parents[2] / "kiosk"
    timers = []
    for template in templates.rglob("*.html"):
        text = template.read_text("utf-8")
        for attribute, value in re.findall(r'data-(reset-after|auto-home)="([^"]*)"', text):
            timers.append((template.name, attribute, value))
            value = value.strip("{} ")
            if value.isdigit():
                assert int(value) >= 20, f"{template}: data-{attribute}={value} s is too quick to read"
            elif "stay" in value:  # the station's setting, kept at 20 s or more where `stay` is set
                assert re.search(r"set stay = \[.*, 20\]\|max", text), template
            else:  # the station's setting with a floor of 20 s or more ([…, 30]|max for a gift being chosen)
                floor = re.search(r", (\d+)\]\|max", value)
                assert floor and int(floor.group(1)) >= 20, f"{template}: data-{attribute}={value} may be under 20 s"
    assert len(timers) >= 8  # the check-in, forgotten-badge, walk-in, swap and gift results
