"""The station's own settings, as a keeper changes them: its name, opening and closing time, the
step served hours are rounded to, the duplicate-scan window, and who is in charge and how to reach
the station. One save is one audit event with each changed value before and after.

Where each one takes effect is read from the station whenever it is needed: the closing time when a
forgotten session is closed (checkin/attendance.py auto_close_deadline), the rounding step whenever
hours are added up (served_minutes), the window at the next scan."""

from dataclasses import asdict, dataclass
from datetime import datetime, time

from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select

from kiosk.core.edits import refuse_if_edited_meanwhile
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import NOT_A_CHOICE, too_long
from kiosk.core.models import Station
from kiosk.core.stations import station_name, traditional_name, what_new_hours_do
from kiosk.core.text import half_width, one_line
from kiosk.people.audit import audit
from kiosk.people.models import AuditEvent, Keeper

CHANGED = "station.settings"

# The steps served hours are rounded to: to the minute, to the quarter, to the half hour (the
# default, as national records count), to the hour. A step is added to every session's minutes
# whenever hours are counted, so an odd one (7) would make odd totals for nobody's benefit.
ROUNDING_STEPS = (1, 5, 10, 15, 30, 60)
# A second scan of the same badge within this many minutes changes nothing. At least a minute, so
# a badge held to the camera a moment too long does not check out at once; at most an hour, so a
# volunteer who came back for the afternoon is not turned away.
WINDOW_MINUTES = (1, 60)
WINDOW_OUT_OF_RANGE = _l("Please enter a whole number of minutes from %(low)s to %(high)s.", low=WINDOW_MINUTES[0],
                         high=WINDOW_MINUTES[1])
DETAIL_MAX = 40  # Station.person_in_charge and Station.contact

LABELS = {"name": _l("Station name"), "name_hant": _l("Station name in 繁體"), "opens_at": _l("Opening time"), "closes_at": _l("Closing time"),
          "hours_rounding_minutes": _l("Round served hours to (minutes)"),
          "duplicate_window_minutes": _l("Ignore a second scan within (minutes)"),
          "person_in_charge": _l("Person in charge"), "contact": _l("Contact")}


@dataclass(frozen=True)
class StationSettings:
    name: str
    name_hant: str
    opens_at: time
    closes_at: time
    hours_rounding_minutes: int
    duplicate_window_minutes: int
    person_in_charge: str
    contact: str


def settings_of(station: Station) -> StationSettings:
    return StationSettings(**{field: getattr(station, field) for field in LABELS})


def rounding_steps(station: Station) -> list[int]:
    """The steps a keeper may choose: ROUNDING_STEPS, and the station's own if it was set otherwise."""
    return sorted({*ROUNDING_STEPS, station.hours_rounding_minutes})


def station_detail(text: str | None, field: str) -> str:
    """The person in charge or the contact as certificates print them: one line, a contact's
    full-width digits as plain ones (０１０－… is 010-…); blank is allowed."""
    value = one_line(text)
    if field == "contact":
        value = half_width(value)
    if len(value) > DETAIL_MAX:
        raise DomainError(too_long(DETAIL_MAX), field=field)
    return value


def checked(station: Station, wanted: StationSettings) -> StationSettings:
    """The settings as they would be kept, or one DomainError naming every field at fault, so the
    form says them all at once. A value the form could not read at all (None: 25:00, "abc") is the
    form's to refuse, and is not looked at here."""
    problems = {}

    def kept(rule, *args):
        try:
            return rule(*args)
        except DomainError as err:
            problems.update(err.by_field())
            return None

    name = kept(station_name, wanted.name, station)
    name_hant = kept(traditional_name, wanted.name_hant)
    opens_at, closes_at = wanted.opens_at, wanted.closes_at
    if opens_at is not None and closes_at is not None and not opens_at < closes_at:
        problems["closes_at"] = _l("The closing time must come after the opening time.")
    step = wanted.hours_rounding_minutes
    if step is not None and step not in rounding_steps(station):
        problems["hours_rounding_minutes"] = NOT_A_CHOICE
    low, high = WINDOW_MINUTES
    window = wanted.duplicate_window_minutes
    if window is not None and not low <= window <= high:
        problems["duplicate_window_minutes"] = WINDOW_OUT_OF_RANGE
    person_in_charge = kept(station_detail, wanted.person_in_charge, "person_in_charge")
    contact = kept(station_detail, wanted.contact, "contact")
    if problems:
        raise DomainError.of_fields(problems)
    return StationSettings(name=name, name_hant=name_hant, opens_at=_to_the_minute(opens_at),
                           closes_at=_to_the_minute(closes_at), hours_rounding_minutes=step,
                           duplicate_window_minutes=window, person_in_charge=person_in_charge, contact=contact)


def _to_the_minute(moment: time | None) -> time | None:
    return moment.replace(second=0, microsecond=0) if moment is not None else None


class AskFirst(DomainError):
    """A change that would do something at once a keeper should agree to first (check out those on
    duty): the page asks, and the same save with `agreed` goes ahead."""


def stamped(station: Station) -> dict:
    """The settings as a form shows them, for its edit stamp."""
    return {field: _stored(value) for field, value in asdict(settings_of(station)).items()}


def change_settings(keeper: Keeper, station: Station, wanted: StationSettings, now: datetime, *,
                    seen: str | None = None, agreed: bool = False) -> dict:
    """Check every setting, then change the ones that differ, all or none, and record who changed
    what from what. Returns the changed ones (empty: nothing to change, nothing recorded).
    `seen`: the stamp of the settings the keeper's page showed (core/edits.py); `agreed`: they
    said yes to what new hours would do at once."""
    refuse_if_edited_meanwhile(seen, stamped(station))
    kept = checked(station, wanted)
    new = asdict(kept)
    old = asdict(settings_of(station))
    changed = [field for field in LABELS if new[field] != old[field]]
    if not changed:
        return {}
    if not agreed and ("opens_at" in changed or "closes_at" in changed):
        if said := what_new_hours_do(station, kept.opens_at, kept.closes_at, now):
            raise AskFirst(" ".join(map(str, said)), field="closes_at")
    for field in changed:
        setattr(station, field, new[field])
    db.session.flush()
    audit(keeper, station, CHANGED, before={f: _stored(old[f]) for f in changed},
          after={f: _stored(new[f]) for f in changed}, now=now)
    return {field: new[field] for field in changed}


def _stored(value):
    """A value as the audit trail keeps it (JSON): a time as 08:00."""
    return value.strftime("%H:%M") if isinstance(value, time) else value


# --- Reading the changes back ------------------------------------------------------------------

# The certificates page changes the person in charge and the contact on its own ("station.details").
SHOWN_ACTIONS = (CHANGED, "station.details")


def recent_changes(station: Station, limit: int = 10) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.station_id == station.id,
                                                            AuditEvent.action.in_(SHOWN_ACTIONS))
                                   .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)))


def change_lines(event: AuditEvent) -> list[str]:
    """Each value a change set, in words: "Closing time: 20:00 → 18:00"."""
    before, after = event.before or {}, event.after or {}
    return [gettext("%(label)s: %(value)s", label=LABELS[field],
                    value=f"{_shown(before.get(field))} → {_shown(after[field])}")
            for field in LABELS if field in after and before.get(field) != after[field]]


def describe(values: dict | None) -> str:
    """A change's values before or after, for the audit trail."""
    if not values:
        return "—"
    return " · ".join(gettext("%(label)s: %(value)s", label=LABELS[field], value=_shown(values[field]))
                      for field in LABELS if field in values)


def _shown(value) -> str:
    return "—" if value is None or value == "" else str(value)
