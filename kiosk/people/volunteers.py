"""Volunteers: registering, numbering, editing, finding, deactivating."""

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import clean_mobile, clean_name
from kiosk.people.audit import audit
from kiosk.people.badges import issue_badge
from kiosk.people.models import Keeper, Team, Volunteer


def next_volunteer_number(station: Station) -> str:
    """Numbers run 0001, 0002, … per station; a clash with a concurrent registration is caught by
    the unique constraint on (station, number). Longest first, so 10000 comes after 9999."""
    highest = db.session.scalar(
        select(Volunteer.number)
        .where(Volunteer.station_id == station.id)
        .order_by(func.length(Volunteer.number).desc(), Volunteer.number.desc())
        .limit(1)
    )
    return f"{int(highest) + 1 if highest and highest.isdigit() else 1:04d}"


def register_volunteer(
    station: Station,
    *,
    name: str,
    mobile: str,
    birth_year: int | None = None,
    teams: list[Team] = (),
    skills: list[str] = (),
    national_code: str | None = None,
) -> Volunteer:
    name = clean_name(name)
    mobile = clean_mobile(mobile)
    taken = db.session.scalar(
        select(func.count()).select_from(Volunteer).where(Volunteer.station_id == station.id, Volunteer.mobile == mobile)
    )
    if taken:
        raise DomainError(_l("A volunteer with this mobile number is already registered."), field="mobile")
    for _attempt in range(5):
        volunteer = _insert_volunteer(station, name, mobile, birth_year, teams, skills, national_code)
        if volunteer is not None:
            issue_badge(volunteer)
            return volunteer
    raise DomainError(_l("Someone else is registering right now. Please try again."))


def _insert_volunteer(station, name, mobile, birth_year, teams, skills, national_code) -> Volunteer | None:
    """One try: None if another registration took the same number at the same moment."""
    volunteer = Volunteer(
        station=station,
        number=next_volunteer_number(station),
        name=name,
        mobile=mobile,
        mobile_tail=mobile[-4:],
        birth_year=birth_year,
        skills=list(skills),
        national_code=national_code or None,
        active=True,
        created_at=utcnow(),
    )
    volunteer.teams = list(teams)
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
    except IntegrityError:
        clash = db.session.scalar(select(func.count()).select_from(Volunteer).where(
            Volunteer.station_id == station.id, Volunteer.mobile == mobile))
        if clash:
            raise DomainError(_l("A volunteer with this mobile number is already registered."), field="mobile") from None
        return None
    return volunteer


def split_list(raw: str | None) -> list[str]:
    """"理发、理疗, 家政" -> ["理发", "理疗", "家政"]: the separators people actually type."""
    items = [item.strip() for item in re.split(r"[,，、;；/\n]+", raw or "")]
    return list(dict.fromkeys(item for item in items if item))


def update_volunteer(
    volunteer: Volunteer,
    *,
    name: str,
    mobile: str,
    birth_year: int | None,
    teams: list[Team],
    skills: list[str],
    national_code: str | None,
) -> Volunteer:
    name = clean_name(name)
    mobile = clean_mobile(mobile)
    if mobile != volunteer.mobile:
        taken = db.session.scalar(
            select(func.count()).select_from(Volunteer).where(
                Volunteer.station_id == volunteer.station_id, Volunteer.mobile == mobile, Volunteer.id != volunteer.id
            )
        )
        if taken:
            raise DomainError(_l("A volunteer with this mobile number is already registered."), field="mobile")
    volunteer.name = name
    volunteer.mobile = mobile
    volunteer.mobile_tail = mobile[-4:]
    volunteer.birth_year = birth_year
    volunteer.teams = list(teams)
    volunteer.skills = list(skills)
    volunteer.national_code = national_code or None
    db.session.flush()
    return volunteer


def search_volunteers(station: Station, query: str, limit: int = 200) -> list[Volunteer]:
    """By name, number or mobile digits: what a keeper types into one search box."""
    q = " ".join((query or "").split())[:40]
    stmt = select(Volunteer).where(Volunteer.station_id == station.id)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(Volunteer.name.like(like) | Volunteer.number.like(like) | Volunteer.mobile.like(like))
    return list(db.session.scalars(stmt.order_by(Volunteer.active.desc(), Volunteer.number).limit(limit)))


def set_active(keeper: Keeper, station: Station, volunteer: Volunteer, active: bool, now: datetime) -> Volunteer:
    """Deactivate (the badge stops checking in) or reactivate a volunteer; audited like every keeper change."""
    if volunteer.active != active:
        before = {"active": volunteer.active}
        volunteer.active = active
        audit(keeper, station, "volunteer.reactivated" if active else "volunteer.deactivated",
              volunteer_id=volunteer.id, before=before, after={"active": active}, now=now)
        db.session.flush()
    return volunteer
