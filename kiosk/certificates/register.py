"""The station's numbered register of service certificates (志愿服务证明). The rule is "谁记录谁证明":
a station certifies only what it recorded itself, and only hours a keeper has confirmed.

A certificate keeps its service figures as issued (rows per activity, the dates served, hours)
and the station's name, person in charge and contact then, so a reprint and the verification page
show what was first printed. Who the volunteer is (name,
document, national code) is read from the volunteer when shown, so erasing their personal data
also takes it off every certificate."""

import re
import secrets
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.activities.models import Activity
from kiosk.activities.names import activity_name
from kiosk.certificates.models import Certificate
from kiosk.checkin.attendance import rounded_minutes, served_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.database import serialize_writes
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import too_long
from kiosk.core.i18n import current_language, local_date
from kiosk.core.models import Station
from kiosk.core.stations import FIRST_DAY, LAST_DAY, day_bounds, local_today, out_of_range
from kiosk.core.text import one_line
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import masked_words
from kiosk.settings.station import station_detail

MAX_YEARS = 5
REASON_MAX = 200
TOKEN = r"[A-Za-z0-9_-]{16,32}"


# --- The period ----------------------------------------------------------------------------


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28) + timedelta(days=1)


def check_period(station: Station, start: date, end: date, now: datetime) -> None:
    """Station-local days from `start` to `end`, both included: in order, at most five years
    long, and already over or under way (a certificate does not vouch for the future)."""
    for field, day in (("start", start), ("end", end)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise out_of_range(field)
    if start > end:
        raise DomainError(_l("The first day comes after the last day."), field="start")
    if end > local_today(station, now):
        raise DomainError(_l("The last day cannot be in the future."), field="end")
    if end >= _years_later(start, MAX_YEARS):
        raise DomainError(_l("A certificate covers at most %(years)s years.", years=MAX_YEARS), field="start")


# --- The figures ---------------------------------------------------------------------------


def half_hours(minutes: int) -> int:
    """Minutes to the half hour, half up (hours are certified in half hours): 200 -> 210, 195 -> 210, 194 -> 180."""
    return rounded_minutes(minutes, 30)


def service_figures(station: Station, volunteer_id: int, start: date, end: date) -> dict:
    """What the station can certify for these days: the volunteer's confirmed, finished sessions
    at this station whose check-in falls in them, a row per activity (the station's everyday duty
    is the row without one) with the days served and the hours, to the half hour."""
    since, until = day_bounds(station, start)[0], day_bounds(station, end)[1]
    sessions = db.session.execute(
        select(ServiceSession.checked_in_at, ServiceSession.checked_out_at, ServiceSession.activity_id, Activity.name)
        .outerjoin(Activity, Activity.id == ServiceSession.activity_id)
        .where(ServiceSession.station_id == station.id, ServiceSession.volunteer_id == volunteer_id,
               ServiceSession.checked_in_at >= since, ServiceSession.checked_in_at < until,
               ServiceSession.checked_out_at.is_not(None), ServiceSession.confirmed_at.is_not(None))
        .order_by(ServiceSession.checked_in_at))
    served: dict[int | None, dict] = {}
    for checked_in_at, checked_out_at, activity_id, name in sessions:
        row = served.setdefault(activity_id, {"activity": name, "days": set(), "minutes": 0})
        row["days"].add(local_today(station, checked_in_at).isoformat())
        row["minutes"] += served_minutes(checked_in_at, checked_out_at, station.hours_rounding_minutes)
    rows = [{"activity": row["activity"], "days": sorted(row["days"]), "minutes": half_hours(row["minutes"])}
            for row in served.values()]
    rows.sort(key=lambda row: (row["days"][0], row["activity"] or ""))
    # The total is the sum of the printed rows, so the certificate adds up as a reader checks it.
    return {"rows": rows, "minutes": sum(row["minutes"] for row in rows)}


# --- Issuing -------------------------------------------------------------------------------

# Said beside the form while they are blank, and when a certificate is refused for it.
STATION_DETAILS_FIRST = _l("Every certificate prints the station's person in charge and contact: please fill them in "
                           "before issuing one.")


class AlreadyCertified(DomainError):
    """The same volunteer and days are covered by a certificate still valid: its copy is a reprint,
    not a second number for the same service."""

    def __init__(self, certificate: Certificate):
        super().__init__(_l("Certificate %(serial)s already covers exactly these days for this volunteer and is still "
                            "valid. For a copy, print it again; if its hours are out of date, revoke it first on the "
                            "certificates page, then issue a new one.", serial=certificate.serial))
        self.certificate = certificate


class HoursToConfirmFirst(DomainError):
    """Hours in the days asked for wait for a keeper's confirmation: the page links to To review."""

    review = True

    def __init__(self):
        super().__init__(_l("Some hours in these days are not confirmed yet. Confirm them under To review, then "
                            "issue the certificate."))


def nothing_to_certify(station: Station, volunteer_id: int, start: date, end: date) -> DomainError:
    """Why the days have nothing to certify: hours still to confirm, or no service in them at all,
    then with the nearest day that has confirmed hours (a night's hours count on the day it began)."""
    since, until = day_bounds(station, start)[0], day_bounds(station, end)[1]
    theirs = (ServiceSession.station_id == station.id, ServiceSession.volunteer_id == volunteer_id)
    waiting = select(ServiceSession.id).where(*theirs, ServiceSession.checked_in_at >= since,
                                              ServiceSession.checked_in_at < until,
                                              ServiceSession.confirmed_at.is_(None))
    if db.session.scalar(waiting.limit(1)) is not None:
        return HoursToConfirmFirst()
    confirmed = select(ServiceSession.checked_in_at).where(*theirs, ServiceSession.confirmed_at.is_not(None),
                                                           ServiceSession.checked_out_at.is_not(None))
    before = db.session.scalar(confirmed.where(ServiceSession.checked_in_at < since)
                               .order_by(ServiceSession.checked_in_at.desc()).limit(1))
    after = db.session.scalar(confirmed.where(ServiceSession.checked_in_at >= until)
                              .order_by(ServiceSession.checked_in_at).limit(1))
    days = [local_today(station, moment) for moment in (before, after) if moment is not None]
    if not days:
        return DomainError(_l("No hours of service in these days."))
    nearest = min(days, key=lambda day: (start - day) if day < start else (day - end))
    return DomainError(_l("No hours of service in these days. The nearest day with confirmed hours is %(day)s.",
                          day=local_date(nearest)))


def valid_certificate_for(volunteer_id: int, start: date, end: date) -> Certificate | None:
    """The certificate not revoked for exactly these days of the volunteer, if there is one."""
    return db.session.scalar(select(Certificate).where(
        Certificate.volunteer_id == volunteer_id, Certificate.period_start == start, Certificate.period_end == end,
        Certificate.revoked_at.is_(None)).order_by(Certificate.id.desc()).limit(1))


def station_details_missing(station: Station) -> bool:
    """Whether the person in charge or the contact every certificate prints is still blank."""
    return not station.person_in_charge or not station.contact


def next_serial(station: Station, year: int) -> str:
    """2026-0001, 2026-0002, … per station and year of issue. Longest first, so 10000 follows 9999."""
    highest = db.session.scalar(
        select(Certificate.serial).where(Certificate.station_id == station.id, Certificate.serial.like(f"{year}-%"))
        .order_by(func.length(Certificate.serial).desc(), Certificate.serial.desc()).limit(1))
    number = int(highest.split("-", 1)[1]) + 1 if highest else 1
    return f"{year}-{number:04d}"


def issue_certificate(keeper: Keeper, station: Station, volunteer: Volunteer, start: date, end: date,
                      now: datetime) -> Certificate:
    """Number and record a certificate of the volunteer's confirmed service from `start` to `end`: once
    the station's person in charge and contact are set, and not again for the same days while one is valid."""
    if volunteer.station_id != station.id:
        raise ValueError("a station certifies only its own volunteers")
    if volunteer.erased_at is not None:
        raise DomainError(_l("This volunteer's personal data was erased: a certificate cannot name them."))
    # Printed for good: a certificate without them could only be revoked, never completed.
    if station_details_missing(station):
        raise DomainError(STATION_DETAILS_FIRST, field="station_details")
    check_period(station, start, end, now)
    figures = service_figures(station, volunteer.id, start, end)
    if not figures["rows"]:
        raise nothing_to_certify(station, volunteer.id, start, end)
    # Two keepers issuing at once take turns for the next number; the unique (station, serial)
    # constraint is the backstop should they not.
    # Printed as issued: a reprint next year names the station and who was in charge then, not
    # whatever they are called now.
    figures |= {"station_name": station.name, "person_in_charge": station.person_in_charge, "contact": station.contact}
    if station.name_hant:  # how 繁體 pages write it, kept as issued too
        figures["station_name_hant"] = station.name_hant
    serialize_writes(f"certificate-serial:{station.id}")
    # After taking turns, so two keepers issuing the same one at once make one certificate.
    if (existing := valid_certificate_for(volunteer.id, start, end)) is not None:
        raise AlreadyCertified(existing)
    certificate = Certificate(station_id=station.id, serial=next_serial(station, local_today(station, now).year),
                              volunteer_id=volunteer.id, period_start=start, period_end=end,
                              minutes=figures["minutes"], figures=figures, verify_token=secrets.token_urlsafe(16),
                              issued_by_id=keeper.id, issued_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        raise DomainError(_l("Another certificate took this number at the same moment. "
                             "Please issue it again.")) from None
    audit(keeper, station, "certificate.issued", volunteer_id=volunteer.id,
          after={"serial": certificate.serial, "start": start.isoformat(), "end": end.isoformat(),
                 "minutes": certificate.minutes}, now=now)
    db.session.flush()
    return certificate


# --- Revoking ------------------------------------------------------------------------------


def revoke_certificate(keeper: Keeper, station: Station, certificate: Certificate, reason: str | None,
                       now: datetime) -> Certificate:
    """Withdraw a certificate (issued in error, hours corrected since): it stays in the register
    and its verification page says "revoked". Once only; the reason is for keepers."""
    if certificate.station_id != station.id:
        raise ValueError("a station revokes only its own certificates")
    reason = one_line(reason)
    if not reason:
        raise DomainError(_l("Please say why."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(too_long(REASON_MAX), field="reason")
    # Conditional, so two keepers revoking at once cannot both do it.
    done = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=keeper.id, revoke_reason=reason))
    if done.rowcount != 1:
        raise DomainError(_l("This certificate was revoked already."))
    db.session.refresh(certificate)
    audit(keeper, station, "certificate.revoked", volunteer_id=certificate.volunteer_id,
          before={"serial": certificate.serial}, after={"serial": certificate.serial, "reason": reason}, now=now)
    db.session.flush()
    return certificate


# --- The station's details on every certificate ------------------------------------------------


def set_station_details(keeper: Keeper, station: Station, person_in_charge: str | None, contact: str | None,
                        now: datetime) -> None:
    """Who is in charge of the station and how to reach it, as certificates print them (blank is
    allowed): the same two settings as on the station's settings page, checked the same way."""
    values = {"person_in_charge": station_detail(person_in_charge, "person_in_charge"),
              "contact": station_detail(contact, "contact")}
    before = {"person_in_charge": station.person_in_charge or "", "contact": station.contact or ""}
    if values == before:
        return
    station.person_in_charge, station.contact = values["person_in_charge"], values["contact"]
    db.session.flush()
    audit(keeper, station, "station.details", before=before, after=values, now=now)


# --- Reading -------------------------------------------------------------------------------


def register_of(station: Station) -> list[tuple[Certificate, Volunteer, Keeper | None]]:
    """Every certificate of the station, newest first, with its volunteer and the keeper who issued it."""
    return list(db.session.execute(
        select(Certificate, Volunteer, Keeper).join(Volunteer, Volunteer.id == Certificate.volunteer_id)
        .outerjoin(Keeper, Keeper.id == Certificate.issued_by_id)
        .where(Certificate.station_id == station.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())).all())


def certificates_of(volunteer_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.volunteer_id == volunteer_id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def by_token(raw: str) -> Certificate | None:
    if not re.fullmatch(TOKEN, raw or ""):
        return None
    return db.session.scalar(select(Certificate).where(Certificate.verify_token == raw))


def issued_by(certificate: Certificate) -> Keeper | None:
    return db.session.get(Keeper, certificate.issued_by_id) if certificate.issued_by_id else None


def printed_station_name(certificate: Certificate, station: Station) -> str:
    """The station's name the certificate was issued under (its present one for a certificate
    issued before the name was kept with it), as a 繁體 page writes it if the station had a 繁體
    name then."""
    figures = certificate.figures or {}
    if current_language() == "zh_Hant" and figures.get("station_name_hant"):
        return figures["station_name_hant"]
    return figures.get("station_name") or station.name


def printed_station_details(certificate: Certificate, station: Station) -> tuple[str | None, str | None]:
    """The person in charge and the contact the certificate was issued with (the station's
    present ones for a certificate issued before they were kept with it)."""
    figures = certificate.figures or {}
    if "person_in_charge" not in figures:
        return station.person_in_charge, station.contact
    return figures["person_in_charge"], figures.get("contact")


def printed_rows(certificate: Certificate) -> list[dict]:
    """The rows as a reader sees them: the activity named (the everyday duty in the reader's
    language), and the days served written compactly."""
    return [{"activity": row["activity"] or activity_name(None), "days": compact_days(row["days"]),
             "minutes": row["minutes"]}
            for row in (certificate.figures or {}).get("rows", [])]


def compact_days(days: list[str]) -> str:
    """2026-11-03, 2026-11-05, 2026-12-01 -> "2026-11-03, 05; 2026-12-01": a year's service fits a page."""
    months: dict[str, list[str]] = {}
    for day in days:
        months.setdefault(day[:7], []).append(day)
    return "; ".join(", ".join([group[0]] + [day[8:] for day in group[1:]]) for group in months.values())


def describe(values: dict | None) -> str:
    """How a certificate's or the station details' change reads in the audit trail."""
    if not values:
        return "—"
    if "serial" in values:
        parts = [values["serial"]]
        if values.get("start"):
            parts.append(f"{values['start']} – {values['end']}")
        if values.get("reason"):
            parts.append(values["reason"])
        return " · ".join(parts)
    return f"{values.get('person_in_charge') or '—'} · {values.get('contact') or '—'}"


def mask_erased_reasons(_keeper: Keeper, _station: Station, volunteer: Volunteer, _now: datetime) -> None:
    """Before a volunteer is erased: why a keeper revoked their certificates keeps no name or phone
    number of theirs (the register still says it was revoked)."""
    for certificate in db.session.scalars(select(Certificate).where(Certificate.volunteer_id == volunteer.id,
                                                                    Certificate.revoke_reason.is_not(None))):
        if (masked := masked_words(certificate.revoke_reason, volunteer)) != certificate.revoke_reason:
            certificate.revoke_reason = masked


def certificates_as_data(volunteer: Volunteer) -> list[dict]:
    """For the download of everything stored about a volunteer."""
    return [{"serial": c.serial, "period_start": c.period_start.isoformat(), "period_end": c.period_end.isoformat(),
             "minutes": c.minutes, "figures": c.figures, "issued_at": c.issued_at.isoformat(),
             "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None}
            for c in reversed(certificates_of(volunteer.id))]
