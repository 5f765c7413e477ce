"""Activities for residents and volunteers: what is coming up (kiosk), rating an activity (kiosk
or a resident's phone, no sign-in), and signing up from a volunteer's own phone."""

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from kiosk.activities.forms import RatingForm
from kiosk.activities.models import Activity
from kiosk.activities.ratings import TAP_A_FACE, rate
from kiosk.activities.schedule import (cancelled_sign_ups, recent, sign_up, signed_up_ids, signup_count, upcoming,
                                      withdraw)
from kiosk.checkin.phone import phone_stopped, volunteer_for_phone
from kiosk.checkin.phone_routes import COOKIE as PHONE_COOKIE
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.forms import EmptyForm, first_error
from kiosk.core.limits import device_id, who, with_device_cookie
from kiosk.core.once import new_once
from kiosk.core.qr import qr_svg
from kiosk.core.stations import phone_page, station_record, station_required
from kiosk.core.transaction import after_commit, refuse_with
from kiosk.core.web import link_for_phones, render, wants_fragment
from kiosk.people.models import Volunteer

bp = station_required(Blueprint("activities", __name__, url_prefix="/activities", template_folder="templates"))
phone_bp = station_required(Blueprint("activities_phone", __name__, url_prefix="/m/activities"))


def phone_section(volunteer: Volunteer, station) -> dict:
    """Upcoming activities on the volunteer's phone page, with their sign-ups; first, any they
    signed up for that were cancelled."""
    now = utcnow()
    coming = upcoming(station, now)
    return {"activities": coming, "signed_up": signed_up_ids(volunteer.id), "now": now,
            "cancelled": cancelled_sign_ups(station, volunteer, now),
            "places_taken": {a.id: signup_count(a.id) for a in coming}, "signup_form": EmptyForm(formdata=None)}


@bp.get("/")
def board():
    """The kiosk's activity board: what is coming up, and recent ones to rate."""
    now = utcnow()
    coming = upcoming(g.station, now)
    link = link_for_phones("activities.rate_page")
    return with_device_cookie(render(
        "activities/board.html", upcoming=coming, places_taken={a.id: signup_count(a.id) for a in coming},
        to_rate=recent(g.station, now, limit=6), form=RatingForm(formdata=None), once=new_once(),
        qr=qr_svg(link, box_size=5)))


@bp.get("/rate")
@phone_page
def rate_page():
    return with_device_cookie(render("activities/rate.html", to_rate=recent(g.station, utcnow(), limit=10),
                                     form=RatingForm(formdata=None), once=new_once()))


@bp.post("/<int:activity_id>/rate")
@phone_page
def submit_rating(activity_id):
    activity = station_record(Activity, activity_id)
    form = RatingForm()
    refuse_with(lambda err: _rated(activity, status=err.status, error=err.message))
    if not form.validate():  # a score is a face tapped: nobody typed a number to be told how
        raise DomainError(TAP_A_FACE if form.score.errors else first_error(form))
    # The station's own kiosk is shared by many residents: there each rating counts.
    device = None if g.kiosk_tablet else device_id()
    rate(g.station, activity, form.score.data, form.words.data, device, who(), utcnow(), once=request.form.get("once"))
    return with_device_cookie(_rated(activity, thanks=True))


def _rated(activity: Activity, status: int = 200, **message):
    """Thanks or a refusal in place of the faces (or, without JavaScript, above the list)."""
    return render("activities/rate.html", "rated", status=status, activity=activity,
                  to_rate=recent(g.station, utcnow(), limit=10), form=RatingForm(formdata=None), once=new_once(),
                  **message)


UNKNOWN_PHONE = _l("This phone does not know you yet. Scan the code on the kiosk screen to start.")


def _volunteer() -> Volunteer:
    token = request.cookies.get(PHONE_COOKIE)
    volunteer = volunteer_for_phone(g.station, token)
    if volunteer is None:
        raise DomainError(phone_stopped(g.station, token) or UNKNOWN_PHONE)
    return volunteer


@phone_bp.post("/<int:activity_id>/sign-up")
@phone_page
def phone_sign_up(activity_id):
    return _change_signup(activity_id, sign_up, lambda name: _l("Signed up: %(name)s. See you there!", name=name))


@phone_bp.post("/<int:activity_id>/withdraw")
@phone_page
def phone_withdraw(activity_id):
    return _change_signup(activity_id, withdraw, lambda name: _l(
        "Withdrawn: %(name)s. Your place is given up; to come after all, sign up again here while places are left.",
        name=name))


def _change_signup(activity_id: int, change, said):
    """A tap on the phone page's list. Sent by htmx (so a station computer that does not answer is
    said on the page, as for the check-in button), the answer is the list as it is now, with what
    the tap did; without JavaScript, My hours again, saying it there."""
    activity = station_record(Activity, activity_id)
    refuse_with(_not_your_phone)
    volunteer = _volunteer()
    refuse_with(lambda err: _phone_activities(volunteer, status=err.status, error=err.message))
    change(g.station, volunteer, activity, utcnow())
    # Said once it is stored: a change that failed to commit never says "signed up" on the next page.
    after_commit(lambda: flash(str(said(activity.name)), "activities"))
    if wants_fragment():
        return _phone_activities(volunteer)
    return redirect(url_for("phone.me", _anchor="activities"), 303)


def _phone_activities(volunteer: Volunteer, status: int = 200, **message):
    """The phone page's list as it is now, with what the tap did or why it was refused; without
    JavaScript, a refusal is a page of its own with the way back."""
    if not wants_fragment():
        return render("activities/_phone_message.html", status=status, **message)
    return render("activities/_phone_activities.html", "activities", status=status,
                  **phone_section(volunteer, g.station), **message)


def _not_your_phone(err):
    """The phone no longer knows them (signed out, paused, erased): the whole screen says so."""
    response = render("activities/_phone_message.html", status=err.status, error=err.message)
    if wants_fragment():
        response.headers.update({"HX-Retarget": "#main", "HX-Reswap": "innerHTML"})
    return response
