"""Keeper pages for points: a volunteer's points on their page (balance, lines, a bonus or a
correction, reversing a line), and the station's points per confirmed hour."""

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import attach_error, first_error, first_refusal
from kiosk.core.models import Station
from kiosk.core.once import new_once
from kiosk.core.stations import station_record
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.keeper_routes import volunteer_page
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Volunteer
from kiosk.suggest.keeper_routes import suggestion_of_station, suggestion_page
from kiosk.points.forms import AwardForm, LeadForm, PointsSettingForm, ReverseForm
from kiosk.points.ledger import (KEEPS_A_RATE, award, balance, lead_reward, lines, reverse, reversed_ids, reward_lead,
                                 set_points_per_hour)
from kiosk.points.models import PointsLine

bp = keeper_blueprint("points_keeper", __name__)


def volunteer_section(volunteer: Volunteer, station: Station) -> dict:
    return {"points_balance": balance(volunteer.id), "points_lines": lines(volunteer.id, 20),
            "points_reversed": reversed_ids(volunteer.id), "award_form": AwardForm(formdata=None, once=new_once()),
            "reverse_form": ReverseForm(formdata=None)}


def phone_section(volunteer: Volunteer, station: Station) -> dict:
    return {"points_balance": balance(volunteer.id), "points_lines": lines(volunteer.id, 5)}


DEFAULT_LEAD_POINTS = 20


def suggestion_section(suggestion, station: Station) -> dict:
    """On a suggestion's keeper page: who found it, and points for a valid lead (随手拍)."""
    if suggestion.volunteer_id is None:
        return {"lead_volunteer": None}
    return {"lead_volunteer": db.session.get(Volunteer, suggestion.volunteer_id), "lead_reward": lead_reward(suggestion.id),
            "lead_form": LeadForm(formdata=None, amount=DEFAULT_LEAD_POINTS)}


@bp.post("/suggestions/<code>/reward")
def reward(code):
    suggestion = suggestion_of_station(code)
    form = LeadForm()
    # Beside the points form when the suggestion has one, else at the top of the page.
    refuse_with(lambda err: suggestion_page(code, status=err.status, lead_error=err.message, lead_form=form,
                                            error=None if suggestion.volunteer_id else err.message))
    if not form.validate():
        raise first_refusal(form)
    reward_lead(current_user, g.station, suggestion, form.amount.data, utcnow())
    return redirect(url_for("suggest_keeper.suggestion", code=code), 303)


@bp.post("/volunteers/<int:volunteer_id>/points")
def give(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    form = AwardForm()
    # refused: the points and reason typed come back, the message beside the field at fault
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, volunteer_id), status=err.status,
                                           points_error=err.message, points_field=err.field, award_form=form))
    if not form.validate():
        raise first_refusal(form)
    line = award(current_user, g.station, volunteer, form.amount.data, form.reason.data, utcnow(),
                 once=form.once.data or None)
    flash(_("Saved: %(amount)s points, %(reason)s.", amount=f"{line.amount:+d}", reason=line.reason), "points")
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id, _anchor="points"), 303)


@bp.post("/points/<int:line_id>/reverse")
def reverse_line(line_id):
    line = station_record(PointsLine, line_id)
    form = ReverseForm()
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, line.volunteer_id), status=err.status,
                                           points_error=err.message))
    if not form.validate():
        raise DomainError(first_error(form))
    reverse(current_user, g.station, line, form.reason.data, utcnow())
    return redirect(url_for("keeper.volunteer", volunteer_id=line.volunteer_id, _anchor="points"), 303)


@bp.route("/points", methods=["GET", "POST"])
def settings():
    form = PointsSettingForm(data={"points_per_hour": g.station.points_per_hour})
    refuse_with(lambda err: render("points/settings.html", status=err.status, form=attach_error(form, err),
                                   recent=_recent()))
    if form.is_submitted():
        if not form.validate():
            raise first_refusal(form)
        set_points_per_hour(current_user, g.station, form.points_per_hour.data, utcnow())
        return redirect(url_for("points_keeper.settings", saved=1), 303)
    return render("points/settings.html", form=form, recent=_recent())


def _recent() -> list[tuple[PointsLine, Volunteer]]:
    return list(db.session.execute(select(PointsLine, Volunteer).join(Volunteer, Volunteer.id == PointsLine.volunteer_id)
                                   .where(PointsLine.station_id == g.station.id, ~KEEPS_A_RATE)
                                   .order_by(PointsLine.at.desc(), PointsLine.id.desc()).limit(50)).all())
