"""Service records in the national format (志愿服务记录与证明出具办法, 民政部令第67号) and the list of
volunteers for registering them in the national volunteer system, as CSV and XLSX for keepers.

The files' headers and fixed words are Chinese whoever downloads them: they are the national
format, and the national system reads them. Volunteers whose personal data was erased have no
row (nothing the national system can record without a name). What that leaves out is said for the
keeper, in the keeper's language, where the national system does not read it: on an XLSX file's
second sheet (说明) and on the records page; a CSV file holds the rows alone, since a line of
words below them would be read as one more record. Rows are made as they are written, a station-local day
at a time (service records) or a batch of volunteers at a time (the list), so a year of a busy
station never sits in memory as one list."""

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.activities.names import activity_name
from kiosk.checkin.attendance import rounded_minutes, served_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import NOT_A_CHOICE
from kiosk.core.i18n import format_hours
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds, parse_day
from kiosk.core.text import spreadsheet_safe
from kiosk.people.audit import audit
from kiosk.people.models import AuditEvent, Keeper, Team, Volunteer, volunteer_team

MAX_DAYS = 366
BATCH = 500

SERVICE_HEADERS = ("姓名", "证件类型", "证件号码", "志愿者编号", "活动名称", "服务日期", "服务地点", "服务内容",
                   "服务时长（小时）", "组织单位", "负责人", "记录人", "是否确认")
VOLUNTEER_HEADERS = ("姓名", "手机号", "证件类型", "证件号码", "志愿者编号", "出生年份", "所属队伍",
                     "累计服务时长（小时）", "状态")
# Column widths in the XLSX, in characters, so an ID number or a date shows whole when it opens.
SERVICE_WIDTHS = (10, 14, 22, 16, 18, 12, 20, 24, 10, 20, 10, 10, 8)
VOLUNTEER_WIDTHS = (10, 14, 14, 22, 16, 8, 20, 12, 6)
# The national system's own words for the identity documents (证件类型).
ID_TYPE_NAMES = {
    "resident_id": "居民身份证",
    "hk_macau_pass": "港澳居民来往内地通行证",
    "taiwan_pass": "台湾居民来往大陆通行证",
    "passport": "护照",
    "other": "其他",
}
SYSTEM = "系统"  # 记录人 when no keeper confirmed the sessions (recorded by scans alone)
YES, NO = "是", "否"
ON_ROLL, STOPPED = "在册", "停用"

EXPORTED = "records.exported"
KINDS = {"service": _l("Service records"), "volunteers": _l("Volunteer list")}
FORMATS = ("csv", "xlsx")


# --- The date range ---------------------------------------------------------------------------


def parse_range(start_text: str | None, end_text: str | None) -> tuple[date, date]:
    """The first and last day (station-local, both included) a keeper asked for."""
    start = parse_day(start_text, field="start")
    end = parse_day(end_text, field="end")
    if start > end:
        raise DomainError(_l("The first day is after the last day. Please swap them."), field="end")
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(_l("Please choose at most %(days)s days at a time.", days=MAX_DAYS), field="end")
    return start, end


def previous_month(today: date) -> tuple[date, date]:
    """What a keeper usually sends on: all of last month."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def hours_of(minutes: int) -> float:
    """Minutes as hours to the half hour, half up (the national record counts in hours): 210 -> 3.5."""
    return rounded_minutes(minutes, 30) / 60


# --- Service records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRecord:
    """One row of the national service record: a volunteer's service in one activity on one day."""

    name: str
    id_type: str
    id_number: str
    national_code: str
    activity: str
    day: date
    place: str
    content: str
    minutes: int
    organiser: str
    person_in_charge: str
    recorded_by: str
    confirmed: bool

    @property
    def hours(self) -> float:
        return hours_of(self.minutes)

    def cells(self) -> list:
        return [self.name, self.id_type, self.id_number, self.national_code, self.activity, self.day.isoformat(),
                self.place, self.content, self.hours, self.organiser, self.person_in_charge, self.recorded_by,
                YES if self.confirmed else NO]


@dataclass
class _Served:
    """The sessions of one volunteer in one activity on one day, added up as they stream past."""

    volunteer: tuple
    activity: Activity | None
    minutes: int = 0
    confirmed: bool = True
    recorders: dict = field(default_factory=dict)  # keepers' names in the order met; a dict keeps order


# Closed sessions of a station in a span, oldest first, with who they belong to and who confirmed them.
_SERVICE_QUERY = (
    select(ServiceSession.checked_in_at, ServiceSession.checked_out_at, ServiceSession.confirmed_at,
           Volunteer.id, Volunteer.number, Volunteer.name, Volunteer.id_type, Volunteer.id_number,
           Volunteer.national_code, Activity, Keeper.display_name)
    .join(Volunteer, Volunteer.id == ServiceSession.volunteer_id)
    .outerjoin(Activity, Activity.id == ServiceSession.activity_id)
    .outerjoin(Keeper, Keeper.id == ServiceSession.confirmed_by_id)
    .where(ServiceSession.checked_out_at.is_not(None))
    .order_by(ServiceSession.checked_in_at, ServiceSession.id)
)


def service_records(station: Station, start: date, end: date, erased: bool = False) -> Iterator[ServiceRecord]:
    """Rows for the sessions whose check-in falls on a station-local day from `start` to `end`:
    one per volunteer, activity and day, the day's minutes summed session by session with the
    station's rounding. Days come in order; within a day, the station's duty first, then each
    activity, volunteers by number. Only one day's sessions are held at a time. Volunteers whose
    personal data was erased are left out; `erased`: theirs alone, to count what is left out."""
    zone = ZoneInfo(station.timezone)
    since, until = day_bounds(station, start)[0], day_bounds(station, end)[1]
    with force_locale("zh_Hans"):  # the national format is in Chinese whoever downloads it
        duty = activity_name(None)
    query = _SERVICE_QUERY.where(ServiceSession.station_id == station.id, ServiceSession.checked_in_at >= since,
                                 ServiceSession.checked_in_at < until,
                                 Volunteer.erased_at.is_not(None) if erased else Volunteer.erased_at.is_(None))
    day, served = None, {}
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        (checked_in_at, checked_out_at, confirmed_at, volunteer_id, number, name, id_type, id_number,
         national_code, activity, confirmer) = row
        row_day = checked_in_at.astimezone(zone).date()
        if row_day != day:
            yield from _day_records(station, day, served, duty)
            day, served = row_day, {}
        key = (volunteer_id, activity.id if activity is not None else None)
        entry = served.get(key)
        if entry is None:
            entry = served[key] = _Served((volunteer_id, number, name, id_type, id_number, national_code), activity)
        entry.minutes += served_minutes(checked_in_at, checked_out_at, station.hours_rounding_minutes)
        entry.confirmed = entry.confirmed and confirmed_at is not None
        if confirmed_at is not None and confirmer:
            entry.recorders[confirmer] = True
    yield from _day_records(station, day, served, duty)


def _day_records(station: Station, day: date | None, served: dict, duty: str) -> Iterator[ServiceRecord]:
    def order(entry: _Served):
        number = entry.volunteer[1]
        if entry.activity is None:
            return (0, "", 0, len(number), number)
        return (1, entry.activity.name, entry.activity.id, len(number), number)

    for entry in sorted(served.values(), key=order):
        _volunteer_id, _number, name, id_type, id_number, national_code = entry.volunteer
        activity = entry.activity
        yield ServiceRecord(
            name=name,
            id_type=ID_TYPE_NAMES.get(id_type or "", ""),
            id_number=id_number or "",
            national_code=national_code or "",
            activity=activity_name(activity) if activity is not None else duty,
            day=day,
            place=(activity.place if activity is not None else "") or station.name,
            content=activity.content if activity is not None else "",
            minutes=entry.minutes,
            organiser=(activity.organiser if activity is not None else "") or station.name,
            person_in_charge=(activity.person_in_charge if activity is not None else "") or station.person_in_charge,
            recorded_by="、".join(entry.recorders) or SYSTEM,
            confirmed=entry.confirmed,
        )


# --- The volunteer list ------------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerEntry:
    """One volunteer as the national system registers them."""

    name: str
    mobile: str
    id_type: str
    id_number: str
    national_code: str
    birth_year: int | None
    teams: str
    confirmed_minutes: int
    active: bool

    @property
    def hours(self) -> float:
        return hours_of(self.confirmed_minutes)

    def cells(self) -> list:
        return [self.name, self.mobile, self.id_type, self.id_number, self.national_code, self.birth_year,
                self.teams, self.hours, ON_ROLL if self.active else STOPPED]


def volunteer_list(station: Station, erased: bool = False) -> Iterator[VolunteerEntry]:
    """The station's volunteers, active and inactive, in the order they registered; erased ones are
    left out (`erased`: only they, to count their hours). Confirmed hours are all of their confirmed
    sessions, rounded as the station rounds. Read a batch of volunteers at a time: three queries a
    batch, whatever the number of volunteers."""
    after = 0
    while True:
        batch = db.session.execute(
            select(Volunteer.id, Volunteer.name, Volunteer.mobile, Volunteer.id_type, Volunteer.id_number,
                   Volunteer.national_code, Volunteer.birth_year, Volunteer.active)
            .where(Volunteer.station_id == station.id, Volunteer.id > after,
                   Volunteer.erased_at.is_not(None) if erased else Volunteer.erased_at.is_(None))
            .order_by(Volunteer.id).limit(BATCH)
        ).all()
        if not batch:
            return
        ids = [v.id for v in batch]
        teams = defaultdict(list)
        for volunteer_id, team in db.session.execute(
                select(volunteer_team.c.volunteer_id, Team.name).join(Team, Team.id == volunteer_team.c.team_id)
                .where(volunteer_team.c.volunteer_id.in_(ids)).order_by(Team.id)):
            teams[volunteer_id].append(team)
        minutes = defaultdict(int)
        sessions = (select(ServiceSession.volunteer_id, ServiceSession.checked_in_at, ServiceSession.checked_out_at)
                    .where(ServiceSession.volunteer_id.in_(ids), ServiceSession.confirmed_at.is_not(None),
                           ServiceSession.checked_out_at.is_not(None)))
        for volunteer_id, start, end in db.session.execute(sessions.execution_options(yield_per=BATCH * 4)):
            minutes[volunteer_id] += served_minutes(start, end, station.hours_rounding_minutes)
        for v in batch:
            yield VolunteerEntry(name=v.name, mobile=v.mobile, id_type=ID_TYPE_NAMES.get(v.id_type or "", ""),
                                 id_number=v.id_number or "", national_code=v.national_code or "",
                                 birth_year=v.birth_year, teams="、".join(teams[v.id]),
                                 confirmed_minutes=minutes[v.id], active=v.active)
        after = ids[-1]


# --- What the files leave out ------------------------------------------------------------------


def erased_service_minutes(station: Station, start: date, end: date) -> tuple[int, int]:
    """The minutes the service records leave out with volunteers whose personal data was erased,
    as their rows would have shown them (each to the half hour): all, and those confirmed."""
    rows = [(rounded_minutes(r.minutes, 30), r.confirmed) for r in service_records(station, start, end, erased=True)]
    return sum(minutes for minutes, _confirmed in rows), sum(minutes for minutes, confirmed in rows if confirmed)


def erased_confirmed_minutes(station: Station) -> int:
    """The confirmed minutes the volunteer list leaves out with volunteers whose personal data was
    erased, as their rows would have shown them (each to the half hour)."""
    return sum(rounded_minutes(entry.confirmed_minutes, 30) for entry in volunteer_list(station, erased=True))


def erased_note(minutes: int, confirmed: int) -> list[str]:
    """The hours of volunteers whose personal data was erased that a file leaves out, in the
    keeper's language (a note for them, not a record). Nothing when there are none."""
    if not minutes:
        return []
    if confirmed == minutes:
        return [_("Hours of volunteers whose personal data was erased, not in this file: %(hours)s",
                  hours=format_hours(minutes))]
    return [_("Hours of volunteers whose personal data was erased, not in this file: %(hours)s "
              "(%(confirmed)s confirmed)", hours=format_hours(minutes), confirmed=format_hours(confirmed))]


def _service_rows(station: Station, start: date, end: date) -> Iterator[list]:
    return (r.cells() for r in service_records(station, start, end))


def _volunteer_rows(station: Station) -> Iterator[list]:
    return (v.cells() for v in volunteer_list(station))


def _erased_volunteers_note(station: Station) -> list[str]:
    minutes = erased_confirmed_minutes(station)  # the list counts confirmed hours only
    return erased_note(minutes, minutes)


# --- Files -------------------------------------------------------------------------------------


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)  # 3 and 3.5, never 3.0 or 1e+06
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def csv_chunks(headers: Iterable[str], rows: Iterable[list], rows_per_chunk: int = 200) -> Iterator[bytes]:
    """CSV as UTF-8 with a byte-order mark (without it Excel turns Chinese to gibberish), in pieces."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for count, row in enumerate(rows, 1):
        writer.writerow([_csv_text(value) for value in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# Characters XML 1.0 cannot carry; openpyxl refuses a string holding one rather than write it.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(sheet, value):
    if isinstance(value, str):
        value = _NOT_IN_XML.sub("", value)
        if spreadsheet_safe(value) == value:
            return value  # written as text, so a document number stays whole (never 1.1E+17)
        # What would read as a formula goes as text with Excel's quote prefix (shown as typed, never
        # run), not with an apostrophe in the value: a name goes on to the national system as it is.
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def write_xlsx(target: IO[bytes], title: str, headers: Iterable[str], rows: Iterable[list],
               widths: Iterable[int] = (), notes: Callable[[], list[str]] = list) -> None:
    """An XLSX workbook, written row by row (openpyxl's write-only mode keeps no rows in memory)
    into `target`: the rows on the first sheet, and the `notes` for the keeper, if any, on a
    second sheet (说明) that the national system does not read."""
    # Imported here, not at the top: openpyxl is about 15 MB that every worker would carry all day
    # for the few exports a month that need it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        sheet.append([_xlsx_value(sheet, value) for value in row])
    if lines := notes():  # worked out after the rows: the same moment's data
        about = workbook.create_sheet("说明")
        about.column_dimensions["A"].width = 80
        for line in lines:
            about.append([_xlsx_value(about, line)])
    workbook.save(target)


def service_csv(station: Station, start: date, end: date) -> Iterator[bytes]:
    return csv_chunks(SERVICE_HEADERS, _service_rows(station, start, end))


def service_xlsx(target: IO[bytes], station: Station, start: date, end: date) -> None:
    write_xlsx(target, "志愿服务记录", SERVICE_HEADERS, _service_rows(station, start, end), SERVICE_WIDTHS,
               notes=lambda: erased_note(*erased_service_minutes(station, start, end)))


def volunteers_csv(station: Station) -> Iterator[bytes]:
    return csv_chunks(VOLUNTEER_HEADERS, _volunteer_rows(station))


def volunteers_xlsx(target: IO[bytes], station: Station) -> None:
    write_xlsx(target, "志愿者名单", VOLUNTEER_HEADERS, _volunteer_rows(station), VOLUNTEER_WIDTHS,
               notes=lambda: _erased_volunteers_note(station))


# --- Who took what out ---------------------------------------------------------------------------


def note_export(keeper: Keeper, station: Station, kind: str, file_format: str, now: datetime,
                start: date | None = None, end: date | None = None) -> None:
    """These files carry every volunteer's mobile and document number: which keeper took which
    file out, and when, is kept like every other keeper action."""
    if kind not in KINDS or file_format not in FORMATS:
        raise DomainError(NOT_A_CHOICE)
    after = {"kind": kind, "format": file_format}
    if start is not None and end is not None:
        after.update(start=start.isoformat(), end=end.isoformat())
    audit(keeper, station, EXPORTED, after=after, now=now)
    db.session.flush()


def recent_exports(station: Station, limit: int = 10) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.volunteer_id.is_(None), AuditEvent.station_id == station.id,
                                 AuditEvent.action == EXPORTED)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def describe_export(values: dict) -> str:
    """How a download reads in the audit trail: "Service records 2026-10-01 – 2026-10-31 (XLSX)"."""
    kind = str(KINDS.get(values.get("kind"), values.get("kind", "")))
    span = f" {values['start']} – {values['end']}" if values.get("start") and values.get("end") else ""
    return f"{kind}{span} ({str(values.get('format', '')).upper()})"
