"""Importing volunteers from an Excel roster (.xlsx, CSV, Unicode text): reading, the preview, and applying it."""

import io
import os
import zipfile
from datetime import datetime

import pytest
from flask_babel import lazy_gettext as _l
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import Team, Volunteer
from kiosk.people.volunteer_import import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ImportPreview,
    apply_import,
    read_roster,
    preview_import,
)
from kiosk.people.volunteers import register_volunteer

HEADER = "姓名,手机号,出生年份,队伍,技能,志愿者编号"
# The demo station: 张晓华 13800138001, born 1958, 党旗红, 理发; 李桂英 13800138002, 1955, 暖心橙, 理疗.
ZHANG = "13800138001"
LI = "13800138002"
BAD_MOBILE = "Please enter an 11-digit mobile number starting with 1."
NOT_CSV = "This file cannot be read. Please upload an Excel file (.xlsx) or a CSV file saved from Excel."
BROKEN_WORKBOOK = ("This Excel file cannot be opened; it may be damaged. Please open it in Excel, save it again as "
                   ".xlsx, and upload that.")
BAD_YEAR = "Please enter a year of birth from %(first)s to %(last)s (a volunteer is at least %(age)s years old)."
YEARS = {"first": 1900, "last": 2020, "age": 6}  # the test clock stands in 2026
DUPLICATE = "This mobile number is already in the file (line %(line)s)."


def csv_text(*lines: str) -> str:
    """Lines as Excel saves them: CRLF, with a trailing line end."""
    return "\r\n".join(lines) + "\r\n"


def said(reason, msgid: str, **kwargs) -> bool:
    """Compare with the message itself, so the tests hold whichever language the catalog gives."""
    return reason is not None and str(reason) == str(_l(msgid, **kwargs))


def counts() -> tuple[int, int]:
    volunteers = db.session.scalar(select(func.count()).select_from(Volunteer))
    teams = db.session.scalar(select(func.count()).select_from(Team))
    return volunteers, teams


def volunteer(mobile: str) -> Volunteer:
    return db.session.scalar(select(Volunteer).where(Volunteer.mobile == mobile))


def preview(app, station, text: str) -> ImportPreview:
    with app.app_context():
        return preview_import(db.session.get(Station, station), text)


def only_row(app, station, cells: str):
    rows = preview(app, station, csv_text(HEADER, cells)).rows
    assert len(rows) == 1
    return rows[0]


# --- decoding ---------------------------------------------------------------------------------

SAMPLE = csv_text(HEADER, "王小明,13900000001,1970,暖心橙、新队,理发，理疗,V001")


@pytest.mark.parametrize(
    "data",
    [SAMPLE.encode("utf-8-sig"), SAMPLE.encode("utf-8"), SAMPLE.encode("gb18030")],
    ids=["utf-8 with BOM", "utf-8", "gb18030"],
)
def test_decode_reads_utf8_with_and_without_bom_and_gb18030(data):
    text = read_roster(data)
    assert text == SAMPLE
    assert not text.startswith("\ufeff")


def test_gb18030_bytes_are_not_valid_utf8_so_the_fallback_is_really_used():
    data = SAMPLE.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_roster(data) == SAMPLE


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"   \r\n\r\n", "The file is empty."),
        (b"a" * (MAX_IMPORT_BYTES + 1), "The file is too large (at most 2 MB)."),
        ("姓名,手机号\r\n王\x00,13900000001\r\n".encode(), NOT_CSV),
        (b"PK\x03\x04\x14\x00\x06\x00", BROKEN_WORKBOOK),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
         "This is an old Excel file (.xls). Please open it in Excel and save it as .xlsx, then upload that."),
        (b"\xff\xfe\xff\xff\x80", NOT_CSV),
        (HEADER.encode("utf-16-le"), NOT_CSV),  # UTF-16 without its BOM
        # Documents and pictures uploaded by mistake are no roster either, even when their bytes
        # happen to decode as text (a PDF without compressed streams, one whose binary marker is GB18030).
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n", NOT_CSV),
        (b"%PDF-1.7\n%\xb5\xb5\xb5\xb5\n1 0 obj\n<< >>\nendobj\n", NOT_CSV),
        ("{\\rtf1\\ansi 姓名,手机号}".encode(), NOT_CSV),
        (b"GIF89a\x01\x00\x01\x00\x80\x01\x00", NOT_CSV),
        (b"\xef\xbb\xbf<!DOCTYPE html><html><body>", NOT_CSV),
    ],
    ids=["empty", "blank", "too large", "NUL", "broken xlsx", "xls", "undecodable", "utf-16 without BOM", "pdf",
         "pdf with a binary marker", "rtf", "gif", "html"],
)
def test_decode_refuses_what_is_not_a_roster_file(app, data, message):
    with app.app_context(), pytest.raises(DomainError) as err:
        read_roster(data)
    assert err.value.field == "file"
    with app.app_context():
        assert said(err.value.message, message)


def test_decode_accepts_a_file_of_exactly_the_limit():
    data = (HEADER + "\r\n").encode() + b" " * (MAX_IMPORT_BYTES - len((HEADER + "\r\n").encode()))
    assert len(data) == MAX_IMPORT_BYTES
    assert read_roster(data).startswith(HEADER)


def workbook(*rows, sheets=1) -> bytes:
    """An .xlsx as Excel saves it, rows on the first sheet; numbers stay numbers, dates dates."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    for i in range(1, sheets):
        book.create_sheet(f"Sheet{i + 1}").append(["姓名", "手机号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_roster_reads_like_the_csv_excel_would_save(app, station):
    data = workbook(
        ["XX社区志愿者花名册"],  # a title line above the column names
        [],
        ["姓名", "手机号", "出生年份", "出生日期", "队伍", "技能", "志愿者编号"],
        ["王小明", 13900000001.0, 1970, None, "暖心橙、新队", "理发\n理疗", 12345],  # Excel stores numbers as floats
        ["李 四", 13900000002, None, datetime(1958, 3, 12), None, None, None],
        ["张晓华", 13800138001, 1958.0, None, None, None, None],  # a registered volunteer: an update
    )
    text = read_roster(data)
    assert "13900000001," in text and ".0" not in text and "E+" not in text
    assert "1958/3/12" in text and "00:00" not in text
    rows = {row.line: row for row in preview(app, station, text).rows}
    assert sorted(rows) == [4, 5, 6]  # the sheet's own row numbers
    assert (rows[4].status, rows[4].mobile, rows[4].birth_year) == ("new", "13900000001", 1970)
    assert (rows[4].teams, rows[4].skills, rows[4].national_code) == (["暖心橙", "新队"], ["理发", "理疗"], "12345")
    assert (rows[5].name, rows[5].mobile, rows[5].birth_year) == ("李四", "13900000002", 1958)
    assert (rows[6].status, rows[6].volunteer_id is not None) == ("unchanged", True)
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), text)
        assert (summary.created, summary.rejected) == (2, 0)
        assert volunteer("13900000001").skills == ["理发", "理疗"]


def test_an_xlsx_roster_keeps_every_rule_a_csv_has(app, station):
    text = read_roster(workbook(["姓名", "手机号"], ["王小明", 13900000001], ["王大明", 13900000001.0],
                                ["孙悟空", 13800138001], ["坏号码", 12345]))
    rows = {row.line: row for row in preview(app, station, text).rows}
    assert said(rows[3].reason, DUPLICATE, line=2)
    assert rows[4].status == "rename"
    assert said(rows[5].reason, BAD_MOBILE)


def test_only_the_first_sheet_is_read(app, station):
    text = read_roster(workbook(["姓名", "手机号"], ["王小明", 13900000001], sheets=2))
    assert [row.mobile for row in preview(app, station, text).rows] == ["13900000001"]


def test_an_empty_first_sheet_is_refused_with_a_message(app):
    with app.app_context(), pytest.raises(DomainError) as err:
        read_roster(workbook(sheets=2))
    assert err.value.field == "file"
    with app.app_context():
        assert said(err.value.message, "The first sheet of this Excel file is empty. Please put the roster on the "
                                       "first sheet.")


def zip_of(**files: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + os.urandom(2000),  # random bytes behind a zip's first bytes
        zip_of(**{"readme.txt": b"hello"}),  # a zip, not a workbook
        zip_of(**{"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not a workbook"}),
        workbook(["姓名", "手机号"], ["王小明", 13900000001])[:-200],  # cut short
    ],
    ids=["random", "other zip", "broken xml", "truncated"],
)
def test_a_file_that_is_not_really_an_xlsx_is_refused_with_a_message(app, data):
    with app.app_context(), pytest.raises(DomainError) as err:
        read_roster(data)
    assert err.value.field == "file"
    with app.app_context():
        assert said(err.value.message, BROKEN_WORKBOOK)


def test_a_password_protected_workbook_is_named_as_such(app):
    # What Excel saves with a password: an OLE file holding an "EncryptedPackage" stream.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le") + bytes(500)
    with app.app_context(), pytest.raises(DomainError) as err:
        read_roster(data)
    with app.app_context():
        assert said(err.value.message, "This Excel file is protected by a password. Please remove the password in "
                                       "Excel (File → Info → Protect Workbook), save, and upload it again.")


def test_a_workbook_whose_rows_are_larger_than_the_limit_is_refused(app):
    # One long note in every row: the workbook stores it once and stays small, its rows do not.
    data = workbook(["姓名", "手机号", "备注"], *([f"人{i}", 13900000000 + i, "x" * 1000] for i in range(2500)))
    assert len(data) < MAX_IMPORT_BYTES
    with app.app_context(), pytest.raises(DomainError) as err:
        read_roster(data)
    with app.app_context():
        assert said(err.value.message, "The file is too large (at most 2 MB).")


def test_excel_unicode_text_utf16_with_tabs_is_read(app, station):
    # Excel's "Unicode 文本 (*.txt)": UTF-16 LE with its BOM, cells separated by tabs.
    sheet = "\r\n".join(["花名册\t\t", "姓名\t手机号\t队伍", "王小明\t13900000001\t暖心橙, 新队",
                          '李四\t13900000002\t"新队\n暖心橙"', "张晓华\t13800138001\t"]) + "\r\n"
    text = read_roster(b"\xff\xfe" + sheet.encode("utf-16-le"))
    rows = {row.line: row for row in preview(app, station, text).rows}
    assert sorted(rows) == [3, 4, 6]  # line numbers as in the file (a cell on two lines counts two)
    assert (rows[3].status, rows[3].mobile, rows[3].teams) == ("new", "13900000001", ["暖心橙", "新队"])
    assert rows[4].teams == ["新队", "暖心橙"]
    assert rows[6].status == "unchanged"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "gb18030"])
def test_csv_in_utf16_and_tab_separated_text_in_any_encoding_are_read(app, station, encoding):
    for text in (SAMPLE, SAMPLE.replace(",", "\t")):
        assert read_roster(text.encode(encoding)) == SAMPLE


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Name,Mobile,Birth Year,Teams,Skills,Volunteer Code",
        " name , PHONE ,birth_year,team,skills,national_code",
        "名字,联系电话,出生年,所属队伍,特长,全国志愿者编号",
        "姓名*,手机号码*,出生年份,团队,技能,志愿者证号",
        "ＮＡＭＥ,手机,出生年份,队伍,技能,志愿者编号",
        "备注,姓名,编号,手机号,出生年份,队伍,技能,志愿者编号",
        "姓名,手機號碼,出生年份,所屬隊伍,特長,志願者編號",  # a keeper working in 繁體
        "姓名,聯絡電話,出生年,隊伍,技能,全國志願者編號",
    ],
)
def test_headers_accept_chinese_and_english_names_in_any_order(app, station, header):
    cells = {"姓名": "王小明", "手机号": "13900000001", "出生年份": "1970", "队伍": "暖心橙",
             "技能": "理发", "志愿者编号": "V001"}
    # Build the data row in the header's own column order; unknown columns get junk.
    canonical = ["姓名", "手机号", "出生年份", "队伍", "技能", "志愿者编号"]
    columns = [c.strip() for c in header.split(",")]
    known = iter(canonical)
    row = [("junk" if c in ("备注", "编号") else cells[next(known)]) for c in columns]
    (parsed,) = preview(app, station, csv_text(header, ",".join(row))).rows
    assert (parsed.status, parsed.name, parsed.mobile, parsed.birth_year) == ("new", "王小明", "13900000001", 1970)
    assert (parsed.teams, parsed.skills, parsed.national_code) == (["暖心橙"], ["理发"], "V001")


def test_a_specific_mobile_column_wins_over_a_general_phone_column(app, station):
    (row,) = preview(app, station, csv_text("姓名,电话,手机号", "王小明,010-12345678,13900000001")).rows
    assert (row.status, row.mobile) == ("new", "13900000001")


@pytest.mark.parametrize(
    "header, message",
    [
        ("手机号,出生年份", "The file has no name column (姓名)."),
        ("姓名,出生年份", "The file has no mobile column (手机号)."),
        ("王小明,13900000001", "The file has no name column (姓名)."),
    ],
)
def test_missing_required_column_is_named(app, station, header, message):
    with app.app_context():
        with pytest.raises(DomainError) as err:
            preview_import(db.session.get(Station, station), csv_text(header, "王小明,13900000001"))
        assert err.value.field == "file"
        assert said(err.value.message, message)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "The file is empty."),
        ("\ufeff", "The file is empty."),
        (",,,\r\n,,\r\n", "The file is empty."),
        (csv_text(HEADER), "The file has no volunteers below the header line."),
        (csv_text(HEADER, ",,,,,", ""), "The file has no volunteers below the header line."),
        (HEADER + "\r\n王\x00,13900000001", NOT_CSV),
        (HEADER + "\r\n" + "x" * MAX_IMPORT_BYTES, "The file is too large (at most 2 MB)."),
        # One cell beyond the csv module's field limit.
        (HEADER + "\r\n" + "x" * 200_000 + ",13900000001", NOT_CSV),
    ],
    ids=["empty", "bom only", "only commas", "header only", "header and blank rows", "NUL", "too large", "huge cell"],
)
def test_preview_refuses_text_it_cannot_use(app, station, text, message):
    # The confirm form sends the text back, so preview_import checks it as read_roster does.
    with app.app_context():
        with pytest.raises(DomainError) as err:
            preview_import(db.session.get(Station, station), text)
        assert err.value.field == "file"
        assert said(err.value.message, message)


def test_row_limit(app, station):
    rows = [f"人{i},139{i:08d}" for i in range(MAX_IMPORT_ROWS)]
    assert preview(app, station, csv_text("姓名,手机号", *rows)).new_count == MAX_IMPORT_ROWS
    with app.app_context():
        with pytest.raises(DomainError) as err:
            preview_import(db.session.get(Station, station), csv_text("姓名,手机号", *rows, "多一个,13700000000"))
        assert err.value.field == "file"
        too_many = "The file has more than %(n)s rows. Please split it into smaller files."
        assert said(err.value.message, too_many, n=MAX_IMPORT_ROWS)


# --- rows -------------------------------------------------------------------------------------


def test_preview_sorts_rows_into_new_update_and_rejected(app, station):
    text = csv_text(
        HEADER,
        "王小明,139 0000 0001,1970,暖心橙、新队,理发，理疗,V001",  # line 2: new, one new team
        "张小华,+86 138-0013-8001,,,,",  # line 3: would rename 张晓华
        ",,,,,",  # line 4: blank, skipped silently
        "李四,1.38001E+10,,,,",  # line 5: Excel turned the number into a float
        "王小明,13900000001,1971,,,",  # line 6: same mobile as line 2
        "老人,13900000003,1899,,,",  # line 7
        "队长,13900000004,," + "队" * 41 + ",,,",  # line 8
    )
    with app.app_context():
        result = preview_import(db.session.get(Station, station), text)
        zhang_id = volunteer(ZHANG).id
        rows = {row.line: row for row in result.rows}
        assert sorted(rows) == [2, 3, 5, 6, 7, 8]
        assert (result.new_count, result.update_count, result.rename_count, result.rejected_count) == (1, 0, 1, 4)
        assert result.new_teams == ["新队"]

        new = rows[2]
        assert (new.status, new.reason, new.volunteer_id) == ("new", None, None)
        assert (new.name, new.mobile, new.birth_year, new.national_code) == ("王小明", "13900000001", 1970, "V001")
        assert (new.teams, new.skills, new.new_teams) == (["暖心橙", "新队"], ["理发", "理疗"], ["新队"])

        update = rows[3]
        assert (update.status, update.volunteer_id, update.mobile) == ("rename", zhang_id, ZHANG)
        assert (update.name, update.existing_name) == ("张小华", "张晓华")

        assert rows[5].status == "rejected" and said(rows[5].reason, BAD_MOBILE)
        assert rows[5].mobile == "1.38001E+10", "a rejected row shows the cell as the keeper wrote it"
        assert rows[6].status == "rejected"
        assert said(rows[6].reason, DUPLICATE, line=2)
        assert said(rows[7].reason, BAD_YEAR, **YEARS)
        assert said(rows[8].reason, "A team name can be at most %(n)s characters.", n=40)
        assert all(row.new_teams == [] for row in result.rows if row.status == "rejected")


def test_line_numbers_count_file_lines_even_when_a_cell_spans_two(app, station):
    text = csv_text(HEADER, '王小明,13900000001,,,"理发', '理疗",', "", "张三,13900000001,,,,")
    result = preview(app, station, text)
    assert [row.line for row in result.rows] == [2, 5]
    assert result.rows[0].skills == ["理发", "理疗"], "Alt+Enter inside a cell separates items"
    assert said(result.rows[1].reason, DUPLICATE, line=2)


def test_a_row_rejected_for_another_reason_still_claims_its_mobile(app, station):
    result = preview(app, station, csv_text(HEADER, ",13900000001,,,,", "王小明,13900000001,,,,"))
    assert [row.status for row in result.rows] == ["rejected", "rejected"]
    with app.app_context():
        assert said(result.rows[0].reason, "Please enter a name.")
        assert said(result.rows[1].reason, DUPLICATE, line=2)


@pytest.mark.parametrize(
    "cells, message, kwargs",
    [
        ("王小明,,,,,", BAD_MOBILE, {}),
        ("王小明,1380013800,,,,", BAD_MOBILE, {}),
        ("王小明,23800138000,,,,", BAD_MOBILE, {}),
        (",13900000001,,,,", "Please enter a name.", {}),
        ("张" * 41 + ",13900000001,,,,", "A name can be at most %(n)s characters.", {"n": 40}),
        ("王\u202e明,13900000001,,,,", "The name contains characters that cannot be used.", {}),
        ("王小明,13900000001,2027,,,", BAD_YEAR, YEARS),
        ("王小明,13900000001,2026,,,", BAD_YEAR, YEARS),  # this year: surely a slip
        ("王小明,13900000001,2021,,,", BAD_YEAR, YEARS),  # five years old
        ("王小明,13900000001,1899,,,", BAD_YEAR, YEARS),
        ("王小明,13900000001,1958.5,,,", BAD_YEAR, YEARS),
        ("王小明,13900000001,五八年,,,", BAD_YEAR, YEARS),
        ("王小明,13900000001,195,,,", BAD_YEAR, YEARS),
        ("王小明,13900000001,,暖心橙、" + "队" * 41 + ",,", "A team name can be at most %(n)s characters.", {"n": 40}),
        ("王小明,13900000001,,," + "技" * 41 + ",", "A skill can be at most %(n)s characters.", {"n": 40}),
        ("王小明,13900000001,,,,V" + "1" * 40, "A volunteer code can be at most %(n)s characters.", {"n": 40}),
        ("王小明,13900000001,,,理\u200b发,", "This row contains characters that cannot be used.", {}),
        ("王小明,13900000001,,暖\x1b心橙,,", "This row contains characters that cannot be used.", {}),
        ("王小明,13900000001,,,,V\x07", "This row contains characters that cannot be used.", {}),
    ],
)
def test_bad_rows_are_rejected_with_their_reason(app, station, cells, message, kwargs):
    row = only_row(app, station, cells)
    assert row.status == "rejected"
    assert row.volunteer_id is None
    with app.app_context():
        assert said(row.reason, message, **kwargs)


@pytest.mark.parametrize(
    "cells, birth_year",
    [
        ("王小明,13900000001,1900,,,", 1900),
        ("王小明,13900000001,2020,,,", 2020),  # six: the youngest helpers, with a parent
        ("王小明,13900000001, 1970 ,,,", 1970),
        ("王小明,13900000001,１９７０,,,", 1970),
        ("王小明,13900000001,,,,", None),
    ],
)
def test_birth_year_accepts_whole_years_up_to_six_years_ago_and_blank(app, station, cells, birth_year):
    row = only_row(app, station, cells)
    assert (row.status, row.birth_year) == ("new", birth_year)


def test_teams_and_skills_split_on_any_separator_trimmed_and_deduplicated(app, station):
    row = only_row(app, station, '王小明,13900000001,," 暖心橙 、新队；暖心橙/, ,守护蓝 ","理发，理疗;理发／家  政,",')
    assert row.status == "new"
    assert row.teams == ["暖心橙", "新队", "守护蓝"]
    assert row.skills == ["理发", "理疗", "家 政"]
    assert row.new_teams == ["新队"]


# Probe: the Teams page takes 黨旗紅 for 党旗红 (one team), but a roster naming 黨旗紅 made a
# second team beside it; two spellings of one new team in one file made two.
def test_a_team_written_another_way_is_the_stations_team_and_one_new_team_is_one(app, station):
    rows = preview(app, station, csv_text(HEADER, "王小明,13900000001,,黨旗紅、守护 蓝", "王大明,13900000002,,綠隊",
                                          "王二明,13900000003,,绿队")).rows
    assert [row.teams for row in rows] == [["党旗红", "守护蓝"], ["綠隊"], ["綠隊"]]
    assert [row.new_teams for row in rows] == [[], ["綠隊"], ["綠隊"]]
    with app.app_context():
        apply_import(db.session.get(Station, station), csv_text(HEADER, "王小明,13900000001,,黨旗紅", "王大明,13900000002,,綠隊",
                                                               "王二明,13900000003,,绿队"))
        db.session.commit()
        names = db.session.scalars(select(Team.name).where(Team.name.in_(["黨旗紅", "綠隊", "绿队"]))).all()
        assert names == ["綠隊"]
        assert [t.name for t in volunteer("13900000001").teams] == ["党旗红"]
    again = preview(app, station, csv_text(HEADER, "王小明,13900000001,,黨旗紅")).rows
    assert [row.status for row in again] == ["unchanged"]  # 党旗红 written another way changes nothing


def test_names_of_exactly_forty_characters_are_fine(app, station):
    row = only_row(app, station, "王小明,13900000001,," + "队" * 40 + "," + "技" * 40 + "," + "V" * 40)
    assert row.status == "new"
    assert (len(row.teams[0]), len(row.skills[0]), len(row.national_code)) == (40, 40, 40)


def test_mobile_is_matched_after_cleaning_so_formatting_does_not_hide_an_update(app, station):
    row = only_row(app, station, "张晓华,１３８ ００１３ ８００１,,,,")
    assert (row.status, row.mobile) == ("unchanged", ZHANG)


def test_a_mobile_with_the_country_code_and_no_plus_is_the_mobile(app, station):
    """Probe: 8613911110001 was refused as no 11-digit mobile while +86 139 1111 0002 was taken."""
    row = only_row(app, station, f"张晓华,86{ZHANG},,,,")
    assert (row.status, row.mobile) == ("unchanged", ZHANG)
    row = only_row(app, station, "王小明,8613911110001,,,,")
    assert (row.status, row.mobile) == ("new", "13911110001")


def test_a_mobile_at_another_station_is_new_here(app, station):
    with app.app_context():
        db.session.add(Station(slug="other", name="另一个驿站"))
        db.session.commit()
        other = db.session.scalar(select(Station).where(Station.slug == "other"))
        (row,) = preview_import(other, csv_text(HEADER, f"张晓华,{ZHANG},,,,")).rows
        assert (row.status, row.volunteer_id, row.new_teams) == ("new", None, [])


def test_preview_leaves_the_database_unchanged(app, station):
    text = csv_text(HEADER, "王小明,13900000001,1970,新队,理发,V001", f"张小华,{ZHANG},1959,另一新队,,", "坏,123,,,,")
    with app.app_context():
        before = counts()
        zhang = volunteer(ZHANG)
        result = preview_import(db.session.get(Station, station), text)
        assert (result.new_count, result.rename_count, result.rejected_count) == (1, 1, 1)
        assert not db.session.new and not db.session.dirty and not db.session.deleted
        assert zhang.name == "张晓华" and zhang.birth_year == 1958
        db.session.rollback()
        assert counts() == before == (20, 6)
        assert db.session.scalar(select(Team).where(Team.name.in_(["新队", "另一新队"]))) is None
        assert volunteer("13900000001") is None


# --- applying ---------------------------------------------------------------------------------


def test_apply_creates_and_updates_exactly_as_previewed(app, station):
    text = csv_text(
        HEADER,
        "王小明,13900000001,1970,暖心橙、新队,理发，理疗,V001",
        "赵小红,13900000002,,新队,,",
        f"张小华,{ZHANG},1959,新队、守护蓝,维修,N-1",
        "李四,1.38001E+10,,,,",
        "王小明,13900000001,,,,",
    )
    with app.app_context():
        st = db.session.get(Station, station)
        planned = preview_import(st, text)
        summary = apply_import(st, text, renames={row.rename_key for row in planned.rows if row.status == "rename"})
        assert (summary.created, summary.updated, summary.rejected, summary.held_back) == (
            planned.new_count, planned.update_count + planned.rename_count, planned.rejected_count, 0) == (2, 1, 2, 0)
        db.session.commit()

    with app.app_context():
        assert counts() == (22, 7), "two volunteers and one team, created once for three rows"
        wang = volunteer("13900000001")
        assert (wang.number, wang.name, wang.birth_year, wang.skills, wang.national_code) == (
            "0021", "王小明", 1970, ["理发", "理疗"], "V001")
        assert [t.name for t in wang.teams] == ["暖心橙", "新队"]
        assert wang.active and wang.mobile_tail == "0001"
        zhao = volunteer("13900000002")
        assert (zhao.number, zhao.birth_year, zhao.skills, zhao.national_code) == ("0022", None, [], None)
        assert [t.name for t in zhao.teams] == ["新队"]
        zhang = volunteer(ZHANG)
        assert (zhang.number, zhang.name, zhang.birth_year, zhang.skills, zhang.national_code) == (
            "0001", "张小华", 1959, ["维修"], "N-1")
        assert sorted(t.name for t in zhang.teams) == ["守护蓝", "新队"]
        assert db.session.scalar(select(func.count()).select_from(Team).where(Team.name == "新队")) == 1


def test_an_import_is_audited_per_volunteer_and_team_like_changes_by_hand(app, station):
    """README: registering, edits (which details, never values) are audited. An import of 300 rows
    did all that with no trace of who did it."""
    from kiosk.people.models import AuditEvent, Keeper

    text = csv_text(HEADER, "王小明,13900000001,1970,新队,,", f"李桂英,{LI},1956,,,", f"{'张晓华'},{ZHANG},,,,")
    with app.app_context():
        keeper = db.session.scalar(select(Keeper).where(Keeper.station_id == station))
        apply_import(db.session.get(Station, station), text, by=keeper)
        db.session.commit()
        events = {(e.action, e.volunteer_id, str((e.after or {}).get("name") or (e.after or {}).get("changed") or ""))
                  for e in db.session.scalars(select(AuditEvent))}
        assert all(e.keeper_id == keeper.id for e in db.session.scalars(select(AuditEvent)))
        wang, li = volunteer("13900000001"), volunteer(LI)
        assert events == {("team.added", None, "新队"), ("volunteer.imported", wang.id, ""),
                          ("volunteer.import_updated", li.id, "['birth_year']")}, \
            "Zhang's row changed nothing, so nothing is recorded for it"
        assert "1956" not in str([e.after for e in db.session.scalars(select(AuditEvent))])


def test_blank_cells_do_not_wipe_what_is_stored(app, station):
    with app.app_context():
        li = volunteer(LI)
        li.national_code = "N-2"
        db.session.commit()
        summary = apply_import(db.session.get(Station, station), csv_text(HEADER, f"李桂英,{LI},,,,"))
        assert (summary.created, summary.updated, summary.unchanged, summary.rejected) == (0, 0, 1, 0)
        db.session.commit()
    with app.app_context():
        li = volunteer(LI)
        assert (li.name, li.birth_year, li.skills, li.national_code) == ("李桂英", 1955, ["理疗"], "N-2")
        assert [t.name for t in li.teams] == ["暖心橙"]


def test_a_file_without_the_optional_columns_only_renames(app, station):
    with app.app_context():
        # Ticked: the tick names the file's line and the volunteer the preview showed.
        apply_import(db.session.get(Station, station), csv_text("mobile,name", f"{LI},李桂花"),
                     renames={f"2-{volunteer(LI).id}"})
        db.session.commit()
    with app.app_context():
        li = volunteer(LI)
        assert (li.name, li.birth_year, li.skills, [t.name for t in li.teams]) == ("李桂花", 1955, ["理疗"], ["暖心橙"])


def test_apply_flushes_but_does_not_commit(app, station):
    with app.app_context():
        apply_import(db.session.get(Station, station), csv_text(HEADER, "王小明,13900000001,,新队,,"))
        assert volunteer("13900000001") is not None, "flushed, so the same session sees it"
        db.session.rollback()
        assert counts() == (20, 6)


def test_apply_reads_the_text_again_instead_of_trusting_an_old_preview(app, station):
    text = csv_text(HEADER, "王小明,13900000001,1970,,,")
    with app.app_context():
        st = db.session.get(Station, station)
        assert preview_import(st, text).rows[0].status == "new"
        # Someone registers the same mobile between the preview and the keeper's confirm.
        register_volunteer(st, name="王小明", mobile="13900000001")
        summary = apply_import(st, text)
        assert (summary.created, summary.updated) == (0, 1)
        assert (volunteer("13900000001").name, volunteer("13900000001").birth_year) == ("王小明", 1970)
        assert counts() == (21, 6)


def test_a_rename_that_appeared_after_the_preview_is_held_back(app, station):
    """Registered meanwhile under another name: the keeper never saw that row as a rename."""
    text = csv_text(HEADER, "王小明,13900000001,1970,,,")
    with app.app_context():
        st = db.session.get(Station, station)
        (row,) = preview_import(st, text).rows
        assert row.status == "new"
        register_volunteer(st, name="王晓明", mobile="13900000001")
        summary = apply_import(st, text, renames={f"{row.line}-{row.volunteer_id}"})
        assert (summary.created, summary.updated, summary.held_back) == (0, 0, 1)
        assert (volunteer("13900000001").name, volunteer("13900000001").birth_year) == ("王晓明", None)


def test_the_same_file_confirmed_again_changes_nothing_and_says_so(app, station):
    """Confirmed again from a second tab: the first import made every change, so the second counts
    no volunteer as new or updated, and records nothing."""
    from kiosk.people.models import AuditEvent, Keeper

    text = csv_text(HEADER, "王小明,13900000001,1970,新队,,", f"李桂英,{LI},1956,,,", f"张晓华,{ZHANG},,,,",
                    "坏号码,12345,,,,")
    with app.app_context():
        st, keeper = db.session.get(Station, station), db.session.scalar(select(Keeper).where(Keeper.station_id == station))
        first = apply_import(st, text, by=keeper)
        assert (first.created, first.updated, first.unchanged, first.rejected) == (1, 1, 1, 1)
        db.session.commit()
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        again = preview_import(st, text)
        assert [row.status for row in again.rows] == ["unchanged", "unchanged", "unchanged", "rejected"]
        assert (again.new_count, again.update_count, again.unchanged_count) == (0, 0, 3)
        second = apply_import(st, text, by=keeper)
        assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 1)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_apply_refuses_the_same_bad_text_as_preview(app, station):
    with app.app_context():
        with pytest.raises(DomainError) as err:
            apply_import(db.session.get(Station, station), "手机号\r\n13900000001\r\n")
        assert err.value.field == "file"
        assert counts() == (20, 6)


def test_apply_of_gb18030_upload_end_to_end(app, station):
    data = csv_text("姓名,手机号码,所属队伍", "王小明,13900000001,新队").encode("gb18030")
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), read_roster(data))
        assert (summary.created, summary.updated, summary.rejected) == (1, 0, 0)
        assert [t.name for t in volunteer("13900000001").teams] == ["新队"]


# --- never anything but a DomainError ---------------------------------------------------------

CELL_PARTS = ["13800138001", "13900000001", "1958", "1.38001E+10", "暖心橙", "新队", "、", "，", ";", "/",
              ",", '"', "\r\n", "\n", "\r", " ", "\t", "\x00", "\u202e", "张", "0", "9", "+86", "E"]
cells = st.lists(st.sampled_from(CELL_PARTS), max_size=6).map("".join) | st.text(max_size=12)
csv_like = st.builds(
    lambda header, rows: "\r\n".join([",".join(header), *(",".join(row) for row in rows)]),
    st.permutations(["姓名", "手机号", "出生年份", "队伍", "技能", "志愿者编号", "备注"]),
    st.lists(st.lists(cells, max_size=8), max_size=8),
)


def preview_or_domain_error(app, station, make_text):
    """Run decode/preview; only a DomainError may stop it, and nothing may be written."""
    with app.app_context():
        try:
            result = preview_import(db.session.get(Station, station), make_text())
        except DomainError as err:
            assert err.field == "file"
            result = None
        assert not db.session.new and not db.session.dirty and not db.session.deleted
        assert counts() == (20, 6)
    if result is not None:
        assert (result.new_count + result.update_count + result.unchanged_count + result.rename_count
                + result.rejected_count) == len(result.rows)
        for row in result.rows:
            assert (row.reason is not None) == (row.status == "rejected")
            assert (row.volunteer_id is not None) == (row.status in ("update", "unchanged", "rename"))
            assert (row.status == "unchanged") == (row.volunteer_id is not None and not row.changes)
            assert ("name" in row.changes) == (row.status == "rename")


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=400) | csv_like.map(lambda t: t.encode("gb18030")) | csv_like.map(str.encode))
def test_random_bytes_raise_only_domain_errors(app, station, data):
    preview_or_domain_error(app, station, lambda: read_roster(data))


@FUZZ
@given(text=st.text(max_size=300) | csv_like)
def test_random_text_raises_only_domain_errors(app, station, text):
    preview_or_domain_error(app, station, lambda: text)


# --- a real community roster ------------------------------------------------------------------

def resident_id(first17: str) -> str:
    from kiosk.people.volunteers import resident_id_check_char

    return first17 + resident_id_check_char(first17)


ROSTER = csv_text(
    "XX社区志愿者花名册（2026年）,,,,,",
    "序号,姓名,性别,联系电话,出生日期,年龄段",
    "1,王秀兰,女,13900000001,1958/3/12,60岁以上",
    "2,赵建国,男,1390000,1961/7/1,60岁以上",
    "3,孙丽,女,13900000003,1990-10-05,18-35岁",
)


def test_a_roster_with_a_title_line_and_a_date_of_birth_keeps_the_birth_year(app, station):
    result = preview(app, station, ROSTER)
    assert result.lines_above_header == [1]
    rows = {row.name: row for row in result.rows}
    assert rows["王秀兰"].birth_year == 1958 and rows["王秀兰"].status == "new"
    assert rows["孙丽"].birth_year == 1990
    assert rows["赵建国"].status == "rejected"
    assert [header for header, _meaning in result.used_columns] == ["姓名", "联系电话", "出生日期"]
    assert result.ignored_columns == ["序号", "性别", "年龄段"]


def test_rejected_rows_come_first_for_review_and_the_rest_keep_file_order(app, station):
    rows = preview(app, station, ROSTER).rows_for_review
    assert [(row.line, row.status) for row in rows] == [(4, "rejected"), (3, "new"), (5, "new")]


def test_applying_a_roster_stores_the_birth_years(app, station):
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), ROSTER)
        db.session.commit()
        assert (summary.created, summary.rejected) == (2, 1)
        assert volunteer("13900000001").birth_year == 1958
        assert volunteer("13900000003").birth_year == 1990


@pytest.mark.parametrize("written", ["1958/3/12", "1958-03-12", "1958.3.12", "1958年3月12日", "1958年3月",
                                     "1958/3", "19580312", "1958/3/12 0:00:00", "1958", "1958年",
                                     str((__import__("datetime").date(1958, 3, 12)
                                          - __import__("datetime").date(1899, 12, 30)).days)])
def test_dates_of_birth_as_rosters_write_them(app, station, written):
    row = only_row_with("姓名,手机号,出生日期", f"王秀兰,13900000001,{written}", app, station)
    assert (row.status, row.birth_year) == ("new", 1958)


@pytest.mark.parametrize("written", ["1958/2/30", "1958/13/1", "昨天", "58/3/12", "1899/1/1", "2999-01-01",
                                     "2026-01-05"])
def test_a_date_of_birth_that_cannot_be_a_birthday_rejects_the_row_with_a_reason(app, station, written):
    row = only_row_with("姓名,手机号,出生日期", f"王秀兰,13900000001,{written}", app, station)
    assert row.status == "rejected"
    assert (said(row.reason, "The date of birth cannot be read. Please write it like 1958/3/12.")
            or said(row.reason, BAD_YEAR, **YEARS))


def only_row_with(header: str, cells: str, app, station):
    (row,) = preview(app, station, csv_text(header, cells)).rows
    return row


def test_a_resident_id_column_gives_the_document_and_the_birth_year(app, station):
    number = resident_id("11010519580312123")
    row = only_row_with("姓名,身份证号,手机号", f"王秀兰,{number},13900000001", app, station)
    assert (row.status, row.id_type, row.id_number, row.birth_year) == ("new", "resident_id", number, 1958)


def test_a_lower_case_x_and_spaces_in_a_resident_id_are_what_the_card_says(app, station):
    number = next(n for d in range(1000) if (n := resident_id(f"11010519580312{d:03d}")).endswith("X"))
    row = only_row_with("姓名,身份证号码,手机号", f"王秀兰,{number[:6]} {number[6:-1]}x,13900000001", app, station)
    assert (row.status, row.id_number) == ("new", number)


def test_a_mistyped_resident_id_rejects_the_row(app, station):
    number = resident_id("11010519580312123")
    wrong = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    row = only_row_with("姓名,身份证号,手机号", f"王秀兰,{wrong},13900000001", app, station)
    assert row.status == "rejected"
    assert said(row.reason, "This ID number does not add up: please check each digit against the card.")


@pytest.mark.parametrize("written, stored", [("护照", "passport"), ("台胞证", "taiwan_pass"),
                                             ("港澳居民来往内地通行证", "hk_macau_pass"), ("军官证", "other"),
                                             ("", "other")])
def test_a_document_type_column_says_which_document_the_number_is(app, station, written, stored):
    row = only_row_with("姓名,手机号,证件类型,证件号码", f"王秀兰,13900000001,{written},E12345678", app, station)
    assert (row.status, row.id_type, row.id_number, row.birth_year) == ("new", stored, "E12345678", None)


def test_one_id_number_twice_in_a_file_rejects_the_second_row(app, station):
    number = resident_id("11010519580312123")
    rows = preview(app, station, csv_text("姓名,手机号,身份证号", f"王秀兰,13900000001,{number}",
                                          f"王秀英,13900000002,{number}")).rows
    assert [row.status for row in rows] == ["new", "rejected"]
    assert said(rows[1].reason, "This ID number is already in the file (line %(line)s).", line=2)


def test_an_id_number_of_another_registered_volunteer_rejects_the_row_but_the_same_one_updates(app, station):
    number = resident_id("11010519580312123")
    with app.app_context():
        register_volunteer(db.session.get(Station, station), name="王秀兰", mobile="13900000001",
                           id_type="resident_id", id_number=number)
        db.session.commit()
    same = only_row_with("姓名,手机号,身份证号", f"王秀兰,13900000001,{number}", app, station)
    other = only_row_with("姓名,手机号,身份证号", f"王秀英,13900000002,{number}", app, station)
    assert (same.status, other.status) == ("update", "rejected")
    assert said(other.reason, "A volunteer with this ID number is already registered.")


def test_applying_stores_the_document_and_an_update_adds_one(app, station):
    number = resident_id("11010519580312123")
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), csv_text(
            "姓名,手机号,证件类型,证件号码", f"王秀兰,13900000001,身份证,{number}", f"张晓华,{ZHANG},护照,E1234567"))
        db.session.commit()
        assert (summary.created, summary.updated) == (1, 1)
        assert (volunteer("13900000001").id_type, volunteer("13900000001").id_number) == ("resident_id", number)
        assert (volunteer(ZHANG).id_type, volunteer(ZHANG).id_number) == ("passport", "E1234567")


def test_a_header_further_down_than_a_title_block_is_not_guessed(app, station):
    text = csv_text(*[f"说明第{i}行" for i in range(12)], "姓名,手机号", "王秀兰,13900000001")
    with app.app_context():
        with pytest.raises(DomainError) as err:
            preview_import(db.session.get(Station, station), text)
        assert said(err.value.message, "The file has no name column (姓名).")


# --- A document type without its number (证件类型 given, 证件号码 blank) --------------------------

NEW_DOCUMENT = "Please type the number of the new document."


def test_a_type_without_a_number_is_kept_on_an_update_as_on_a_new_volunteer(app, station):
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), csv_text(
            "姓名,手机号,证件类型,证件号码", "王秀兰,13900000001,护照,", f"张晓华,{ZHANG},护照,"))
        db.session.commit()
        assert (summary.created, summary.updated) == (1, 1)
        assert (volunteer("13900000001").id_type, volunteer("13900000001").id_number) == ("passport", None)
        assert (volunteer(ZHANG).id_type, volunteer(ZHANG).id_number) == ("passport", None)


def test_a_type_alone_replaces_a_stored_type_alone(app, station):
    with app.app_context():
        zhang = volunteer(ZHANG)
        zhang.id_type = "other"
        apply_import(db.session.get(Station, station), csv_text("姓名,手机号,证件类型", f"张晓华,{ZHANG},护照"))
        assert (zhang.id_type, zhang.id_number) == ("passport", None)


def test_the_same_type_without_its_number_keeps_the_stored_number(app, station):
    with app.app_context():
        zhang = volunteer(ZHANG)
        zhang.id_type, zhang.id_number = "passport", "E1234567"
        db.session.commit()
    row = only_row_with("姓名,手机号,证件类型,证件号码", f"张晓华,{ZHANG},护照,", app, station)
    assert (row.status, row.id_type, row.id_number) == ("unchanged", "passport", None)
    with app.app_context():
        apply_import(db.session.get(Station, station), csv_text("姓名,手机号,证件类型", f"张晓华,{ZHANG},护照"))
        assert (volunteer(ZHANG).id_type, volunteer(ZHANG).id_number) == ("passport", "E1234567")


def test_another_type_without_a_number_for_a_stored_document_is_refused_as_on_the_form(app, station):
    with app.app_context():
        zhang = volunteer(ZHANG)
        zhang.id_type, zhang.id_number = "passport", "E1234567"
        db.session.commit()
    row = only_row_with("姓名,手机号,证件类型,证件号码", f"张晓华,{ZHANG},台胞证,", app, station)
    assert row.status == "rejected" and said(row.reason, NEW_DOCUMENT)
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), csv_text(
            "姓名,手机号,证件类型", f"张晓华,{ZHANG},台胞证"))
        assert summary.rejected == 1
        assert (volunteer(ZHANG).id_type, volunteer(ZHANG).id_number) == ("passport", "E1234567")


# --- A row that would change a registered volunteer's name --------------------------------------
# 13800138001 is 张晓华's mobile (0001, born 1958, 党旗红, 理发). A roster whose mobile is mistyped
# onto 张晓华 must not quietly turn 张晓华 into someone else: their badge, hours and notes follow the
# record. Such a row is held back until the keeper ticks it, and the preview shows old → new.

TYPO_ROW = f"孙悟空,{ZHANG},1950,党旗红,,"


def test_a_row_that_would_rename_a_volunteer_is_marked_with_the_old_and_new_name(app, station):
    result = preview(app, station, csv_text(HEADER, TYPO_ROW, f"李桂英,{LI},1956,,,"))
    typo, li = result.rows
    with app.app_context():
        zhang_id = volunteer(ZHANG).id
    assert (typo.status, typo.volunteer_id, typo.existing_name, typo.name) == ("rename", zhang_id, "张晓华", "孙悟空")
    assert typo.changes["name"] == ("张晓华", "孙悟空")
    assert typo.changes["birth_year"] == (1958, 1950)
    assert "teams" not in typo.changes, "党旗红 is already 张晓华's team"
    assert (li.status, li.changes) == ("update", {"birth_year": (1955, 1956)})
    assert (result.new_count, result.update_count, result.rename_count, result.rejected_count) == (0, 1, 1, 0)
    assert [row.status for row in result.rows_for_review] == ["rename", "update"], "shown before the plain updates"


def test_the_preview_shows_old_and_new_teams_skills_and_code(app, station):
    row = only_row(app, station, f"张晓华,{ZHANG},1958,暖心橙、新队,维修,N-1")
    assert row.status == "update"
    assert row.changes == {"teams": (["党旗红"], ["暖心橙", "新队"]), "skills": (["理发"], ["维修"]),
                           "national_code": (None, "N-1")}


def test_an_untouched_rename_row_is_not_applied_at_all(app, station):
    """Not the name, and not the birth year or teams either: the row may be someone else's."""
    text = csv_text(HEADER, "孙悟空," + ZHANG + ",1950,新队,维修,N-1", f"李桂英,{LI},1956,,,")
    with app.app_context():
        before = counts()
        summary = apply_import(db.session.get(Station, station), text)
        db.session.commit()
        assert (summary.created, summary.updated, summary.held_back, summary.rejected, summary.skipped) == (
            0, 1, 1, 0, 1)
    with app.app_context():
        zhang = volunteer(ZHANG)
        assert (zhang.name, zhang.birth_year, zhang.skills, zhang.national_code) == ("张晓华", 1958, ["理发"], None)
        assert [t.name for t in zhang.teams] == ["党旗红"]
        assert counts() == before, "no team made for a row that was held back"
        assert volunteer(LI).birth_year == 1956


def test_a_ticked_rename_row_is_applied_and_audited_without_values(app, station):
    from kiosk.people.models import AuditEvent, Keeper

    text = csv_text(HEADER, f"张小华,{ZHANG},1959,,,")
    with app.app_context():
        st = db.session.get(Station, station)
        (row,) = preview_import(st, text).rows
        keeper = db.session.scalar(select(Keeper).where(Keeper.station_id == station))
        summary = apply_import(st, text, by=keeper, renames={row.rename_key})
        db.session.commit()
        assert (summary.updated, summary.held_back, summary.skipped) == (1, 0, 0)
        zhang = volunteer(ZHANG)
        assert (zhang.name, zhang.birth_year) == ("张小华", 1959)
        (event,) = db.session.scalars(select(AuditEvent)).all()
        assert (event.action, event.after) == ("volunteer.import_updated", {"changed": ["name", "birth_year"]})
        assert "张小华" not in str(event.before) + str(event.after) and "1959" not in str(event.after)


@pytest.mark.parametrize("tick", ["2", "3-1", "2-999", "", "x" * 500, "2-1-1", "\x00"])
def test_a_tick_for_another_line_or_volunteer_does_not_apply_a_rename(app, station, tick):
    """The tick names the line and the volunteer the keeper saw; anything else applies nothing."""
    text = csv_text(HEADER, TYPO_ROW)
    with app.app_context():
        summary = apply_import(db.session.get(Station, station), text, renames={tick})
        assert (summary.updated, summary.held_back) == (0, 1)
        assert (volunteer(ZHANG).name, volunteer(ZHANG).birth_year) == ("张晓华", 1958)


def test_a_tick_does_not_follow_the_mobile_to_another_volunteer(app, station):
    """Between preview and confirm the mobile moved to another volunteer: the tick was for 张晓华."""
    text = csv_text(HEADER, TYPO_ROW)
    with app.app_context():
        st = db.session.get(Station, station)
        (row,) = preview_import(st, text).rows
        zhang, li = volunteer(ZHANG), volunteer(LI)
        zhang.mobile, li.mobile = "13900000009", ZHANG
        db.session.flush()
        summary = apply_import(st, text, renames={row.rename_key})
        assert (summary.updated, summary.held_back) == (0, 1)
        assert (li.name, li.birth_year) == ("李桂英", 1955)


@pytest.mark.parametrize("written", ["張曉華", "张 晓华", " 张晓华 ", "張 曉 華", "张晓华"])
def test_the_same_name_in_traditional_characters_or_with_spaces_is_no_rename(app, station, written):
    """Same name: the row updates as usual and the name stays as registered."""
    row = only_row(app, station, f"{written},{ZHANG},1959,,,")
    assert (row.status, row.changes) == ("update", {"birth_year": (1958, 1959)})
    with app.app_context():
        apply_import(db.session.get(Station, station), csv_text(HEADER, f"{written},{ZHANG},1959,,,"))
        assert (volunteer(ZHANG).name, volunteer(ZHANG).birth_year) == ("张晓华", 1959)


def test_a_new_row_with_a_registered_name_and_another_mobile_notes_who_has_that_name(app, station):
    """People change phones: such a row is still new (two people may share a name), with a note."""
    rows = preview(app, station, csv_text(HEADER, "张晓华,13900000001,,,,", "張曉華,13900000002,,,,",
                                          "王小明,13900000003,,,,", f"张晓华,{ZHANG},1959,,,")).rows
    assert [row.status for row in rows] == ["new", "new", "new", "update"]
    assert rows[0].same_name_as == rows[1].same_name_as == [("0001", "张晓华", "8001")]
    assert rows[2].same_name_as == [] and rows[3].same_name_as == []


def test_a_space_typed_inside_a_chinese_name_is_dropped_but_not_inside_a_latin_one(app, station):
    rows = preview(app, station, csv_text(HEADER, "张 伟,13900000001,,,,", "O'Brien  Smith,13900000002,,,,")).rows
    assert [row.name for row in rows] == ["张伟", "O'Brien Smith"]
    with app.app_context():
        apply_import(db.session.get(Station, station), csv_text(HEADER, "张 伟,13900000001,,,,"))
        assert volunteer("13900000001").name == "张伟"


def test_latin_letters_in_another_case_are_the_same_name(app, station):
    with app.app_context():
        register_volunteer(db.session.get(Station, station), name="Anna Li", mobile="13900000001")
        db.session.commit()
    assert only_row(app, station, "anna  LI,13900000001,,,,").status == "unchanged"
    assert only_row(app, station, "Anne Li,13900000001,,,,").status == "rename"


def test_an_id_number_excel_took_for_a_number_is_refused_saying_what_happened(app, station):
    """Typed into a number cell, an 18-digit ID keeps 15 digits in Excel: in the .xlsx it is a float,
    in a CSV Excel saved it shows as 1.10105E+17 or ends in 000. The row says what to do, instead
    of asking to check each digit against the card."""
    header = ["姓名", "手机号", "身份证号"]
    text = read_roster(workbook(header, ["王小明", 13900000001, 110105195803073024.0],
                                ["王大明", 13900000002, "110105195803073023"]))
    rows = {row.line: row for row in preview(app, station, text).rows}
    assert said(rows[2].reason, ID_NUMBER_LOST)
    assert rows[3].reason is None and rows[3].id_number == "110105195803073023"
    text = csv_text(",".join(header), "王小明,13900000001,1.10105E+17", "王大明,13900000002,110105195803073000",
                    "王二明,13900000003,110105195803073024")  # one digit wrong, as typed: checked as before
    rows = {row.line: row for row in preview(app, station, text).rows}
    assert said(rows[2].reason, ID_NUMBER_LOST) and said(rows[3].reason, ID_NUMBER_LOST)
    assert said(rows[4].reason, "This ID number does not add up: please check each digit against the card.")


ID_NUMBER_LOST = ("Excel took this ID number for a number and lost its last digits (it keeps 15). Please set that "
                  "column to Text in Excel, type the numbers again and import.")
