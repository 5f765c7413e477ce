"""Walk-in services: one tap on the kiosk records that someone rested, drank water, charged a phone…"""

import re
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kiosk.core.choices import add_choice, add_standard, station_choices
from kiosk.core.errors import DomainError
from kiosk.core.limits import TooMany, check_and_count
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.walkins.models import STANDARD_SERVICES, WalkInService, WalkInVisit

SERVICE_LABELS = {
    "rest": _l("Rest"),
    "water": _l("Drinking water"),
    "charging": _l("Phone charging"),
    "first_aid": _l("First-aid kit"),
    "wifi": _l("Wi-Fi"),
    "other": _l("Other"),
}
TAP_ID = re.compile(r"[0-9a-f]{32}")
# Under "Nothing was recorded": the tiles stand below it, so it names no direction.
TAP_AGAIN = _l("Please tap the one you used.")
SERVICE_ID = re.compile(r"[0-9]{1,9}")  # ASCII only: "²".isdigit() is true, and int("²") fails


def service_label(service: WalkInService) -> str:
    return service.name or str(SERVICE_LABELS.get(service.code or "", service.code or ""))


def add_standard_services(station: Station) -> None:
    add_standard(WalkInService, station, STANDARD_SERVICES)


def station_services(station: Station, include_hidden: bool = False) -> list[WalkInService]:
    return station_choices(WalkInService, station, include_hidden)


# Far more than people tap on one kiosk; far fewer than a script would.
TAPS_PER_MINUTE = 30
# A double tap reaches us as two taps 0.15–0.35 s apart (more on a slow link), the second with the
# fresh tile's new tap id; the next resident to step up to the tablet takes longer than this.
DOUBLE_TAP = timedelta(seconds=2)


def record_visit(station: Station, service_id: str | int, tap_id: str, now: datetime,
                 who: list[str] = ()) -> WalkInService:
    """Count one visit. The same tap arriving twice (a retry) counts once, and so does the same tile
    tapped again from the same tablet within DOUBLE_TAP (a double tap). Taps from one tablet or
    address (`who`) are limited, so a script cannot inflate the counts."""
    tap_id = (tap_id or "").strip().lower()
    if not TAP_ID.fullmatch(tap_id) or not SERVICE_ID.fullmatch(str(service_id)):
        raise DomainError(TAP_AGAIN)
    service = db.session.get(WalkInService, int(service_id))
    if service is None or service.station_id != station.id or not service.active:
        raise DomainError(TAP_AGAIN)
    if who and _tapped_just_now(service, who[-1], now):
        return service  # the thanks again, as for the first tap
    if who:
        check_and_count("walk-in", [(key, TAPS_PER_MINUTE) for key in who], timedelta(minutes=1), now,
                        # Not "thank you": this tap was not counted (the answer's headline says so).
                        _l("There were many taps just now. Please wait a moment, then tap again."))
    try:
        with db.session.begin_nested():
            db.session.add(WalkInVisit(station_id=station.id, service_id=service.id, at=now, tap_id=tap_id))
    except IntegrityError:
        pass  # already counted
    return service


def _tapped_just_now(service: WalkInService, tablet: str, now: datetime) -> bool:
    """Whether this tablet (`who`'s last key: its own id, else its address) counted a tap on this
    tile within DOUBLE_TAP; if not, this tap is noted for the next one to ask."""
    try:
        # Allowed once per DOUBLE_TAP: "too many" here means the second tap of a double tap.
        check_and_count("walk-in-again", [(f"{tablet}:{service.id}", 1)], DOUBLE_TAP, now, "")
    except TooMany:
        return True
    return False


def add_service(station: Station, name: str) -> WalkInService:
    return add_choice(WalkInService, station, name, service_label)


def visit_counts(station: Station, start: datetime, end: datetime) -> list[tuple[WalkInService, int]]:
    """Every service of the station with how many taps it had in [start, end), hidden ones too if used."""
    counts = dict(db.session.execute(
        select(WalkInVisit.service_id, func.count())
        .where(WalkInVisit.station_id == station.id, WalkInVisit.at >= start, WalkInVisit.at < end)
        .group_by(WalkInVisit.service_id)
    ).all())
    return [(s, counts.get(s.id, 0)) for s in station_services(station, include_hidden=True)
            if s.active or counts.get(s.id)]
