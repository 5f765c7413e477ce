"""Importing volunteers from a roster: an Excel workbook (.xlsx), a CSV file as Excel in China
saves it, or Excel's Unicode text (UTF-16, tab-separated).

The keeper uploads a file, sees a preview of what would change, and confirms. Every kind of file
is first turned into CSV text (`read_roster`), so one set of rules reads them all. Nothing is kept
between the two steps: the confirm form carries that text back and `apply_import` reads it again,
so the preview and the import always follow the same rules.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.text import clean_mobile, clean_name, has_hidden_characters, name_key
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Team, Volunteer
from kiosk.people.volunteers import (ID_NUMBER_TAKEN, NEW_DOCUMENT_NUMBER, RESIDENT_ID, changed_details,
                                     check_birth_year, clean_identity, compact_id_number, editable_details,
                                     register_volunteer)

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
ITEM_MAX = 40  # Team.name and Volunteer.national_code are String(40); skills share the limit.

# Header aliases, most specific first: when a file has two columns for one field (say 手机 and
# 电话, which is often a landline), the more specific one wins. Headers are compared after
# _normalize_header (full-width folded, case and spaces ignored, "(必填)" and "*" dropped).
ALIASES: dict[str, list[str]] = {
    "name": ["姓名", "名字", "name"],
    "mobile": ["手机号码", "手机号", "手机", "手機號碼", "手機號", "手機", "mobile", "联系电话",
               "聯絡電話", "联系方式", "聯絡方式", "电话", "電話", "phone"],
    "birth_year": ["出生年份", "出生年", "birth year"],
    "birth_date": ["出生日期", "出生年月日", "出生年月", "生日", "date of birth", "birth date", "birthday"],
    "teams": ["所属队伍", "队伍", "团队", "所属团队", "服务队", "所屬隊伍", "隊伍", "團隊", "teams", "team"],
    "skills": ["技能", "特长", "特長", "skills"],
    "national_code": ["全国志愿者编号", "志愿者编号", "志愿者证号", "全國志願者編號", "志願者編號", "志願者證號",
                      "national code", "volunteer code"],
    "id_type": ["证件类型", "證件類型", "id type", "document type"],
    "id_number": ["证件号码", "证件号", "證件號碼", "證件號", "id number", "document number"],
    # A column named for the resident ID card holds resident ID numbers (and tells the birth date).
    "resident_id": ["公民身份号码", "身份证号码", "身份证号", "身份证", "身份證號碼", "身份證號", "身份證",
                    "resident id"],
}
# What a roster's document-type cell says, for each type the station keeps.
ID_TYPE_WORDS: dict[str, list[str]] = {
    "resident_id": ["身份证", "居民身份证", "二代身份证", "身份證", "居民身份證", "resident id", "id card"],
    "hk_macau_pass": ["港澳通行证", "港澳居民来往内地通行证", "回乡证", "港澳居民來往內地通行證", "回鄉證"],
    "taiwan_pass": ["台湾居民来往大陆通行证", "台胞证", "台灣居民來往大陸通行證", "台胞證"],
    "passport": ["护照", "護照", "passport"],
}
# What each used column becomes, as the preview says it.
FIELD_LABELS = {
    "name": _l("name"),
    "mobile": _l("mobile"),
    "birth_year": _l("birth year"),
    "birth_date": _l("birth year (from the date of birth)"),
    "teams": _l("teams"),
    "skills": _l("skills"),
    "national_code": _l("national volunteer code"),
    "id_type": _l("identity document"),
    "id_number": _l("document number"),
    "resident_id": _l("resident ID number (and birth year)"),
}
# Rosters often carry a title line or two ("XX社区志愿者花名册") above the header row.
HEADER_SEARCH_LINES = 10
# A line break inside a cell (Alt+Enter in Excel) separates items too, as on the volunteer form;
# from a workbook it comes as U+2028 (see _workbook_cell).
LIST_SEPARATORS = re.compile(r"[、，,;；/\r\n\u2028]")
YEAR = re.compile(r"[0-9]{4}")
# 1958/3/12, 1958-03-12, 1958.3.12, 1958年3月12日, 1958年3月, 1958/3 — with a time Excel may add.
BIRTH_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*(?:[-/.月]\s*([0-9]{1,2})\s*日?|月)?"
                        r"(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?")
COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")  # 19580312
EXCEL_SERIAL = re.compile(r"[0-9]{4,5}(?:\.0+)?")  # a date cell saved as Excel's day number
EXCEL_EPOCH = date(1899, 12, 30)
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx is a zip
# An OLE file: an old .xls, or an .xlsx saved with a password (its zip is inside, encrypted).
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted workbook holds
# Documents and pictures chosen by mistake. Some decode as text (a PDF without compressed streams,
# RTF, a web page), and would then be told they lack a 姓名 column, as if they were a roster.
# Compared with the file's start in lower case.
NOT_A_ROSTER = (b"%pdf-", b"{\\rtf", b"\x89png", b"\xff\xd8\xff", b"gif8", b"<!doctype", b"<html", b"<?xml")
# Columns read from a workbook: a roster has a few dozen; a sheet formatted out to column XFD has
# 16384 empty ones in every row.
WORKBOOK_COLUMNS = 100

# "rename": the row's mobile is a registered volunteer's, under another name. A mistyped mobile
# would otherwise turn that volunteer into someone else (badge, hours and notes follow the record),
# so such a row is imported only when the keeper ticks it (`apply_import(renames=…)`).
# "unchanged": a registered volunteer whom the row leaves as they are (the file imported before).
Status = Literal["new", "update", "unchanged", "rename", "rejected"]


def _not_csv() -> DomainError:
    return DomainError(_l("This file cannot be read. Please upload an Excel file (.xlsx) or a CSV file saved from "
                          "Excel."), field="file")


def _unreadable_workbook() -> DomainError:
    return DomainError(_l("This Excel file cannot be opened; it may be damaged. Please open it in Excel, save it "
                          "again as .xlsx, and upload that."), field="file")


@dataclass
class ImportRow:
    line: int
    name: str
    mobile: str
    birth_year: int | None = None
    teams: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    national_code: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    status: Status = "new"
    reason: LazyString | None = None  # why a row is rejected, translated when shown
    volunteer_id: int | None = None
    # Shown beside an update so the keeper notices a mobile typed onto the wrong person.
    existing_name: str | None = None
    new_teams: list[str] = field(default_factory=list)
    # For a registered volunteer: detail -> (as stored, as the row would make it), only those it changes.
    changes: dict[str, tuple] = field(default_factory=dict)
    # For a new row: registered volunteers of the same name, (number, name, mobile tail). People
    # change phones, so a new mobile may be someone already here; two people may share a name too,
    # so it is a note for the keeper, not a refusal.
    same_name_as: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rename_key(self) -> str:
        """What the keeper's tick sends for a rename row: its line and the volunteer it was shown
        for, so a tick never applies to a row that has come to mean someone else."""
        return f"{self.line}-{self.volunteer_id}"


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    used_columns: list[tuple[str, LazyString]] = field(default_factory=list)  # (header, what it becomes)
    ignored_columns: list[str] = field(default_factory=list)
    lines_above_header: list[int] = field(default_factory=list)  # a title line, skipped

    @property
    def rows_for_review(self) -> list[ImportRow]:
        """Rejected rows first, then the ones that would rename a volunteer: in a long roster the
        keeper sees both without scrolling."""
        order = {"rejected": 0, "rename": 1}
        return sorted(self.rows, key=lambda row: (order.get(row.status, 2), row.line))

    @property
    def shows_identity(self) -> bool:
        return any(row.id_number or row.id_type for row in self.rows)

    def _count(self, status: Status) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def new_count(self) -> int:
        return self._count("new")

    @property
    def update_count(self) -> int:
        return self._count("update")

    @property
    def unchanged_count(self) -> int:
        return self._count("unchanged")

    @property
    def rename_count(self) -> int:
        return self._count("rename")

    @property
    def rejected_count(self) -> int:
        return self._count("rejected")

    @property
    def new_teams(self) -> list[str]:
        """Teams the import would create, each once, in file order."""
        names = [name for row in self.rows if row.status != "rejected" for name in row.new_teams]
        return list(dict.fromkeys(names))


@dataclass
class ImportSummary:
    created: int
    updated: int  # volunteers something was really changed on
    rejected: int
    held_back: int = 0  # rows that would rename a volunteer and were not ticked
    unchanged: int = 0  # registered volunteers already as the file has them

    @property
    def skipped(self) -> int:
        return self.rejected + self.held_back


class _Rejected(Exception):
    """A row is refused; carries the reason from the first rule it broke."""

    def __init__(self, reason: LazyString):
        super().__init__(reason)
        self.reason = reason


def read_roster(data: bytes) -> str:
    """An uploaded roster as CSV text: an .xlsx workbook (its first sheet), or text in UTF-8 (with or
    without BOM), GB18030 (Excel's Chinese default) or UTF-16 with its BOM (Excel's "Unicode text"),
    separated by commas or by tabs."""
    if not data:
        raise DomainError(_l("The file is empty."), field="file")
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError(_l("The file is too large (at most 2 MB)."), field="file")
    if data.removeprefix(codecs.BOM_UTF8).lstrip()[:9].lower().startswith(NOT_A_ROSTER):
        raise _not_csv()
    if data.startswith(XLSX_MAGIC):
        text = _workbook_text(data)
    elif data.startswith(OLE_MAGIC):
        if ENCRYPTED_PACKAGE in data:
            raise DomainError(_l("This Excel file is protected by a password. Please remove the password in Excel "
                                 "(File → Info → Protect Workbook), save, and upload it again."), field="file")
        raise DomainError(_l("This is an old Excel file (.xls). Please open it in Excel and save it as .xlsx, "
                             "then upload that."), field="file")
    else:
        text = _decoded(data)
        if _tab_separated(text):
            text = _tabs_as_commas(text)
    _check_text(text)
    return text


def _decoded(data: bytes) -> str:
    encodings = ("utf-16",) if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError:
            continue
    raise _not_csv()


def _tab_separated(text: str) -> bool:
    """Whether the text is Excel's tab-separated text: more tabs than commas in its first lines."""
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_LINES])
    return head.count("\t") > head.count(",")


def _tabs_as_commas(text: str) -> str:
    """Tab-separated text as CSV, line for line, so a row keeps its line number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter="\t"):
            writer.writerow(record)
    except csv.Error as err:
        raise _not_csv() from err
    return out.getvalue()


def _workbook_text(data: bytes) -> str:
    """The first worksheet of an .xlsx as CSV text, each sheet row on the line of its row number
    (so the preview's line numbers are Excel's), values as they are stored (a formula's last result)."""
    from openpyxl import load_workbook  # about 15 MB, loaded when a workbook is uploaded

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    # openpyxl raises whatever the broken zip or XML inside leads to (BadZipFile, KeyError,
    # ValueError…): any of them means a file we cannot read.
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:
        raise _unreadable_workbook() from err
    try:
        if not workbook.worksheets:
            raise _unreadable_workbook()
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the size a file claims may be the whole grid: read the rows it has
        blank_rows = 0
        for row in sheet.iter_rows(max_col=WORKBOOK_COLUMNS, values_only=True):
            cells = [_workbook_cell(value) for value in row] if any(v is not None for v in row) else []
            while cells and not cells[-1].strip():
                cells.pop()
            if not cells:
                blank_rows += 1  # written only if a row follows: rows formatted but empty end nothing
                continue
            out.write("\r\n" * blank_rows)
            blank_rows = 0
            writer.writerow(cells)
            if out.tell() > MAX_IMPORT_BYTES:
                raise DomainError(_l("The file is too large (at most 2 MB)."), field="file")
    except DomainError:
        raise
    except Exception as err:
        raise _unreadable_workbook() from err
    finally:
        workbook.close()
    if not out.tell():
        raise DomainError(_l("The first sheet of this Excel file is empty. Please put the roster on the first "
                             "sheet."), field="file")
    return out.getvalue()


def _workbook_cell(value) -> str:
    """A cell's value as Excel writes it in a CSV: 13912345678 (never 13912345678.0 or 1.39E+10),
    1958, 1958/3/12. A line break inside the cell (Alt+Enter) becomes U+2028, which is no line end
    for the CSV reader, so the rows below keep their row numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Past 15 digits Excel has already lost the rest (an ID number typed into a number cell):
        # written as Excel shows it, 1.10105195803073E+17, for _identity to say so.
        if abs(value) >= 1e15:
            return f"{value:.14E}"
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, datetime):
        day = f"{value.year}/{value.month}/{value.day}"
        return day if value.time() == time(0) else f"{day} {value.hour}:{value.minute:02d}"
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, time):
        return f"{value.hour}:{value.minute:02d}"
    return re.sub(r"\r\n|[\r\n]", "\u2028", str(value))


def _check_text(text: str) -> None:
    """The same limits for decoded text, because the confirm form sends the text back to us."""
    if not text.strip():
        raise DomainError(_l("The file is empty."), field="file")
    # Decoded text never has more characters than its bytes, so this matches the upload limit.
    if len(text) > MAX_IMPORT_BYTES:
        raise DomainError(_l("The file is too large (at most 2 MB)."), field="file")
    if "\x00" in text:
        raise _not_csv()


def _normalize_header(cell: str) -> str:
    text = unicodedata.normalize("NFKC", cell).replace("_", " ").replace("-", " ").replace("*", "")
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】", "", text)  # 出生日期(年/月/日), 手机号【必填】
    return " ".join(text.casefold().split())


def _column_positions(header: list[str]) -> dict[str, int]:
    """Which column holds each field; unknown columns are left out."""
    headers = [_normalize_header(cell) for cell in header]
    positions: dict[str, int] = {}
    for key, aliases in ALIASES.items():
        for alias in aliases:
            if alias in headers:
                positions[key] = headers.index(alias)
                break
    return positions


def _find_header(records: list[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    """The index of the header row (the first with a name and a mobile column among the first few
    lines) and its columns; a plain reason when there is none."""
    for index, (_line, record) in enumerate(records[:HEADER_SEARCH_LINES]):
        positions = _column_positions(record)
        if "name" in positions and "mobile" in positions:
            return index, positions
    first = _column_positions(records[0][1])
    if "name" not in first:
        raise DomainError(_l("The file has no name column (姓名)."), field="file")
    raise DomainError(_l("The file has no mobile column (手机号)."), field="file")


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Each CSV record with the file line it starts on (a quoted cell may span several lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    try:
        next_line = 1
        for record in reader:
            records.append((next_line, record))
            next_line = reader.line_num + 1
    except csv.Error as err:
        raise _not_csv() from err
    return records


def _is_blank(record: list[str]) -> bool:
    return not any(cell.strip() for cell in record)


def _cell(record: list[str], positions: dict[str, int], key: str) -> str:
    index = positions.get(key)
    if index is None or index >= len(record):
        return ""
    return unicodedata.normalize("NFKC", record[index]).strip()


def _split_items(raw: str, too_long: LazyString) -> list[str]:
    """"理发、理疗 / 理发" -> ["理发", "理疗"]: people separate lists with whatever is to hand."""
    items = [" ".join(part.split()) for part in LIST_SEPARATORS.split(raw)]
    items = list(dict.fromkeys(item for item in items if item))
    for item in items:
        if len(item) > ITEM_MAX:
            raise _Rejected(too_long)
        if has_hidden_characters(item):
            raise _Rejected(_l("This row contains characters that cannot be used."))
    return items


def _birth_year(raw: str, this_year: int) -> int | None:
    if not raw:
        return None
    try:  # what is not a year at all gets the same words as a year out of range
        return check_birth_year(int(raw) if YEAR.fullmatch(raw) else 0, this_year)
    except DomainError as refused:
        raise _Rejected(refused.message) from None


def _birth_year_from_date(raw: str, this_year: int) -> int | None:
    """The year of a date of birth as rosters write it; the day itself is not kept."""
    if not raw:
        return None
    born = _date_of_birth(raw)
    if born is None:
        raise _Rejected(_l("The date of birth cannot be read. Please write it like 1958/3/12."))
    return _birth_year(str(born.year), this_year)


def _date_of_birth(raw: str) -> date | None:
    text = raw.strip()
    if YEAR.fullmatch(text.removesuffix("年")):
        return date(int(text[:4]), 1, 1)
    try:
        if m := BIRTH_DATE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3] or 1))
        if m := COMPACT_DATE.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if EXCEL_SERIAL.fullmatch(text):
            return EXCEL_EPOCH + timedelta(days=int(float(text)))
    except (ValueError, OverflowError):
        return None  # 1958/2/30, month 13
    return None


# An ID number in a cell Excel took for a number: shown as 1.10105E+17, or with its last digits
# turned to 000 (Excel keeps 15 digits of a number).
NUMBER_AS_EXCEL_SHOWS_IT = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)
ID_NUMBER_LOST_IN_EXCEL = _l("Excel took this ID number for a number and lost its last digits (it keeps 15). "
                             "Please set that column to Text in Excel, type the numbers again and import.")


def _identity(record: list[str], positions: dict[str, int]) -> tuple[str | None, str | None]:
    """The document type and number a row gives, checked as on the volunteer form."""
    number = _cell(record, positions, "id_number")
    type_cell = _cell(record, positions, "id_type")
    if number or type_cell:
        id_type = _id_type(type_cell, number)
    else:
        number = _cell(record, positions, "resident_id")
        id_type = "resident_id" if number else None
    if id_type is None:
        return None, None
    if NUMBER_AS_EXCEL_SHOWS_IT.fullmatch(number.strip()):
        raise _Rejected(ID_NUMBER_LOST_IN_EXCEL)
    try:
        return clean_identity(id_type, number)
    except DomainError as err:
        if id_type == "resident_id" and re.fullmatch(r"[0-9]{15}000", compact_id_number(number)):
            raise _Rejected(ID_NUMBER_LOST_IN_EXCEL) from err  # digits past the 15th turned to 0
        raise _Rejected(err.message) from err


def _id_type(cell: str, number: str) -> str | None:
    words = " ".join(cell.casefold().split())
    if not words:
        # No type given: an 18-character number is a resident ID; anything else is "other".
        return "resident_id" if RESIDENT_ID.fullmatch(compact_id_number(number)) else ("other" if number else None)
    for id_type, names in ID_TYPE_WORDS.items():
        if words in names:
            return id_type
    return "other"


def _national_code(raw: str) -> str | None:
    if not raw:
        return None
    if len(raw) > ITEM_MAX:
        raise _Rejected(_l("A volunteer code can be at most %(n)s characters.", n=ITEM_MAX))
    if has_hidden_characters(raw):
        raise _Rejected(_l("This row contains characters that cannot be used."))
    return raw


def same_name(a: str, b: str) -> bool:
    """Whether two ways of writing a name are one name: simplified or traditional characters
    (張曉華 is 张晓华), spaces and the case of Latin letters do not make another person."""
    return name_key(a) == name_key(b)


@dataclass
class _Known:
    """A registered volunteer as the preview compares a row with them."""

    id: int
    name: str
    birth_year: int | None
    teams: list[str]
    skills: list[str]
    national_code: str | None
    id_type: str | None
    id_number: str | None


@dataclass
class _Context:
    """What every row is checked against: read once per preview."""

    this_year: int
    volunteers: dict[str, _Known]  # mobile -> the volunteer at this station
    team_names: set[str]
    # name_key -> the team's name as the station (or the file, first) writes it: 黨旗紅 is 党旗红.
    team_spelling: dict[str, str]
    documents: dict[tuple[str, str], int]  # (id type, number) -> volunteer id at this station
    stored_documents: dict[int, str]  # volunteer id -> the type of the document whose number is stored
    by_name: dict[str, list[tuple[str, str, str]]]  # name_key -> (number, name, mobile tail), by number
    seen_mobiles: dict[str, int] = field(default_factory=dict)  # mobile -> first line in the file
    seen_documents: dict[tuple[str, str], int] = field(default_factory=dict)  # -> first line in the file


def _load_context(station: Station) -> _Context:
    # Read with their teams in two queries; the preview never changes them (nothing is flushed).
    volunteers = db.session.scalars(
        select(Volunteer).where(Volunteer.station_id == station.id).options(selectinload(Volunteer.teams))
    ).all()
    team_names = db.session.scalars(select(Team.name).where(Team.station_id == station.id)).all()
    documents = db.session.execute(select(Volunteer.id_type, Volunteer.id_number, Volunteer.id).where(
        Volunteer.station_id == station.id, Volunteer.id_number.is_not(None))).all()
    return _Context(
        this_year=local_today(station, utcnow()).year,
        volunteers={v.mobile: _Known(v.id, v.name, v.birth_year, [t.name for t in v.teams], list(v.skills or []),
                                     v.national_code, v.id_type, v.id_number) for v in volunteers},
        team_names=set(team_names),
        team_spelling={name_key(name): name for name in team_names},
        documents={(id_type, number): vid for id_type, number, vid in documents},
        stored_documents={vid: id_type for id_type, _number, vid in documents},
        by_name=_volunteers_by_name(volunteers),
    )


def _volunteers_by_name(volunteers) -> dict[str, list[tuple[str, str, str]]]:
    by_name: dict[str, list[tuple[str, str, str]]] = {}
    for v in sorted(volunteers, key=lambda v: v.number):
        if v.erased_at is None:  # an erased record keeps no name to match
            by_name.setdefault(name_key(v.name), []).append((v.number, v.name, v.mobile_tail))
    return by_name


def _check_row(row: ImportRow, record: list[str], positions: dict[str, int], ctx: _Context) -> None:
    """Fill in `row` from `record`, raising _Rejected at the first rule it breaks."""
    # The mobile comes first so that a row refused for another reason still claims its number:
    # a later row with the same number is then reported as a duplicate, not silently imported.
    try:
        row.mobile = clean_mobile(row.mobile)
    except DomainError as err:
        raise _Rejected(err.message) from err
    earlier = ctx.seen_mobiles.setdefault(row.mobile, row.line)
    if earlier != row.line:
        raise _Rejected(_l("This mobile number is already in the file (line %(line)s).", line=earlier))
    try:
        row.name = clean_name(row.name)
    except DomainError as err:
        raise _Rejected(err.message) from err
    row.id_type, row.id_number = _identity(record, positions)
    if row.id_number:
        document = (row.id_type, row.id_number)
        earlier = ctx.seen_documents.setdefault(document, row.line)
        if earlier != row.line:
            raise _Rejected(_l("This ID number is already in the file (line %(line)s).", line=earlier))
        holder = ctx.documents.get(document)
        known = ctx.volunteers.get(row.mobile)
        if holder is not None and holder != (known.id if known else None):
            raise _Rejected(ID_NUMBER_TAKEN)  # one person, one registration, as on the form
    # The most exact source wins: a birth-year column, then a date of birth, then the resident ID.
    row.birth_year = (_birth_year(_cell(record, positions, "birth_year"), ctx.this_year)
                      or _birth_year_from_date(_cell(record, positions, "birth_date"), ctx.this_year))
    if row.birth_year is None and row.id_type == "resident_id" and row.id_number:
        row.birth_year = _birth_year(row.id_number[6:10], ctx.this_year)
    row.teams = _split_items(
        _cell(record, positions, "teams"), _l("A team name can be at most %(n)s characters.", n=ITEM_MAX)
    )
    # As the Teams page compares names: another script or spacing is the same team, and one new
    # team spelt two ways in the file is made once.
    row.teams = list(dict.fromkeys(ctx.team_spelling.setdefault(name_key(name), name) for name in row.teams))
    row.skills = _split_items(
        _cell(record, positions, "skills"), _l("A skill can be at most %(n)s characters.", n=ITEM_MAX)
    )
    row.national_code = _national_code(_cell(record, positions, "national_code"))


def _read_row(line: int, record: list[str], positions: dict[str, int], ctx: _Context) -> ImportRow:
    # Keep what the keeper typed until it is cleaned, so a rejected row shows the cell as written.
    row = ImportRow(line=line, name=_cell(record, positions, "name"), mobile=_cell(record, positions, "mobile"))
    try:
        _check_row(row, record, positions, ctx)
    except _Rejected as rejected:
        row.status = "rejected"
        row.reason = rejected.reason
        return row
    existing = ctx.volunteers.get(row.mobile)
    if existing:
        row.status = "update"
        row.volunteer_id, row.existing_name = existing.id, existing.name
        stored = ctx.stored_documents.get(row.volunteer_id)
        if row.id_type and not row.id_number and stored and stored != row.id_type:
            # As on the volunteer form: another document needs its number.
            row.status, row.reason = "rejected", NEW_DOCUMENT_NUMBER
            return row
        row.changes = _changes(existing, row)
        if "name" in row.changes:
            row.status = "rename"
        elif not row.changes:
            row.status = "unchanged"
    else:
        row.same_name_as = ctx.by_name.get(name_key(row.name), [])
    row.new_teams = [name for name in row.teams if name not in ctx.team_names]
    return row


def _changes(known: _Known, row: ImportRow) -> dict[str, tuple]:
    """What the row would change on `known`, old and new, as `_update_volunteer` would apply it:
    a blank cell changes nothing, and the same name written another way is no new name."""
    changes: dict[str, tuple] = {}
    if not same_name(known.name, row.name):
        changes["name"] = (known.name, row.name)
    if row.birth_year is not None and row.birth_year != known.birth_year:
        changes["birth_year"] = (known.birth_year, row.birth_year)
    if row.teams and set(row.teams) != set(known.teams):
        changes["teams"] = (known.teams, row.teams)
    if row.skills and row.skills != known.skills:
        changes["skills"] = (known.skills, row.skills)
    if row.national_code and row.national_code != known.national_code:
        changes["national_code"] = (known.national_code, row.national_code)
    stored = (known.id_type, known.id_number)
    if row.id_number and (row.id_type, row.id_number) != stored:
        changes["identity"] = (stored, (row.id_type, row.id_number))
    elif row.id_type and not row.id_number and known.id_number is None and row.id_type != known.id_type:
        changes["identity"] = (stored, (row.id_type, None))
    return changes


def preview_import(station: Station, text: str) -> ImportPreview:
    """What importing `text` would do, row by row. Reads the database, never writes to it."""
    _check_text(text)
    records = [(line, record) for line, record in _records(text.lstrip("\ufeff")) if not _is_blank(record)]
    if not records:
        raise DomainError(_l("The file is empty."), field="file")
    header_index, positions = _find_header(records)
    header, data = records[header_index][1], records[header_index + 1:]
    if not data:
        raise DomainError(_l("The file has no volunteers below the header line."), field="file")
    if len(data) > MAX_IMPORT_ROWS:
        raise DomainError(
            _l("The file has more than %(n)s rows. Please split it into smaller files.", n=MAX_IMPORT_ROWS),
            field="file",
        )
    ctx = _load_context(station)
    used = {index: key for key, index in positions.items()}
    return ImportPreview(
        rows=[_read_row(line, record, positions, ctx) for line, record in data],
        used_columns=[(cell.strip(), FIELD_LABELS[used[i]]) for i, cell in enumerate(header) if i in used],
        ignored_columns=[cell.strip() for i, cell in enumerate(header) if i not in used and cell.strip()],
        lines_above_header=[line for line, _record in records[:header_index]],
    )


def _teams_by_name(station: Station, names: list[str], known: dict[str, Team], by: Keeper | None) -> list[Team]:
    """The Team objects for `names`, creating the ones the station does not have yet."""
    teams = []
    for name in names:
        if name not in known:
            known[name] = Team(station=station, name=name)
            db.session.add(known[name])
            if by is not None:
                audit(by, station, "team.added", after={"name": name}, now=utcnow())
        teams.append(known[name])
    return teams


def _update_volunteer(volunteer: Volunteer, row: ImportRow, teams: list[Team]) -> None:
    # A blank cell means "not in this file", not "erase": only given values replace stored ones.
    # The same name written another way (張曉華 for 张晓华) leaves the name as registered.
    if row.status == "rename":
        volunteer.name = row.name
    if row.birth_year is not None:
        volunteer.birth_year = row.birth_year
    if row.skills:
        volunteer.skills = list(row.skills)
    if row.national_code:
        volunteer.national_code = row.national_code
    if row.id_number:
        volunteer.id_type, volunteer.id_number = row.id_type, row.id_number
    elif row.id_type and volunteer.id_number is None:
        # A type alone, as a new volunteer gets it. With a number stored, the type is that
        # number's (the preview refused another type without its number).
        volunteer.id_type = row.id_type
    if row.teams:
        volunteer.teams = teams


def apply_import(station: Station, text: str, by: Keeper | None = None, renames: Collection[str] = ()) -> ImportSummary:
    """Import `text`: create the new volunteers, update the known ones, skip the rejected rows.
    A row that would give a volunteer another name is applied, whole, only when its `rename_key`
    is among `renames` (the rows the keeper ticked); otherwise none of it is (it may be someone
    else's row with a mistyped mobile).
    Imported by keeper `by`: each volunteer made or changed, and each new team, is audited as if
    the keeper had done it by hand (which details changed, never their values)."""
    preview = preview_import(station, text)
    ticked = set(renames)
    known = {team.name: team for team in db.session.scalars(select(Team).where(Team.station_id == station.id))}
    held_back = updated = unchanged = 0
    for row in preview.rows:
        if row.status == "unchanged":
            unchanged += 1
            continue
        if row.status == "rejected":
            continue
        if row.status == "rename" and row.rename_key not in ticked:
            held_back += 1
            continue
        teams = _teams_by_name(station, row.teams, known, by)
        if row.status == "new":
            volunteer = register_volunteer(
                station,
                name=row.name,
                mobile=row.mobile,
                birth_year=row.birth_year,
                teams=teams,
                skills=row.skills,
                national_code=row.national_code,
                id_type=row.id_type,
                id_number=row.id_number,
            )
            if by is not None:
                audit(by, station, "volunteer.imported", volunteer_id=volunteer.id, after={"number": volunteer.number},
                      now=utcnow())
        else:
            volunteer = db.session.get(Volunteer, row.volunteer_id)
            before = editable_details(volunteer)
            _update_volunteer(volunteer, row, teams)
            db.session.flush()  # a team new in this file gets its id
            changed = changed_details(before, editable_details(volunteer))
            # Counted as the audit records it: a keeper is never told of changes nobody made.
            if not changed:
                unchanged += 1
                continue
            updated += 1
            if by is not None:
                audit(by, station, "volunteer.import_updated", volunteer_id=volunteer.id, after={"changed": changed},
                      now=utcnow())
    db.session.flush()
    return ImportSummary(created=preview.new_count, updated=updated, rejected=preview.rejected_count,
                         held_back=held_back, unchanged=unchanged)
