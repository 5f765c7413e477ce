"""Service certificates through the pages: issuing from a volunteer's page, the printable page,
the register (revoking, the station's details), bad input, another station's records, and the
public verification page a certificate's QR opens."""

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from kiosk.activities.models import Activity
from kiosk.certificates.models import Certificate
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.people.demo import VOLUNTEERS
from kiosk.people.models import AuditEvent, Volunteer
from tests.conftest import HX, START, csrf_token, decode_svg_qr
from tests.http.conftest import add_keeper, sign_in

PAGE = "/keeper/volunteers/1"
RESIDENT_ID = "110105199001011234"


@pytest.fixture
def served(app, station):
    """Volunteer 1 (张晓华) served 3 h at 爱心课堂 on 2 November and twice 2 h of the everyday duty
    (5 and 6 November), all confirmed; 4 h on 7 November nobody has confirmed yet. The station
    has a person in charge and a contact; the volunteer an ID card and a national code."""
    with app.app_context():
        st = db.session.get(Station, station)
        st.person_in_charge, st.contact = "王主任", "010-65123456"
        v = db.session.get(Volunteer, 1)
        v.id_type, v.id_number, v.national_code = "resident_id", RESIDENT_ID, "11010520260001"
        lesson = Activity(station_id=station, name="爱心课堂", starts_at=START, ends_at=START, created_at=START)
        db.session.add(lesson)
        db.session.flush()
        for days_ago, minutes, activity, confirmed in ((20, 180, lesson.id, True), (17, 120, None, True),
                                                       (16, 120, None, True), (15, 240, None, False)):
            start = START - timedelta(days=days_ago)
            db.session.add(ServiceSession(station_id=station, volunteer_id=1, checked_in_at=start,
                                          checked_out_at=start + timedelta(minutes=minutes), check_in_method="scanner",
                                          activity_id=activity, confirmed_at=START if confirmed else None))
        db.session.commit()


def issue(client, start="2026-11-01", end="2026-11-22", volunteer_id=1):
    return client.post(f"/keeper/volunteers/{volunteer_id}/certificates",
                       data={"start": start, "end": end, "csrf_token": csrf_token(client, PAGE)})


def text(response) -> str:
    """A page's words without its tags."""
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def count(app, model=Certificate) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def the_certificate(app) -> Certificate:
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).order_by(Certificate.id.desc()))
        db.session.expunge(certificate)
        return certificate


# --- Issuing and printing --------------------------------------------------------------------


def test_a_keeper_issues_a_certificate_from_the_volunteers_page_and_prints_it(app, keeper, served):
    page = keeper.get(PAGE).get_data(as_text=True)
    assert 'id="certificates"' in page and "Issue certificate" in page
    r = issue(keeper)
    assert r.status_code == 303
    certificate = the_certificate(app)
    assert urlsplit(r.headers["Location"]).path == f"/keeper/certificates/{certificate.id}"
    assert (certificate.serial, certificate.minutes) == ("2026-0001", 7 * 60)

    printed = keeper.get(r.headers["Location"])
    body = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "Volunteer Service Certificate" in body and "No. 2026-0001" in body
    assert "张晓华" in body and "110***********1234" in body and RESIDENT_ID not in body
    assert "11010520260001" in body  # the national volunteer code
    assert re.search(r'data-total-hours>7<', body)
    assert "爱心课堂" in body and "Station duty" in body and "2026-11-05, 06" in text(printed)
    assert "幸福里暖心驿站" in body and "王主任" in body and "010-65123456" in body and "站长" in body
    assert "Station seal" in body and 'data-print' in body
    # The keeper's menu and the buttons stay on screen only; the CSS is the page's own file.
    assert re.search(r'<div class="no-print">\s*<nav class="keeper-nav"', body)
    assert "css/certificate.css" in body and " style=" not in body and "<script>" not in body
    # The QR opens the public verification page of this very certificate.
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert decode_svg_qr(svg) == [f"http://localhost/v/{certificate.verify_token}"]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
        assert (event.volunteer_id, event.after["serial"]) == (1, "2026-0001")
    # The volunteer's page lists it, and the change reads in the keepers' log.
    page = keeper.get(PAGE).get_data(as_text=True)
    assert f'href="/keeper/certificates/{certificate.id}">2026-0001<' in page
    assert "Issued a service certificate" in page


def test_the_print_css_asks_for_a4_with_18mm_margins(client):
    with client.get("/static/css/certificate.css") as response:
        assert response.status_code == 200
        css = response.get_data(as_text=True)
    print_block = css[css.index("@media print"):]
    assert "@page { size: A4; margin: 18mm; }" in print_block


def test_the_printable_page_as_a_fragment_for_htmx(app, keeper, served):
    issue(keeper)
    r = keeper.get(f"/keeper/certificates/{the_certificate(app).id}", headers=HX)
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert "2026-0001" in r.get_data(as_text=True) and "HX-Request" in r.headers["Vary"]


def test_a_certificate_is_refused_while_the_person_in_charge_and_contact_are_blank(app, keeper, served, station):
    with app.app_context():
        db.session.get(Station, station).contact = ""
        db.session.commit()
    keeper.set_cookie("kiosk_lang", "en")
    r = issue(keeper)
    assert r.status_code == 422 and count(app) == 0
    page = html.unescape(r.get_data(as_text=True))
    refusal = re.search(r'<p class="form-error" role="alert"\s+data-station-details-first>(.*?)</p>', page, re.S).group(1)
    assert "please fill them in before issuing one" in refusal
    assert 'href="/keeper/certificates#station-details"' in refusal  # where a keeper fills them in
    assert 'value="2026-11-01"' in page and 'value="2026-11-22"' in page  # the days typed stay
    # Filled in there, the same form issues it.
    r = keeper.post("/keeper/certificates/station", data={"person_in_charge": "王主任", "contact": "010-65123456",
                                                           "csrf_token": csrf_token(keeper, "/keeper/certificates")})
    assert r.status_code == 303
    assert issue(keeper).status_code == 303 and count(app) == 1


def test_the_same_days_again_point_to_the_certificate_to_print_again(app, keeper, served):
    keeper.set_cookie("kiosk_lang", "en")
    first = issue(keeper)
    certificate = the_certificate(app)
    r = issue(keeper)
    assert r.status_code == 422 and count(app) == 1
    page = html.unescape(r.get_data(as_text=True))
    assert "Certificate 2026-0001 already covers exactly these days for this volunteer and is still valid." in page
    assert re.search(rf'<a href="/keeper/certificates/{certificate.id}"\s+data-existing-certificate>'
                     "Open certificate 2026-0001 to print it again</a>", page)
    assert urlsplit(first.headers["Location"]).path == f"/keeper/certificates/{certificate.id}"


def test_certificates_are_numbered_in_order(app, keeper, served):
    ends = ("2026-11-20", "2026-11-21", "2026-11-22")  # the same days twice would point to the first one
    assert [urlsplit(issue(keeper, end=end).headers["Location"]).path for end in ends] == [
        f"/keeper/certificates/{n}" for n in (1, 2, 3)]
    with app.app_context():
        assert list(db.session.scalars(select(Certificate.serial).order_by(Certificate.id))) == [
            "2026-0001", "2026-0002", "2026-0003"]


@pytest.mark.parametrize("start, end, message", [
    ("", "2026-11-22", "Please enter a date"),
    ("2026-13-40", "2026-11-22", "Please enter a date"),
    ("2026-11-01", "9999-01-01", "Please enter a date"),
    ("0001-01-01", "2026-11-22", "Please enter a date"),
    ("1990-01-01", "2026-11-22", "Please enter a date between 2000-01-01 and 2100-12-31."),
    ("2026-11-01" * 50, "2026-11-22", "Please enter a date"),
    ("2026-11-20", "2026-11-01", "The first day comes after the last day."),
    ("2026-11-01", "2026-11-23", "The last day cannot be in the future."),
    ("2020-01-01", "2026-11-22", "A certificate covers at most 5 years."),
    ("2026-11-07", "2026-11-22", "Some hours in these days are not confirmed yet."),
    ("2026-11-08", "2026-11-22", "No hours of service in these days. The nearest day with confirmed hours is "
                                 "November 6, 2026."),
])
def test_bad_dates_get_a_message_and_store_nothing(app, keeper, served, start, end, message):
    r = issue(keeper, start, end)
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and message in body, body[-3000:]
    assert 'id="certificates"' in body  # the volunteer's page, with the message in its section
    assert count(app) == 0 and count(app, AuditEvent) == 0


def test_hours_to_confirm_first_link_to_where_they_are_confirmed(app, keeper, served):
    page = html.unescape(issue(keeper, "2026-11-07", "2026-11-22").get_data(as_text=True))
    refusal = re.search(r'<p class="form-error" role="alert">(.*?)</p>', page, re.S).group(1)
    assert "Confirm them under To review" in refusal and 'href="/keeper/review"' in refusal
    page = issue(keeper, "2026-11-08", "2026-11-22").get_data(as_text=True)  # nothing to confirm: no link
    assert 'href="/keeper/review" data-review-first' not in page


def test_a_missing_volunteer_or_no_sign_in_reaches_nothing(app, client, keeper, served):
    assert issue(keeper, volunteer_id=999).status_code == 404
    stranger = client.get("/keeper/certificates")
    assert stranger.status_code in (302, 303) and urlsplit(stranger.headers["Location"]).path == "/keeper/login"
    assert client.get("/keeper/certificates/1").status_code in (302, 303)
    assert count(app) == 0


# --- The register and revoking ---------------------------------------------------------------


def revoke(client, certificate_id, reason):
    return client.post(f"/keeper/certificates/{certificate_id}/revoke",
                       data={"reason": reason, "csrf_token": csrf_token(client, "/keeper/certificates")})


def test_the_register_lists_every_certificate_newest_first_and_revokes_once(app, keeper, served, clock):
    issue(keeper)
    clock.advance(hours=1)
    issue(keeper, start="2026-11-05", end="2026-11-06")
    register = keeper.get("/keeper/certificates")
    body = register.get_data(as_text=True)
    assert register.status_code == 200 and "Certificates" in body  # the keeper's menu has it
    assert body.index("2026-0002") < body.index("2026-0001")
    assert 'href="/keeper/certificates/1">2026-0001<' in body and "2026-11-05 – 2026-11-06" in text(register)
    assert "张晓华" in body and "站长" in body and body.count(">Revoke<") == 2

    too_long = revoke(keeper, 1, "错" * 201)
    assert too_long.status_code == 422
    assert "Please keep this to 200 characters or fewer." in too_long.get_data(as_text=True)
    empty = revoke(keeper, 1, "")
    assert empty.status_code == 422 and "Please fill this in." in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Certificate, 1).revoked_at is None

    r = revoke(keeper, 1, "时长有误，已重开")
    assert r.status_code == 303
    body = keeper.get(r.headers["Location"]).get_data(as_text=True)
    assert "Certificate 2026-0001 is revoked." in body and "时长有误，已重开" in body
    assert body.count(">Revoke<") == 1
    assert "is revoked." not in keeper.get("/keeper/certificates?revoked=2").get_data(as_text=True)  # it is not
    again = revoke(keeper, 1, "再撤一次")
    assert again.status_code == 422 and "This certificate was revoked already." in again.get_data(as_text=True)
    with app.app_context():
        first = db.session.get(Certificate, 1)
        assert (first.revoke_reason, first.revoked_at) == ("时长有误，已重开", START + timedelta(hours=1))
        assert db.session.get(Certificate, 2).revoked_at is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "certificate.revoked")) == 1
    printed = keeper.get("/keeper/certificates/1").get_data(as_text=True)
    assert "Revoked" in printed and "时长有误，已重开" in printed


def test_the_register_reads_as_one_card_a_certificate_on_a_phone(app, keeper, served):
    """Probe: on a 390 px phone the register ran 546 px wide and broke 2026-0001 one character a
    line. Keepers' tables are cards there (kiosk.css .phone-cards): each value after the first
    named by its column (data-label), the roles keeping it a table to a screen reader."""
    issue(keeper)
    body = keeper.get("/keeper/certificates").get_data(as_text=True)
    [table] = re.findall(r'<table class="table phone-cards" role="table">.*?</table>', body, re.S)
    [row] = re.findall(r'<tr role="row" id="certificate-1">(.*?)</tr>', table, re.S)
    cells = re.findall(r"<td([^>]*)>", row)
    assert len(cells) == 6 and all('role="cell"' in cell for cell in cells)
    assert [re.search(r'data-label="([^"]*)"', cell)[1] for cell in cells[1:]] == [
        "Volunteer", "Service period", "Hours", "Issued", "Status"]


def test_the_station_details_are_set_on_the_register(app, keeper, served):
    post = {"person_in_charge": "李站长", "contact": "13900001111",
            "csrf_token": csrf_token(keeper, "/keeper/certificates")}
    r = keeper.post("/keeper/certificates/station", data=post)
    assert r.status_code == 303
    with app.app_context():
        st = db.session.get(Station, 1)
        assert (st.person_in_charge, st.contact) == ("李站长", "13900001111")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "station.details"))
        assert event.before == {"person_in_charge": "王主任", "contact": "010-65123456"}
    assert 'value="李站长"' in keeper.get("/keeper/certificates").get_data(as_text=True)
    for field in ("person_in_charge", "contact"):
        r = keeper.post("/keeper/certificates/station", data={**post, field: "长" * 41})
        assert r.status_code == 422 and "Please keep this to 40 characters or fewer." in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Station, 1).person_in_charge == "李站长"


def test_a_full_width_contact_prints_in_half_width(app, keeper, served):
    r = keeper.post("/keeper/certificates/station", data={"person_in_charge": "李站长", "contact": "０１０－１２３４５６７８",
                                                          "csrf_token": csrf_token(keeper, "/keeper/certificates")})
    assert r.status_code == 303
    printed = text(keeper.get(issue(keeper).headers["Location"]))
    assert "010-12345678" in printed and "０１０" not in printed


def test_a_certificate_keeps_the_person_in_charge_and_contact_it_was_issued_with(app, keeper, served):
    """Reprinted next year, a certificate still names who was in charge when it was issued."""
    printed_at = issue(keeper).headers["Location"]
    r = keeper.post("/keeper/certificates/station", data={"person_in_charge": "李站长", "contact": "13900001111",
                                                          "csrf_token": csrf_token(keeper, "/keeper/certificates")})
    assert r.status_code == 303
    printed = text(keeper.get(printed_at))
    assert "王主任" in printed and "010-65123456" in printed
    assert "李站长" not in printed and "13900001111" not in printed
    # The next one is issued with the new details.
    later = text(keeper.get(issue(keeper, start="2026-11-01", end="2026-11-21").headers["Location"]))
    assert "李站长" in later and "13900001111" in later


def test_a_certificate_keeps_the_station_name_it_was_issued_under(app, keeper, served):
    """A station renamed later: the reprint and the verification page still say who issued it then."""
    printed_at = issue(keeper).headers["Location"]
    with app.app_context():
        token = db.session.scalar(select(Certificate.verify_token))
        db.session.get(Station, 1).name = "幸福里党群服务站"
        db.session.commit()
    reader = app.test_client()
    reader.set_cookie("kiosk_lang", "en")
    printed, checked = text(keeper.get(printed_at)), text(reader.get(f"/v/{token}"))
    assert "at 幸福里暖心驿站 from" in printed and "Issued by幸福里暖心驿站" in printed
    assert "issued by 幸福里暖心驿站 and" in checked and "Issued by幸福里暖心驿站" in checked
    # A certificate issued from now on names the station as it is called now.
    later = issue(keeper, start="2026-11-01", end="2026-11-21").headers["Location"]
    printed = text(keeper.get(later))
    assert "at 幸福里党群服务站" in printed and "幸福里暖心驿站" not in printed


def test_a_certificate_read_in_traditional_chinese_names_the_station_as_its_traditional_name_then(app, keeper,
                                                                                                      served):
    """Probe: a 繁體 certificate said 茲證明 … 在幸福里暖心驿站 (简体) under a 繁體 top bar."""
    printed_at = issue(keeper).headers["Location"]
    with app.app_context():
        token = db.session.scalar(select(Certificate.verify_token))
        db.session.get(Station, 1).name_hant = "幸福里黨群服務站"  # renamed later: the certificate keeps its own
        db.session.commit()
    reader = app.test_client()
    for client in (keeper, reader):
        client.set_cookie("kiosk_lang", "zh_Hant")
    printed, checked = text(keeper.get(printed_at)), text(reader.get(f"/v/{token}"))
    # The 繁體 name it had when issued, in the text and as the issuer; the top bar has today's.
    assert "在幸福里暖心驛站" in printed and "幸福里暖心驿站" not in printed
    assert "幸福里暖心驛站" in checked and "幸福里暖心驿站" not in checked
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    assert "在幸福里暖心驿站" in text(keeper.get(printed_at))


def test_a_badge_card_printed_from_a_traditional_chinese_page_names_the_station_so(app, keeper):
    keeper.set_cookie("kiosk_lang", "zh_Hant")
    page = keeper.get("/keeper/volunteers/1/badge").get_data(as_text=True)
    assert '<p class="badge-card-station">幸福里暖心驛站</p>' in page


@pytest.fixture
def other_keeper(app, keeper_id):
    """Station B and its keeper, signed in."""
    with app.app_context():
        other = add_station("nanyuan", "南苑暖心驿站")
        add_keeper("nanyuan", "南苑站长", other)
        db.session.commit()
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, "nanyuan").status_code == 303
    return client


def test_a_keeper_of_another_station_reaches_none_of_its_certificates(app, keeper, served, other_keeper):
    issue(keeper)
    assert other_keeper.get("/keeper/certificates/1").status_code == 404
    assert "2026-0001" not in other_keeper.get("/keeper/certificates").get_data(as_text=True)
    token = csrf_token(other_keeper, "/keeper/certificates")
    assert other_keeper.post("/keeper/certificates/1/revoke",
                             data={"reason": "x", "csrf_token": token}).status_code == 404
    assert other_keeper.post("/keeper/volunteers/1/certificates",
                             data={"start": "2026-11-01", "end": "2026-11-22", "csrf_token": token}).status_code == 404
    assert the_certificate(app).revoked_at is None and count(app) == 1


# --- The public verification page --------------------------------------------------------------


def test_the_verification_page_shows_the_figures_with_a_masked_name_then_revoked(app, client, keeper, served, clock):
    issue(keeper)
    certificate = the_certificate(app)
    client.set_cookie("kiosk_lang", "en")
    page = client.get(f"/v/{certificate.verify_token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-status="valid"' in body
    assert "2026-0001" in body and "张*华" in body and "幸福里暖心驿站" in body
    assert re.search(r"data-total-hours>7<", body) and "爱心课堂" in body and "Station duty" in body
    assert "November 1, 2026" in body and "November 22, 2026" in body  # the period
    for secret in [name for name, _m, _b in VOLUNTEERS] + [m for _n, m, _b in VOLUNTEERS] + [
            RESIDENT_ID, "110***********1234", "11010520260001", "010-65123456"]:
        assert secret not in body, secret

    clock.advance(days=2)
    assert revoke(keeper, certificate.id, "发错了人").status_code == 303
    body = client.get(f"/v/{certificate.verify_token}").get_data(as_text=True)
    assert 'data-status="revoked"' in body and "Revoked" in body and "November 24, 2026" in body
    assert "发错了人" not in body and "张晓华" not in body


@pytest.mark.parametrize("lang, said", [
    ("zh_Hans", "为保护隐私，这里的姓名只显示一部分。请核对纸面证明上的编号、总时长和日期与下面一致"),
    ("zh_Hant", "為保護隱私，這裡的姓名只顯示一部分。請核對紙本證明上的編號、總時數和日期與下面一致"),
    ("en", "For privacy, only part of the name is shown here. Please check that the serial number, the total hours "
           "and the dates on the printed certificate are the same as below"),
])
def test_the_verification_page_says_what_to_match_since_the_name_is_masked(app, client, keeper, served, lang, said):
    """Whoever holds the paper cannot match 张*华 to a person: the page says what to compare, before the
    figures it speaks of, and the name stays masked."""
    issue(keeper)
    client.set_cookie("kiosk_lang", lang)
    body = client.get(f"/v/{the_certificate(app).verify_token}").get_data(as_text=True)
    advice = re.search(r"<p data-how-to-match>(.*?)</p>", body, re.S).group(1)
    assert said in advice
    assert body.index("data-how-to-match") < body.index("data-serial") < body.index("data-total-hours")
    assert "张*华" in body and "张晓华" not in body


@pytest.mark.parametrize("token", ["A" * 22, "short", "x" * 33, "..%2F..%2Fetc", "%00" * 20])
def test_an_unknown_token_is_not_found(client, station, token):
    assert client.get(f"/v/{token}").status_code == 404


@pytest.mark.parametrize("lang, said", [
    ("zh_Hans", "查不到这份证明"), ("zh_Hant", "查不到這份證明"), ("en", "No certificate with this code"),
])
def test_an_unknown_certificate_says_so_to_whoever_checks_it(client, station, lang, said):
    """Whoever scans a certificate's QR is checking a paper, not using the kiosk: a mistyped or
    forged code says that no such certificate was issued, not "page not found" with a way home."""
    client.set_cookie("kiosk_lang", lang)
    page = client.get(f"/v/{'A' * 22}")
    body = text(page)
    assert page.status_code == 404 and said in body and 'data-status="unknown"' in page.get_data(as_text=True)
    assert not any(way_home in body for way_home in ("返回首页", "返回首頁", "Back to start"))


@pytest.mark.parametrize("lang, title, duty, seal", [
    ("zh_Hans", "志愿服务证明", "驿站值班", "盖章处"),
    ("zh_Hant", "志願服務證明", "驛站值班", "蓋章處"),
    ("en", "Volunteer Service Certificate", "Station duty", "Station seal"),
])
def test_the_certificate_and_its_verification_read_in_the_chosen_language(app, client, keeper, served, lang, title,
                                                                          duty, seal):
    r = issue(keeper)
    certificate = the_certificate(app)
    keeper.set_cookie("kiosk_lang", lang)
    printed = text(keeper.get(r.headers["Location"]))
    assert title in printed and duty in printed and seal in printed
    others = {"志愿服务证明", "志願服務證明", "Volunteer Service Certificate"} - {title}
    assert not any(other in printed for other in others)
    client.set_cookie("kiosk_lang", lang)
    verified = text(client.get(f"/v/{certificate.verify_token}"))
    assert duty in verified and not any(other in verified for other in {"驿站值班", "驛站值班", "Station duty"} - {duty})
