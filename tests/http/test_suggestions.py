"""Issue 6: the suggestion box (建议筒) over HTTP: the kiosk and phone forms, the receipt and its QR, the
status page, the keeper's inbox and detail page, "you said, we did", rate limits, escaping, and Open311."""

import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from markupsafe import escape
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.core.text import mask_name
from kiosk.people.models import Keeper, Volunteer
from kiosk.suggest.box import ADDRESS_LIMITS, change, submit
from kiosk.suggest.models import Suggestion, SuggestionCategory, SuggestionEvent
from tests.conftest import HX, START, csrf_token, decode_svg_qr, set_up_as_kiosk
from tests.http.conftest import add_keeper, sign_in
from tests.images import jpeg, truncated_jpeg
from tests.http.test_keeper import field_errors, plain

# --- Test data -----------------------------------------------------------------------------


CODE = re.compile(r"S-[2-9A-HJKMNP-Z]{6}")
MOBILE = "13800138000"
TEXT_PAYLOAD = "</textarea><script>alert(1)</script>"
REPLY_PAYLOAD = "<img src=x onerror=alert(2)>已修好"
NOTE_PAYLOAD = "</textarea><svg onload=alert(3)>"
WRITE_IT = "Please write your suggestion."
TOO_LONG = "Please keep it to 500 characters or fewer."
CHOOSE = "Please choose what it is about."
BAD_MOBILE = "Please enter an 11-digit mobile number starting with 1."
NOT_A_PHOTO = "This file is not a photo we can read. Please choose a JPEG or PNG picture."
TOO_LARGE = "The photo is too large (at most 10 MB)."
# Issue W10: not "thank you" before a refusal; the kiosk points to its code for a phone.
SLOW_DOWN = {"/suggest/": "This tablet has had many suggestions just now. Please try again in a while, or scan the "
                          "code with your own phone.",
             "/suggest/phone": "Many suggestions have come from here just now. Please try again in a while."}
SAY_WHY = "Please say why in the public reply before declining."
NO_SUCH_CODE = "No other suggestion has this tracking code."
OPEN311_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "requested_datetime", "updated_datetime"}


# --- Helpers -------------------------------------------------------------------------------


def category_id(app, code="safety", slug="demo") -> int:
    with app.app_context():
        station_id = db.session.scalar(select(Station.id).where(Station.slug == slug))
        return db.session.scalar(select(SuggestionCategory.id).where(
            SuggestionCategory.station_id == station_id, SuggestionCategory.code == code))


def suggest(client, text="楼道灯坏了，晚上很黑", code="safety", photo=None, contact="", anonymous=False,
            path="/suggest/", htmx=True, category=None):
    """A suggestion dropped through the form at `path`, as the page's htmx form sends it: multipart, encoded
    here in memory (the test client would spool a large body to a temporary file it never closes)."""
    data = {"csrf_token": csrf_token(client, path), "text": text, "contact": contact,
            "category": str(category_id(client.application, code)) if category is None else category}
    if anonymous:
        data["anonymous"] = "1"
    if photo is not None:
        data["photo"] = FileStorage(io.BytesIO(photo), filename="photo.jpg", content_type="image/jpeg")
    boundary, body = encode_multipart(data)
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       headers=HX if htmx else {})


def receipt(response) -> tuple[str, str | None]:
    """The tracking code and the QR's SVG of a receipt (None on a phone: nothing to scan there)."""
    body = response.get_data(as_text=True)
    code = re.search(r'data-tracking="([^"]+)"', body).group(1)
    svg = re.search(r'<div class="receipt-qr">(<svg.*?</svg>)</div>', body, re.S)
    return code, svg.group(1) if svg else None


def read_qr(svg: str) -> list[str]:
    """A QR read back. qr_svg draws modules of box_size/10 units (0.6 at box_size 6): scale them to the
    unit squares decode_svg_qr reads."""
    path = re.search(r' d="([^"]+)"', svg).group(1)
    first = re.match(r"M([\d.]+),([\d.]+)H([\d.]+)", path)
    module = float(first.group(3)) - float(first.group(1))
    size = float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1)) / module
    squares = "".join(f"M{round(float(x) / module)},{round(float(y) / module)}z"
                      for x, y in re.findall(r"M([\d.]+),([\d.]+)", path))
    return decode_svg_qr(f'<svg viewBox="0 0 {round(size)} {round(size)}"><path d="{squares}"/></svg>')


def stored(app) -> list:
    with app.app_context():
        return [plain(s) for s in db.session.scalars(select(Suggestion).order_by(Suggestion.id))]


def the(app, code):
    with app.app_context():
        return plain(db.session.scalar(select(Suggestion).where(Suggestion.tracking_code == code)))


def events(app, code) -> list:
    with app.app_context():
        sid = db.session.scalar(select(Suggestion.id).where(Suggestion.tracking_code == code))
        return [plain(e) for e in db.session.scalars(
            select(SuggestionEvent).where(SuggestionEvent.suggestion_id == sid).order_by(SuggestionEvent.id))]


def uploads(app) -> list[Path]:
    folder = Path(app.instance_path) / "uploads"
    return sorted(p for p in folder.rglob("*") if p.is_file())


def category_error(page: str) -> list[str]:
    """The messages inside the category fieldset (radio tiles, not a div.field)."""
    box = re.search(r'<fieldset class="field[^"]*">\s*<legend class="field-label">What is it about\?</legend>'
                    r'(.*?)</fieldset>', page, re.S)
    assert box, "the form should have the category fieldset"
    return re.findall(r'<p class="field-error"[^>]*>([^<]*)</p>', box.group(1))


def page(client, path, **kwargs) -> str:
    r = client.get(path, **kwargs)
    assert r.status_code == 200, path
    return r.get_data(as_text=True)


def update(client, code, data):
    """The keeper's Save on the detail page."""
    token = csrf_token(client, f"/keeper/suggestions/{code}")
    return client.post(f"/keeper/suggestions/{code}", data={"csrf_token": token, **data})


def inbox_codes(html: str) -> list[str]:
    return re.findall(r'<td[^>]*><a href="/keeper/suggestions/(S-[^"]+)">', html)


def seed(app, clock, text="路灯坏了", code="safety", slug="demo", device="seed", **changes):
    """A suggestion dropped at `slug`'s kiosk now, then (if asked) changed by that station's keeper."""
    with app.app_context():
        station = db.session.scalar(select(Station).where(Station.slug == slug))
        category = db.session.scalar(select(SuggestionCategory).where(
            SuggestionCategory.station_id == station.id, SuggestionCategory.code == code))
        s = submit(station, category_id=category.id, text=text, photo=None, contact=None, anonymous=True,
                   source="kiosk", device_id=device, now=clock.now(), station_kiosk=True)
        if changes:
            keeper = db.session.scalar(select(Keeper).where(Keeper.station_id == station.id))
            change(keeper, s, now=clock.now(), **changes)
        db.session.commit()
        return s.tracking_code


def keeper_change(app, clock, code, **changes):
    with app.app_context():
        s = db.session.scalar(select(Suggestion).where(Suggestion.tracking_code == code))
        keeper = db.session.scalar(select(Keeper).where(Keeper.station_id == s.station_id))
        change(keeper, s, now=clock.now(), **changes)
        db.session.commit()


def set_cookies(response, name) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def kiosk(app, station):
    """The kiosk tablet in the station (a keeper set it up as the station's kiosk), reading English."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    set_up_as_kiosk(app, client)
    return client


@pytest.fixture
def phone(app, station):
    """A resident's own phone, reading English."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    return client


@pytest.fixture
def keeper(client, keeper_id):
    """The demo station's keeper, signed in, reading English."""
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    return client


@pytest.fixture
def other_station(app, station):
    """A second station with its own categories and keeper ("other"); returns its id."""
    with app.app_context():
        other = add_station("other", "别的驿站")
        add_keeper("other", "外站站长", other)
        db.session.commit()
        return other.id


@pytest.fixture
def other_keeper(app, other_station):
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="other").status_code == 303
    return client


@pytest.fixture
def with_photo(app, kiosk):
    """A kiosk suggestion with a contact and a photo: (tracking code, photo file name)."""
    r = suggest(kiosk, text="垃圾桶满了", code="environment", photo=jpeg(), contact="138 0013 8000")
    assert r.status_code == 200
    code, _svg = receipt(r)
    return code, the(app, code).photo


# --- The forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("path, action", [("/suggest/", "/suggest/"), ("/suggest/phone", "/suggest/phone?station=demo")])
def test_the_form_offers_the_categories_and_shows_the_length_limit(kiosk, path, action):
    html = page(kiosk, path)
    assert f'hx-post="{action}"' in html and f'action="{action}"' in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    labels = re.findall(r'<input type="radio" name="category" value="\d+"><span>([^<]+)</span>', html)
    assert labels == ["Environment", "Safety", "Facilities", "Station services", "Neighbour disputes", "Other"]
    textarea = re.search(r'<textarea id="text" name="text"[^>]*>', html).group(0)
    assert 'maxlength="500"' in textarea and 'data-count-to="500"' in textarea
    assert re.search(r'<p class="field-help" data-counter-for="text">0 / 500</p>', html)
    assert 'name="photo"' in html and 'accept="image/*"' in html
    assert 'name="contact"' in html and 'name="anonymous" value="1"' in html


def test_the_kiosk_form_has_a_qr_for_the_phone_form_and_the_phone_form_does_not(kiosk):
    html = page(kiosk, "/suggest/")
    svg = re.search(r'<div class="station-qr-code"[^>]*>(<svg.*?</svg>)</div>', html, re.S).group(1)
    # The phone has no kiosk cookie: the station travels in the link.
    assert read_qr(svg) == ["http://localhost/suggest/phone?station=demo"]
    assert 'href="/suggest/done"' in html
    assert "station-qr" not in page(kiosk, "/suggest/phone")


@pytest.mark.parametrize("trusted, link", [(1, "https://kiosk.example/suggest/phone?station=demo"),
                                            (0, "http://localhost/suggest/phone?station=demo")])
def test_behind_the_district_proxy_the_phone_qr_names_the_address_the_tablets_use(tmp_path, trusted, link):
    """docs/nginx-district.conf passes on the host and scheme a tablet used. With
    KIOSK_TRUSTED_PROXIES set, the QR a phone scans points there (https: phones need it for the
    camera); without it, the same headers from a client change nothing."""
    from kiosk.people.demo import load_demo_station
    from tests.conftest import make_app

    app = make_app(tmp_path, TRUSTED_PROXIES=trusted)
    with app.app_context():
        load_demo_station()
        db.session.commit()
    tablet = app.test_client()
    tablet.set_cookie("kiosk_lang", "en")
    html = tablet.get("/suggest/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kiosk.example",
                                            "X-Forwarded-For": "192.0.2.7"}).get_data(as_text=True)
    svg = re.search(r'<div class="station-qr-code"[^>]*>(<svg.*?</svg>)</div>', html, re.S).group(1)
    assert read_qr(svg) == [link]


@pytest.mark.parametrize("served_on, link", [
    ("https://192.168.1.10:5443", "http://192.168.1.10:5000/suggest/phone?station=demo"),
    ("http://192.168.1.10:5000", "http://192.168.1.10:5000/suggest/phone?station=demo"),
    ("https://kiosk.example", "https://kiosk.example/suggest/phone?station=demo"),
], ids=["station's own https", "plain http", "a real certificate"])
def test_a_qr_for_phones_never_sends_them_to_the_stations_own_certificate(kiosk, served_on, link):
    """Only tablets install the station's certificate (for their camera): a phone sent to the HTTPS
    port would say "connection not private". Phones get the station's plain address."""
    html = kiosk.get("/suggest/", base_url=served_on).get_data(as_text=True)
    svg = re.search(r'<div class="station-qr-code"[^>]*>(<svg.*?</svg>)</div>', html, re.S).group(1)
    assert read_qr(svg) == [link]


@pytest.mark.parametrize("path", ["/suggest/", "/suggest/phone?station=demo"])
def test_a_refused_suggestion_that_had_a_photo_asks_for_it_again(kiosk, path):
    r = suggest(kiosk, text="", photo=jpeg(), path=path)
    reminder = re.compile(r"<p [^>]*data-photo-again[^>]*>Sorry, the photo has to be taken again.</p>")
    assert r.status_code == 422 and reminder.search(r.get_data(as_text=True))
    # Without a photo sent, no reminder (the words stay only in the note forms.js may show).
    assert "data-photo-again" not in suggest(kiosk, text="", path=path).get_data(as_text=True)


def test_a_receipt_on_the_phone_has_no_code_to_scan_with_the_phone(kiosk):
    page = suggest(kiosk, path="/suggest/phone?station=demo").get_data(as_text=True)
    assert "Scan this with your phone" not in page and "receipt-qr" not in page
    assert "Keep the code" in page and re.search(r'data-tracking="S-', page)
    # Probe: "open the link below" stood above a link one could not tap.
    code = re.search(r'data-tracking="([^"]+)"', page).group(1)
    link = f"http://localhost/s/{code}"
    assert f'<a href="{link}">{link}</a>' in page
    assert "Scan this with your phone" in suggest(kiosk).get_data(as_text=True)


def test_the_first_visit_gets_a_device_cookie_and_later_ones_keep_it(kiosk):
    first = kiosk.get("/suggest/")
    [cookie] = set_cookies(first, "kiosk_device")
    assert re.match(r"kiosk_device=[0-9a-f]{32};", cookie)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert set_cookies(kiosk.get("/suggest/phone"), "kiosk_device") == []


def test_the_form_as_an_htmx_fragment_is_just_the_form(kiosk):
    body = page(kiosk, "/suggest/", headers=HX)
    assert "<html" not in body and 'name="text"' in body


# --- Submitting ----------------------------------------------------------------------------


def test_a_kiosk_suggestion_gets_a_receipt_with_a_code_and_a_qr_to_its_status_page(app, kiosk):
    r = suggest(kiosk, contact=MOBILE)
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" not in body  # the htmx fragment, swapped into #suggest-box
    code, svg = receipt(r)
    assert CODE.fullmatch(code)
    assert f'<p class="big-number receipt-code">{code}</p>' in body
    assert read_qr(svg) == [f"http://localhost/s/{code}"]
    assert f"http://localhost/s/{code}" in body
    assert MOBILE not in body
    [row] = stored(app)
    assert (row.tracking_code, row.source, row.status, row.contact_mobile) == (code, "kiosk", "received", MOBILE)
    assert (row.text, row.category_id, row.photo) == ("楼道灯坏了，晚上很黑", category_id(app), None)
    assert kiosk.get(f"/s/{code}").status_code == 200


def test_a_phone_suggestion_is_marked_as_from_a_phone_and_works_without_htmx(app, phone):
    r = suggest(phone, path="/suggest/phone", htmx=False, code="facilities", text="健身器材松了", contact="+86 139 0000 0001")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "<html" in body
    code = re.search(r'data-tracking="([^"]+)"', body).group(1)
    assert f"http://localhost/s/{code}" in body and "receipt-qr" not in body  # nothing to scan on the phone itself
    assert f'href="/s/{code}"' in body  # "Done" on a phone goes to the status page
    [row] = stored(app)
    assert (row.source, row.contact_mobile, row.text) == ("phone", "13900000001", "健身器材松了")


def test_a_suggestion_with_a_photo_stores_it_under_suggestions(app, kiosk):
    r = suggest(kiosk, photo=jpeg())
    assert r.status_code == 200
    [row] = stored(app)
    folder = Path(app.instance_path) / "uploads" / "suggestions"
    assert [p.name for p in uploads(app)] == sorted([row.photo, row.photo.replace(".jpg", "-thumb.jpg")])
    assert all(p.parent == folder for p in uploads(app))
    assert row.photo[:32] not in r.get_data(as_text=True)


def test_staying_anonymous_drops_a_typed_contact(app, kiosk):
    r = suggest(kiosk, contact=MOBILE, anonymous=True)
    assert r.status_code == 200
    assert stored(app)[0].contact_mobile is None


def test_a_wrong_contact_mobile_is_shown_beside_the_field_and_nothing_stored(app, kiosk):
    r = suggest(kiosk, contact="12345", photo=jpeg(), text="长椅坏了")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert field_errors(html, "contact") == [BAD_MOBILE]
    assert field_errors(html, "text") == []
    # What was typed is still there to correct.
    assert 'value="12345"' in html and ">长椅坏了</textarea>" in html
    assert stored(app) == [] and uploads(app) == []


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"text": ""}, "text", WRITE_IT),
        ({"text": "   \r\n\t  "}, "text", WRITE_IT),
        ({"text": "\u3000\u3000"}, "text", WRITE_IT),
        ({"text": "\x01\x02\x1b\x7f"}, "text", WRITE_IT),
        ({"text": "x" * 501}, "text", TOO_LONG),
        ({"text": "好" * 501}, "text", TOO_LONG),
        ({"text": "y" * 10 * 1024}, "text", TOO_LONG),
        ({"category": ""}, "category", CHOOSE),
        ({"category": "abc"}, "category", CHOOSE),
        ({"category": "99999999999999999999"}, "category", CHOOSE),
        ({"category": "0"}, "category", CHOOSE),
        ({"photo": b"This is a shopping list, not a picture.\n" * 20}, "photo", NOT_A_PHOTO),
        ({"photo": b"%PDF-1.4\n" + b"0" * 300}, "photo", NOT_A_PHOTO),
        ({"photo": "truncated"}, "photo", NOT_A_PHOTO),
        ({"photo": b"\xff" * (10 * 1024 * 1024 + 1)}, "photo", TOO_LARGE),
    ],
    ids=["empty", "whitespace", "fullwidth-space", "control", "501", "501-hanzi", "10kb", "no-category",
         "category-word", "category-huge", "category-zero", "text-file", "pdf", "truncated-jpeg", "11mb"],
)
def test_bad_input_is_422_with_the_message_beside_the_field_and_nothing_stored(app, kiosk, change, field, message):
    args = dict(change)
    if args.get("photo") == "truncated":
        args["photo"] = truncated_jpeg()
    args.setdefault("photo", jpeg())  # a good photo beside bad input is not kept either
    r = suggest(kiosk, **args)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    if field == "category":
        assert category_error(html) == [message]
    else:
        assert field_errors(html, field) == [message]
        assert category_error(html) == []
    assert stored(app) == [] and uploads(app) == []


def test_spaces_between_control_characters_are_refused_and_nothing_stored(app, kiosk):
    r = suggest(kiosk, text="\x01 \x01", photo=jpeg())
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "text") == [WRITE_IT]
    assert stored(app) == [] and uploads(app) == []


def test_a_nul_character_is_refused_at_the_door(app, kiosk):
    """No person types NUL, and PostgreSQL cannot store it: the whole request is refused, plainly."""
    r = suggest(kiosk, text="楼道\x00灯坏了", photo=jpeg())
    assert r.status_code == 400 and "Back to start" in r.get_data(as_text=True)
    assert stored(app) == [] and uploads(app) == []


def test_another_stations_category_is_refused(app, kiosk, other_station):
    r = suggest(kiosk, code="safety", category=str(category_id(app, "safety", slug="other")), photo=jpeg())
    assert r.status_code == 422
    assert category_error(r.get_data(as_text=True)) == [CHOOSE]
    assert stored(app) == [] and uploads(app) == []


def test_five_hundred_characters_with_line_breaks_are_accepted(app, kiosk):
    text = ("路" * 99 + "\r\n") * 5  # 500 once each CRLF counts as one, as the counter on the page does
    assert suggest(kiosk, text=text).status_code == 200
    assert len(stored(app)[0].text) == 499  # the last line break is trimmed


def test_the_counter_shows_what_was_typed_when_the_form_comes_back(kiosk):
    r = suggest(kiosk, text="好" * 12, category="")
    assert r.status_code == 422
    assert '<p class="field-help" data-counter-for="text">12 / 500</p>' in r.get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(app, kiosk):
    kiosk.get("/suggest/")
    r = kiosk.post("/suggest/", data={"category": str(category_id(app)), "text": "x"}, headers=HX)
    assert r.status_code == 400
    assert stored(app) == []


# --- The status page -----------------------------------------------------------------------


def test_the_status_page_shows_status_reply_and_dates_and_nothing_private(app, kiosk, keeper, clock, with_photo):
    code, photo = with_photo
    html = page(kiosk, f"/s/{code}")
    assert 'data-status="received"' in html and ">Received</p>" in html
    assert "No reply yet" in html and "data-reply" not in html
    clock.advance(hours=2, minutes=30)
    assert update(keeper, code, {"status": "resolved", "public_reply": "已清运，谢谢提醒",
                                 "internal_note": "环卫老李说周三再来"}).status_code == 303
    html = page(kiosk, f"/s/{code}")
    assert 'data-status="resolved"' in html and ">Resolved</p>" in html
    assert '<p class="reply" data-reply>已清运，谢谢提醒</p>' in html
    assert "<dt>Sent in</dt><dd>2026-11-22 09:00</dd>" in html
    assert "<dt>Last update</dt><dd>2026-11-22 11:30</dd>" in html
    assert "<dt>About</dt><dd>Environment</dd>" in html
    for private in (MOBILE, "138 0013 8000", photo[:32], "环卫老李", "/keeper/suggestions/photo"):
        assert private not in html


def test_the_status_page_as_an_htmx_fragment(kiosk, with_photo):
    code, _photo = with_photo
    body = page(kiosk, f"/s/{code}", headers=HX)
    assert "<html" not in body and 'data-status="received"' in body and MOBILE not in body


def test_the_pages_vary_on_htmx_and_are_not_cached_or_framed(kiosk, keeper, with_photo):
    code, _photo = with_photo
    for client, path in ((kiosk, "/suggest/"), (kiosk, f"/s/{code}"), (kiosk, "/suggest/done"),
                         (keeper, "/keeper/suggestions"), (keeper, f"/keeper/suggestions/{code}")):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "HX-Request" in r.headers["Vary"], path
        assert r.headers["Cache-Control"] == "no-store", path
        assert r.headers["X-Frame-Options"] == "DENY" and "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_the_status_page_is_found_however_the_code_is_typed(kiosk, with_photo):
    code, _photo = with_photo
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", "").lower(), "s-" + code[2:]):
        assert code in page(kiosk, f"/s/{typed}"), typed


# Probe: the receipt says "keep the code", and a resident with no phone had nowhere to type it.
def test_a_resident_types_the_receipts_code_at_the_kiosk_and_reaches_its_status_page(kiosk, with_photo):
    code, _photo = with_photo
    for path in ("/suggest/", "/suggest/done"):
        assert 'href="/suggest/find"' in page(kiosk, path), path
    form = page(kiosk, "/suggest/find")
    assert 'name="code"' in form
    full_width = code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # ＳＮ７… from a Chinese keyboard
    for typed in (code, f" {code.lower()} ", code.replace("-", ""), "s - " + code[2:], full_width):
        r = kiosk.get("/suggest/find", query_string={"code": typed})
        assert (r.status_code, r.headers["Location"]) == (303, f"/s/{code}"), typed
    assert code in page(kiosk, f"/s/{code}")


# Probe: "s—T3A9PB", "S一T3A9PB" (a Chinese input method's dash) and "T3A9PB" said no suggestion had the code.
def test_a_code_typed_with_any_dash_or_without_the_s_reaches_its_status_page(kiosk, with_photo):
    code, _photo = with_photo
    rest = code[2:]
    for typed in ("s—" + rest.lower(), "S一" + rest, "S——" + rest, rest, rest.lower()):
        r = kiosk.get("/suggest/find", query_string={"code": typed})
        assert (r.status_code, r.headers.get("Location")) == (303, f"/s/{code}"), typed
    for typed in ("一" + rest, "S—" + rest[:5], "S一" + rest + "一"):
        assert "No suggestion has this code" in page(kiosk, "/suggest/find", query_string={"code": typed}), typed


@pytest.mark.parametrize("typed", ["S-ZZZZZZ", "S-0OIL00", "garbage", "<script>alert(1)</script>", "S-" + "A" * 5000])
def test_a_code_that_finds_nothing_says_so_and_keeps_what_was_typed(kiosk, with_photo, typed):
    r = kiosk.get("/suggest/find", query_string={"code": typed})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "No suggestion has this code" in html and "S-7KQ2MD" in html and 'aria-invalid="true"' in html
    assert "<script>alert" not in html
    assert f'value="{escape(typed[:20])}"' in html  # what was typed stays, as text


# Probe: a status link copied wrong on a phone gave the generic "page not found" and a way to the
# kiosk's start screen, which means nothing on a resident's own phone.
def test_a_status_link_with_a_wrong_code_says_so_and_lets_it_be_typed_again(app, phone, with_photo):
    r = phone.get("/s/S-ZZZZZZ")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "No suggestion has this code" in html and 'value="S-ZZZZZZ"' in html and 'action="/suggest/find' in html
    assert "data-idle-seconds" not in html  # a phone is not a kiosk screen
    # The station's own kiosk tablet: the same page goes back to the start when left, and offers 您说我办.
    from tests.conftest import set_up_as_kiosk

    tablet = app.test_client()
    set_up_as_kiosk(app, tablet)
    html = tablet.get("/suggest/find").get_data(as_text=True)
    assert "data-idle-seconds" in html and 'href="/suggest/done"' in html
    assert 'href="/suggest/done"' not in phone.get("/suggest/find").get_data(as_text=True)
    code, _photo = with_photo
    r = phone.get("/suggest/find", query_string={"code": code})
    assert r.status_code == 303 and phone.get(r.headers["Location"]).status_code == 200


# Probe: 查看回复 tapped with nothing typed gave the same page back with no word; and the field's
# placeholder S-7KQ2MD read like a code already filled in.
@pytest.mark.parametrize("typed", ["", "   ", "\u200b"])
def test_looking_up_with_nothing_typed_asks_for_the_code(kiosk, typed):
    html = page(kiosk, "/suggest/find", query_string={"code": typed})
    assert "Please type the code on your receipt." in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="code-hint code-error"' in html
    # Only sent empty: the page opened from a button asks nothing yet.
    fresh = page(kiosk, "/suggest/find")
    assert "Please type the code on your receipt." not in fresh and 'aria-invalid' not in fresh


def test_the_look_up_field_shows_its_example_as_an_example_not_as_a_filled_in_code(kiosk):
    html = page(kiosk, "/suggest/find")
    field = re.search(r'<input id="code"[^>]*>', html).group(0)
    assert "placeholder" not in field and 'aria-describedby="code-hint"' in field
    assert re.search(r'<p class="field-help" id="code-hint">For example: S-7KQ2MD</p>', html)


def test_the_look_up_page_reads_chinese(kiosk, with_photo):
    kiosk.set_cookie("kiosk_lang", "zh_Hans")
    html = page(kiosk, "/suggest/find?code=S-ZZZZZZ")
    assert "没找到" in html and "查看回复" in html


@pytest.mark.parametrize("typed", ["S-ZZZZZZ", "S-ABC", "garbage", "S-0OIL00", "%00", "S-" + "A" * 5000,
                                   "<script>", "1", "S-ABCDEF.json", "S-%E4%BD%A0%E5%A5%BD12"])
def test_unknown_or_garbage_codes_are_404(kiosk, with_photo, typed):
    r = kiosk.get(f"/s/{typed}")
    assert r.status_code == 404


# --- Keeper-only paths ---------------------------------------------------------------------


def keeper_paths(code, photo):
    return [
        "/keeper/suggestions", "/keeper/suggestions?status=received", f"/keeper/suggestions/{code}",
        f"/keeper/suggestions/photo/{photo}", f"/keeper/suggestions/photo/{photo.replace('.jpg', '-thumb.jpg')}",
    ]


def test_anonymous_keeper_gets_are_sent_to_sign_in(app, kiosk, with_photo):
    code, photo = with_photo
    for path in keeper_paths(code, photo):
        with kiosk.get(path) as r:
            assert r.status_code == 303, path
            location = urlsplit(r.headers["Location"])
            assert location.path == "/keeper/login"
            assert parse_qs(location.query)["next"][0].split("?")[0] == path.split("?")[0]
            assert MOBILE not in r.get_data(as_text=True)
        with kiosk.get(path, headers=HX) as r:
            assert urlsplit(r.headers["HX-Redirect"]).path == "/keeper/login", path


def test_an_anonymous_post_is_sent_to_sign_in_and_changes_nothing(app, kiosk, with_photo):
    code, _photo = with_photo
    before = stored(app), events(app, code)
    r = kiosk.post(f"/keeper/suggestions/{code}", data={
        "csrf_token": csrf_token(kiosk, "/suggest/"), "status": "declined", "public_reply": "不处理", "hidden": "1"})
    assert r.status_code == 303 and urlsplit(r.headers["Location"]).path == "/keeper/login"
    assert (stored(app), events(app, code)) == before


def test_a_keeper_of_another_station_cannot_see_or_change_this_stations_suggestions(app, other_keeper, with_photo):
    code, photo = with_photo
    before = stored(app), events(app, code)
    assert code not in page(other_keeper, "/keeper/suggestions")
    assert other_keeper.get(f"/keeper/suggestions/{code}").status_code == 404
    r = other_keeper.post(f"/keeper/suggestions/{code}", data={
        "csrf_token": csrf_token(other_keeper, "/keeper/suggestions"), "status": "resolved", "public_reply": "x"})
    assert r.status_code == 404
    for name in (photo, photo.replace(".jpg", "-thumb.jpg")):
        with other_keeper.get(f"/keeper/suggestions/photo/{name}") as r:
            assert r.status_code == 404
    assert (stored(app), events(app, code)) == before


# --- The keeper's inbox --------------------------------------------------------------------


def test_the_inbox_is_newest_first_with_counts_by_status_and_category(app, keeper, clock, other_station):
    lamp = seed(app, clock, code="safety", text="路灯坏了")
    clock.advance(minutes=5)
    bins = seed(app, clock, code="environment", text="垃圾桶满了", status="accepted")
    clock.advance(minutes=5)
    bench = seed(app, clock, code="facilities", text="长椅坏了", status="resolved", public_reply="修好了")
    clock.advance(minutes=5)
    noise = seed(app, clock, code="environment", text="夜里太吵")
    elsewhere = seed(app, clock, slug="other", text="外站的建议")
    html = page(keeper, "/keeper/suggestions")
    assert inbox_codes(html) == [noise, bench, bins, lamp]
    assert elsewhere not in html and "外站的建议" not in html
    assert dict(re.findall(r'data-count="([a-z_]+)">(\d+)<', html)) == {
        "received": "2", "accepted": "1", "in_progress": "0", "resolved": "1", "declined": "0"}
    by_category = dict(re.findall(r'href="/keeper/suggestions\?category=\d+">([^<]+?) <strong>(\d+)</strong>', html))
    assert by_category == {"Environment": "2", "Safety": "1", "Facilities": "1", "Station services": "0",
                           "Neighbour disputes": "0", "Other": "0"}
    assert "夜里太吵" in html and "Accepted" in html


def test_the_inbox_filters_by_status_and_category(app, keeper, clock):
    lamp = seed(app, clock, code="safety")
    clock.advance(minutes=1)
    bins = seed(app, clock, code="environment", status="accepted")
    clock.advance(minutes=1)
    noise = seed(app, clock, code="environment")
    environment = category_id(app, "environment")
    assert inbox_codes(page(keeper, "/keeper/suggestions?status=accepted")) == [bins]
    assert inbox_codes(page(keeper, "/keeper/suggestions?status=received")) == [noise, lamp]
    assert inbox_codes(page(keeper, f"/keeper/suggestions?category={environment}")) == [noise, bins]
    assert inbox_codes(page(keeper, f"/keeper/suggestions?status=received&category={environment}")) == [noise]
    assert inbox_codes(page(keeper, "/keeper/suggestions?status=declined")) == []
    assert inbox_codes(page(keeper, "/keeper/suggestions?status=nonsense")) == [noise, bins, lamp]
    current = page(keeper, "/keeper/suggestions?status=accepted")
    assert re.search(r'class="chip is-current" href="/keeper/suggestions\?status=accepted"', current)


def test_a_huge_category_filter_is_not_a_server_error(app, keeper, clock):
    seed(app, clock)
    r = keeper.get("/keeper/suggestions?category=99999999999999999999")
    assert r.status_code in (200, 404)


def test_a_hidden_suggestion_stays_in_the_inbox_marked_hidden(app, keeper, clock):
    code = seed(app, clock, text="骂人的话", hidden=True)
    html = page(keeper, "/keeper/suggestions")
    assert inbox_codes(html) == [code]
    assert '<tr class="muted">' in html and '<span class="badge-flag">hidden</span>' in html


# --- The keeper's detail page --------------------------------------------------------------


def test_the_detail_page_shows_text_contact_and_photo(app, keeper, with_photo):
    code, photo = with_photo
    html = page(keeper, f"/keeper/suggestions/{code}")
    assert '<p class="reply" data-text>垃圾桶满了</p>' in html
    assert f"<dt>Contact</dt><dd>{MOBILE}</dd>" in html
    assert f'src="/keeper/suggestions/photo/{photo}"' in html
    assert "<dt>About</dt><dd>Environment</dd>" in html
    assert "Dropped in the box" in html and "resident" in html


def test_an_anonymous_suggestion_says_so_on_the_detail_page(app, kiosk, keeper):
    code, _svg = receipt(suggest(kiosk, contact=MOBILE, anonymous=True))
    html = page(keeper, f"/keeper/suggestions/{code}")
    assert "<dt>Contact</dt><dd>anonymous</dd>" in html and MOBILE not in html


def test_the_photo_is_served_to_the_keeper_privately(app, keeper, with_photo):
    code, photo = with_photo
    for name in (photo, photo.replace(".jpg", "-thumb.jpg")):
        with keeper.get(f"/keeper/suggestions/photo/{name}") as r:
            assert r.status_code == 200
            assert r.mimetype == "image/jpeg"
            assert "private" in r.headers["Cache-Control"]
            data = r.get_data()
        assert data == (Path(app.instance_path) / "uploads" / "suggestions" / name).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"


@pytest.mark.parametrize("name", ["0" * 32 + ".jpg", "0" * 32 + "-thumb.jpg", "../../kiosk.sqlite", "x.jpg",
                                  "%2e%2e%2fkiosk.sqlite", "PHOTO.JPG"])
def test_a_wrong_photo_name_is_404(app, keeper, with_photo, name):
    with keeper.get(f"/keeper/suggestions/photo/{name}") as r:
        assert r.status_code == 404


def test_a_suggestion_photo_is_not_on_the_public_swap_photo_path(app, kiosk, with_photo):
    _code, photo = with_photo
    with kiosk.get(f"/swap/photos/{photo}") as r:
        assert r.status_code == 404


def test_statuses_move_along_and_the_history_shows_who_and_when(app, keeper, keeper_id, clock, with_photo):
    code, _photo = with_photo
    for status, minutes in (("accepted", 10), ("in_progress", 20), ("resolved", 30)):
        clock.advance(minutes=minutes)
        r = update(keeper, code, {"status": status})
        assert r.status_code == 303 and r.headers["Location"] == f"/keeper/suggestions/{code}"
        assert the(app, code).status == status
    rows = events(app, code)
    assert [(e.action, e.keeper_id, e.before, e.after) for e in rows] == [
        ("received", None, None, None),
        ("status", keeper_id, "received", "accepted"),
        ("status", keeper_id, "accepted", "in_progress"),
        ("status", keeper_id, "in_progress", "resolved"),
    ]
    assert the(app, code).resolved_at == START.replace(hour=2)
    history = page(keeper, f"/keeper/suggestions/{code}").split("<h2>History</h2>", 1)[1]
    assert "2026-11-22 09:10 · 站长 · Status: Received → Accepted" in history
    assert "2026-11-22 09:30 · 站长 · Status: Accepted → In progress" in history
    assert "2026-11-22 10:00 · 站长 · Status: In progress → Resolved" in history
    assert "2026-11-22 09:00 · resident · Dropped in the box" in history


def test_declining_without_a_public_reply_is_422_and_changes_nothing(app, keeper, clock, with_photo):
    code, _photo = with_photo
    before = the(app, code), events(app, code)
    clock.advance(minutes=5)
    r = update(keeper, code, {"status": "declined", "public_reply": "  ", "internal_note": "不想处理",
                              "hidden": ["0", "1"]})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "public_reply") == [SAY_WHY]
    assert (the(app, code), events(app, code)) == before
    r = update(keeper, code, {"status": "declined", "public_reply": "属于物业职责，已转告物业"})
    assert r.status_code == 303
    assert (the(app, code).status, the(app, code).public_reply) == ("declined", "属于物业职责，已转告物业")


@pytest.mark.parametrize("status", ["", "closed", "<b>", "resolved "])
def test_an_unknown_status_is_422(app, keeper, with_photo, status):
    code, _photo = with_photo
    before = the(app, code), events(app, code)
    r = update(keeper, code, {"status": status, "public_reply": "回复"})
    assert r.status_code == 422
    assert (the(app, code), events(app, code)) == before


def test_a_public_reply_and_an_internal_note_are_saved_and_shown_to_the_keeper(app, keeper, with_photo):
    code, _photo = with_photo
    r = update(keeper, code, {"public_reply": "本周清运\r\n谢谢", "internal_note": "联系了环卫站"})
    assert r.status_code == 303
    row = the(app, code)
    assert (row.public_reply, row.internal_note) == ("本周清运\n谢谢", "联系了环卫站")
    html = page(keeper, f"/keeper/suggestions/{code}")
    assert ">本周清运\n谢谢</textarea>" in html and ">联系了环卫站</textarea>" in html
    assert "Public reply updated" in html and "Internal note updated" in html
    assert [e.action for e in events(app, code)] == ["received", "reply", "note"]


@pytest.mark.parametrize("field", ["public_reply", "internal_note"])
def test_too_long_replies_and_notes_are_422_beside_the_field(app, keeper, with_photo, field):
    code, _photo = with_photo
    before = the(app, code)
    r = update(keeper, code, {field: "字" * 1001, "status": "accepted"})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), field) == ["Please keep it to 1000 characters or fewer."]
    assert the(app, code) == before


def test_marking_a_duplicate_by_tracking_code(app, keeper, clock):
    original = seed(app, clock, device="a")
    again = seed(app, clock, device="b")
    r = update(keeper, again, {"duplicate_of": original.replace("-", "").lower()})
    assert r.status_code == 303
    with app.app_context():
        assert the(app, again).duplicate_of_id == db.session.scalar(
            select(Suggestion.id).where(Suggestion.tracking_code == original))
    html = page(keeper, f"/keeper/suggestions/{again}")
    assert f'<dd><a href="/keeper/suggestions/{original}">{original}</a></dd>' in html
    assert f'name="duplicate_of" maxlength="12" value="{original}"' in html
    assert f"Marked as a duplicate of {original}" in html
    assert update(keeper, again, {"duplicate_of": ""}).status_code == 303
    assert the(app, again).duplicate_of_id is None
    assert "Not a duplicate" in page(keeper, f"/keeper/suggestions/{again}")


@pytest.mark.parametrize("kind", ["self", "unknown", "garbage", "other-station"])
def test_a_bad_duplicate_code_is_422_beside_the_field(app, keeper, clock, other_station, kind):
    code = seed(app, clock, device="a")
    typed = {"self": code, "unknown": "S-ZZZZZZ", "garbage": "<b>x</b>",
             "other-station": seed(app, clock, slug="other", device="b")}[kind]
    before = the(app, code), events(app, code)
    r = update(keeper, code, {"duplicate_of": typed, "public_reply": "顺便回复"})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "duplicate_of") == [NO_SUCH_CODE]
    assert (the(app, code), events(app, code)) == before


# Probe: S-A marked a duplicate of S-B, then S-B of S-A: both saved, each page saying 与此重复 the other.
def test_two_suggestions_cannot_be_marked_duplicates_of_each_other(app, keeper, clock):
    first = seed(app, clock, device="a")
    second = seed(app, clock, device="b")
    assert update(keeper, first, {"duplicate_of": second}).status_code == 303
    before = the(app, second), events(app, second)
    r = update(keeper, second, {"duplicate_of": first.lower(), "public_reply": "顺便回复"})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "duplicate_of") == [
        f"{first} is already marked as a duplicate of this one (directly or through another). "
        f"To turn it round, first clear the duplicate mark on {first}."]
    assert (the(app, second), events(app, second)) == before
    assert "<dt>Duplicate of</dt>" not in page(keeper, f"/keeper/suggestions/{second}")


def test_hiding_uses_a_hidden_zero_and_a_checkbox_one(app, keeper, clock):
    code = seed(app, clock, status="resolved", public_reply="已处理")
    html = page(keeper, f"/keeper/suggestions/{code}")
    assert '<input type="hidden" name="hidden" value="0">' in html
    assert '<input type="checkbox" name="hidden" value="1">' in html  # not checked yet
    assert update(keeper, code, {"hidden": ["0", "1"]}).status_code == 303
    assert the(app, code).hidden is True
    html = page(keeper, f"/keeper/suggestions/{code}")
    assert '<input type="checkbox" name="hidden" value="1" checked>' in html
    # A save that does not mention hiding leaves it alone.
    assert update(keeper, code, {"internal_note": "先藏起来"}).status_code == 303
    assert the(app, code).hidden is True
    assert update(keeper, code, {"hidden": "0"}).status_code == 303
    assert the(app, code).hidden is False
    assert [e.action for e in events(app, code) if e.action in ("hidden", "shown")] == ["hidden", "shown"]


def _seen(html: str) -> str:
    return re.search(r'name="seen"[^>]*value="([^"]*)"', html).group(1)


def test_a_save_from_a_page_opened_before_another_keepers_save_is_refused_and_shows_it_as_it_is_now(app, keeper, clock):
    """Two keepers open one suggestion: 小李 resolves it with a reply and a note; the first, from the
    page opened earlier, sets Accepted with words of their own. Saving it would quietly undo 小李's."""
    code = seed(app, clock)
    with app.app_context():
        add_keeper("xiaoli", "小李", db.session.scalar(select(Station).where(Station.slug == "demo")))
        db.session.commit()
    other = app.test_client()
    other.set_cookie("kiosk_lang", "en")
    assert sign_in(other, username="xiaoli").status_code == 303
    path = f"/keeper/suggestions/{code}"
    first, second = _seen(page(keeper, path)), _seen(page(other, path))
    assert update(other, code, {"status": "resolved", "public_reply": "灯已换好", "internal_note": "物业周二换的",
                                "seen": second}).status_code == 303
    clock.advance(minutes=5)
    before = the(app, code), events(app, code)
    stale = update(keeper, code, {"status": "accepted", "public_reply": "我们会尽快处理", "internal_note": "明天去看",
                                  "seen": first})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else changed this record" in html
    assert (the(app, code), events(app, code)) == before  # nothing saved, nothing in the history
    # The page shows the suggestion as it is now, to change again.
    assert 'value="resolved" checked' in html and ">灯已换好</textarea>" in html and ">物业周二换的</textarea>" in html
    assert "我们会尽快处理" not in html and _seen(html) != first
    again = update(keeper, code, {"status": "accepted", "public_reply": "灯已换好", "internal_note": "明天去看",
                                  "seen": _seen(html)})
    assert again.status_code == 303 and (the(app, code).status, the(app, code).internal_note) == ("accepted", "明天去看")


def test_a_refused_save_keeps_the_stamp_of_the_page_it_came_from(app, keeper, clock):
    """Refused for another reason, the form comes back as sent: its next save is still checked
    against the suggestion as that page showed it."""
    code = seed(app, clock)
    seen = _seen(page(keeper, f"/keeper/suggestions/{code}"))
    r = update(keeper, code, {"status": "declined", "public_reply": " ", "seen": seen})
    assert r.status_code == 422 and _seen(r.get_data(as_text=True)) == seen


def test_an_unknown_code_in_the_keepers_paths_is_404(keeper, station):
    assert keeper.get("/keeper/suggestions/S-ZZZZZZ").status_code == 404
    assert keeper.get("/keeper/suggestions/" + "S" * 3000).status_code == 404
    r = keeper.post("/keeper/suggestions/S-ZZZZZZ", data={"csrf_token": csrf_token(keeper, "/keeper/suggestions"),
                                                         "status": "resolved"})
    assert r.status_code == 404


# --- You said, we did ----------------------------------------------------------------------


@pytest.fixture
def replied(app, clock, other_station):
    """Resolved ones with replies (one hidden, one elsewhere), and ones not resolved."""
    older = seed(app, clock, text="路灯坏了", device="a")
    newer = seed(app, clock, text="长椅松了", device="b")
    seed(app, clock, text="还在处理的", device="c", status="in_progress", public_reply="正在联系物业")
    seed(app, clock, text="拒绝的", device="d", status="declined", public_reply="不归本站管")
    seed(app, clock, text="不公开的", device="e", status="resolved", public_reply="私下已处理", hidden=True)
    seed(app, clock, text="外站的", slug="other", device="f", status="resolved", public_reply="外站已处理")
    seed(app, clock, text="没有回复的", device="g")
    clock.advance(hours=1)
    keeper_change(app, clock, newer, status="resolved", public_reply="长椅已加固")
    clock.advance(hours=1)
    keeper_change(app, clock, older, status="resolved", public_reply="灯泡已更换")
    return older, newer


def test_you_said_we_did_lists_resolved_visible_replies_newest_resolved_first(kiosk, replied):
    html = page(kiosk, "/suggest/done")
    listed = html.split("data-you-said", 1)[1].split("</ul>", 1)[0]
    assert re.findall(r'<p class="done-did">([^<]*)</p>', listed) == ["灯泡已更换", "长椅已加固"]
    assert "路灯坏了" in listed and "长椅松了" in listed
    for absent in ("还在处理的", "正在联系物业", "拒绝的", "不归本站管", "不公开的", "私下已处理", "外站", "没有回复的"):
        assert absent not in html
    assert 'href="/suggest/"' in html


def test_the_kiosk_home_shows_the_latest_replies(kiosk, replied):
    html = page(kiosk, "/")
    done = html.split('<div class="home-done">', 1)[1]
    assert re.findall(r'<p class="done-did">([^<]*)</p>', done) == ["灯泡已更换", "长椅已加固"]
    for absent in ("不公开的", "私下已处理", "还在处理的", "拒绝的", "外站"):
        assert absent not in html


def test_hiding_a_resolved_suggestion_takes_it_off_the_public_screens(app, kiosk, keeper, replied):
    older, _newer = replied
    assert update(keeper, older, {"hidden": ["0", "1"]}).status_code == 303
    for path in ("/suggest/done", "/"):
        html = page(kiosk, path)
        assert "灯泡已更换" not in html and "长椅已加固" in html


def test_with_nothing_resolved_the_home_has_no_list_and_the_done_page_says_so(kiosk, app, clock):
    seed(app, clock)
    assert "home-done" not in page(kiosk, "/")
    assert "Replies to suggestions will appear here." in page(kiosk, "/suggest/done")


# --- Rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("path, limit", [("/suggest/", 20), ("/suggest/phone", 3)])
def test_one_device_is_slowed_down_with_a_friendly_message(app, kiosk, phone, clock, path, limit):
    phone.environ_base["REMOTE_ADDR"] = "192.168.1.23"  # another device is another address too
    for i in range(limit):
        assert suggest(kiosk, path=path, text=f"第{i}条").status_code == 200
        clock.advance(seconds=30)
    r = suggest(kiosk, path=path, text="又一条", photo=jpeg())
    assert r.status_code == 429
    html = r.get_data(as_text=True)
    assert field_errors(html, "text") == [SLOW_DOWN[path]]
    assert ">又一条</textarea>" in html  # nothing typed is lost
    assert len(stored(app)) == limit and "又一条" not in [s.text for s in stored(app)]
    assert [p for p in uploads(app)] == []
    # Another device is not affected.
    assert suggest(phone, path=path, text="别的设备").status_code == 200
    # An hour later it works again.
    clock.advance(hours=1, minutes=1)
    assert suggest(kiosk, path=path, text="一小时后").status_code == 200
    assert len(stored(app)) == limit + 2


def test_the_kiosk_forms_allowance_is_only_for_the_stations_kiosk_tablet(app, phone):
    """Anyone on the station's network can open /suggest/; a device a keeper did not set up as the
    kiosk gets a phone's allowance there, and its address counts what it sent through both forms."""
    phone.environ_base["REMOTE_ADDR"] = "10.0.9.1"
    for i in range(ADDRESS_LIMITS["phone"]):
        phone.delete_cookie("kiosk_device")  # a fresh cookie for every one: only the address counts them
        assert suggest(phone, path="/suggest/phone" if i % 2 else "/suggest/", text=f"第{i}条").status_code == 200
    phone.delete_cookie("kiosk_device")
    assert suggest(phone, path="/suggest/", text="又一条").status_code == 429
    assert len(stored(app)) == ADDRESS_LIMITS["phone"]


def test_without_a_device_cookie_the_address_is_the_key(app, kiosk):
    for _ in range(3):
        kiosk.delete_cookie("kiosk_device")
        token = csrf_token(kiosk, "/suggest/phone")
        kiosk.delete_cookie("kiosk_device")
        r = kiosk.post("/suggest/phone", data={"csrf_token": token, "category": str(category_id(app)), "text": "x"},
                       headers=HX, environ_base={"REMOTE_ADDR": "10.0.0.7"})
        assert r.status_code == 200
    kiosk.delete_cookie("kiosk_device")
    token = csrf_token(kiosk, "/suggest/phone")
    kiosk.delete_cookie("kiosk_device")
    data = {"csrf_token": token, "category": str(category_id(app)), "text": "x"}
    assert kiosk.post("/suggest/phone", data=data, headers=HX,
                      environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 429
    assert kiosk.post("/suggest/phone", data=data, headers=HX,
                      environ_base={"REMOTE_ADDR": "10.0.0.8"}).status_code == 200
    assert len(stored(app)) == 4


# --- Escaping ------------------------------------------------------------------------------


def test_script_and_html_show_as_text_everywhere(app, kiosk, keeper, clock):
    r = suggest(kiosk, text=TEXT_PAYLOAD, contact=MOBILE)
    assert r.status_code == 200
    code, _svg = receipt(r)
    bodies = {"receipt": r.get_data(as_text=True)}
    clock.advance(hours=1)
    assert update(keeper, code, {"status": "resolved", "public_reply": REPLY_PAYLOAD,
                                 "internal_note": NOTE_PAYLOAD}).status_code == 303
    assert (the(app, code).text, the(app, code).public_reply, the(app, code).internal_note) == (
        TEXT_PAYLOAD, REPLY_PAYLOAD, NOTE_PAYLOAD)
    bodies |= {
        "status page": page(kiosk, f"/s/{code}"), "done": page(kiosk, "/suggest/done"), "home": page(kiosk, "/"),
        "inbox": page(keeper, "/keeper/suggestions"), "detail": page(keeper, f"/keeper/suggestions/{code}"),
        "422 form": suggest(kiosk, text=TEXT_PAYLOAD, category="").get_data(as_text=True),
    }
    for where, body in bodies.items():
        for payload in (TEXT_PAYLOAD, REPLY_PAYLOAD, NOTE_PAYLOAD, "<script>", "<img src=x", "<svg onload"):
            assert payload not in body, (where, payload)
    shown = {
        "status page": [REPLY_PAYLOAD], "done": [TEXT_PAYLOAD, REPLY_PAYLOAD], "home": [TEXT_PAYLOAD, REPLY_PAYLOAD],
        "inbox": [TEXT_PAYLOAD], "detail": [TEXT_PAYLOAD, REPLY_PAYLOAD, NOTE_PAYLOAD], "422 form": [TEXT_PAYLOAD],
    }
    for where, payloads in shown.items():
        for payload in payloads:
            assert str(escape(payload)) in bodies[where], (where, payload)
    # Open311 carries the words as JSON data, for the reader to escape, never as HTML entities.
    r = kiosk.get("/api/v1/open311/requests.json")
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"
    [item] = r.get_json()
    assert (item["description"], item["status_notes"]) == (TEXT_PAYLOAD, REPLY_PAYLOAD)
    assert NOTE_PAYLOAD not in r.get_data(as_text=True) and "svg onload" not in r.get_data(as_text=True)


# --- Open311 -------------------------------------------------------------------------------


@pytest.fixture
def feed(app, kiosk, clock, other_station):
    """One of each status (and a hidden one) at the demo station, one at the other; codes by name."""
    codes = {}
    r = suggest(kiosk, text="有照片和电话的", photo=jpeg(), contact=MOBILE)
    codes["received"] = receipt(r)[0]
    for status in ("accepted", "in_progress", "resolved", "declined"):
        clock.advance(minutes=1)
        codes[status] = seed(app, clock, text=f"状态{status}", device=status, status=status,
                             public_reply=f"回复{status}", internal_note=f"内部{status}")
    clock.advance(minutes=1)
    codes["hidden"] = seed(app, clock, text="藏起来的", device="h", hidden=True, internal_note="藏的原因")
    clock.advance(minutes=1)
    codes["elsewhere"] = seed(app, clock, text="外站的", slug="other", device="o", status="accepted")
    return codes


def test_open311_lists_visible_requests_with_exactly_the_georeport_fields(app, kiosk, clock, feed):
    unread = seed(app, clock, text="还没人看过的", device="u")  # published only once a keeper has looked
    clock.advance(hours=1)
    keeper_change(app, clock, feed["received"], status="accepted", internal_note="提出人是3号楼王阿姨")
    r = kiosk.get("/api/v1/open311/requests.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    items = r.get_json()
    assert isinstance(items, list)
    assert all(set(item) == OPEN311_FIELDS for item in items)
    by_code = {item["service_request_id"]: item for item in items}
    assert set(by_code) == {feed[k] for k in ("received", "accepted", "in_progress", "resolved", "declined",
                                              "elsewhere")}
    assert unread not in by_code
    assert {k: by_code[feed[k]]["status"] for k in ("received", "accepted", "in_progress", "resolved", "declined")} \
        == {"received": "open", "accepted": "open", "in_progress": "open", "resolved": "closed", "declined": "closed"}
    first = by_code[feed["received"]]
    assert first == {
        "service_request_id": feed["received"], "status": "open", "status_notes": "", "service_name": "Safety",
        "service_code": "safety", "description": "有照片和电话的", "requested_datetime": "2026-11-22T01:00:00+00:00",
        "updated_datetime": "2026-11-22T02:06:00+00:00",
    }
    assert by_code[feed["declined"]]["status_notes"] == "回复declined"
    body = r.get_data(as_text=True)
    photo = the(app, feed["received"]).photo
    for private in (MOBILE, photo[:32], "王阿姨", "内部", "藏起来的", "藏的原因", "contact", "photo", "internal",
                    "note\""):
        assert private not in body, private


def test_open311_filters_by_station(app, kiosk, feed):
    demo = kiosk.get("/api/v1/open311/requests.json?station=demo").get_json()
    # accepted, in progress, resolved, declined: not the hidden one, not the one nobody has read yet
    assert feed["elsewhere"] not in {i["service_request_id"] for i in demo} and len(demo) == 4
    other = kiosk.get("/api/v1/open311/requests.json?station=other").get_json()
    assert [i["service_request_id"] for i in other] == [feed["elsewhere"]]
    for slug in ("nowhere", "x" * 500, "<script>", "demo' OR 1=1 --"):
        r = kiosk.get("/api/v1/open311/requests.json", query_string={"station": slug})
        assert r.status_code == 200 and r.get_json() == []


def test_every_open311_answer_may_be_read_from_another_origin(kiosk, feed):
    r = kiosk.get("/api/v1/open311/requests.json?station=nowhere")
    assert r.headers.get("Access-Control-Allow-Origin") == "*"


def test_open311_one_request_by_its_code(app, kiosk, feed):
    code = feed["resolved"]
    for typed in (code, code.lower(), code.replace("-", "")):
        r = kiosk.get(f"/api/v1/open311/requests/{typed}.json")
        assert r.status_code == 200 and r.mimetype == "application/json"
        [item] = r.get_json()
        assert set(item) == OPEN311_FIELDS
        assert (item["service_request_id"], item["status"], item["status_notes"]) == (code, "closed", "回复resolved")
        assert "内部" not in r.get_data(as_text=True)
    r = kiosk.get(f"/api/v1/open311/requests/{feed['received']}.json")  # not read by a keeper yet
    assert r.status_code == 404 and MOBILE not in r.get_data(as_text=True)


@pytest.mark.parametrize("which", ["hidden", "unknown", "garbage", "long"])
def test_open311_hidden_or_unknown_requests_are_a_json_404(kiosk, feed, which):
    code = {"hidden": feed["hidden"], "unknown": "S-ZZZZZZ", "garbage": "<script>", "long": "S" * 3000}[which]
    r = kiosk.get(f"/api/v1/open311/requests/{code}.json")
    assert r.status_code == 404 and r.mimetype == "application/json"
    assert json.loads(r.get_data(as_text=True)) == [{"code": 404, "description": "not found"}]
    assert "藏起来的" not in r.get_data(as_text=True)


def test_open311_is_read_only(kiosk, feed):
    assert kiosk.post("/api/v1/open311/requests.json", data={"description": "x"}).status_code == 405
    assert kiosk.post(f"/api/v1/open311/requests/{feed['received']}.json").status_code == 405


def test_an_empty_box_gives_an_empty_open311_list(kiosk, station):
    r = kiosk.get("/api/v1/open311/requests.json")
    assert r.status_code == 200 and r.get_json() == []



# --- Keepers edit the categories --------------------------------------------------------------


def test_keepers_rename_hide_and_add_suggestion_categories(app, keeper, kiosk):
    token = csrf_token(keeper, "/keeper/suggestion-categories")
    safety = category_id(app, "safety")
    r = keeper.post(f"/keeper/suggestion-categories/{safety}", data={"csrf_token": token, "name": "消防安全"})
    assert r.status_code == 303
    assert "消防安全" in page(kiosk, "/suggest/")
    keeper.post(f"/keeper/suggestion-categories/{safety}", data={"csrf_token": token, "active": "0"})
    assert "消防安全" not in page(kiosk, "/suggest/")
    assert suggest(kiosk, code="safety").status_code == 422  # a hidden category takes no suggestion
    r = keeper.post("/keeper/suggestion-categories", data={"csrf_token": token, "name": "停车"})
    assert r.status_code == 303 and "停车" in page(kiosk, "/suggest/")


@pytest.mark.parametrize("name", ["", "   ", "长" * 41])
def test_a_bad_category_name_is_refused_beside_the_field(app, keeper, name):
    token = csrf_token(keeper, "/keeper/suggestion-categories")
    safety = category_id(app, "safety")
    r = keeper.post(f"/keeper/suggestion-categories/{safety}", data={"csrf_token": token, "name": name})
    assert r.status_code == 422 and 'class="field-error"' in r.get_data(as_text=True)
    r = keeper.post("/keeper/suggestion-categories", data={"csrf_token": token, "name": name})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.get(SuggestionCategory, safety).name is None


def test_another_stations_category_is_not_found(app, keeper, other_station):
    token = csrf_token(keeper, "/keeper/suggestion-categories")
    theirs = category_id(app, "safety", slug="other")
    r = keeper.post(f"/keeper/suggestion-categories/{theirs}", data={"csrf_token": token, "name": "改掉"})
    assert r.status_code == 404


def test_category_pages_need_a_keeper(client, station):
    r = client.get("/keeper/suggestion-categories")
    assert r.status_code == 303 and "/keeper/login" in r.headers["Location"]


def test_a_phone_from_another_stations_kiosk_reaches_that_stations_box(app, kiosk, other_station):
    """The phone has no kiosk cookie: the station in the kiosk's QR link decides whose box it is."""
    set_up_as_kiosk(app, kiosk, "other")
    svg = re.search(r"<svg.*?</svg>", page(kiosk, "/suggest/"), re.S).group(0)
    [link] = read_qr(svg)
    assert link.endswith("/suggest/phone?station=other")
    phone = app.test_client()
    html = page(phone, link.replace("http://localhost", ""))
    assert "别的驿站" in html and 'action="/suggest/phone?station=other"' in html
    other_safety = category_id(app, "safety", slug="other")
    token = csrf_token(phone, "/suggest/phone?station=other")
    r = phone.post("/suggest/phone?station=other",
                   data={"csrf_token": token, "category": str(other_safety), "text": "外站的建议"})
    assert r.status_code == 200
    with app.app_context():
        [row] = db.session.scalars(select(Suggestion)).all()
        assert row.station_id == other_station


def test_the_same_suggestion_form_sent_twice_drops_one_suggestion(app, kiosk):
    html = page(kiosk, "/suggest/")
    once = re.search(r'name="once" value="([0-9a-f]{32})"', html).group(1)
    token = csrf_token(kiosk, "/suggest/")
    data = {"csrf_token": token, "once": once, "category": str(category_id(app)), "text": "垃圾桶满了"}
    first = kiosk.post("/suggest/", data=dict(data), headers={"HX-Request": "true"})
    second = kiosk.post("/suggest/", data=dict(data), headers={"HX-Request": "true"})
    assert first.status_code == second.status_code == 200
    assert receipt(first)[0] == receipt(second)[0]  # the same tracking code, not a second slip
    assert len(stored(app)) == 1


def test_open311_masks_what_may_be_a_phone_number(app, kiosk, clock):
    code = seed(app, clock, text="楼下张三(13987654321)家漏水", device="m", status="accepted")
    [item] = kiosk.get(f"/api/v1/open311/requests/{code}.json").get_json()
    assert "13987654321" not in item["description"] and "***" in item["description"]


def test_a_name_or_mobile_in_what_a_keeper_publishes_is_masked_everywhere_public(app, kiosk, keeper, clock):
    with app.app_context():
        volunteer = db.session.scalar(select(Volunteer).order_by(Volunteer.id))
        name, mobile = volunteer.name, volunteer.mobile
    code = seed(app, clock)
    clock.advance(minutes=5)
    assert update(keeper, code, {"status": "resolved", "public_reply": f"谢谢，{name}已经修好了，有事打 {mobile}",
                                 "public_wording": f"{name}说楼道灯坏了"}).status_code == 303
    public = [kiosk.get(f"/s/{code}").get_data(as_text=True), kiosk.get("/suggest/done").get_data(as_text=True),
              kiosk.get("/").get_data(as_text=True), kiosk.get("/api/v1/open311/requests.json").get_data(as_text=True)]
    for page in public:
        assert name not in page and mobile not in page
    assert mask_name(name) in public[0]
    # The keeper's page shows the reply as the public sees it.
    assert name not in keeper.get(f"/keeper/suggestions/{code}").get_data(as_text=True).split('id="public_reply"')[1]


def test_an_empty_form_shows_every_missing_answer_at_once(app, kiosk):
    r = suggest(kiosk, text="", category="")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert category_error(html) and field_errors(html, "text")
    assert stored(app) == []


@pytest.mark.parametrize("sent, field", [
    ({"status": "declined", "public_reply": "", "internal_note": "已电话联系物业", "duplicate_of": "",
      "hidden": ["0", "1"]}, "public_reply"),
    ({"status": "accepted", "public_reply": "谢谢，已转物业", "internal_note": "周三复查", "duplicate_of": "S-NOPE99",
      "hidden": ["0"]}, "duplicate_of"),
], ids=["declined without a reply", "unknown duplicate"])
def test_a_refused_change_keeps_the_status_reply_note_and_hiding_chosen(app, kiosk, keeper, sent, field):
    code, _svg = receipt(suggest(kiosk))
    page = f"/keeper/suggestions/{code}"
    before = keeper_view(app, code)
    r = keeper.post(page, data={"csrf_token": csrf_token(keeper, page), **sent})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and f'id="{field}-error" role="alert">' in text
    assert re.search(r'name="status" value="%s" checked' % sent["status"], text)
    assert len(re.findall(r'name="status" value="\w+" checked', text)) == 1
    assert f'>{sent["public_reply"]}</textarea>' in text and f'>{sent["internal_note"]}</textarea>' in text
    assert re.search(r'id="duplicate_of" type="text" name="duplicate_of" maxlength="12" value="%s"' % sent["duplicate_of"],
                     text)
    assert bool(re.search(r'name="hidden" value="1" checked', text)) == ("1" in sent["hidden"])
    assert keeper_view(app, code) == before


def keeper_view(app, code):
    with app.app_context():
        s = db.session.scalar(select(Suggestion).where(Suggestion.tracking_code == code))
        return s.status, s.public_reply, s.internal_note, s.hidden, s.duplicate_of_id
