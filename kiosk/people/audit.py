"""The audit trail: who changed what, when, and the values before and after. Every keeper change
writes one; the volunteer's page lists them. Each feature names its own changes (`add_audit_labels`)."""

from collections.abc import Callable
from datetime import datetime

from babel.lists import format_list
from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import AuditEvent, Keeper

# How a feature's change reads on the page: its label, and how its before/after values read.
Describe = Callable[[dict], str]


def audit(keeper: Keeper | None, station: Station, action: str, *, volunteer_id=None, session_id=None,
          before: dict | None = None, after: dict | None = None, now: datetime) -> AuditEvent:
    event = AuditEvent(
        station_id=station.id, keeper_id=keeper.id if keeper else None, volunteer_id=volunteer_id,
        session_id=session_id, action=action, before=before, after=after, at=now,
    )
    db.session.add(event)
    return event


def add_audit_labels(app: Flask, labels: dict, describe: Describe | None = None, words: tuple[str, ...] = ()) -> None:
    """`words`: the keys of these changes' values that hold a keeper's own words (a note, a reason),
    which erasing the volunteer masks (`mask_keepers_words`)."""
    registry = app.extensions.setdefault("kiosk_audit_labels", {})
    keepers_words = app.extensions.setdefault("kiosk_audit_words", {})
    for action, label in labels.items():
        registry[action] = (label, describe)
        if words:
            keepers_words[action] = tuple(words)


def mask_keepers_words(volunteer_id: int, mask: Callable[[str], str]) -> None:
    """The keeper's words in the volunteer's audit trail (each feature says which values hold them)
    put through `mask`, in place: the trail keeps what was done, not the words about an erased person."""
    words = current_app.extensions.get("kiosk_audit_words", {})
    if not words:
        return
    for event in db.session.scalars(select(AuditEvent).where(AuditEvent.volunteer_id == volunteer_id,
                                                             AuditEvent.action.in_(list(words)))):
        keys = words[event.action]
        # A new dict, not the old one changed: a JSON column notices only a new value.
        event.before, event.after = (
            {key: mask(value) if key in keys and isinstance(value, str) else value for key, value in values.items()}
            if values else values for values in (event.before, event.after))


def as_a_line(label) -> str:
    """A label that starts a line or a table cell, in sentence case: labels are written as they
    read inside a sentence ("gave or took points"), and shown alone they read as fragments.
    Chinese has no capitals and is as it was."""
    text = str(label)
    return text[:1].upper() + text[1:]


def audit_label(action: str) -> str:
    """What a change was, as the first words of its line ("Gave or took points")."""
    label, _describe = current_app.extensions.get("kiosk_audit_labels", {}).get(action, (action, None))
    return as_a_line(label)


def audit_values(action: str, values: dict | None) -> str:
    """A snapshot of what changed, in words: "11-22 09:00 – 17:30", "active" …"""
    if not values:
        return "—"
    _label, describe = current_app.extensions.get("kiosk_audit_labels", {}).get(action, (action, None))
    return describe(values) if describe else "—"


def volunteer_events(volunteer_id: int, limit: int = 50) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.volunteer_id == volunteer_id)
                                   .order_by(AuditEvent.at.desc()).limit(limit)))


def last_done_at(volunteer_id: int, action: str):
    """When a keeper last did `action` to the volunteer (None: never)."""
    return db.session.scalar(db.select(func.max(AuditEvent.at)).where(AuditEvent.volunteer_id == volunteer_id,
                                                                      AuditEvent.action == action))


def done_on_deactivation(volunteer_id: int) -> list[AuditEvent]:
    """What the volunteer's last deactivation also did (a session checked out, places given back):
    the events written with it, at the same moment."""
    deactivated = db.session.scalar(db.select(AuditEvent).where(
        AuditEvent.volunteer_id == volunteer_id, AuditEvent.action == "volunteer.deactivated")
        .order_by(AuditEvent.at.desc()).limit(1))
    if deactivated is None:
        return []
    return list(db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.volunteer_id == volunteer_id, AuditEvent.at == deactivated.at, AuditEvent.id != deactivated.id)
        .order_by(AuditEvent.id)))


def _active_words(values: dict) -> str:
    return str(_l("active") if values.get("active") else _l("inactive"))


# The details a keeper's edit changed, in words (the audit keeps which, not the values).
DETAILS = {"name": _l("name"), "mobile": _l("mobile"), "birth_year": _l("year of birth"), "teams": _l("teams"),
           "skills": _l("skills"), "national_code": _l("national volunteer code"), "id_type": _l("document type"),
           "id_number": _l("document number"), "hide_from_honor_roll": _l("honor roll")}


def _changed_details(values: dict) -> str:
    words = [str(DETAILS.get(field, field)) for field in values.get("changed", [])]
    return format_list(words, locale=get_locale()) if words else "—"


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(audit_label=audit_label, audit_values=audit_values)
    add_audit_labels(app, {"volunteer.deactivated": _l("deactivated"), "volunteer.reactivated": _l("reactivated")},
                     describe=_active_words)
    add_audit_labels(app, {"volunteer.edited": _l("changed details"),
                           "volunteer.import_updated": _l("changed details (CSV import)")}, describe=_changed_details)
    add_audit_labels(app, {"volunteer.registered": _l("registered"),
                           "volunteer.badge_reissued": _l("issued a new badge"),
                           "volunteer.exported": _l("downloaded everything stored"),
                           "volunteer.erased": _l("erased the personal data"),
                           "volunteer.imported": _l("registered (CSV import)")})
    add_audit_labels(app, {"team.added": _l("added a team"), "team.renamed": _l("renamed a team"),
                           "team.removed": _l("removed a team")})
    add_audit_labels(app, {"keeper.password_changed": _l("changed their own password")})
