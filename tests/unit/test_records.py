"""Records for the national volunteer system: the date range, one row per volunteer, activity and
day with every figure worked out again here from the raw sessions, the volunteer list, the files
themselves; and the identity document a keeper keeps for a volunteer."""

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import add_station
from kiosk.core.text import spreadsheet_safe
from kiosk.people.models import AuditEvent, Keeper, Team, Volunteer
from kiosk.people.privacy import erase_volunteer, everything_about
from kiosk.people.volunteers import (clean_identity, mask_id_number, register_volunteer, resident_id_check_char,
                                     update_volunteer)
from kiosk.records.exports import (SERVICE_HEADERS, VOLUNTEER_HEADERS, csv_chunks, describe_export, hours_of,
                                   note_export, parse_range, previous_month, recent_exports, service_csv,
                                   service_records, service_xlsx, volunteer_list, volunteers_csv, volunteers_xlsx)
from tests.conftest import START, in_english

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1 = date(2026, 11, 22)  # START is 09:00 on this day in Shanghai
DAY2 = date(2026, 11, 23)
VALID_ID = "11010519491231002X"  # the sample number GB 11643 is usually shown with


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station)


def keeper() -> Keeper:
    return db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))


def volunteer(number: int = 1) -> Volunteer:
    return db.session.get(Volunteer, number)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def session(station, who, start, minutes, activity=None, confirmed_by=None, confirmed=False, closed=True):
    s = ServiceSession(station_id=station.id, volunteer_id=who.id, checked_in_at=start,
                       checked_out_at=start + timedelta(minutes=minutes) if closed else None,
                       check_in_method="scanner", check_out_method="scanner" if closed else None,
                       activity_id=activity.id if activity is not None else None)
    if confirmed or confirmed_by is not None:
        s.confirmed_at = start + timedelta(days=3)
        s.confirmed_by_id = confirmed_by.id if confirmed_by is not None else None
    db.session.add(s)
    db.session.flush()
    return s


def activity(station, name, place="", content="", organiser="", person_in_charge="") -> Activity:
    a = Activity(station_id=station.id, name=name, place=place, content=content, starts_at=local(DAY1, 8),
                 ends_at=local(DAY2, 20), recurring=False, capacity=None, person_in_charge=person_in_charge,
                 organiser=organiser, created_at=START - timedelta(days=7))
    db.session.add(a)
    db.session.flush()
    return a


def rounded(minutes: int, step: int = 30) -> int:
    """The station's rounding, done again here: to the nearest step, a half step rounding up."""
    return math.floor(minutes / step + 0.5) * step


# --- The date range ---------------------------------------------------------------------------


@pytest.mark.parametrize("start, end", [("2026-10-01", "2026-10-31"), ("2026-11-22", "2026-11-22"),
                                        ("2028-01-01", "2028-12-31"), (" 2026-01-01 ", "2026-12-31"),
                                        ("2026-01-01", "2027-01-01")])  # 366 days, both counted
def test_a_range_of_up_to_366_days_is_taken(start, end):
    assert parse_range(start, end) == (date.fromisoformat(start.strip()), date.fromisoformat(end))


@pytest.mark.parametrize("start, end, field, words", [
    ("", "2026-10-31", "start", "date such as"),
    ("2026-10-01", "", "end", "date such as"),
    ("2026-13-01", "2026-12-31", "start", "date such as"),
    ("1999-12-01", "2000-01-31", "start", "between 2000-01-01 and 2100-12-31"),
    ("2100-12-01", "2101-01-31", "end", "between 2000-01-01 and 2100-12-31"),
    ("26-10-01", "2026-10-31", "start", "date such as"),
    ("2026-10-31", "2026-10-01", "end", "after the last day"),
    ("2026-01-01", "2027-01-02", "end", "at most 366 days"),  # 367 days
    ("2000-01-01", "2100-12-31", "end", "at most 366 days"),
])
def test_a_bad_range_is_refused_beside_the_field_at_fault(ctx, start, end, field, words):
    with pytest.raises(DomainError, match=words) as refused:
        parse_range(start, end)
    assert refused.value.field == field


@pytest.mark.parametrize("today, first, last", [
    (date(2026, 11, 22), date(2026, 10, 1), date(2026, 10, 31)),
    (date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
    (date(2028, 3, 31), date(2028, 2, 1), date(2028, 2, 29)),
])
def test_the_range_offered_first_is_the_previous_calendar_month(today, first, last):
    assert previous_month(today) == (first, last)


@pytest.mark.parametrize("minutes, hours", [(0, 0), (30, 0.5), (60, 1), (210, 3.5), (195, 3.5), (194, 3),
                                            (15, 0.5), (14, 0), (600, 10)])
def test_minutes_are_given_in_hours_to_the_half_hour(minutes, hours):
    assert hours_of(minutes) == hours


# --- Service records ----------------------------------------------------------------------------


@dataclass
class Raw:
    """A session as the test made it, to work the expected rows out without the code under test."""

    who: Volunteer
    start: datetime
    minutes: int
    activity: Activity | None
    confirmed_by: Keeper | None
    confirmed: bool


@pytest.fixture
def busy(ctx):
    """Two days at the station: the station's duty and two activities, confirmed by a keeper, by
    nobody (recorded before confirmation existed) and not at all; plus sessions that must not count."""
    ctx.person_in_charge = "李站长"
    lina = Keeper(station=ctx, username="lina", display_name="李娜", role="keeper", active=True, password_hash="x")
    db.session.add(lina)
    db.session.flush()
    story = activity(ctx, "爱心课堂", place="社区活动室", content="给孩子讲故事", organiser="幸福里社区居委会",
                     person_in_charge="王老师")
    haircut = activity(ctx, "学雷锋理发")  # no place, organiser or person in charge of its own
    a, b = volunteer(1), volunteer(2)
    a.id_type, a.id_number, a.national_code = "resident_id", VALID_ID, "44030000012345"
    b.id_type, b.id_number = "passport", "E12345678"
    plan = [
        # who, local start, minutes, activity, confirmed by, confirmed
        (a, local(DAY1, 0, 30), 100, None, keeper(), True),  # just after midnight: day 1, though UTC says day 0
        (a, local(DAY1, 14), 50, None, None, False),
        (a, local(DAY1, 10, 50), 75, story, lina, True),
        (a, local(DAY1, 16), 44, story, keeper(), True),
        (b, local(DAY1, 9, 10), 200, story, None, True),  # confirmed, but by no keeper
        (b, local(DAY1, 13), 40, haircut, None, False),
        (a, local(DAY2, 9), 130, haircut, lina, True),
        (b, local(DAY2, 23, 50), 61, None, keeper(), True),  # late: still day 2
        (b, local(DAY2, 8), 15, None, keeper(), True),
    ]
    raws = []
    for who, start, minutes, act, by, confirmed in plan:
        session(ctx, who, start, minutes, act, confirmed_by=by, confirmed=confirmed)
        raws.append(Raw(who, start, minutes, act, by, confirmed))
    # Not in the records: still on duty, before the range, after it, another station's, an erased volunteer's.
    session(ctx, a, local(DAY2, 18), 0, closed=False)
    session(ctx, a, local(DAY1, 0) - timedelta(minutes=10), 120, confirmed=True)
    session(ctx, b, local(DAY2 + timedelta(days=1), 0, 5), 60, confirmed=True)
    other = add_station("nanyuan", "南苑暖心驿站")
    stranger = register_volunteer(other, name="外站人", mobile="13700000001")
    session(other, stranger, local(DAY1, 10), 90, confirmed=True)
    gone = volunteer(3)
    session(ctx, gone, local(DAY1, 11), 60, confirmed=True)
    erase_volunteer(keeper(), ctx, gone, gone.number, START)
    db.session.flush()
    return raws


def expected_rows(station, raws):
    """The national rows, worked out from the raw sessions by hand."""
    groups = defaultdict(list)
    for r in raws:
        groups[(r.start.astimezone(SHANGHAI).date(), r.activity.id if r.activity else 0, r.who.id)].append(r)
    rows = {}
    for (day, _activity_id, _who), found in groups.items():
        who, act = found[0].who, found[0].activity
        minutes = sum(rounded(r.minutes) for r in found)
        keepers = [r.confirmed_by.display_name for r in found if r.confirmed and r.confirmed_by]
        rows[(who.name, act.name if act else None, day.isoformat())] = {
            "hours": minutes / 60,
            "confirmed": "是" if all(r.confirmed for r in found) else "否",
            "recorded_by": "、".join(dict.fromkeys(keepers)) or "系统",
            "place": (act.place if act else "") or station.name,
            "content": act.content if act else "",
            "organiser": (act.organiser if act else "") or station.name,
            "person_in_charge": (act.person_in_charge if act else "") or station.person_in_charge,
        }
    return rows


def test_one_row_per_volunteer_activity_and_day_with_every_figure_from_the_raw_sessions(ctx, busy):
    records = list(service_records(ctx, DAY1, DAY2))
    expected = expected_rows(ctx, busy)
    assert len(records) == len(expected) == 6
    duty = records[0].activity  # the station's everyday duty, in the national format's Chinese
    got = {(r.name, None if r.activity == duty else r.activity, r.day.isoformat()): r for r in records}
    assert set(got) == set(expected)
    for key, want in expected.items():
        r = got[key]
        assert (r.hours, r.place, r.content, r.organiser, r.person_in_charge) == (
            want["hours"], want["place"], want["content"], want["organiser"], want["person_in_charge"]), key
        assert ("是" if r.confirmed else "否", r.recorded_by) == (want["confirmed"], want["recorded_by"]), key
    # A few figures spelled out, so a slip in the helper above cannot hide one in the code.
    a_duty = got[("张晓华", None, "2026-11-22")]
    assert (a_duty.minutes, a_duty.hours, a_duty.confirmed, a_duty.recorded_by) == (90 + 60, 2.5, False, "站长")
    a_story = got[("张晓华", "爱心课堂", "2026-11-22")]
    assert (a_story.minutes, a_story.confirmed, a_story.recorded_by) == (90 + 30, True, "李娜、站长")
    b_story = got[("李桂英", "爱心课堂", "2026-11-22")]
    assert (b_story.hours, b_story.recorded_by, b_story.person_in_charge) == (3.5, "系统", "王老师")
    b_late = got[("李桂英", None, "2026-11-23")]
    assert (b_late.minutes, b_late.hours, b_late.place, b_late.person_in_charge) == (30 + 60, 1.5, "幸福里暖心驿站", "李站长")
    # Nobody else's hours, and nothing of another station, the erased volunteer or an open session.
    assert {r.name for r in records} == {"张晓华", "李桂英"}
    assert sum(r.minutes for r in records) == sum(rounded(r.minutes) for r in busy)


def test_the_rows_carry_the_document_and_the_national_code_and_come_in_order(ctx, busy):
    records = list(service_records(ctx, DAY1, DAY2))
    a = next(r for r in records if r.name == "张晓华")
    assert (a.id_type, a.id_number, a.national_code) == ("居民身份证", VALID_ID, "44030000012345")
    b = next(r for r in records if r.name == "李桂英")
    assert (b.id_type, b.id_number, b.national_code) == ("护照", "E12345678", "")
    # Day by day; within a day the duty first, then activities by name, volunteers by number.
    duty = records[0].activity
    assert [(r.day.isoformat(), r.activity, r.name) for r in records] == [
        ("2026-11-22", duty, "张晓华"), ("2026-11-22", "学雷锋理发", "李桂英"), ("2026-11-22", "爱心课堂", "张晓华"),
        ("2026-11-22", "爱心课堂", "李桂英"), ("2026-11-23", duty, "李桂英"), ("2026-11-23", "学雷锋理发", "张晓华")]
    assert records[0].cells() == ["张晓华", "居民身份证", VALID_ID, "44030000012345", records[0].activity,
                                  "2026-11-22", "幸福里暖心驿站", "", 2.5, "幸福里暖心驿站", "李站长", "站长", "否"]


def test_a_single_day_and_an_empty_range(ctx, busy):
    day2 = list(service_records(ctx, DAY2, DAY2))
    assert {r.day for r in day2} == {DAY2} and len(day2) == 2
    assert list(service_records(ctx, date(2025, 1, 1), date(2025, 1, 31))) == []


def test_the_station_rounding_applies_per_session_before_the_day_is_added_up(ctx):
    ctx.hours_rounding_minutes = 15
    who = volunteer(1)
    for hour in (9, 11, 14):  # 45 minutes each at a 15-minute step; 2 h 36 min added up first would give 150
        session(ctx, who, local(DAY1, hour), 52, confirmed=True)
    [record] = service_records(ctx, DAY1, DAY1)
    assert record.minutes == rounded(52, 15) * 3 == 135
    assert record.hours == 2.5  # 2 h 15 min, to the half hour rounding up


def test_service_csv_has_a_bom_the_national_columns_and_chinese_intact(ctx, busy):
    body = b"".join(service_csv(ctx, DAY1, DAY2))
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == SERVICE_HEADERS
    assert len(rows) == 1 + 6  # the records alone: the erased volunteer's hour is not a row
    story = next(r for r in rows if r[0] == "李桂英" and r[4] == "爱心课堂")
    assert story[1:4] == ["护照", "E12345678", ""] and story[5:] == [
        "2026-11-22", "社区活动室", "给孩子讲故事", "3.5", "幸福里社区居委会", "王老师", "系统", "是"]


def test_service_xlsx_reads_back_with_text_kept_as_text(ctx, busy):
    target = io.BytesIO()
    service_xlsx(target, ctx, DAY1, DAY2)
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == SERVICE_HEADERS and len(rows) == 7  # the erased volunteer's hour is on 说明
    a = next(r for r in rows if r[0] == "张晓华" and r[4] == "爱心课堂")
    assert a[2] == VALID_ID and isinstance(a[2], str)  # an 18-digit number stays whole
    assert a[5] == "2026-11-22" and a[8] == 2 and a[12] == "是"
    b = next(r for r in rows if r[0] == "李桂英" and r[4] == "爱心课堂")
    assert b[8] == 3.5 and b[6:8] == ("社区活动室", "给孩子讲故事")


def test_cells_that_would_be_formulas_are_neutralised_in_both_files(ctx):
    who = volunteer(1)
    who.name = "=HYPERLINK(\"http://x\")"
    hostile = activity(ctx, "+SUM(A1)", place="@cmd", content="-1+1\x01")
    session(ctx, who, local(DAY1, 9), 60, hostile, confirmed=True)
    rows = list(csv.reader(io.StringIO(b"".join(service_csv(ctx, DAY1, DAY1)).decode("utf-8-sig"))))
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")" and rows[1][4] == "'+SUM(A1)" and rows[1][6] == "'@cmd"
    target = io.BytesIO()
    service_xlsx(target, ctx, DAY1, DAY1)
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue())).active
    row = [cell for cell in next(sheet.iter_rows(min_row=2))]
    # In the workbook: text as typed, with Excel's quote prefix (shown, never run), no apostrophe added.
    assert row[0].value == "=HYPERLINK(\"http://x\")" and row[0].data_type == "s" and row[0].quotePrefix
    assert row[4].value == "+SUM(A1)" and row[4].data_type == "s" and row[4].quotePrefix
    assert row[7].value == "-1+1"  # and a control character XML cannot carry is dropped, not a crash
    assert not row[1].quotePrefix
    assert spreadsheet_safe("张晓华") == "张晓华" and spreadsheet_safe("-5") == "'-5"


def test_csv_comes_in_pieces_not_one_block(ctx):
    chunks = list(csv_chunks(["a"], ([str(i)] for i in range(450)), rows_per_chunk=200))
    assert len(chunks) == 3 and chunks[0].startswith("\ufeff".encode())
    assert b"".join(chunks).decode("utf-8-sig").splitlines() == ["a"] + [str(i) for i in range(450)]


def test_numbers_in_the_csv_read_as_people_write_them(ctx):
    body = b"".join(csv_chunks(["h"], [[3.0], [3.5], [1234567.5], [1958], [None]])).decode("utf-8-sig")
    assert body.splitlines() == ["h", "3", "3.5", "1234567.5", "1958", '""']


# --- The volunteer list ------------------------------------------------------------------------


def test_the_volunteer_list_has_everyone_but_the_erased_with_confirmed_hours_of_all_time(ctx, busy):
    inactive = volunteer(4)
    inactive.active = False
    entries = list(volunteer_list(ctx))
    assert len(entries) == 19  # twenty registered, one erased
    assert "—" not in {e.name for e in entries}
    by_name = {e.name: e for e in entries}
    a, b = by_name["张晓华"], by_name["李桂英"]
    # All of a volunteer's confirmed hours, whenever they were: the sessions outside the range too.
    confirmed = defaultdict(int)
    for s in db.session.scalars(select(ServiceSession).where(ServiceSession.confirmed_at.is_not(None),
                                                             ServiceSession.checked_out_at.is_not(None))):
        confirmed[s.volunteer_id] += rounded(int((s.checked_out_at - s.checked_in_at).total_seconds() // 60))
    assert a.confirmed_minutes == confirmed[1] == 90 + 90 + 30 + 120 + 120  # 00:30 duty, story ×2, haircut, day 0
    assert b.confirmed_minutes == confirmed[2] == 210 + 60 + 30 + 60  # story, 23:50, 08:00, the day after
    assert (a.hours, b.hours) == (confirmed[1] / 60, confirmed[2] / 60)
    assert a.cells() == ["张晓华", "13800138001", "居民身份证", VALID_ID, "44030000012345", 1958, "党旗红",
                         a.hours, "在册"]
    assert by_name["刘淑芬"].cells()[-1] == "停用" and by_name["刘淑芬"].hours == 0
    assert by_name["李桂英"].cells()[2:5] == ["护照", "E12345678", ""]


def test_the_volunteer_list_joins_teams_and_reads_in_batches(ctx, monkeypatch):
    import kiosk.records.exports as exports

    monkeypatch.setattr(exports, "BATCH", 3)  # twenty volunteers over seven batches
    teams = db.session.scalars(select(Team).where(Team.station_id == ctx.id).order_by(Team.id)).all()
    volunteer(5).teams = [teams[0], teams[3]]
    session(ctx, volunteer(20), local(DAY1, 9), 60, confirmed=True)
    entries = list(volunteer_list(ctx))
    assert [e.name for e in entries][:2] == ["张晓华", "李桂英"] and len(entries) == 20
    assert entries[4].teams == "党旗红、守护蓝"
    assert entries[19].hours == 1.0 and sum(e.confirmed_minutes for e in entries) == 60


def test_volunteer_xlsx_reads_back(ctx, busy):
    target = io.BytesIO()
    volunteers_xlsx(target, ctx)
    rows = list(openpyxl.load_workbook(io.BytesIO(target.getvalue())).active.iter_rows(values_only=True))
    assert rows[0] == VOLUNTEER_HEADERS and len(rows) == 20
    assert rows[1][:4] == ("张晓华", "13800138001", "居民身份证", VALID_ID) and rows[1][-1] == "在册"


# --- What the files leave out ------------------------------------------------------------------

LEFT_OUT = "Hours of volunteers whose personal data was erased, not in this file: "


def csv_rows(chunks: Iterable[bytes]) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))


def xlsx_sheets(write, *args) -> dict[str, list[list]]:
    """Each sheet's rows without their empty cells, by the sheet's name."""
    target = io.BytesIO()
    write(target, *args)
    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))
    return {sheet.title: [[value for value in row if value is not None] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets}


def test_the_files_hold_records_alone_and_the_excel_file_says_on_a_second_sheet_what_erasing_left_out(ctx, busy):
    """The national system reads every line of the first sheet (or the CSV) as a record: a line of
    words below the rows would be one more, broken, record. The keeper's note goes on 说明."""
    gone = volunteer(3)  # erased, with a confirmed hour on the first day
    session(ctx, gone, local(DAY2, 9), 100)  # 1.5 h more, not confirmed (closed when they were erased)
    rows = csv_rows(service_csv(ctx, DAY1, DAY2))
    assert len(rows) == 1 + 6 and all(rows) and not any(LEFT_OUT[:20] in cell for row in rows for cell in row)
    sheets = xlsx_sheets(service_xlsx, ctx, DAY1, DAY2)
    assert list(sheets) == ["志愿服务记录", "说明"]
    assert len(sheets["志愿服务记录"]) == 1 + 6 and all(sheets["志愿服务记录"])
    assert sheets["说明"] == [[LEFT_OUT + "2.5 (1 confirmed)"]]
    assert xlsx_sheets(service_xlsx, ctx, DAY1, DAY1)["说明"] == [[LEFT_OUT + "1"]]
    assert len(csv_rows(volunteers_csv(ctx))) == 1 + 19
    sheets = xlsx_sheets(volunteers_xlsx, ctx)
    assert len(sheets["志愿者名单"]) == 1 + 19
    assert sheets["说明"] == [[LEFT_OUT + "1"]]  # their confirmed hours of all time, as the list counts


def test_the_files_have_no_second_sheet_when_no_erased_volunteer_has_hours_there(ctx, busy):
    assert list(xlsx_sheets(service_xlsx, ctx, DAY2, DAY2)) == ["志愿服务记录"]
    session(ctx, volunteer(5), local(DAY1, 9), 60)
    erase_volunteer(keeper(), ctx, volunteer(5), "5", START)
    assert xlsx_sheets(service_xlsx, ctx, DAY1, DAY1)["说明"] == [[LEFT_OUT + "2 (1 confirmed)"]]
    assert xlsx_sheets(volunteers_xlsx, ctx)["说明"] == [[LEFT_OUT + "1"]]  # volunteer 5's hour is not confirmed


# --- Who took what out ---------------------------------------------------------------------------


def test_each_download_is_recorded_and_listed(ctx):
    note_export(keeper(), ctx, "service", "xlsx", START, DAY1, DAY2)
    note_export(keeper(), ctx, "volunteers", "csv", START + timedelta(minutes=1))
    with pytest.raises(DomainError):
        note_export(keeper(), ctx, "everything", "csv", START)
    found = recent_exports(ctx)
    assert [e.after["kind"] for e in found] == ["volunteers", "service"]
    assert found[1].after == {"kind": "service", "format": "xlsx", "start": "2026-11-22", "end": "2026-11-23"}
    assert describe_export(found[1].after) == "Service records 2026-11-22 – 2026-11-23 (XLSX)"
    assert all(e.keeper_id == keeper().id for e in found)


# --- The identity document ---------------------------------------------------------------------


def check_char(first17: str) -> str:
    """GB 11643's check character again, by the other textbook formula: weights 2^(18-i) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


@pytest.mark.parametrize("first17", ["11010519491231002", "44030419851122301", "31011519700307511",
                                     "00000000000000000", "99999999999999999"])
def test_the_check_character_of_a_resident_id(first17):
    assert resident_id_check_char(first17) == check_char(first17)


@pytest.mark.parametrize("id_type, raw, stored", [
    ("resident_id", VALID_ID, ("resident_id", VALID_ID)),
    ("resident_id", "110105 19491231 002x", ("resident_id", VALID_ID)),  # spaces and a small x, as typed
    ("resident_id", "44030419851122301" + check_char("44030419851122301"),
     ("resident_id", "44030419851122301" + check_char("44030419851122301"))),
    ("resident_id", "１１０１０５１９４９１２３１００２ｘ", ("resident_id", VALID_ID)),  # typed full-width
    ("passport", "e12345678", ("passport", "E12345678")),
    ("other", "军官证 南字第123456号", ("other", "军官证南字第123456号")),
    ("hk_macau_pass", "", ("hk_macau_pass", None)),
    ("", "", (None, None)),
    (None, None, (None, None)),
])
def test_identity_documents_are_kept_as_typed_and_checked(ctx, id_type, raw, stored):
    assert clean_identity(id_type, raw) == stored


@pytest.mark.parametrize("id_type, raw, field, words", [
    ("resident_id", VALID_ID[:-1] + "1", "id_number", "does not add up"),
    ("resident_id", "11010519491231002", "id_number", "18 characters"),
    ("resident_id", "1101051949123100211", "id_number", "18 characters"),
    ("resident_id", "11010519491231X02X", "id_number", "18 characters"),
    ("passport", "E" * 41, "id_number", "keep this to 40 characters or fewer"),
    ("passport", "E123\x01", "id_number", "as it is printed"),
    ("driving_licence", "123", "id_type", "choose from the list"),
    ("", VALID_ID, "id_type", "type of document"),
])
def test_a_wrong_document_number_is_refused_with_a_plain_message(ctx, id_type, raw, field, words):
    with pytest.raises(DomainError, match=words) as refused:
        clean_identity(id_type, raw)
    assert refused.value.field == field


@pytest.mark.parametrize("number, masked", [
    (VALID_ID, "110***********002X"), ("E12345678", "E******78"), ("H123", "****"), ("", ""), (None, ""),
    ("12345678901", "123****8901"),
])
def test_a_document_number_is_masked_on_screen(number, masked):
    assert mask_id_number(number) == masked


def edit(who, **changes):
    values = {"name": who.name, "mobile": who.mobile, "birth_year": who.birth_year, "teams": list(who.teams),
              "skills": list(who.skills), "national_code": who.national_code, "id_type": who.id_type,
              "id_number": "", "hide_from_honor_roll": who.hide_from_honor_roll}
    return update_volunteer(who, **{**values, **changes})


def test_editing_keeps_the_stored_number_unless_a_new_one_is_typed(ctx):
    who = register_volunteer(ctx, name="新人", mobile="13900000001", id_type="resident_id", id_number=VALID_ID,
                             hide_from_honor_roll=True)
    assert (who.id_type, who.id_number, who.hide_from_honor_roll) == ("resident_id", VALID_ID, True)
    edit(who, name="新人甲")  # the form never carries the stored number back
    assert who.id_number == VALID_ID
    with pytest.raises(DomainError, match="number of the new document") as refused:
        edit(who, id_type="passport")  # a new type needs its own number
    assert refused.value.field == "id_number" and who.id_type == "resident_id"
    edit(who, id_type="passport", id_number="E7654321", hide_from_honor_roll=False)
    assert (who.id_type, who.id_number, who.hide_from_honor_roll) == ("passport", "E7654321", False)
    edit(who, id_type=None)  # "not kept" forgets the document
    assert (who.id_type, who.id_number) == (None, None)


def test_one_document_one_volunteer_at_a_station(ctx):
    register_volunteer(ctx, name="甲", mobile="13900000001", id_type="resident_id", id_number=VALID_ID)
    with pytest.raises(DomainError, match="already registered") as refused:
        register_volunteer(ctx, name="乙", mobile="13900000002", id_type="resident_id", id_number=VALID_ID.lower())
    assert refused.value.field == "id_number"
    other = add_station("nanyuan", "南苑暖心驿站")
    assert register_volunteer(other, name="乙", mobile="13900000002", id_type="resident_id",
                              id_number=VALID_ID).id_number == VALID_ID  # another station keeps its own list


def test_the_volunteers_data_export_has_the_document_and_erasing_removes_it(ctx):
    who = volunteer(1)
    edit(who, id_type="resident_id", id_number=VALID_ID, hide_from_honor_roll=True)
    record = everything_about(keeper(), ctx, who, START)["volunteer"]
    assert (record["id_type"], record["id_number"], record["hide_from_honor_roll"]) == ("resident_id", VALID_ID, True)
    erase_volunteer(keeper(), ctx, who, who.number, START)
    assert (who.id_type, who.id_number) == (None, None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "volunteer.erased"))


def test_the_volunteers_data_export_has_sign_ups_gifts_honor_picks_phone_and_suggestions(ctx):
    """Everything stored about the volunteer, from every feature; never a code, a hash or a token."""
    import json

    from kiosk.activities.schedule import sign_up
    from kiosk.checkin.phone import issue_phone_code
    from kiosk.gifts.redemptions import add_gift, ask_for_gift
    from kiosk.honor.roll import pick
    from kiosk.points.ledger import award
    from kiosk.suggest.box import categories, submit
    from tests.unit.test_activities import an_activity

    who = volunteer(1)
    sign_up(ctx, who, an_activity(ctx), START)
    award(keeper(), ctx, who, 100, "奖励", START)
    ask_for_gift(ctx, who, add_gift(keeper(), ctx, "毛巾", 20, 3, START).id, START)
    pick(keeper(), ctx, who.number, "热心肠", START)
    code = issue_phone_code(who, START)
    sent = submit(ctx, category_id=categories(ctx)[0].id, text="楼道灯坏了", photo=None, contact=None,
                  anonymous=False, source="phone", device_id="phone-1", now=START, volunteer_id=who.id)
    record = everything_about(keeper(), ctx, who, START)
    assert [(s["activity"], s["signed_up_at"]) for s in record["activity_signups"]] == [("爱心课堂", START.isoformat())]
    assert [(r["gift"], r["points"], r["status"]) for r in record["gift_redemptions"]] == [("毛巾", 20, "waiting")]
    assert [(p["month"], p["note"]) for p in record["honor_picks"]] == [("2026-11", "热心肠")]
    assert record["phone"]["phone_code_expires_at"] is not None
    assert [s["tracking_code"] for s in record["suggestions_from_phone"]] == [sent.tracking_code]
    text = json.dumps(record, ensure_ascii=False)
    assert code not in text and who.phone_code_hash not in text and who.badge_nonce not in text
