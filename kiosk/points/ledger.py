"""The points ledger. Every change appends lines; the balance is their sum. Spending takes turns
per volunteer (serialize_writes), so two redemptions at once cannot both spend the same points."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kiosk.checkin.attendance import served_minutes
from kiosk.checkin.models import ServiceSession
from kiosk.core.database import serialize_writes
from kiosk.core.error_pages import KEEPER_FORM_EXPIRED
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.once import ONCE
from kiosk.core.text import one_line
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import masked_words, refuse_if_erased
from kiosk.points.models import PointsLine

MAX_AWARD = 10_000
MAX_POINTS_PER_HOUR = 1_000

# Reasons the station writes itself are stored as codes and shown in the reader's language; a
# keeper's reason is shown as typed. ("cancelled" is what refunds have always stored.)
HOURS_CHANGED = "changed"
SESSION_DELETED = "deleted"
GIFT_CANCELLED = "cancelled"
REASON_LABELS = {HOURS_CHANGED: _l("hours changed"), SESSION_DELETED: _l("session deleted"),
                 GIFT_CANCELLED: _l("gift cancelled")}


def reason_label(line: PointsLine) -> str:
    """What a line is for, after its kind: a code the station wrote (no keeper), translated, or
    the words a keeper typed."""
    if line.reason and line.keeper_id is None and line.reason in REASON_LABELS:
        return str(REASON_LABELS[line.reason])
    return line.reason or ""


def balance(volunteer_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(PointsLine.amount), 0))
                             .where(PointsLine.volunteer_id == volunteer_id)) or 0


# Hours lines of nothing: they only keep a session's rate (see `session_rates`), and no one reads them.
KEEPS_A_RATE = (PointsLine.kind == "hours") & (PointsLine.amount == 0)


def lines(volunteer_id: int, limit: int | None = None) -> list[PointsLine]:
    """The lines a volunteer and a keeper read: not the lines of nothing that only keep a
    session's rate (see `session_rates`)."""
    query = select(PointsLine).where(PointsLine.volunteer_id == volunteer_id, ~KEEPS_A_RATE).order_by(
        PointsLine.at.desc(), PointsLine.id.desc())
    return list(db.session.scalars(query.limit(limit) if limit else query))


def points_for(minutes: int, points_per_hour: int) -> int:
    """Points for served minutes (already rounded to the station's step), rounded down."""
    return minutes * points_per_hour // 60


def _take_turns(volunteer_id: int) -> None:
    serialize_writes(f"points:{volunteer_id}")


def settle_hours(station: Station, volunteer_id: int, now: datetime) -> None:
    """Make the hours lines match the volunteer's confirmed sessions: a newly confirmed session
    earns its points, a corrected one gets the difference, a deleted one is taken back. Runs
    whenever confirmed hours change (checkin/hours.py), and running it twice adds nothing.

    A session keeps the points per hour in force when it was first confirmed: its first hours line
    stores the rate (`per_hour`) and every later line of that session is priced at it, so a changed
    setting counts from then on and never re-rates hours already given (see `session_rates`).

    A balance never goes below zero: when points already spent cannot all be taken back, the hours
    line still says the whole difference and a "waived" line gives back what there was not, so the
    ledger shows both. If that session's points grow again, what was waived is taken first
    ("unwaived"), so a correction that is undone leaves the balance where it was."""
    _take_turns(volunteer_id)
    has, rates = session_rates(volunteer_id)
    should = {}
    for session_id, start, end in db.session.execute(
            select(ServiceSession.id, ServiceSession.checked_in_at, ServiceSession.checked_out_at).where(
                ServiceSession.volunteer_id == volunteer_id, ServiceSession.confirmed_at.is_not(None),
                ServiceSession.checked_out_at.is_not(None))):
        rates.setdefault(session_id, station.points_per_hour)  # confirmed now, or no rate kept: today's
        should[session_id] = points_for(served_minutes(start, end, station.hours_rounding_minutes), rates[session_id])
        if not should[session_id] and session_id not in has:
            # Confirmed for nothing (points off, or too short): a line of nothing keeps the rate,
            # or turning points on later would pay these hours at the new rate.
            _add_line(station, volunteer_id, 0, "hours", session_id, now, per_hour=rates[session_id])
    for session_id in rates.keys() - should.keys():
        if not has.get(session_id, 0):
            # A session that kept a rate with nothing is gone (deleted): a line of nothing without a
            # rate lets a new session SQLite gives the same number start afresh.
            _add_line(station, volunteer_id, 0, "hours", session_id, now)
    gone = {session_id for session_id in has.keys() - should.keys() if has[session_id]}
    if gone:  # "hours changed" would puzzle a keeper who deleted the session
        gone -= set(db.session.scalars(select(ServiceSession.id).where(ServiceSession.id.in_(gone))))
    waived = {}
    for session_id, amount in db.session.execute(
            select(PointsLine.session_id, func.sum(PointsLine.amount))
            .where(PointsLine.volunteer_id == volunteer_id, PointsLine.kind.in_(WAIVING))
            .group_by(PointsLine.session_id)):
        waived[session_id] = int(amount or 0)
    differences = {session_id: should.get(session_id, 0) - has.get(session_id, 0)
                   for session_id in set(should) | set(has)}
    left = balance(volunteer_id)
    # Gains first, so a correction that moves points from one session to another takes from them.
    for session_id in sorted(differences, key=lambda s: (-differences[s], s)):
        difference = differences[session_id]
        if not difference:
            continue
        # A session that holds no points (new, or one whose number SQLite gave again after a deletion)
        # is simply confirmed hours; one that holds some had its hours changed.
        _add_line(station, volunteer_id, difference, "hours", session_id, now,
                  reason=(SESSION_DELETED if session_id in gone else HOURS_CHANGED) if has.get(session_id, 0) else None,
                  per_hour=rates.get(session_id, station.points_per_hour))
        left += difference
        if difference > 0 and waived.get(session_id, 0) > 0:
            back = min(difference, waived[session_id])
            _add_line(station, volunteer_id, -back, "unwaived", session_id, now)
            left -= back
        elif left < 0:
            # Only what this difference would overdraw (a balance already below zero, from before
            # this rule, is not quietly made good here).
            waive = min(-left, -difference)
            _add_line(station, volunteer_id, waive, "waived", session_id, now)
            left += waive
    db.session.flush()


def session_rates(volunteer_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """For each session with hours lines: the points it holds, and, while it holds some, the points
    per hour it was priced at (the rate stored on the first line that gave them).

    A session whose points came back to nothing (deleted, or corrected below half a rounding step)
    keeps no rate: if it earns again it starts afresh at the rate of that day. That is also what
    keeps a deleted session's rate from passing to a new one SQLite gives the same number. A session
    that earned nothing when first confirmed (points off, or too short) has a line of nothing that
    keeps its rate, and keeps it until a line of nothing without a rate says the session is gone.
    Lines written before rates were stored carry the rate the upgrade found they had been priced at
    (migration 4b8e2d7c1a36); one without any counts at today's rate, as every line did then."""
    has: dict[int, int] = {}
    rates: dict[int, int] = {}
    kept_with_nothing: set[int] = set()
    for session_id, amount, per_hour in db.session.execute(
            select(PointsLine.session_id, PointsLine.amount, PointsLine.per_hour)
            .where(PointsLine.volunteer_id == volunteer_id, PointsLine.kind == "hours")
            .order_by(PointsLine.id)):
        if not amount and per_hour is None:  # the session is gone
            rates.pop(session_id, None)
            kept_with_nothing.discard(session_id)
        elif not amount:  # confirmed for nothing at this rate
            rates.setdefault(session_id, per_hour)
            kept_with_nothing.add(session_id)
        else:
            if not has.get(session_id, 0) and session_id not in kept_with_nothing:
                rates.pop(session_id, None)  # a new start
            kept_with_nothing.discard(session_id)
            if per_hour is not None:
                rates.setdefault(session_id, per_hour)
        has[session_id] = has.get(session_id, 0) + amount
    return has, {session_id: rate for session_id, rate in rates.items()
                 if has.get(session_id, 0) or session_id in kept_with_nothing}


# Lines that keep a balance at zero when hours taken back were already spent, and undo that.
WAIVING = ("waived", "unwaived")


def _add_line(station: Station, volunteer_id: int, amount: int, kind: str, session_id: int, now: datetime,
              reason: str | None = None, per_hour: int | None = None) -> None:
    db.session.add(PointsLine(station_id=station.id, volunteer_id=volunteer_id, amount=amount, kind=kind,
                              session_id=session_id, at=now, reason=reason, per_hour=per_hour))


def award(keeper: Keeper, station: Station, volunteer: Volunteer, amount: int, reason: str, now: datetime,
          once: str | None = None) -> PointsLine:
    """A keeper's bonus (+) or correction (−), always with a reason. The same form sent again
    (`once`, its one-time token: a double tap, a resent form) is answered with the line it added."""
    refuse_if_erased(volunteer)
    if once is not None and not ONCE.fullmatch(once):
        raise DomainError(KEEPER_FORM_EXPIRED)
    reason = one_line(reason or "")[:200]
    if not reason:
        raise DomainError(_l("Please say why."), field="reason")
    if not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_AWARD:
        raise DomainError(_l("Please enter a number of points between -%(max)s and %(max)s, not 0.", max=MAX_AWARD),
                          field="amount")
    _take_turns(volunteer.id)  # a second copy of the form waits here, then finds the first's line
    if once and (already := db.session.scalar(select(PointsLine).where(PointsLine.once == once))):
        if already.volunteer_id != volunteer.id:  # another volunteer's form: not this one sent again
            raise DomainError(KEEPER_FORM_EXPIRED)
        return already
    if amount < 0 and balance(volunteer.id) + amount < 0:
        raise DomainError(_l("Not enough points: %(balance)s left.", balance=balance(volunteer.id)), field="amount")
    line = PointsLine(station_id=station.id, volunteer_id=volunteer.id, amount=amount,
                      kind="bonus" if amount > 0 else "correction", reason=reason, keeper_id=keeper.id, at=now,
                      once=once)
    db.session.add(line)
    db.session.flush()
    audit(keeper, station, "points.awarded", volunteer_id=volunteer.id, after={"amount": amount, "reason": reason}, now=now)
    return line


def reward_lead(keeper: Keeper, station: Station, suggestion, amount: int, now: datetime) -> PointsLine:
    """Points for a problem a volunteer found and sent from their linked phone (随手拍), once per
    suggestion, after a keeper has judged it a valid lead."""
    if suggestion.station_id != station.id or suggestion.volunteer_id is None:
        raise DomainError(_l("Only a suggestion sent from a volunteer's own phone can earn points."))
    refuse_if_erased(db.session.get(Volunteer, suggestion.volunteer_id))
    if not isinstance(amount, int) or not 1 <= amount <= MAX_AWARD:
        raise DomainError(_l("Please enter a number of points from 1 to %(max)s.", max=MAX_AWARD), field="amount")
    _take_turns(suggestion.volunteer_id)
    if db.session.scalar(select(PointsLine.id).where(PointsLine.suggestion_id == suggestion.id)) is not None:
        raise DomainError(_l("This lead has earned its points already."))
    line = PointsLine(station_id=station.id, volunteer_id=suggestion.volunteer_id, amount=amount, kind="lead",
                      reason=suggestion.tracking_code, suggestion_id=suggestion.id, keeper_id=keeper.id, at=now)
    db.session.add(line)
    db.session.flush()
    audit(keeper, station, "points.awarded", volunteer_id=suggestion.volunteer_id,
          after={"amount": amount, "reason": suggestion.tracking_code}, now=now)
    return line


def lead_reward(suggestion_id: int) -> PointsLine | None:
    return db.session.scalar(select(PointsLine).where(PointsLine.suggestion_id == suggestion_id))


def NOT_ENOUGH_FOR_GIFT(left: int, needed: int):
    """A gift refused for its points: what they have and what it needs, both, so nobody has to
    work out the difference (积分不够：您现在有 90 积分，这件要 150 积分)."""
    return _l("Not enough points: you have %(balance)s, this one needs %(points)s.", balance=left, points=needed)


def NOT_ENOUGH_FOR_THEIR_GIFT(name: str, left: int, needed: int):
    """The same, said to a keeper giving the gift: the points are the volunteer's, not the keeper's
    (积分不够：张晓华现在有 45 积分，这件要 150 积分)."""
    return _l("Not enough points: %(name)s has %(balance)s, this one needs %(points)s.", name=name, balance=left,
              points=needed)


class NotEnoughPoints(DomainError):
    """A gift the balance does not cover, said to the volunteer; `left` and `needed` let a keeper's
    page say it of them instead."""

    def __init__(self, left: int, needed: int):
        super().__init__(NOT_ENOUGH_FOR_GIFT(left, needed))
        self.left, self.needed = left, needed


def spend(station: Station, volunteer: Volunteer, amount: int, reason: str, now: datetime,
          redemption_id: int | None = None) -> PointsLine:
    """Spend points on a gift. Refused, changing nothing, if the balance would go below zero."""
    if amount <= 0:
        raise ValueError("spend a positive number of points")
    refuse_if_erased(volunteer)
    _take_turns(volunteer.id)
    left = balance(volunteer.id)
    if left < amount:
        raise NotEnoughPoints(left, amount)
    line = PointsLine(station_id=station.id, volunteer_id=volunteer.id, amount=-amount, kind="gift",
                      reason=reason[:200], redemption_id=redemption_id, at=now)
    db.session.add(line)
    db.session.flush()
    return line


# Lines a keeper may undo from a volunteer's page: their own. Hours follow the sessions (correct
# the session instead); points spent on a gift come back when the gift is cancelled.
KEEPER_REVERSIBLE = frozenset({"bonus", "correction", "lead"})


def can_reverse(line: PointsLine) -> bool:
    return line.kind in KEEPER_REVERSIBLE


def reverse(keeper: Keeper, station: Station, line: PointsLine, reason: str, now: datetime) -> PointsLine:
    """A keeper undoes one of the lines keepers give, with a line of the opposite amount."""
    if line.kind == "gift":
        raise DomainError(_l("Points spent on a gift come back when the gift is cancelled, on the gifts page."))
    if not can_reverse(line):
        raise DomainError(_l("This line cannot be reversed."))
    reversal = _undo(station, line, reason, now, keeper)
    audit(keeper, station, "points.reversed", volunteer_id=line.volunteer_id,
          before={"amount": line.amount, "reason": line.reason}, after={"amount": reversal.amount}, now=now)
    return reversal


def refund(station: Station, spent: PointsLine, now: datetime) -> PointsLine:
    """Points spent on a gift come back: the redemption was cancelled (kiosk/gifts)."""
    if spent.kind != "gift":
        raise ValueError("only a gift's points are refunded")
    return _undo(station, spent, GIFT_CANCELLED, now, None)


def _undo(station: Station, line: PointsLine, reason: str, now: datetime, keeper: Keeper | None) -> PointsLine:
    """A line of the opposite amount that names the line it undoes; a line is undone at most once,
    and never so that the balance goes below zero."""
    _take_turns(line.volunteer_id)
    if db.session.scalar(select(PointsLine.id).where(PointsLine.reverses_id == line.id)) is not None:
        raise DomainError(_l("This line has been reversed already."))
    if line.amount > 0 and balance(line.volunteer_id) - line.amount < 0:
        raise DomainError(_l("Not enough points: %(balance)s left.", balance=balance(line.volunteer_id)))
    reversal = PointsLine(station_id=station.id, volunteer_id=line.volunteer_id, amount=-line.amount, kind="reversal",
                          reason=one_line(reason or "")[:200] or None, reverses_id=line.id, redemption_id=line.redemption_id,
                          keeper_id=keeper.id if keeper else None, at=now)
    db.session.add(reversal)
    db.session.flush()
    return reversal


def reversed_ids(volunteer_id: int) -> set[int]:
    return set(db.session.scalars(select(PointsLine.reverses_id).where(
        PointsLine.volunteer_id == volunteer_id, PointsLine.reverses_id.is_not(None))))


def set_points_per_hour(keeper: Keeper, station: Station, value: int, now: datetime) -> None:
    """From now on: lines already written stay as they are (a ledger is not rewritten)."""
    if not isinstance(value, int) or not 0 <= value <= MAX_POINTS_PER_HOUR:
        raise DomainError(_l("Please enter a whole number from 0 to %(max)s.", max=MAX_POINTS_PER_HOUR),
                          field="points_per_hour")
    before = station.points_per_hour
    station.points_per_hour = value
    db.session.flush()
    audit(keeper, station, "points.setting", before={"points_per_hour": before}, after={"points_per_hour": value}, now=now)


def describe(values: dict | None) -> str:
    if not values:
        return "—"
    if "points_per_hour" in values:
        return str(values["points_per_hour"])
    text = f"{values.get('amount', 0):+d}"
    return f"{text} · {values['reason']}" if values.get("reason") else text


def mask_erased_reasons(_keeper: Keeper, _station: Station, volunteer: Volunteer, _now: datetime) -> None:
    """Before a volunteer is erased: the reasons on their lines (a keeper's "表扬王建国修灯") keep no
    name or phone number of theirs. The amounts, the one thing a line never changes, stay."""
    for line in db.session.scalars(select(PointsLine).where(PointsLine.volunteer_id == volunteer.id,
                                                            PointsLine.reason.is_not(None))):
        if (masked := masked_words(line.reason, volunteer)) != line.reason:
            line.reason = masked


def lines_as_data(volunteer: Volunteer) -> list[dict]:
    return [{"amount": line.amount, "kind": line.kind, "reason": line.reason, "at": line.at.isoformat()}
            for line in reversed(lines(volunteer.id))]
