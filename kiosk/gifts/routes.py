"""The kiosk's gift page: scan your badge, see your points, tap a gift, say 换 to the question
"用 150 积分换 保温杯？", collect it from a keeper."""

from flask import Blueprint, g

from kiosk.core.clock import utcnow
from kiosk.core.database import reads_before_writing
from kiosk.core.errors import DomainError
from kiosk.core.forms import first_error
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render, wants_fragment
from kiosk.gifts.forms import BackForm, BadgeForm, ConfirmForm, PickForm
from kiosk.gifts.models import Gift
from kiosk.gifts.redemptions import (ask_for_gift, catalogue, choice_again, choose_by_badge, offer_gift,
                                     volunteer_of_choice)
from kiosk.people.badges import SCAN_AGAIN

bp = station_required(Blueprint("gifts", __name__, url_prefix="/gifts", template_folder="templates"))


@bp.get("/")
def page():
    return render("gifts/kiosk.html", form=BadgeForm(), catalogue=catalogue(g.station))


def _answer(gifts_here: list[Gift], status: int = 200, **context):
    """The result, and under it the volunteer's gifts as they are now (their points, the stock),
    whatever happened since the scan; for htmx the station's list further down (`gifts_here`, read
    with the rest, so a scan takes no write lock for it) is brought up to date too."""
    return render("gifts/kiosk.html", "result", status=status, form=BadgeForm(formdata=None), pick=PickForm(formdata=None),
                  catalogue=gifts_here, refresh_catalogue=wants_fragment(), **context)


def _refusal(err: DomainError, choice_token: str | None = None):
    """The message where the result goes (or the whole page again, without JavaScript); with the
    volunteer's gifts read again when the choice still stands."""
    choice = None
    if choice_token:
        try:
            choice = choice_again(g.station, choice_token)
        except DomainError:
            choice = None
    return _answer(choice.gifts if choice else catalogue(g.station), status=err.status, error=err.message, choice=choice)


def _gift_id(form) -> int:
    if not form.validate() or not form.gift_id.data.isdigit() or len(form.gift_id.data) > 9:
        raise DomainError(SCAN_AGAIN)
    return int(form.gift_id.data)


@bp.post("/who")
def who():
    """A badge was scanned: show that volunteer's points and the gifts they can pick."""
    form = BadgeForm()
    refuse_with(_refusal)
    if not form.validate():
        raise DomainError(first_error(form))
    with reads_before_writing():
        choice = choose_by_badge(g.station, form.code.data)
    return _answer(choice.gifts, choice=choice)


@bp.post("/pick")
def pick():
    """A gift tapped: nothing is spent, the volunteer is asked first."""
    form = PickForm()
    refuse_with(lambda err: _refusal(err, form.choice.data))
    gift_id = _gift_id(form)
    with reads_before_writing():
        choice_token = form.choice.data
        question = offer_gift(g.station, volunteer_of_choice(g.station, choice_token), gift_id)
        gifts_here = catalogue(g.station)
    return _answer(gifts_here, question=question, choice_token=choice_token, confirm=ConfirmForm(formdata=None))


@bp.post("/confirm")
def confirm():
    """换: the gift is set aside and the points spent, once however often the answer is sent."""
    form = ConfirmForm()
    refuse_with(lambda err: _refusal(err, form.choice.data))
    gift_id = _gift_id(form)
    volunteer = volunteer_of_choice(g.station, form.choice.data)
    redemption = ask_for_gift(g.station, volunteer, gift_id, utcnow(), once=form.once.data)
    choice = choice_again(g.station, form.choice.data)
    return _answer(choice.gifts, redemption=redemption, choice=choice)


@bp.post("/back")
def back():
    """不换了: nothing changes; the volunteer's gifts again, or the empty screen once the choice has
    run out (the kiosk has reset itself by then)."""
    form = BackForm()
    refuse_with(lambda err: _answer(catalogue(g.station)))
    with reads_before_writing():
        if not form.validate():
            raise DomainError(SCAN_AGAIN)
        choice = choice_again(g.station, form.choice.data)
    return _answer(choice.gifts, choice=choice)
