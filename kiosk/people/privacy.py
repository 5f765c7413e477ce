"""What the station stores about one volunteer: all of it, for the volunteer to see (an export),
and erasing it (personal data gone, hours kept as anonymous totals). Both are audited.
Each feature adds what it stores about a volunteer (`add_volunteer_data`)."""

from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.core.database import wipe_old_page_copies
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import mask_names_in, mask_phone_numbers
from kiosk.core.transaction import after_commit
from kiosk.people.audit import audit, mask_keepers_words
from kiosk.people.models import AuditEvent, Keeper, Volunteer

ERASED_NAME = "—"
# Said wherever an erased volunteer's record would be put to use again.
ERASED = _l("This volunteer's personal data was erased: the record is kept only for the station's hours.")


def refuse_if_erased(volunteer: Volunteer) -> None:
    """An erased volunteer's record stays only so the station's hours add up: no reactivating, no
    badge or phone code, no check-in, no points or gifts. Every such operation asks here first."""
    if volunteer.erased_at is not None:
        raise DomainError(ERASED)


def shown_mobile(volunteer: Volunteer) -> str:
    """The mobile as a keeper's page shows it: an erased volunteer's is a placeholder (mobiles are
    unique per station), never a number to call."""
    return ERASED_NAME if volunteer.erased_at is not None else volunteer.mobile


def masked_words(text: str | None, volunteer: Volunteer) -> str | None:
    """A keeper's words about a volunteer being erased (a note, a reason), as they are kept: the
    volunteer's name masked as public wording masks names (王建国 -> 王*国) and every number that
    may be a phone as ***. Only while the name is still known: in an `add_before_erase` hook."""
    if not text:
        return text
    return mask_phone_numbers(mask_names_in(text, [volunteer.name]))


def add_volunteer_data(app: Flask, name: str, collect: Callable[[Volunteer], object]) -> None:
    app.extensions.setdefault("kiosk_volunteer_data", []).append((name, collect))


def add_before_erase(app: Flask, hook: Callable[[Keeper, Station, Volunteer, datetime], None]) -> None:
    """What a feature does as part of an erasure, while the volunteer's name is still known (public
    wording that masks it by name would show it once the name is no longer registered; a keeper's
    words about them are masked with `masked_words`): it lets go of the volunteer in the same
    transaction, so a refusal leaves the erasure undone too."""
    app.extensions.setdefault("kiosk_before_erase", []).append(hook)


# What a feature does when a volunteer stops serving (deactivated, or erased, which deactivates):
# (keeper, station, volunteer, now) -> None, in the same transaction; and what it would do, in
# words for the keeper before they tap (station, volunteer, now) -> str | None.
LetGo = Callable[[Keeper, Station, Volunteer, datetime], None]
WouldDo = Callable[[Station, Volunteer, datetime], str | None]


def add_on_deactivate(app: Flask, let_go: LetGo | None, warning: WouldDo | None = None) -> None:
    """A feature lets go of a volunteer who is deactivated (check-in: an open session ends;
    activities: places to come go back), or only tells the keeper what stays (gifts waiting).
    Erasing runs it too, before `add_before_erase`'s hooks."""
    app.extensions.setdefault("kiosk_on_deactivate", []).append((let_go, warning))


def let_go_of(keeper: Keeper, station: Station, volunteer: Volunteer, now: datetime) -> None:
    """Each feature lets go of the volunteer; each change is audited by the feature that makes it."""
    for let_go, _warning in current_app.extensions.get("kiosk_on_deactivate", []):
        if let_go is not None:
            let_go(keeper, station, volunteer, now)


def deactivation_warnings(station: Station, volunteer: Volunteer, now: datetime) -> list[str]:
    """What deactivating this volunteer now would also do, for the keeper to read before tapping."""
    words = (warning(station, volunteer, now)
             for _let_go, warning in current_app.extensions.get("kiosk_on_deactivate", []) if warning is not None)
    return [str(w) for w in words if w]


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def everything_about(keeper: Keeper, station: Station, volunteer: Volunteer, now: datetime) -> dict:
    """Every stored fact about the volunteer, as plain values (for a JSON download). Once erased,
    what was erased is null: the placeholders kept in its place ("—", a mobile no phone has) are no
    facts about anyone."""
    erased = volunteer.erased_at is not None
    record = {
        "volunteer": {
            "number": volunteer.number, "name": None if erased else volunteer.name,
            "mobile": None if erased else volunteer.mobile,
            "birth_year": volunteer.birth_year, "teams": [t.name for t in volunteer.teams],
            "skills": list(volunteer.skills or []), "national_code": volunteer.national_code,
            "id_type": volunteer.id_type, "id_number": volunteer.id_number,
            "hide_from_honor_roll": volunteer.hide_from_honor_roll,
            "active": volunteer.active, "registered_at": _moment(volunteer.created_at),
            "badge_issued_at": _moment(volunteer.badge_issued_at), "has_badge": bool(volunteer.badge_nonce),
            "erased_at": _moment(volunteer.erased_at),
        },
        "changes_by_keepers": [
            {"at": _moment(e.at), "action": e.action, "by": e.keeper.display_name if e.keeper else None,
             "before": e.before, "after": e.after}
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.volunteer_id == volunteer.id)
                                        .order_by(AuditEvent.at))],
        "station": station.name,
        "exported_at": now.isoformat(),
    }
    for name, collect in current_app.extensions.get("kiosk_volunteer_data", []):
        record[name] = collect(volunteer)
    audit(keeper, station, "volunteer.exported", volunteer_id=volunteer.id, before=None, after=None, now=now)
    db.session.flush()
    return record


def erase_volunteer(keeper: Keeper, station: Station, volunteer: Volunteer, typed_number: str,
                    now: datetime) -> Volunteer:
    """Remove the volunteer's personal data for good. The number and the sessions stay, so the
    station's hours and counts still add up; the badge and any phone link stop working. The keeper
    types the volunteer's number to confirm: there is no undo."""
    if volunteer.erased_at is not None:
        return volunteer
    if (typed_number or "").strip().lstrip("0") != volunteer.number.lstrip("0"):
        raise DomainError(_l("To erase, type this volunteer's number: %(number)s.", number=volunteer.number),
                          field="confirm")
    let_go_of(keeper, station, volunteer, now)  # an erased record serves nowhere: as deactivating does
    for hook in current_app.extensions.get("kiosk_before_erase", []):
        hook(keeper, station, volunteer, now)
    # What keepers wrote about them stays (what was done, and why) without their name or number.
    mask_keepers_words(volunteer.id, lambda text: masked_words(text, volunteer))
    volunteer.name = ERASED_NAME
    # Mobile numbers are unique per station: an erased one becomes a placeholder no phone has.
    volunteer.mobile = f"0{volunteer.id:010d}"[-11:]
    volunteer.mobile_tail = ""
    volunteer.birth_year = None
    volunteer.skills = []
    volunteer.national_code = None
    volunteer.id_type = None
    volunteer.id_number = None
    volunteer.teams = []
    volunteer.active = False
    volunteer.badge_nonce = None
    volunteer.phone_code_hash = None
    volunteer.phone_code_expires_at = None
    volunteer.erased_at = now
    audit(keeper, station, "volunteer.erased", volunteer_id=volunteer.id, before={"number": volunteer.number},
          after=None, now=now)
    db.session.flush()
    after_commit(wipe_old_page_copies)
    return volunteer
