"""Volunteers: registering, numbering, editing, finding, deactivating; their identity document."""

import re
import unicodedata
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from kiosk.core.clock import utcnow
from kiosk.core.edits import refuse_if_edited_meanwhile
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import NOT_A_CHOICE, too_long
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.text import (NAME_SEPARATORS, clean_mobile, clean_name, name_key, name_spellings, one_line,
                              without_country_code)
from kiosk.people.audit import audit, last_done_at
from kiosk.people.badges import issue_badge, replace_badge
from kiosk.people.models import ID_TYPES, Keeper, Team, Volunteer
from kiosk.people.privacy import let_go_of, refuse_if_erased

ID_NUMBER_MAX = 40
RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
# ISO 7064 MOD 11-2, as GB 11643 uses it for the 18th character of a resident ID.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK = "10X98765432"
# A re-issue sent without the confirmation page's stamp (a volunteer's page opened before the step was added).
CONFIRM_NEW_BADGE = _l("Please confirm first: the old card stops working as soon as a new one is made.")


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


FIRST_BIRTH_YEAR = 1900
# Even the station's youngest helpers (小小志愿者, with a parent) are of school age: a later year
# is this year or last typed by mistake.
YOUNGEST_AGE = 6


def check_birth_year(birth_year: int, this_year: int) -> int:
    """A year of birth from 1900 to this year less YOUNGEST_AGE: a later one is a slip of the finger
    that would count the volunteer as a child in the reports and the national export. The keeper's
    form and the roster import both ask it."""
    last = this_year - YOUNGEST_AGE
    if not FIRST_BIRTH_YEAR <= birth_year <= last:
        raise DomainError(_l("Please enter a year of birth from %(first)s to %(last)s "
                             "(a volunteer is at least %(age)s years old).",
                             first=FIRST_BIRTH_YEAR, last=last, age=YOUNGEST_AGE), field="birth_year")
    return birth_year


def clean_birth_year(birth_year: int | None, station: Station) -> int | None:
    """`check_birth_year` against this year at the station; none given is none kept."""
    return None if birth_year is None else check_birth_year(birth_year, local_today(station, utcnow()).year)


def check_new_volunteer(station: Station, *, name: str, mobile: str, birth_year: int | None, id_type: str | None,
                        id_number: str | None) -> tuple:
    """The details of a new volunteer as they will be kept, or one DomainError naming every field at
    fault, so a keeper puts them all right in one go instead of one per send."""
    problems, kept = {}, {}
    checks = (("name", lambda: clean_name(name)), ("mobile", lambda: clean_mobile(mobile)),
              ("birth_year", lambda: clean_birth_year(birth_year, station)),
              ("identity", lambda: clean_identity(id_type, id_number)))
    for key, check in checks:
        try:
            kept[key] = check()
        except DomainError as err:
            problems.update({field: message for field, message in err.by_field().items() if field not in problems})
    if "mobile" in kept and db.session.scalar(select(func.count()).select_from(Volunteer).where(
            Volunteer.station_id == station.id, Volunteer.mobile == kept["mobile"])):
        problems["mobile"] = _l("A volunteer with this mobile number is already registered.")
    if "identity" in kept:
        try:
            _refuse_id_number_taken(station.id, *kept["identity"], None)
        except DomainError as err:
            problems.update(err.by_field())
    if problems:
        raise DomainError.of_fields(problems)
    return kept["name"], kept["mobile"], kept["birth_year"], *kept["identity"]


def register_volunteer(
    station: Station,
    *,
    name: str,
    mobile: str,
    birth_year: int | None = None,
    teams: list[Team] = (),
    skills: list[str] = (),
    national_code: str | None = None,
    id_type: str | None = None,
    id_number: str | None = None,
    hide_from_honor_roll: bool = False,
    by: Keeper | None = None,
) -> Volunteer:
    """A new volunteer with a number and a badge; registered by keeper `by` (audited), or by an import."""
    name, mobile, birth_year, id_type, id_number = check_new_volunteer(
        station, name=name, mobile=mobile, birth_year=birth_year, id_type=id_type, id_number=id_number)
    national_code = one_line(national_code) or None
    for _attempt in range(5):
        volunteer = _insert_volunteer(station, name, mobile, birth_year, teams, skills, national_code)
        if volunteer is not None:
            volunteer.id_type, volunteer.id_number = id_type, id_number
            volunteer.hide_from_honor_roll = bool(hide_from_honor_roll)
            db.session.flush()
            issue_badge(volunteer)
            if by is not None:
                audit(by, station, "volunteer.registered", volunteer_id=volunteer.id,
                      after={"number": volunteer.number}, now=utcnow())
            return volunteer
    raise DomainError(_l("Someone else is registering right now. Please try again."))


def namesakes(volunteer: Volunteer) -> list[Volunteer]:
    """The station's other volunteers registered under the same name (name_key: 張曉華 is 张晓华),
    by number: often the same person registered again with a new phone, so a keeper is told;
    two people may share a name, so nothing is refused. An erased record keeps no name to match."""
    others = db.session.scalars(select(Volunteer).where(
        Volunteer.station_id == volunteer.station_id, Volunteer.id != volunteer.id, Volunteer.erased_at.is_(None))
        .order_by(func.length(Volunteer.number), Volunteer.number))
    key = name_key(volunteer.name)
    return [other for other in others if name_key(other.name) == key]


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
    items = [one_line(item) for item in re.split(r"[,，、;；/\n]+", raw or "")]
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
    id_type: str | None,
    id_number: str | None,
    hide_from_honor_roll: bool,
    by: Keeper | None = None,
    seen: str | None = None,
) -> Volunteer:
    """`id_number` left blank keeps the number already stored, as long as the document type stays
    the same: the form never shows the whole number, so it cannot send it back. A keeper's change
    (`by`) is audited by which details changed; the audit holds no personal data itself, so
    erasing the volunteer leaves none behind there."""
    refuse_if_erased(volunteer)
    refuse_if_edited_meanwhile(seen, editable_details(volunteer))
    name = clean_name(name)
    mobile = clean_mobile(mobile)
    national_code = one_line(national_code) or None
    birth_year = clean_birth_year(birth_year, volunteer.station)
    id_type = (id_type or "").strip() or None
    if not (id_number or "").strip() and id_type and volunteer.id_number:
        if id_type != volunteer.id_type:
            raise DomainError(NEW_DOCUMENT_NUMBER, field="id_number")
        id_number = volunteer.id_number
    id_type, id_number = clean_identity(id_type, id_number)
    _refuse_id_number_taken(volunteer.station_id, id_type, id_number, volunteer.id)
    if mobile != volunteer.mobile:
        taken = db.session.scalar(
            select(func.count()).select_from(Volunteer).where(
                Volunteer.station_id == volunteer.station_id, Volunteer.mobile == mobile, Volunteer.id != volunteer.id
            )
        )
        if taken:
            raise DomainError(_l("A volunteer with this mobile number is already registered."), field="mobile")
    new = {"name": name, "mobile": mobile, "birth_year": birth_year, "teams": sorted(t.id for t in teams),
           "skills": list(skills), "national_code": national_code or None, "id_type": id_type,
           "id_number": id_number, "hide_from_honor_roll": bool(hide_from_honor_roll)}
    changed = changed_details(editable_details(volunteer), new)
    volunteer.name = name
    volunteer.mobile = mobile
    volunteer.mobile_tail = mobile[-4:]
    volunteer.birth_year = birth_year
    volunteer.teams = list(teams)
    volunteer.skills = list(skills)
    volunteer.national_code = national_code or None
    volunteer.id_type, volunteer.id_number = id_type, id_number
    volunteer.hide_from_honor_roll = bool(hide_from_honor_roll)
    if by is not None and changed:
        audit(by, volunteer.station, "volunteer.edited", volunteer_id=volunteer.id, after={"changed": changed},
              now=utcnow())
    db.session.flush()
    return volunteer


def changed_details(before: dict, after: dict) -> list[str]:
    """Which of `editable_details` differ: what the audit keeps of an edit (never the values)."""
    return [detail for detail in after if after[detail] != before[detail]]


def editable_details(volunteer: Volunteer) -> dict:
    """What a keeper edits on the volunteer form, as stored: to tell what changed, and whether it
    changed since the form was opened (`edit_stamp`)."""
    return {"name": volunteer.name, "mobile": volunteer.mobile, "birth_year": volunteer.birth_year,
            "teams": sorted(t.id for t in volunteer.teams), "skills": list(volunteer.skills or []),
            "national_code": volunteer.national_code, "id_type": volunteer.id_type,
            "id_number": volunteer.id_number, "hide_from_honor_roll": bool(volunteer.hide_from_honor_roll)}


def reissue_badge(keeper: Keeper, station: Station, volunteer: Volunteer, seen: str | None, now: datetime) -> bool:
    """A lost badge: a new one, and the old one stops at once, once the keeper has confirmed it on
    the page that says so (`seen`: the stamp of the badge that page showed). False when that badge
    was replaced already (a second tap): nothing more is issued, and the newest badge stands."""
    refuse_if_erased(volunteer)
    if not seen:
        raise DomainError(CONFIRM_NEW_BADGE)
    if not replace_badge(volunteer, seen):
        return False
    audit(keeper, station, "volunteer.badge_reissued", volunteer_id=volunteer.id, now=now)
    db.session.flush()
    return True


def reissued_today(station: Station, volunteer: Volunteer, now: datetime) -> datetime | None:
    """When the volunteer's badge was last re-issued, if that was today at the station: a keeper back
    on the confirmation page (browser Back after printing the new card) is told another re-issue
    also stops the card just printed. Earlier days are not news: the card was handed over by then."""
    reissued_at = last_done_at(volunteer.id, "volunteer.badge_reissued")
    if reissued_at is None or local_today(station, reissued_at) != local_today(station, now):
        return None
    return reissued_at


def clean_identity(id_type: str | None, id_number: str | None) -> tuple[str | None, str | None]:
    """The identity document as stored: (None, None) when not kept, a type alone, or a type and a
    number checked for that type. A resident ID must be 18 characters and its last one must match
    the other 17 (ISO 7064 MOD 11-2), which catches nearly every mistyped digit."""
    id_type = (id_type or "").strip() or None
    number = compact_id_number(id_number)
    if id_type is None:
        if number:
            raise DomainError(_l("Please choose the type of document for this number."), field="id_type")
        return None, None
    if id_type not in ID_TYPES:
        raise DomainError(NOT_A_CHOICE, field="id_type")
    if not number:
        return id_type, None
    if len(number) > ID_NUMBER_MAX:
        raise DomainError(too_long(ID_NUMBER_MAX), field="id_number")
    if any(unicodedata.category(ch).startswith("C") for ch in number):
        raise DomainError(_l("Please type the number as it is printed on the document."), field="id_number")
    if id_type == "resident_id":
        if not RESIDENT_ID.fullmatch(number):
            raise DomainError(_l("A resident ID number has 18 characters: 17 digits, then a digit or X."),
                              field="id_number")
        if resident_id_check_char(number[:17]) != number[17]:
            raise DomainError(_l("This ID number does not add up: please check each digit against the card."),
                              field="id_number")
    return id_type, number


def compact_id_number(raw: str | None) -> str:
    """A document number as stored: NFKC (digits and letters typed full-width on a Chinese
    keyboard are the same characters), no spaces, upper case (a lower-case x)."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split()).upper()


def resident_id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number (GB 11643, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECK[total % 11]


ID_NUMBER_TAKEN = _l("A volunteer with this ID number is already registered.")
# A new document type with no number, for someone whose old document's number is stored: the old
# number cannot stand for the new document, and it is not dropped without a word.
NEW_DOCUMENT_NUMBER = _l("Please type the number of the new document.")


def _refuse_id_number_taken(station_id: int, id_type: str | None, id_number: str | None, volunteer_id: int | None):
    """One person, one registration: the national system refuses a second record for the same document."""
    if not id_number:
        return
    query = select(func.count()).select_from(Volunteer).where(
        Volunteer.station_id == station_id, Volunteer.id_type == id_type, Volunteer.id_number == id_number)
    if volunteer_id is not None:
        query = query.where(Volunteer.id != volunteer_id)
    if db.session.scalar(query):
        raise DomainError(ID_NUMBER_TAKEN, field="id_number")


def mask_id_number(number: str | None) -> str:
    """110105199001011234 -> 110***********1234: enough for a keeper to tell whose it is. Only the
    keeper's national export carries the whole number. Short numbers show less."""
    if not number:
        return ""
    if len(number) >= 11:
        return number[:3] + "*" * (len(number) - 7) + number[-4:]
    if len(number) >= 6:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)


MOBILE_IN_GROUPS = re.compile(r"\d[\d \-]*\d")


def search_volunteers(station: Station, query: str, limit: int = 200) -> list[Volunteer]:
    """By name, number or mobile digits: what a keeper types into one search box."""
    # Full-width １３９ or ＡＬＩＣＥ from a Chinese keyboard are the same characters (names are
    # stored NFKC too); a mobile typed in groups (139 0000 0001) is its digits.
    q = " ".join(without_country_code(unicodedata.normalize("NFKC", query or "")).split())[:40]
    if MOBILE_IN_GROUPS.fullmatch(q):
        q = re.sub(r"\D", "", q)
    stmt = select(Volunteer).where(Volunteer.station_id == station.id)
    if q:
        q = q.replace("%", "").replace("_", "")
        like = f"%{q}%"
        # The name as stored, without what may stand between its parts, against every spelling of
        # what was typed (NAME_SEPARATORS, name_spellings).
        stored_name = Volunteer.name
        for separator in NAME_SEPARATORS:
            stored_name = func.replace(stored_name, separator, "")
        by_name = [stored_name.ilike(f"%{spelling}%") for spelling in name_spellings(q)]
        # An erased volunteer's mobile is a placeholder, not a number anyone could be found by.
        stmt = stmt.where(or_(Volunteer.number.like(like), *by_name)
                          | (Volunteer.mobile.like(like) & Volunteer.erased_at.is_(None)))
    return list(db.session.scalars(stmt.order_by(Volunteer.active.desc(), Volunteer.number).limit(limit)))


# Keepers' display names that are a role, not a person's name: masking them would only blur
# "谢谢站长" in a resident's words.
ROLE_WORDS = frozenset({"站长", "副站长", "社工", "社区工作者", "网格员", "管理员", "书记", "主任", "keeper", "admin"})


def registered_names(station_id: int) -> list[str]:
    """The names of the people the station has registered: its volunteers (active or not; not
    erased ones, whose name is gone) and its keepers. Public wording masks them."""
    volunteers = db.session.scalars(select(Volunteer.name).where(
        Volunteer.station_id == station_id, Volunteer.erased_at.is_(None)))
    keepers = db.session.scalars(select(Keeper.display_name).where(Keeper.station_id == station_id))
    return [n for n in {*volunteers, *(k for k in keepers if k.strip().lower() not in ROLE_WORDS)} if len(n) >= 2]


def set_active(keeper: Keeper, station: Station, volunteer: Volunteer, active: bool, now: datetime) -> Volunteer:
    """Deactivate (the badge stops checking in) or reactivate a volunteer; audited like every keeper
    change. Deactivating also lets go of what they hold (`add_on_deactivate`): an open session ends
    now, places in activities to come go back. Reactivating gives none of it back."""
    if active:
        refuse_if_erased(volunteer)
    if volunteer.active != active:
        if not active:
            let_go_of(keeper, station, volunteer, now)
        before = {"active": volunteer.active}
        volunteer.active = active
        audit(keeper, station, "volunteer.reactivated" if active else "volunteer.deactivated",
              volunteer_id=volunteer.id, before=before, after={"active": active}, now=now)
        db.session.flush()
    return volunteer
