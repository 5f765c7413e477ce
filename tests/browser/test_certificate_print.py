"""A keeper issues a service certificate, prints it on A4 (the menu gone), and the QR on the paper
opens the public verification page with the same serial and hours; once revoked, that page says so."""

import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.models import Station
from tests.browser.conftest import LANDSCAPE
from tests.browser.test_today import sign_in
from tests.conftest import START, decode_svg_qr

A4_WIDTH_PX = 210 / 25.4 * 96  # CSS pixels are 1/96 inch
PRINTABLE_WIDTH_PX = (210 - 2 * 18) / 25.4 * 96  # inside the 18 mm margins


def test_print_a_certificate_scan_its_qr_and_see_it_revoked(context, server, live_app):
    with live_app.app_context():
        station = db.session.get(Station, 1)
        station.person_in_charge, station.contact = "王主任", "010-65123456"
        for days_ago, minutes in ((3, 150), (2, 240)):  # 2.5 h and 4 h of the everyday duty, confirmed
            start = START - timedelta(days=days_ago)
            db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=start,
                                          checked_out_at=start + timedelta(minutes=minutes), check_in_method="scanner",
                                          confirmed_at=START))
        db.session.commit()

    keeper = context.new_page()
    sign_in(keeper, server, live_app)
    keeper.goto(server.url + "/keeper/volunteers/1")
    keeper.locator("#certificate-start").fill("2026-11-01")
    keeper.locator("#certificate-end").fill("2026-11-22")
    keeper.locator('form[action$="/volunteers/1/certificates"] button[type=submit]').click()
    expect(keeper).to_have_url(re.compile(r"/keeper/certificates/\d+$"))
    certificate = keeper.locator("article.certificate")
    expect(certificate).to_contain_text("2026-0001")
    expect(certificate).to_contain_text("张晓华")
    expect(certificate.locator("[data-total-hours]")).to_have_text("6.5")
    expect(keeper.locator(".keeper-nav")).to_be_visible()

    # On paper: A4 wide, no menu, no buttons, no top bar; the sheet inside the page margins.
    keeper.set_viewport_size({"width": round(A4_WIDTH_PX), "height": LANDSCAPE["width"]})
    keeper.emulate_media(media="print")
    for hidden in (".keeper-nav", "[data-print]", ".topbar"):
        expect(keeper.locator(hidden)).to_be_hidden()
    expect(certificate).to_be_visible()
    assert keeper.evaluate("document.documentElement.scrollWidth") <= round(A4_WIDTH_PX)
    assert certificate.bounding_box()["width"] <= PRINTABLE_WIDTH_PX + 1
    for part in (".certificate-seal", ".certificate-qr svg", ".certificate-table"):
        box = keeper.locator(part).bounding_box()
        assert box["x"] + box["width"] <= PRINTABLE_WIDTH_PX + 1, part
    # Chromium's own print to PDF, at the page's @page size: exactly one A4 sheet.
    pdf = keeper.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    [(width, height)] = {tuple(map(float, box)) for box in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)}
    assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1  # A4 in points

    # The QR as printed, read back to the address it carries.
    svg = keeper.locator(".certificate-qr svg").evaluate("svg => svg.outerHTML")
    [address] = decode_svg_qr(svg)
    assert address.startswith(server.url + "/v/")

    # Anyone's phone, not signed in, in English.
    phone_context = context.browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    phone_context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url}])
    phone = phone_context.new_page()
    phone.goto(address)
    expect(phone.locator("[data-serial]")).to_have_text("2026-0001")
    expect(phone.locator("[data-total-hours]")).to_have_text("6.5")
    expect(phone.locator("[data-status=valid]")).to_be_visible()
    expect(phone.locator("body")).to_contain_text("张*华")
    expect(phone.locator("body")).not_to_contain_text("张晓华")

    keeper.emulate_media(media="screen")
    keeper.goto(server.url + "/keeper/certificates")
    row = keeper.locator("tr", has=keeper.locator('a:text-is("2026-0001")'))
    row.locator("input[name=reason]").fill("时长录错了，重新开具")
    row.locator("button[type=submit]").click()
    expect(keeper.locator(".flash")).to_contain_text("2026-0001")

    phone.reload()
    expect(phone.locator("[data-status=revoked]")).to_be_visible()
    expect(phone.locator("[data-status=revoked]")).to_contain_text("Revoked")
    expect(phone.locator("body")).not_to_contain_text("时长录错了")
    expect(phone.locator("[data-serial]")).to_have_text("2026-0001")
    phone_context.close()
    with live_app.app_context():
        from kiosk.certificates.models import Certificate

        assert db.session.scalar(select(Certificate.revoked_at)) is not None
