"""The reports pages: a keeper's month, year and range, a wrong period told beside its field, the
district for an admin only, sorting, and the CSV and XLSX files."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.stations import add_station
from kiosk.people.models import Volunteer
from kiosk.people.volunteers import register_volunteer
from tests.http.conftest import signed_in_admin

# 2026-12-31 23:30 in Shanghai: December's, not January's.
LAST_NIGHT = datetime(2026, 12, 31, 15, 30, tzinfo=UTC)


def add_session(app, slug: str, checked_in_at: datetime, minutes: int = 120):
    from kiosk.core.models import Station

    with app.app_context():
        station = db.session.scalar(select(Station).where(Station.slug == slug))
        volunteer = db.session.scalars(select(Volunteer).where(Volunteer.station_id == station.id)).first()
        db.session.add(ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=checked_in_at,
                                      checked_out_at=checked_in_at + timedelta(minutes=minutes),
                                      confirmed_at=checked_in_at + timedelta(days=1), check_in_method="scanner"))
        db.session.commit()


def figure(page_text: str, key: str) -> list[str]:
    """The cells of one figure's row: [this period, the one before, change]."""
    row = page_text.split(f'data-figure="{key}">', 1)[1].split("</tr>", 1)[0]
    return [cell.rsplit("<td>", 1)[1] for cell in row.split("</td>")[:-1]]


def test_a_month_not_begun_says_so_and_the_month_under_way_offers_no_later_one(keeper):
    keeper.set_cookie("kiosk_lang", "en")
    later = keeper.get("/keeper/reports?kind=month&month=2027-03").get_data(as_text=True)  # the clock: 22 Nov 2026
    assert "This period has not begun yet: its figures are all still to come." in later and "Later" not in later
    page = keeper.get("/keeper/reports?kind=month&month=2026-11").get_data(as_text=True)
    assert "Later" not in page and "Earlier" in page and "has not begun" not in page
    assert "Later" in keeper.get("/keeper/reports?kind=month&month=2026-10").get_data(as_text=True)


def test_the_report_page_opens_on_last_month(keeper):
    page = keeper.get("/keeper/reports")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "October 2026" in text or "November 2026" in text  # the clock stands at 22 Nov 2026
    assert text.count('<svg class="chart-svg"') == 6 and "<desc id=" in text


# Probe: in a station's first week the reports opened on last month, all zeros, "nobody on the list".
def test_in_a_stations_first_weeks_the_reports_open_on_this_month(app, keeper):
    text = keeper.get("/keeper/reports").get_data(as_text=True)  # volunteers registered on 22 Nov, no older record
    assert 'name="month" type="month" value="2026-11"' in text
    add_session(app, "demo", datetime(2026, 10, 31, 15, 0, tzinfo=UTC))  # 31 Oct 23:00 in Shanghai: served then
    assert 'name="month" type="month" value="2026-10"' in keeper.get("/keeper/reports").get_data(as_text=True)


def test_a_month_counts_the_last_night_and_compares_with_the_month_before(app, keeper, clock):
    add_session(app, "demo", LAST_NIGHT)
    add_session(app, "demo", LAST_NIGHT - timedelta(days=40), minutes=60)  # 21 November
    december = keeper.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert "December 2026" in december and "November 2026" in december
    assert figure(december, "confirmed_hours") == ["2", "1", "+1"]
    january = keeper.get("/keeper/reports?kind=month&month=2027-01").get_data(as_text=True)
    assert figure(january, "confirmed_hours")[0] == "0"
    year = keeper.get("/keeper/reports?kind=year&year=2026").get_data(as_text=True)
    assert figure(year, "sessions")[:2] == ["2", "0"]
    clock.set(datetime(2027, 1, 2, 1, tzinfo=UTC))  # a range ends today at the latest
    span = keeper.get("/keeper/reports?kind=range&from=2026-12-31&to=2027-01-01").get_data(as_text=True)
    assert figure(span, "sessions")[0] == "1"


@pytest.mark.parametrize("query, field, message", [
    ("kind=month&month=2026-13", "month", "Please choose a month such as 2026-11."),
    ("kind=year&year=99", "year", "Please enter a year such as 2026."),
    ("kind=range&from=2027-01-10&to=2026-12-20", "to", "The first day is after the last day."),
    ("kind=range&from=&to=2026-12-20", "from", "Please enter a date such as 2026-11-22."),
    ("kind=range&from=1900-01-01&to=2026-12-20", "from", "Please enter a date between 2000-01-01 and 2100-12-31."),
    ("kind=year&year=1999", "year", "Please enter a year from 2000 to 2100."),
    ("kind=month&month=1999-12", "month", "Please choose a month between 2000-01 and 2100-12."),
    ("kind=range&from=2020-01-01&to=2026-11-22", "to", "Please choose at most three years at a time."),
    ("kind=range&from=2026-11-01&to=2027-11-01", "to", "The last day cannot be in the future."),
])
def test_a_wrong_period_is_told_beside_its_field(keeper, query, field, message):
    page = keeper.get(f"/keeper/reports?{query}")
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert f'aria-describedby="period-{field}-error"' in text
    assert f'id="period-{field}-error"' in text and message in text
    assert "chart-svg" not in text


def test_a_year_typed_in_full_width_digits_is_read(keeper):
    page = keeper.get("/keeper/reports?kind=year&year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96")  # ２０２６
    assert page.status_code == 200 and 'name="year" type="number" value="2026"' in page.get_data(as_text=True)


def test_a_wrong_kind_is_told_at_the_top(keeper):
    page = keeper.get("/keeper/reports?kind=week")
    assert page.status_code == 422 and "Please choose a month, a year or a range of days." in page.get_data(as_text=True)


def test_garbage_in_every_argument_never_breaks_the_page(keeper):
    for query in ["kind=month&month=%00", "kind=year&year=" + "9" * 5000, "kind=range&from=2026-02-30&to=2026-03-01",
                  "kind=month&month=2026-11&sort=' OR 1=1", "kind=%E2%80%AE"]:
        assert keeper.get(f"/keeper/reports?{query}").status_code in (200, 400, 422), query


def test_the_report_downloads_as_csv_and_xlsx(app, keeper):
    add_session(app, "demo", LAST_NIGHT)
    data = keeper.get("/keeper/reports.csv?kind=month&month=2026-12")
    assert data.status_code == 200 and data.mimetype == "text/csv"
    assert 'filename="demo-report-2026-12.csv"' in data.headers["Content-Disposition"]
    assert data.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.data.decode("utf-8-sig"))))
    assert rows[0] == ["Figure", "December 2026", "November 2026", "Difference"]  # the page's columns
    assert rows[1] == ["Station", "幸福里暖心驿站"]
    assert ["Confirmed hours", "2", "0", "2"] in rows and ["Check-ins", "1", "0", "1"] in rows

    from openpyxl import load_workbook

    book = keeper.get("/keeper/reports.xlsx?kind=month&month=2026-12")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Figure", "December 2026", "November 2026", "Difference"]
    assert ["Confirmed hours", 2, 0, 2] == values[[v[0] for v in values].index("Confirmed hours")][:4]
    assert keeper.get("/keeper/reports.csv?kind=month&month=2026-13").status_code == 422


@pytest.mark.parametrize("lang, query, sheet, heading", [
    ("zh_Hans", "kind=month&month=2026-12", "月报", ["项目", "2026年12月", "2026年11月", "增减"]),
    ("zh_Hant", "kind=year&year=2026", "年報", ["項目", "2026年", "2025年", "增減"]),
    ("en", "kind=range&from=2026-11-01&to=2026-11-20", "Report", None),
])
def test_the_report_file_is_in_the_keepers_language(keeper, admin, lang, query, sheet, heading):
    from openpyxl import load_workbook

    for client, path in ((keeper, "/keeper/reports"), (admin, "/keeper/reports/district")):
        client.set_cookie("kiosk_lang", lang)
        book = load_workbook(io.BytesIO(client.get(f"{path}.xlsx?{query}").data))
        assert book.sheetnames == [sheet]
    if heading:
        rows = list(csv.reader(io.StringIO(keeper.get(f"/keeper/reports.csv?{query}").data.decode("utf-8-sig"))))
        assert rows[0] == heading


def test_a_chinese_report_speaks_chinese(app, keeper):
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    text = keeper.get("/keeper/reports?kind=year&year=2026").get_data(as_text=True)
    assert "2026年" in text and "志愿者" in text and "Confirmed hours" not in text
    keeper.set_cookie("kiosk_lang", "zh_Hant")
    text = keeper.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert "2026年12月" in text and "Confirmed hours" not in text


def test_a_keeper_does_not_see_the_district(keeper):
    assert keeper.get("/keeper/reports/district").status_code == 403
    assert keeper.get("/keeper/reports/district.csv").status_code == 403
    assert "/keeper/reports/district" not in keeper.get("/keeper/reports").get_data(as_text=True)


@pytest.fixture
def admin(app, station):
    """A district admin, and a second station: 山景 with 4 confirmed hours and 幸福里 with 1 last December."""
    with app.app_context():
        other = add_station("hill", "山景暖心驿站")
        register_volunteer(other, name="李桂兰", mobile="13900001111", birth_year=1950, teams=[], skills=[])
        db.session.commit()
    add_session(app, "hill", LAST_NIGHT, minutes=240)
    add_session(app, "demo", LAST_NIGHT, minutes=60)
    return signed_in_admin(app, app.test_client())


def test_the_district_shows_every_station_with_totals_and_sorts(admin):
    page = admin.get("/keeper/reports/district?kind=month&month=2026-12")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    body = text.split("<tbody>", 1)[1]
    assert body.index("山景暖心驿站") < body.index("幸福里暖心驿站")  # by name
    footer = text.split("<tfoot>", 1)[1]
    assert "All stations" in footer and ">5</td>" in footer  # 4 + 1 confirmed hours
    by_hours = admin.get("/keeper/reports/district?kind=month&month=2026-12&sort=confirmed_hours&order=asc")
    body = by_hours.get_data(as_text=True).split("<tbody>", 1)[1]
    assert body.index("幸福里暖心驿站") < body.index("山景暖心驿站")
    assert 'aria-sort="ascending"' in by_hours.get_data(as_text=True)
    by_hours_down = admin.get("/keeper/reports/district?kind=month&month=2026-12&sort=confirmed_hours&order=desc")
    body = by_hours_down.get_data(as_text=True).split("<tbody>", 1)[1]
    assert body.index("山景暖心驿站") < body.index("幸福里暖心驿站")
    assert admin.get("/keeper/reports/district?sort=nonsense").status_code == 200


def test_the_district_downloads_with_a_total_row(admin):
    data = admin.get("/keeper/reports/district.csv?kind=month&month=2026-12")
    rows = list(csv.reader(io.StringIO(data.data.decode("utf-8-sig"))))
    hours = rows[0].index("Confirmed hours")
    assert {row[0]: row[hours] for row in rows[1:]} == {"山景暖心驿站": "4", "幸福里暖心驿站": "1", "All stations": "5"}
    book = admin.get("/keeper/reports/district.xlsx?kind=year&year=2026")
    assert book.status_code == 200 and book.data[:2] == b"PK"


def test_the_district_draws_the_figure_asked_for_largest_first(admin):
    text = admin.get("/keeper/reports/district?kind=month&month=2026-12&chart=confirmed_hours").get_data(as_text=True)
    drawn = text.split('id="chart-district-confirmed_hours"', 1)[1].split("</figure>", 1)[0]
    assert drawn.index("山景暖心驿站: 4") < drawn.index("幸福里暖心驿站: 1")
    assert text.count('<svg class="chart-svg"') == 1
    other = admin.get("/keeper/reports/district?kind=month&month=2026-12&chart=registered").get_data(as_text=True)
    assert 'id="chart-district-registered"' in other
    assert 'id="chart-district-confirmed_hours"' in admin.get("/keeper/reports/district?chart=<script>").get_data(as_text=True)


def test_an_admin_switches_the_station_of_the_report(app, admin):
    with app.app_context():
        from kiosk.core.models import Station
        hill = db.session.scalar(select(Station).where(Station.slug == "hill")).id
    page = admin.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert 'name="station_id"' in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    moved = admin.post("/keeper/station", data={"station_id": hill, "csrf_token": token,
                                                "next": "/keeper/reports?kind=month&month=2026-12"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith("/keeper/reports?kind=month&month=2026-12")
    report = admin.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert "山景暖心驿站 · December 2026" in report
    assert figure(report, "confirmed_hours")[0] == "4"


def test_the_chooser_shows_the_period_on_screen(app, keeper):
    add_session(app, "demo", datetime(2026, 10, 12, 1, 0, tzinfo=UTC))  # the station served in October
    text = keeper.get("/keeper/reports").get_data(as_text=True)
    assert 'name="month" type="month" value="2026-10"' in text  # 22 Nov: last month is October
    text = keeper.get("/keeper/reports?kind=year&year=2025").get_data(as_text=True)
    assert 'name="year" type="number" value="2025"' in text and 'name="month" type="month" value=""' in text


@pytest.mark.parametrize("path", ["/keeper/reports/district?kind=year&year=1999",
                                  "/keeper/reports/district.xlsx?kind=month&month=2026-13",
                                  "/keeper/reports.xlsx?kind=range&from=2027-01-10&to=2026-12-20"])
def test_a_wrong_period_for_the_district_or_a_download_comes_back_to_the_page(admin, path):
    page = admin.get(path)
    assert page.status_code == 422 and page.mimetype == "text/html"
    assert 'role="alert"' in page.get_data(as_text=True)


def test_activities_held_count_only_those_that_took_place(app, keeper, admin, clock):
    """On 6 December: a planned 爱心课堂 on the 10th, a 2099 one and one nobody came to are not held;
    the one with hours recorded is, on the station's page, in its file and in the district."""
    from kiosk.activities.models import Activity
    from kiosk.core.models import Station

    clock.set(datetime(2026, 12, 6, 4, 0, tzinfo=UTC))  # 12:00 in Shanghai
    with app.app_context():
        demo = db.session.scalar(select(Station).where(Station.slug == "demo"))
        hill = db.session.scalar(select(Station).where(Station.slug == "hill"))

        def activity(station, start, name="爱心课堂"):
            a = Activity(station_id=station.id, name=name, starts_at=start, ends_at=start + timedelta(hours=1),
                         created_at=clock.now())
            db.session.add(a)
            return a

        for hour in (1, 2, 3, 4):
            activity(demo, datetime(2026, 12, 10, hour, tzinfo=UTC))
        activity(demo, datetime(2099, 1, 1, 1, tzinfo=UTC))
        activity(hill, datetime(2026, 12, 2, 1, tzinfo=UTC), name="没人来")
        held = activity(demo, datetime(2026, 12, 1, 2, tzinfo=UTC), name="学雷锋理发")
        db.session.flush()
        db.session.add(ServiceSession(station_id=demo.id, volunteer_id=1, activity_id=held.id,
                                      checked_in_at=held.starts_at, checked_out_at=held.ends_at,
                                      check_in_method="keeper"))
        db.session.commit()
    december = keeper.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert figure(december, "activities_held")[0] == "1"
    assert figure(keeper.get("/keeper/reports?kind=year&year=2099").get_data(as_text=True), "activities_held")[0] == "0"
    rows = list(csv.reader(io.StringIO(keeper.get("/keeper/reports.csv?kind=month&month=2026-12").data.decode("utf-8-sig"))))
    assert ["Activities held", "1", "0", "1"] in rows
    district = list(csv.reader(io.StringIO(
        admin.get("/keeper/reports/district.csv?kind=month&month=2026-12").data.decode("utf-8-sig"))))
    held_column = district[0].index("Activities held")
    assert {row[0]: row[held_column] for row in district[1:]} == {"山景暖心驿站": "0", "幸福里暖心驿站": "1",
                                                                   "All stations": "1"}


def test_points_are_named_for_the_day_given_and_hours_with_their_unit(app, keeper, clock):
    """November's days confirmed on 2 December: November shows the hours and no points, December the
    points. The figure says it counts by the date confirmed, in the period's own words, on the page,
    in the CSV and in the XLSX, and in each language; hours say their unit."""
    from openpyxl import load_workbook

    from tests.conftest import csrf_token

    with app.app_context():
        db.session.add(ServiceSession(station_id=1, volunteer_id=1, checked_in_at=datetime(2026, 11, 21, 1, tzinfo=UTC),
                                      checked_out_at=datetime(2026, 11, 21, 3, tzinfo=UTC), check_in_method="scanner",
                                      check_out_method="scanner"))
        db.session.commit()
    clock.set(datetime(2026, 12, 2, 1, tzinfo=UTC))
    confirmed = keeper.post("/keeper/hours/confirm-day", data={"day": "2026-11-21",
                                                                "csrf_token": csrf_token(keeper, "/keeper/review")})
    assert confirmed.status_code == 303
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    november = keeper.get("/keeper/reports?kind=month&month=2026-11").get_data(as_text=True)
    assert figure(november, "confirmed_hours")[0] == "2" and figure(november, "points_earned")[0] == "0"
    assert '<th scope="row">本月发放的积分（按确认日期）</th>' in november and "获得积分" not in november
    assert '<th scope="row">已确认时长（小时）</th>' in november
    assert '<th scope="col">已确认时长（小时）</th>' in november  # by team
    assert "积分算在下个月" in november  # what the figures count
    december = keeper.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    assert figure(december, "points_earned") == ["20", "0", "+20"] and figure(december, "confirmed_hours")[0] == "0"

    rows = list(csv.reader(io.StringIO(keeper.get("/keeper/reports.csv?kind=month&month=2026-12").data.decode("utf-8-sig"))))
    assert ["本月发放的积分（按确认日期）", "20", "0", "20"] in rows and ["已确认时长（小时）", "0", "2", "-2"] in rows
    hours = [cell for row in rows for cell in row if cell.startswith("已确认时长")]
    assert hours == ["已确认时长（小时）"] * 3  # the figure, and the columns by day and by team
    keeper.set_cookie("kiosk_lang", "zh_Hant")
    sheet = load_workbook(io.BytesIO(keeper.get("/keeper/reports.xlsx?kind=year&year=2026").data)).active
    labels = [row[0].value for row in sheet.iter_rows()]
    assert "本年發放的積分（按確認日期）" in labels and "已確認時數（小時）" in labels
    keeper.set_cookie("kiosk_lang", "en")
    span = keeper.get("/keeper/reports?kind=range&from=2026-11-01&to=2026-12-02").get_data(as_text=True)
    assert '<th scope="row">Points given this period (by date confirmed)</th>' in span
    assert figure(span, "points_earned")[0] == "20"



def test_the_district_names_points_for_the_period_and_the_day_given(admin):
    district = admin.get("/keeper/reports/district.csv?kind=year&year=2026")
    headers = next(csv.reader(io.StringIO(district.data.decode("utf-8-sig"))))
    assert "Points given this year (by date confirmed)" in headers and "Confirmed hours" in headers
    page = admin.get("/keeper/reports/district?kind=month&month=2026-12&chart=points_earned").get_data(as_text=True)
    assert page.count("Points given this month (by date confirmed)") >= 3  # column, chart choice, chart


def test_the_files_write_the_station_name_as_the_page_does(app, keeper, admin):
    """On 繁體 the page's heading is the station's 繁體 name (set in Station settings); so are its files."""
    from openpyxl import load_workbook

    keeper.set_cookie("kiosk_lang", "zh_Hant")
    assert "幸福里暖心驛站" in keeper.get("/keeper/reports?kind=month&month=2026-12").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(keeper.get("/keeper/reports.csv?kind=month&month=2026-12").data
                                       .decode("utf-8-sig"))))
    assert rows[1] == ["驛站", "幸福里暖心驛站"]
    sheet = load_workbook(io.BytesIO(keeper.get("/keeper/reports.xlsx?kind=month&month=2026-12").data)).active
    assert [cell.value for cell in sheet[2]][:2] == ["驛站", "幸福里暖心驛站"]
    admin.set_cookie("kiosk_lang", "zh_Hant")  # the district's file and chart, as its table
    district = list(csv.reader(io.StringIO(admin.get("/keeper/reports/district.csv?kind=month&month=2026-12").data
                                           .decode("utf-8-sig"))))
    assert {row[0] for row in district[1:]} == {"山景暖心驿站", "幸福里暖心驛站", "全部驛站"}
    chart = admin.get("/keeper/reports/district?kind=month&month=2026-12").get_data(as_text=True)
    assert "幸福里暖心驛站: 1" in chart and "幸福里暖心驿站" not in chart
    keeper.set_cookie("kiosk_lang", "zh_Hans")  # 简体 writes the name as it is kept
    assert "幸福里暖心驿站" in keeper.get("/keeper/reports.csv?kind=month&month=2026-12").data.decode("utf-8-sig")
