"""The kiosk's gift page: scan your badge, see your points, pick a gift, collect it from a keeper."""

from flask import Blueprint, g

from kiosk.core.clock import utcnow
from kiosk.core.database import reads_before_writing
from kiosk.core.errors import DomainError
from kiosk.core.forms import first_error
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.gifts.forms import BadgeForm, PickForm
from kiosk.gifts.redemptions import ask_for_gift, catalogue, choose_by_badge, volunteer_of_choice
from kiosk.people.badges import SCAN_AGAIN
from kiosk.points.ledger import balance

bp = station_required(Blueprint("gifts", __name__, url_prefix="/gifts", template_folder="templates"))


@bp.get("/")
def page():
    return render("gifts/kiosk.html", form=BadgeForm(), gifts=catalogue(g.station))


def _refusal(err: DomainError):
    """The message where the result goes (or the whole page again, without JavaScript)."""
    return render("gifts/kiosk.html", "result", status=err.status, error=err.message,
                  form=BadgeForm(formdata=None), gifts=catalogue(g.station))


@bp.post("/who")
def who():
    """A badge was scanned: show that volunteer's points and the gifts they can pick."""
    form = BadgeForm()
    refuse_with(_refusal)
    if not form.validate():
        raise DomainError(first_error(form))
    with reads_before_writing():
        choice = choose_by_badge(g.station, form.code.data)
    return render("gifts/kiosk.html", "result", volunteer=choice.volunteer, points=choice.points, gifts=choice.gifts,
                  choice=choice.token, pick=PickForm(formdata=None), form=BadgeForm(formdata=None))


@bp.post("/pick")
def pick():
    form = PickForm()
    refuse_with(_refusal)
    if not form.validate() or not form.gift_id.data.isdigit() or len(form.gift_id.data) > 9:
        raise DomainError(SCAN_AGAIN)
    volunteer = volunteer_of_choice(g.station, form.choice.data)
    redemption = ask_for_gift(g.station, volunteer, int(form.gift_id.data), utcnow())
    return render("gifts/kiosk.html", "result", redemption=redemption, points=balance(volunteer.id),
                  form=BadgeForm(formdata=None), gifts=catalogue(g.station))
