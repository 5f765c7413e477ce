"""Importing volunteers from a CSV file, as Excel in China saves it.

The keeper uploads a file, sees a preview of what would change, and confirms. Nothing is kept
between the two steps: the confirm form carries the text back and `apply_import` reads it again,
so the preview and the import always follow the same rules.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.text import clean_mobile, clean_name
from kiosk.people.models import Team, Volunteer
from kiosk.people.volunteers import register_volunteer

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
ITEM_MAX = 40  # Team.name and Volunteer.national_code are String(40); skills share the limit.
FIRST_BIRTH_YEAR = 1900

# Header aliases, most specific first: when a file has two columns for one field (say 手机 and
# 电话, which is often a landline), the more specific one wins.
ALIASES: dict[str, list[str]] = {
    "name": ["姓名", "名字", "name"],
    "mobile": ["手机号码", "手机号", "手机", "手機號碼", "手機號", "手機", "mobile", "联系电话",
               "聯絡電話", "电话", "電話", "phone"],
    "birth_year": ["出生年份", "出生年", "birth year"],
    "teams": ["所属队伍", "队伍", "团队", "所屬隊伍", "隊伍", "團隊", "teams", "team"],
    "skills": ["技能", "特长", "特長", "skills"],
    "national_code": ["全国志愿者编号", "志愿者编号", "志愿者证号", "全國志願者編號", "志願者編號", "志願者證號",
                      "national code", "volunteer code"],
}
# A line break inside a cell (Alt+Enter in Excel) separates items too, as on the volunteer form.
LIST_SEPARATORS = re.compile(r"[、，,;；/\r\n]")
YEAR = re.compile(r"[0-9]{4}")
# Excel workbooks (.xlsx is a zip, .xls an OLE file) are the usual wrong upload.
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")

Status = Literal["new", "update", "rejected"]


def _not_csv() -> DomainError:
    return DomainError(_l("This is not a CSV file. In Excel, use Save As and choose CSV."), field="file")


@dataclass
class ImportRow:
    line: int
    name: str
    mobile: str
    birth_year: int | None = None
    teams: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    national_code: str | None = None
    status: Status = "new"
    reason: LazyString | None = None  # why a row is rejected, translated when shown
    volunteer_id: int | None = None
    # Shown beside an update so the keeper notices a mobile typed onto the wrong person.
    existing_name: str | None = None
    new_teams: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list[ImportRow]

    def _count(self, status: Status) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def new_count(self) -> int:
        return self._count("new")

    @property
    def update_count(self) -> int:
        return self._count("update")

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
    updated: int
    rejected: int


class _Rejected(Exception):
    """A row is refused; carries the reason from the first rule it broke."""

    def __init__(self, reason: LazyString):
        super().__init__(reason)
        self.reason = reason


def decode_csv(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without BOM) or GB18030, Excel's Chinese default."""
    if not data:
        raise DomainError(_l("The file is empty."), field="file")
    if len(data) > MAX_IMPORT_BYTES:
        raise DomainError(_l("The file is too large (at most 2 MB)."), field="file")
    if data.startswith(WORKBOOK_MAGIC):
        raise _not_csv()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        _check_text(text)
        return text
    raise _not_csv()


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
    if "name" not in positions:
        raise DomainError(_l("The file has no name column (姓名)."), field="file")
    if "mobile" not in positions:
        raise DomainError(_l("The file has no mobile column (手机号)."), field="file")
    return positions


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


def _has_unusable_characters(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def _split_items(raw: str, too_long: LazyString) -> list[str]:
    """"理发、理疗 / 理发" -> ["理发", "理疗"]: people separate lists with whatever is to hand."""
    items = [" ".join(part.split()) for part in LIST_SEPARATORS.split(raw)]
    items = list(dict.fromkeys(item for item in items if item))
    for item in items:
        if len(item) > ITEM_MAX:
            raise _Rejected(too_long)
        if _has_unusable_characters(item):
            raise _Rejected(_l("This row contains characters that cannot be used."))
    return items


def _birth_year(raw: str, this_year: int) -> int | None:
    if not raw:
        return None
    if not YEAR.fullmatch(raw) or not FIRST_BIRTH_YEAR <= int(raw) <= this_year:
        raise _Rejected(
            _l("The birth year must be a year from %(first)s to %(last)s.", first=FIRST_BIRTH_YEAR, last=this_year)
        )
    return int(raw)


def _national_code(raw: str) -> str | None:
    if not raw:
        return None
    if len(raw) > ITEM_MAX:
        raise _Rejected(_l("A volunteer code can be at most %(n)s characters.", n=ITEM_MAX))
    if _has_unusable_characters(raw):
        raise _Rejected(_l("This row contains characters that cannot be used."))
    return raw


@dataclass
class _Context:
    """What every row is checked against: read once per preview."""

    this_year: int
    volunteers: dict[str, tuple[int, str]]  # mobile -> (id, name) at this station
    team_names: set[str]
    seen_mobiles: dict[str, int] = field(default_factory=dict)  # mobile -> first line in the file


def _load_context(station: Station) -> _Context:
    volunteers = db.session.execute(
        select(Volunteer.mobile, Volunteer.id, Volunteer.name).where(Volunteer.station_id == station.id)
    ).all()
    team_names = db.session.scalars(select(Team.name).where(Team.station_id == station.id)).all()
    return _Context(
        this_year=local_today(station, utcnow()).year,
        volunteers={mobile: (vid, name) for mobile, vid, name in volunteers},
        team_names=set(team_names),
    )


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
    row.birth_year = _birth_year(_cell(record, positions, "birth_year"), ctx.this_year)
    row.teams = _split_items(
        _cell(record, positions, "teams"), _l("A team name can be at most %(n)s characters.", n=ITEM_MAX)
    )
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
        row.volunteer_id, row.existing_name = existing
    row.new_teams = [name for name in row.teams if name not in ctx.team_names]
    return row


def preview_import(station: Station, text: str) -> ImportPreview:
    """What importing `text` would do, row by row. Reads the database, never writes to it."""
    _check_text(text)
    records = [(line, record) for line, record in _records(text.lstrip("\ufeff")) if not _is_blank(record)]
    if not records:
        raise DomainError(_l("The file is empty."), field="file")
    (_, header), data = records[0], records[1:]
    positions = _column_positions(header)
    if not data:
        raise DomainError(_l("The file has no volunteers below the header line."), field="file")
    if len(data) > MAX_IMPORT_ROWS:
        raise DomainError(
            _l("The file has more than %(n)s rows. Please split it into smaller files.", n=MAX_IMPORT_ROWS),
            field="file",
        )
    ctx = _load_context(station)
    return ImportPreview(rows=[_read_row(line, record, positions, ctx) for line, record in data])


def _teams_by_name(station: Station, names: list[str], known: dict[str, Team]) -> list[Team]:
    """The Team objects for `names`, creating the ones the station does not have yet."""
    teams = []
    for name in names:
        if name not in known:
            known[name] = Team(station=station, name=name)
            db.session.add(known[name])
        teams.append(known[name])
    return teams


def _update_volunteer(volunteer: Volunteer, row: ImportRow, teams: list[Team]) -> None:
    # A blank cell means "not in this file", not "erase": only given values replace stored ones.
    volunteer.name = row.name
    if row.birth_year is not None:
        volunteer.birth_year = row.birth_year
    if row.skills:
        volunteer.skills = list(row.skills)
    if row.national_code:
        volunteer.national_code = row.national_code
    if row.teams:
        volunteer.teams = teams


def apply_import(station: Station, text: str) -> ImportSummary:
    """Import `text`: create the new volunteers, update the known ones, skip the rejected rows."""
    preview = preview_import(station, text)
    known = {team.name: team for team in db.session.scalars(select(Team).where(Team.station_id == station.id))}
    for row in preview.rows:
        if row.status == "rejected":
            continue
        teams = _teams_by_name(station, row.teams, known)
        if row.status == "new":
            register_volunteer(
                station,
                name=row.name,
                mobile=row.mobile,
                birth_year=row.birth_year,
                teams=teams,
                skills=row.skills,
                national_code=row.national_code,
            )
        else:
            _update_volunteer(db.session.get(Volunteer, row.volunteer_id), row, teams)
    db.session.flush()
    return ImportSummary(created=preview.new_count, updated=preview.update_count, rejected=preview.rejected_count)
