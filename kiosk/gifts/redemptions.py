"""Gift rules. Asking for a gift takes one from stock with a conditional update (never below
zero) and spends the points through the ledger (never below zero); both happen in the request's
one transaction, so a refusal of either leaves neither. At the kiosk a tap on a gift only asks
the question (`offer_gift`); the answer 换 spends (`ask_for_gift` with the question's one-time
token, so a double tap or a resent form takes the gift once)."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiosk.core.edits import EDITED_MEANWHILE, EditedMeanwhile, refuse_if_edited_meanwhile
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.once import ONCE, new_once
from kiosk.core.text import NAME_TAKEN, one_line
from kiosk.people.audit import audit
from kiosk.people.badges import SCAN_AGAIN, volunteer_for_token
from kiosk.people.models import Keeper, Volunteer
from kiosk.points.ledger import NOT_ENOUGH_FOR_THEIR_GIFT, NotEnoughPoints, balance, refund, spend
from kiosk.points.models import PointsLine
from kiosk.gifts.models import Gift, Redemption

MAX_POINTS = 100_000
MAX_STOCK = 10_000


def catalogue(station: Station, active_only: bool = True) -> list[Gift]:
    query = select(Gift).where(Gift.station_id == station.id)
    if active_only:
        query = query.where(Gift.active.is_(True))
    return list(db.session.scalars(query.order_by(Gift.points, Gift.id)))


def _checked(station: Station, name: str, points, stock, gift: Gift | None = None) -> tuple[str, int, int]:
    name = one_line(name)[:40]
    if not name:
        raise DomainError(_l("Please give the gift a name."), field="name")
    others = select(Gift.name).where(Gift.station_id == station.id, Gift.id != (gift.id if gift else None))
    if name.casefold() in {other.casefold() for other in db.session.scalars(others)}:
        # two 毛巾 at different prices: which one did the volunteer ask for?
        raise DomainError(NAME_TAKEN, field="name")
    if not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise DomainError(_l("Points: a whole number from 1 to %(max)s.", max=MAX_POINTS), field="points")
    if not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
        raise DomainError(_l("Stock: a whole number from 0 to %(max)s.", max=MAX_STOCK), field="stock")
    return name, points, stock


def _snapshot(gift: Gift) -> dict:
    return {"name": gift.name, "points": gift.points, "stock": gift.stock, "active": gift.active}


def add_gift(keeper: Keeper, station: Station, name: str, points, stock, now: datetime) -> Gift:
    name, points, stock = _checked(station, name, points, stock)
    gift = Gift(station_id=station.id, name=name, points=points, stock=stock, active=True)
    db.session.add(gift)
    db.session.flush()
    audit(keeper, station, "gift.added", after=_snapshot(gift), now=now)
    return gift


def editable_details(gift: Gift) -> dict:
    """A gift's row as the keeper's page shows it: whether it changed since the page was opened (`edit_stamp`)."""
    return _snapshot(gift)


def change_gift(keeper: Keeper, station: Station, gift: Gift, name: str, points, stock, active: bool,
                now: datetime, seen: str | None = None) -> Gift:
    """A keeper's new name, price, stock count (what is on the shelf now) or visibility. Redemptions
    already made keep the points they cost. `seen`: the stamp of the row the keeper's page showed
    (core/edits.py): a gift given or taken since would otherwise be back in stock."""
    refuse_if_edited_meanwhile(seen, editable_details(gift))
    name, points, stock = _checked(station, name, points, stock, gift)
    before = _snapshot(gift)
    # Only over the row as read here: a gift taken at a kiosk in between (a conditional update of
    # its own, not waiting for this one) is not written over.
    changed = db.session.execute(
        update(Gift).where(Gift.id == gift.id, Gift.name == before["name"], Gift.points == before["points"],
                           Gift.stock == before["stock"], Gift.active == before["active"])
        .values(name=name, points=points, stock=stock, active=bool(active)).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(gift)
    if changed != 1:
        raise EditedMeanwhile(EDITED_MEANWHILE)
    audit(keeper, station, "gift.changed", before=before, after=_snapshot(gift), now=now)
    return gift


NOT_OFFERED = _l("This gift is no longer offered.")
RUN_OUT = _l("Sorry, this gift has run out.")




def _offered(station: Station, volunteer: Volunteer, gift_id: int) -> Gift:
    if volunteer.station_id != station.id or not volunteer.active:
        raise DomainError(NOT_HERE)
    gift = db.session.get(Gift, gift_id)
    if gift is None or gift.station_id != station.id or not gift.active:
        raise DomainError(NOT_OFFERED)
    return gift


@dataclass(frozen=True)
class GiftQuestion:
    """"用 150 积分换 保温杯？": the gift, the points it costs, what would be left, and the
    one-time token the answer 换 carries."""
    gift: Gift
    points: int
    left: int
    once: str


def offer_gift(station: Station, volunteer: Volunteer, gift_id: int) -> GiftQuestion:
    """The volunteer tapped a gift: nothing is spent yet, they are asked first. Refused, as taking
    it would be, when it is no longer offered, has run out or costs more than they have."""
    gift = _offered(station, volunteer, gift_id)
    if gift.stock < 1:
        raise DomainError(RUN_OUT)
    left = balance(volunteer.id)
    if left < gift.points:
        raise NotEnoughPoints(left, gift.points)
    return GiftQuestion(gift, gift.points, left - gift.points, new_once())


def ask_for_gift(station: Station, volunteer: Volunteer, gift_id: int, now: datetime,
                 once: str | None = None) -> Redemption:
    """The volunteer asked for a gift: one is set aside for them and the points are spent; a keeper
    hands it over. Refused, changing nothing, when it has run out or the points are not enough
    (checked again here: either may have changed since the question was asked). The same answer
    sent again (`once`, the question's one-time token: a double tap, a resent form) is answered
    with the redemption it made, and spends nothing more. A token that is not one this kiosk wrote
    is refused: the answer would lose its guard."""
    if once is not None and not ONCE.fullmatch(once):
        raise DomainError(SCAN_AGAIN)
    if once and (already := _answered(station, volunteer, gift_id, once)):
        return already
    gift = _offered(station, volunteer, gift_id)
    try:
        with db.session.begin_nested():  # the stock comes back if another send of this answer won
            taken = db.session.execute(
                update(Gift).where(Gift.id == gift.id, Gift.stock > 0).values(stock=Gift.stock - 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if taken != 1:
                raise DomainError(RUN_OUT)
            db.session.refresh(gift)
            redemption = Redemption(station_id=station.id, volunteer_id=volunteer.id, gift_id=gift.id,
                                    points=gift.points, status="waiting", requested_at=now, once=once)
            db.session.add(redemption)
            db.session.flush()
    except IntegrityError:
        db.session.refresh(gift)
        if once and (already := _answered(station, volunteer, gift_id, once)):
            return already
        raise
    spend(station, volunteer, gift.points, gift.name, now, redemption_id=redemption.id)
    return redemption


GIFT_CANCELLED = _l("A keeper has cancelled this gift, and your points are back.")


def _answered(station: Station, volunteer: Volunteer, gift_id: int, once: str) -> Redemption | None:
    """The redemption an earlier send of this answer made; a token that made another's is refused."""
    already = db.session.scalar(select(Redemption).where(Redemption.once == once))
    if already is None:
        return None
    if (already.station_id, already.volunteer_id, already.gift_id) != (station.id, volunteer.id, gift_id):
        raise DomainError(SCAN_AGAIN)
    if already.status == "cancelled":
        # Sent again after a keeper undid it: "set aside for you" would not be true.
        raise DomainError(GIFT_CANCELLED)
    return already


# After a badge scan the volunteer has this long to pick and say 换. The kiosk clears their gifts
# after a short quiet time by itself; this is the server's own limit, for a screen someone kept
# awake (the next person's taps) or a page whose script did not run.
CHOICE_SECONDS = 120
NOT_HERE = _l("This badge cannot be used here. Please see a keeper.")
# Said when the choice ran out: nothing is wrong with the badge, and nothing was spent.
CHOICE_RAN_OUT = _l("That was a while ago. To keep your points safe, please scan your badge again.")


@dataclass(frozen=True)
class GiftChoice:
    """What the kiosk shows after a badge scan: the volunteer's points and the gifts, and a signed
    token that lets the pick that follows name this volunteer without the badge."""
    volunteer: Volunteer
    points: int
    gifts: list[Gift]
    token: str


def _choices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="gift-choice")


def choose_by_badge(station: Station, code: str) -> GiftChoice:
    volunteer = volunteer_for_token(station, code)
    if not volunteer.active:
        raise DomainError(NOT_HERE)
    return GiftChoice(volunteer, balance(volunteer.id), catalogue(station),
                      _choices().dumps({"v": volunteer.id, "s": station.id}))


def choice_again(station: Station, token: str) -> GiftChoice:
    """The same choice (same token, same time limit) read afresh: the points and the stock as they
    are now, after a gift was taken here or at another kiosk."""
    volunteer = volunteer_of_choice(station, token)
    return GiftChoice(volunteer, balance(volunteer.id), catalogue(station), token)


def volunteer_of_choice(station: Station, token: str) -> Volunteer:
    """The volunteer a choice token names: signed here, for this station, at most CHOICE_SECONDS old."""
    try:
        data = _choices().loads((token or "")[:300], max_age=CHOICE_SECONDS)
    except SignatureExpired:
        raise DomainError(CHOICE_RAN_OUT) from None
    except BadSignature:
        raise DomainError(SCAN_AGAIN) from None
    volunteer_id = data.get("v") if isinstance(data, dict) else None
    volunteer = db.session.get(Volunteer, volunteer_id) if isinstance(volunteer_id, int) else None
    if volunteer is None or data.get("s") != station.id:
        raise DomainError(SCAN_AGAIN)
    return volunteer


def give_at_desk(keeper: Keeper, station: Station, volunteer: Volunteer, gift_id: int, now: datetime,
                 once: str | None = None) -> Redemption:
    """The volunteer is at the keeper's desk: the gift is set aside and handed over in one go. The
    same form sent again (`once`: a double tap, a resent form) gives nothing more."""
    try:
        redemption = ask_for_gift(station, volunteer, gift_id, now, once=once)
    except NotEnoughPoints as short:  # said to the keeper: whose points they are
        raise DomainError(NOT_ENOUGH_FOR_THEIR_GIFT(volunteer.name, short.left, short.needed)) from None
    if redemption.status != "waiting":  # this form's gift, given already
        return redemption
    return hand_over(keeper, station, redemption, now)


def hand_over(keeper: Keeper, station: Station, redemption: Redemption, now: datetime) -> Redemption:
    """The keeper gave the gift: the redemption is done."""
    _decide(redemption, "handed", keeper, now, from_statuses=("waiting",),
            refusal=_l("This redemption was already handed over or cancelled."))
    audit(keeper, station, "redemption.handed", volunteer_id=redemption.volunteer_id,
          after={"gift": redemption.gift.name, "points": redemption.points}, now=now)
    return redemption


def cancel(keeper: Keeper, station: Station, redemption: Redemption, now: datetime) -> Redemption:
    """Undo a redemption (waiting, or handed by mistake): the points come back with a reversal
    line, and the gift goes back into stock."""
    _decide(redemption, "cancelled", keeper, now, from_statuses=("waiting", "handed"),
            refusal=_l("This redemption was already cancelled."))
    spent = db.session.scalar(select(PointsLine).where(PointsLine.redemption_id == redemption.id,
                                                      PointsLine.kind == "gift"))
    if spent is not None:
        refund(station, spent, now)
    db.session.execute(update(Gift).where(Gift.id == redemption.gift_id).values(stock=Gift.stock + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(redemption.gift)
    audit(keeper, station, "redemption.cancelled", volunteer_id=redemption.volunteer_id,
          after={"gift": redemption.gift.name, "points": redemption.points}, now=now)
    return redemption


def cancel_erased_waiting(keeper: Keeper, station: Station, volunteer: Volunteer, now: datetime) -> None:
    """Before a volunteer is erased: gifts set aside for them and not yet handed over are cancelled
    (an erased record gets no gifts), so the stock is back on the shelf for others."""
    for redemption in db.session.scalars(select(Redemption).where(
            Redemption.volunteer_id == volunteer.id, Redemption.station_id == station.id,
            Redemption.status == "waiting")).all():
        cancel(keeper, station, redemption, now)


def _decide(redemption: Redemption, status: str, keeper: Keeper, now: datetime, from_statuses: tuple, refusal) -> None:
    """Move a redemption on only from a status it is still in: two keepers tapping at once change it once."""
    changed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status.in_(from_statuses))
        .values(status=status, decided_at=now, keeper_id=keeper.id).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(redemption)
    if changed != 1:
        raise DomainError(refusal)


def waiting(station: Station) -> list[Redemption]:
    return list(db.session.scalars(select(Redemption).where(Redemption.station_id == station.id,
                                                            Redemption.status == "waiting")
                                   .order_by(Redemption.requested_at)))


def waiting_warning(station: Station, volunteer: Volunteer, now: datetime) -> str | None:
    """Said beside the deactivate button: a gift already paid for in points stays waiting, for
    the keeper to hand over when they come by or to cancel (the points come back)."""
    names = db.session.scalars(select(Gift.name).join(Redemption, Redemption.gift_id == Gift.id)
                               .where(Redemption.station_id == station.id, Redemption.volunteer_id == volunteer.id,
                                      Redemption.status == "waiting").order_by(Redemption.requested_at)).all()
    if not names:
        return None
    return _l("Has a gift waiting to be handed over (%(gifts)s): it stays on the Gifts page, to hand over or cancel.",
              gifts="、".join(names))


def recent(station: Station, limit: int = 30) -> list[Redemption]:
    return list(db.session.scalars(select(Redemption).where(Redemption.station_id == station.id,
                                                            Redemption.status != "waiting")
                                   .order_by(Redemption.decided_at.desc()).limit(limit)))


def of_volunteer(volunteer_id: int, limit: int = 10) -> list[Redemption]:
    return list(db.session.scalars(select(Redemption).where(Redemption.volunteer_id == volunteer_id)
                                   .order_by(Redemption.requested_at.desc()).limit(limit)))


def describe(values: dict | None) -> str:
    if not values:
        return "—"
    if "gift" in values:
        return f"{values['gift']} · {values['points']}"
    return f"{values.get('name')} · {values.get('points')} · {values.get('stock')}"


def redemptions_as_data(volunteer: Volunteer) -> list[dict]:
    """A volunteer's gifts, for the export of everything stored about them."""
    return [{"gift": r.gift.name, "points": r.points, "status": r.status, "requested_at": r.requested_at.isoformat(),
             "decided_at": r.decided_at.isoformat() if r.decided_at else None}
            for r in db.session.scalars(select(Redemption).where(Redemption.volunteer_id == volunteer.id)
                                        .order_by(Redemption.requested_at))]
