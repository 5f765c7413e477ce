"""The honor roll (光荣榜) on the kiosk's home screen: this month's volunteers with the most
confirmed hours, those who reached a new star this year, and the station's own picks — masked
names only, and never a volunteer who asked to be left off."""

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from kiosk.checkin.attendance import served_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import day_bounds, local_today
from kiosk.core.text import mask_name, mask_names_in, one_line, typed_digits
from kiosk.honor.models import HonorPick
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import refuse_if_erased
from kiosk.people.volunteers import registered_names
from kiosk.stars.ladder import new_levels_in_year
from kiosk.suggest.box import masked_text

TOP = 5


@dataclass(frozen=True)
class Entry:
    name: str  # masked
    detail: str | int  # minutes, a star level, or the station's words
    rank: int | None = None  # on the list by hours: equal hours, equal rank (1, 1, 3)


@dataclass(frozen=True)
class HonorRoll:
    month: date  # its first day
    most_hours: list[Entry]
    new_stars: list[Entry]
    picks: list[Entry]

    @property
    def empty(self) -> bool:
        return not (self.most_hours or self.new_stars or self.picks)


# Why the kiosk leaves a volunteer off the roll, said to a keeper picking them or reading the picks.
KEPT_OFF = _l("This volunteer asked to be kept off the honor roll (see their page).")
DEACTIVATED = _l("This volunteer is deactivated: the kiosk does not show them on the honor roll.")


def _shown(volunteer: Volunteer) -> bool:
    return volunteer.active and not volunteer.hide_from_honor_roll and volunteer.erased_at is None


def not_shown_because(volunteer: Volunteer):
    """Why the kiosk leaves this volunteer off the roll, or None when it shows them."""
    if volunteer.erased_at is not None or not volunteer.active:
        return DEACTIVATED
    if volunteer.hide_from_honor_roll:
        return KEPT_OFF
    return None


def pick_shown(chosen: HonorPick):
    """Why a pick on the keeper's list is not on the kiosk (the volunteer asked since, or was
    deactivated), or None when it is."""
    return not_shown_because(chosen.volunteer)


# The home screen shows the roll whenever a kiosk goes idle; it changes slowly, so each worker
# works it out at most once a minute per station. A keeper's change in this worker (hours
# corrected, a pick, an erasure) is shown at once; one made through another worker within a minute.
ROLL_KEPT_SECONDS = 60


def forget_kept_roll(station: Station, *_why) -> None:
    """The station's roll changed: the next home screen works it out afresh."""
    cache = current_app.extensions.get("kiosk_honor_rolls", {})
    for key in [k for k in list(cache) if k[0] == station.id]:
        cache.pop(key, None)


def honor_roll_for_home(station: Station, now: datetime) -> HonorRoll:
    cache = current_app.extensions.setdefault("kiosk_honor_rolls", {})
    key = (station.id, int(now.timestamp()) // ROLL_KEPT_SECONDS)
    roll = cache.get(key)
    if roll is None:
        for old in [k for k in list(cache) if k[1] != key[1]]:  # only the current window is worth keeping
            cache.pop(old, None)
        roll = cache[key] = honor_roll(station, now)
    return roll


def month_of(station: Station, now: datetime) -> str:
    return local_today(station, now).strftime("%Y-%m")


def honor_roll(station: Station, now: datetime) -> HonorRoll:
    today = local_today(station, now)
    first = today.replace(day=1)
    start, _ = day_bounds(station, first)
    totals: dict[int, int] = {}
    for volunteer_id, checked_in_at, checked_out_at in db.session.execute(
            select(ServiceSession.volunteer_id, ServiceSession.checked_in_at, ServiceSession.checked_out_at).where(
                ServiceSession.station_id == station.id, ServiceSession.confirmed_at.is_not(None),
                ServiceSession.checked_out_at.is_not(None), ServiceSession.checked_in_at >= start)):
        totals[volunteer_id] = totals.get(volunteer_id, 0) + served_minutes(checked_in_at, checked_out_at,
                                                                            station.hours_rounding_minutes)
    volunteers = {v.id: v for v in db.session.scalars(select(Volunteer).where(Volunteer.id.in_(totals)))} if totals else {}
    ranked = sorted((vid for vid in totals if vid in volunteers and _shown(volunteers[vid]) and totals[vid] > 0),
                    key=lambda vid: (-totals[vid], volunteers[vid].number))
    most = [Entry(mask_name(volunteers[vid].name), totals[vid], rank)
            for vid, rank in zip(ranked[:TOP], ranks([totals[vid] for vid in ranked[:TOP]]))]
    stars = [Entry(mask_name(n.volunteer.name), n.after) for n in new_levels_in_year(station, today.year)
             if _shown(n.volunteer)][:TOP]
    chosen = [p for p in this_months_picks(station, now) if _shown(p.volunteer)]
    names = registered_names(station.id) if any(p.note for p in chosen) else []
    picks = [Entry(mask_name(p.volunteer.name), public_note(p.note, names)) for p in chosen]
    return HonorRoll(first, most, stars, picks)


def ranks(scores: list) -> list[int]:
    """Places for scores sorted best first, as a sports table gives them: a tie shares a place and
    the next place after it is skipped (8, 8, 5 hours: 1, 1, 3)."""
    places = []
    for i, score in enumerate(scores):
        places.append(places[-1] if i and score == scores[i - 1] else i + 1)
    return places


def public_note(note: str, names: list[str]) -> str:
    """A keeper's words about a pick as the kiosk shows them: the home screen is public, so the
    station's names and phone-like numbers are masked as in a suggestion's public wording."""
    return masked_text(note or "", names)


def this_months_picks(station: Station, now: datetime) -> list[HonorPick]:
    return list(db.session.scalars(select(HonorPick).where(HonorPick.station_id == station.id,
                                                           HonorPick.month == month_of(station, now))
                                   .order_by(HonorPick.at)))


def pick(keeper: Keeper, station: Station, number: str, note: str, now: datetime) -> HonorPick:
    """The station's own pick for this month (最美志愿者), found by volunteer number."""
    number = typed_digits(number, 6)
    volunteer = db.session.scalar(select(Volunteer).where(Volunteer.station_id == station.id,
                                                          Volunteer.number == number.zfill(4))) \
        if number is not None else None
    if volunteer is not None:
        refuse_if_erased(volunteer)
    if volunteer is None:
        raise DomainError(_l("No active volunteer has this number."), field="number")
    if (why := not_shown_because(volunteer)) is not None:
        # A pick the kiosk would never show is refused, beside the number, saying why.
        raise DomainError(why, field="number")
    note = one_line(note or "")[:60]
    month = month_of(station, now)
    if db.session.scalar(select(HonorPick.id).where(HonorPick.station_id == station.id, HonorPick.month == month,
                                                    HonorPick.volunteer_id == volunteer.id)) is not None:
        raise DomainError(_l("This volunteer is on this month's roll already."), field="number")
    chosen = HonorPick(station_id=station.id, month=month, volunteer_id=volunteer.id, note=note, at=now)
    db.session.add(chosen)
    db.session.flush()
    forget_kept_roll(station)
    audit(keeper, station, "honor.picked", volunteer_id=volunteer.id, after={"month": month, "note": note}, now=now)
    return chosen


def unpick(keeper: Keeper, station: Station, chosen: HonorPick, now: datetime) -> None:
    audit(keeper, station, "honor.unpicked", volunteer_id=chosen.volunteer_id,
          before={"month": chosen.month, "note": chosen.note}, now=now)
    db.session.delete(chosen)
    db.session.flush()
    forget_kept_roll(station)


def drop_erased(_keeper: Keeper, station: Station, volunteer: Volunteer, _now: datetime) -> None:
    """Before a volunteer is erased: their picks go, with the keeper's words about them (the roll
    hides an erased volunteer, but the keeper's list of picks would still show them)."""
    db.session.execute(delete(HonorPick).where(HonorPick.volunteer_id == volunteer.id))
    # Once erased, the name is no longer registered, so the kiosk would show it in full where
    # another pick's note mentions it: those words keep it masked.
    for other in db.session.scalars(select(HonorPick).where(HonorPick.station_id == station.id,
                                                            HonorPick.note != "")):
        other.note = mask_names_in(other.note, [volunteer.name])
    forget_kept_roll(station)


def picks_as_data(volunteer: Volunteer) -> list[dict]:
    """A volunteer's honor picks with the keeper's words, for the export of everything stored."""
    return [{"month": p.month, "note": p.note, "picked_at": p.at.isoformat()}
            for p in db.session.scalars(select(HonorPick).where(HonorPick.volunteer_id == volunteer.id)
                                        .order_by(HonorPick.at))]
