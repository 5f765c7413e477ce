"""A keeper prints the year's report on A4: the charts are drawn, carry their figures as text,
stay inside the page, and the menu and controls are gone from the paper."""

import random
import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.people.models import Volunteer
from kiosk.swap.models import SwapCategory, SwapItem
from tests.browser.conftest import LANDSCAPE
from tests.browser.test_today import sign_in

PRINTABLE_WIDTH_PX = (210 - 2 * 10) / 25.4 * 96  # inside kiosk.css's 10 mm margins


def a_year_of_service(live_app):
    rng = random.Random(2026)
    with live_app.app_context():
        volunteers = db.session.scalars(select(Volunteer)).all()
        category = db.session.scalars(select(SwapCategory)).first()
        for n in range(300):
            start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(320 * 24 * 60))
            end = start + timedelta(minutes=rng.randrange(30, 240))
            db.session.add(ServiceSession(station_id=1, volunteer_id=rng.choice(volunteers).id, checked_in_at=start,
                                          checked_out_at=end, confirmed_at=end, check_in_method="scanner"))
        for n in range(40):
            logged = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(320))
            db.session.add(SwapItem(station_id=1, number=n + 1, code=f"J-{n + 1:04d}", title="书", condition="good",
                                    category_id=category.id, status="taken", logged_at=logged,
                                    taken_at=logged + timedelta(days=2)))
        db.session.commit()


def test_a_year_report_prints_on_a4_with_its_charts(context, server, live_app):
    a_year_of_service(live_app)
    keeper = context.new_page()
    sign_in(keeper, server, live_app)
    keeper.goto(server.url + "/keeper/reports?kind=year&year=2026")
    expect(keeper.locator("h1")).to_contain_text("2026年")
    charts = keeper.locator("svg.chart-svg")
    expect(charts).to_have_count(6)
    hours = keeper.locator("#chart-hours svg.chart-svg")
    # Twelve months drawn, each bar with a height, the axis named in Chinese, the figures as text.
    bars = hours.locator("rect.chart-series-0")
    expect(bars).to_have_count(12)
    heights = [float(h) for h in bars.evaluate_all("rects => rects.map(r => r.getBBox().height)")]
    assert max(heights) > 100 and sum(1 for h in heights[:11] if h > 0) == 11
    expect(hours.locator("title").first).to_contain_text("已确认时长")
    assert "1月" in hours.locator("desc").text_content() and "12月" in hours.locator("desc").text_content()
    assert hours.evaluate("svg => svg.getAttribute('aria-labelledby').split(' ').every(id => document.getElementById(id))")

    # On paper: laid out as wide as A4's printable area (the page's @page margins are 10 mm).
    keeper.set_viewport_size({"width": int(PRINTABLE_WIDTH_PX), "height": LANDSCAPE["width"]})
    keeper.emulate_media(media="print")
    for hidden in (".keeper-nav", "[data-print]", ".topbar", ".period-forms"):
        expect(keeper.locator(hidden).first).to_be_hidden()
    assert keeper.evaluate("document.documentElement.scrollWidth") <= int(PRINTABLE_WIDTH_PX)
    for n in range(6):
        box = charts.nth(n).bounding_box()
        assert box["width"] > 250 and box["height"] > 60, n
        assert box["x"] + box["width"] <= PRINTABLE_WIDTH_PX + 1, n
    pdf = keeper.pdf(prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 1 <= pages <= 6  # the figures, six charts one under another, the team and age tables
    sizes = {tuple(map(float, box)) for box in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)}
    assert all(abs(w - 595.3) < 1 and abs(h - 841.9) < 1 for w, h in sizes)  # A4 in points


def test_the_report_fits_a_portrait_tablet(context, server, live_app):
    keeper = context.new_page()
    keeper.set_viewport_size({"width": 800, "height": 1280})
    sign_in(keeper, server, live_app)
    keeper.goto(server.url + "/keeper/reports?kind=month&month=2026-11")
    expect(keeper.locator("svg.chart-svg")).to_have_count(6)
    assert keeper.evaluate("document.documentElement.scrollWidth") <= 800


def test_the_district_table_prints_across_a_landscape_a4(context, server, live_app):
    from kiosk.core.stations import add_station
    from kiosk.people.models import Keeper

    with live_app.app_context():
        for n in range(12):
            add_station(f"s{n:02d}", f"第{n}社区暖心驿站")
        admin = Keeper(station_id=None, username="admin", display_name="区管理员", role="admin", active=True)
        admin.set_password("admin-pw")
        db.session.add(admin)
        db.session.commit()
    page = context.new_page()
    page.goto(server.url + "/keeper/login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill("admin-pw")
    page.get_by_role("button", name="登录").click()
    page.goto(server.url + "/keeper/reports/district?kind=year&year=2026")
    expect(page.locator(".district-table tbody tr")).to_have_count(13)
    expect(page.locator("svg.chart-svg")).to_have_count(1)
    page.emulate_media(media="print")
    # Laid out as wide as a landscape A4 inside its 8 mm margins: the table fits, nothing is cut.
    page.set_viewport_size({"width": int((297 - 16) / 25.4 * 96), "height": 700})
    table = page.locator(".district-table").bounding_box()
    assert table["x"] + table["width"] <= (297 - 16) / 25.4 * 96 + 1
    pdf = page.pdf(prefer_css_page_size=True)
    sizes = {tuple(map(float, box)) for box in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)}
    assert sizes and all(abs(w - 841.9) < 1 and abs(h - 595.3) < 1 for w, h in sizes)  # A4 landscape


def test_english_day_names_carry_the_month_and_stay_apart(context, server, live_app):
    """A bare "8" under an English chart said neither day nor month; "Nov 8" must still fit its column."""
    keeper = context.new_page()
    keeper.set_viewport_size({"width": 800, "height": 1280})
    sign_in(keeper, server, live_app)
    context.add_cookies([{"name": "kiosk_lang", "value": "en", "url": server.url}])
    for query, count in (("kind=month&month=2026-11", 30), ("kind=range&from=2026-11-01&to=2026-11-12", 12)):
        keeper.goto(server.url + "/keeper/reports?" + query)
        hours = keeper.locator("#chart-hours svg.chart-svg")
        expect(hours.locator("rect.chart-series-0")).to_have_count(count)
        assert "Nov 8: 0" in hours.locator("desc").text_content()
        names = hours.locator("text.chart-axis")
        assert names.first.text_content() == "Nov 1"
        boxes = names.evaluate_all("texts => texts.map(t => t.getBBox()).map(b => [b.x, b.x + b.width])")
        assert all(left[1] < right[0] for left, right in zip(boxes, boxes[1:])), boxes
