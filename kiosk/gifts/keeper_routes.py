"""Keeper pages for gifts: redemptions waiting to be handed over, the catalogue, and a gift given
from a volunteer's page."""

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from kiosk.core.clock import utcnow
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.forms import NOT_A_CHOICE, EmptyForm, attach_error, first_refusal
from kiosk.core.models import Station
from kiosk.core.once import new_once
from kiosk.core.stations import station_record
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.gifts.forms import GiftForm, KeeperRedeemForm
from kiosk.gifts.models import Gift, Redemption
from kiosk.gifts.redemptions import (add_gift, cancel, catalogue, change_gift, editable_details, give_at_desk, hand_over,
                                     of_volunteer, recent, waiting)
from kiosk.people.keeper_routes import volunteer_page
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Volunteer

bp = keeper_blueprint("gifts_keeper", __name__)


def volunteer_section(volunteer: Volunteer, station: Station) -> dict:
    return {"gift_choices": catalogue(station), "redemptions": of_volunteer(volunteer.id),
            "redeem_form": KeeperRedeemForm(formdata=None, once=new_once())}


def _page(status: int = 200, **extra):
    extra.setdefault("new_form", GiftForm(formdata=None))
    gifts = catalogue(g.station, active_only=False)
    return render("gifts/keeper.html", status=status, waiting=waiting(g.station), gifts=gifts,
                  seen={gift.id: edit_stamp(editable_details(gift)) for gift in gifts},
                  recent=recent(g.station), form=EmptyForm(), **extra)


@bp.get("/gifts")
def gifts():
    return _page()


@bp.post("/gifts")
def add():
    form = GiftForm()
    refuse_with(lambda err: _page(status=err.status, new_form=attach_error(form, err)))
    if not form.validate():
        return _page(status=422, new_form=form)
    add_gift(current_user, g.station, form.name.data, form.points.data, form.stock.data, utcnow())
    return redirect(url_for("gifts_keeper.gifts"), 303)


@bp.post("/gifts/<int:gift_id>")
def change(gift_id):
    gift = station_record(Gift, gift_id)
    form = GiftForm()
    # refused: that gift's row shows what was typed, the message after it; changed by another keeper
    # or a kiosk meanwhile, the row as it is now
    refuse_with(lambda err: _page(status=err.status, edit_id=gift_id, edit_error=err.message, edit_field=err.field,
                                  edit_form=None if isinstance(err, EditedMeanwhile) else form))
    if not form.validate():
        raise first_refusal(form)
    change_gift(current_user, g.station, gift, form.name.data, form.points.data, form.stock.data, form.active.data, utcnow(),
                seen=form.seen.data or None)
    return redirect(url_for("gifts_keeper.gifts"), 303)


@bp.post("/redemptions/<int:redemption_id>/hand-over")
def hand(redemption_id):
    redemption = station_record(Redemption, redemption_id)
    refuse_with(lambda err: _page(status=err.status, error=err.message))
    hand_over(current_user, g.station, redemption, utcnow())
    return redirect(url_for("gifts_keeper.gifts"), 303)


@bp.post("/redemptions/<int:redemption_id>/cancel")
def cancel_redemption(redemption_id):
    redemption = station_record(Redemption, redemption_id)
    refuse_with(lambda err: _page(status=err.status, error=err.message))
    cancel(current_user, g.station, redemption, utcnow())
    return redirect(url_for("gifts_keeper.gifts"), 303)


@bp.post("/volunteers/<int:volunteer_id>/gift")
def give_gift(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    form = KeeperRedeemForm()
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, volunteer_id), status=err.status,
                                           gift_error=err.message, redeem_form=form))  # the gift chosen stays chosen
    if not form.validate() or not form.gift_id.data.isdigit() or len(form.gift_id.data) > 9:
        raise DomainError(NOT_A_CHOICE)
    given = give_at_desk(current_user, g.station, volunteer, int(form.gift_id.data), utcnow(), once=form.once.data or None)
    # Said beside the gifts (the page opens there), so nobody gives it again to be sure.
    flash(_("Given: %(gift)s, %(points)s points spent.", gift=given.gift.name, points=given.points), "gifts")
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id, _anchor="gifts"), 303)
