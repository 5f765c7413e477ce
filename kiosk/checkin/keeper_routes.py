"""Keeper pages for check-in: sessions to review, corrections, check-in by hand, phone link codes.
Check-in's part of a volunteer's page is registered in checkin/__init__.py."""

from flask import flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kiosk.checkin.attendance import (minutes_served, recent_sessions, session_minutes, settle_forgotten_sessions,
                                     system_closing)
from kiosk.checkin.corrections import (
    confirm_session,
    correct_session,
    delete_session,
    flagged_sessions,
    keeper_check_in,
    keeper_check_out,
    session_times,
)
from kiosk.checkin.forms import ManualTimeForm, SessionForm
from kiosk.checkin.hours import confirm_day, days_to_confirm
from kiosk.checkin.models import ServiceSession
from kiosk.checkin.phone import issue_phone_code
from kiosk.core.clock import utcnow
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.forms import EmptyForm, attach_error
from kiosk.core.i18n import format_hours, local_time
from kiosk.core.models import Station
from kiosk.core.stations import local_input_value, parse_day, parse_local_datetime, station_record
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, render
from kiosk.people.keeper_routes import refuse_on_volunteer_page, volunteer_page
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Volunteer

bp = keeper_blueprint("checkin_keeper", __name__)


def volunteer_section(volunteer: Volunteer, station: Station) -> dict:
    """What check-in adds to a volunteer's page."""
    return {"sessions": recent_sessions(volunteer.id, 30), "total_minutes": minutes_served(station, volunteer.id),
            "time_form": ManualTimeForm(formdata=None), "now_value": local_input_value(station, utcnow())}


@bp.post("/volunteers/<int:volunteer_id>/phone-code")
def phone_code(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    refuse_on_volunteer_page(volunteer_id)
    code = issue_phone_code(volunteer, utcnow())
    # Shown once, on this page only: the keeper reads it out to the volunteer.
    return volunteer_page(volunteer, phone_code=code)


@bp.post("/volunteers/<int:volunteer_id>/check-in")
def check_in(volunteer_id):
    return _by_hand(volunteer_id, keeper_check_in)


@bp.post("/volunteers/<int:volunteer_id>/check-out")
def check_out(volunteer_id):
    return _by_hand(volunteer_id, keeper_check_out)


def _by_hand(volunteer_id, operation):
    volunteer = station_record(Volunteer, volunteer_id)
    form = ManualTimeForm()
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, volunteer_id), status=err.status,
                                           time_error=err.message, time_form=form))  # the time typed comes back
    now = utcnow()
    at = parse_local_datetime(g.station, form.at.data, "at") or now
    session = operation(current_user, g.station, volunteer, at, now)
    if session.auto_closed and session.check_out_method == "auto":
        flash(str(_closed_by_the_system(g.station, session)))
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id), 303)


def _closed_by_the_system(station, session):
    """Said after a check-in typed for a time the system has already closed: at which of its times
    (a check-in after closing runs to the next opening; one before a later session, to its start)."""
    at = local_time(session.checked_out_at, station, format="MM-dd HH:mm")
    closed = system_closing(station, session)
    if closed == "closing":
        return _l("Checked in. That day has closed, so the system checked them out at its closing time "
                  "(%(time)s): enter the real check-out time below.", time=at)
    if closed == "opening":
        return _l("Checked in after closing time, so the system checked them out at the next opening time "
                  "(%(time)s): enter the real check-out time below.", time=at)
    if closed == "next session":
        return _l("Checked in. Their next session begins at %(time)s, so the system checked them out then for "
                  "now: enter the real check-out time below.", time=at)
    return _l("Checked in. The system has already checked them out at %(time)s: enter the real check-out time "
              "below.", time=at)


@bp.get("/review")
def review():
    settle_forgotten_sessions(g.station, utcnow())
    return _review_page()


def _review_page(status: int = 200, **extra):
    return render("checkin/review.html", status=status, sessions=flagged_sessions(g.station),
                  days=days_to_confirm(g.station), form=EmptyForm(), **extra)


@bp.post("/hours/confirm-day")
def confirm_hours_of_day():
    """One tap confirms every finished session of a day."""
    refuse_with(lambda err: _review_page(status=err.status, error=err.message))
    day = parse_day(request.form.get("day", ""))
    count = confirm_day(current_user, g.station, day, utcnow())
    return redirect(url_for("checkin_keeper.review", confirmed=count, day=day.isoformat()), 303)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id):
    session = station_record(ServiceSession, session_id)
    station = g.station
    if not form_sent():
        return render("checkin/session_form.html", form=_session_form_as_stored(session), session=session)
    form = SessionForm()
    if not form.validate():
        return render("checkin/session_form.html", status=422, form=form, session=session)
    refuse_with(lambda err: _session_edit_refused(session_id, form, err))
    checked_in_at = parse_local_datetime(station, form.checked_in_at.data, "checked_in_at")
    checked_out_at = parse_local_datetime(station, form.checked_out_at.data, "checked_out_at")
    correct_session(current_user, station, session, checked_in_at, checked_out_at, utcnow(), seen=form.seen.data or None)
    flash(str(_l("Saved: %(session)s.", session=_described(session))))
    return redirect(url_for("keeper.volunteer", volunteer_id=session.volunteer_id), 303)


def _session_form_as_stored(session: ServiceSession) -> SessionForm:
    return SessionForm(formdata=None, checked_in_at=local_input_value(g.station, session.checked_in_at),
                       checked_out_at=local_input_value(g.station, session.checked_out_at),
                       seen=edit_stamp(session_times(session)))


def _session_edit_refused(session_id: int, form: SessionForm, err: DomainError):
    session = station_record(ServiceSession, session_id)
    if isinstance(err, EditedMeanwhile):  # the times as they are now, to change again
        form = _session_form_as_stored(session)
    return render("checkin/session_form.html", status=err.status, form=attach_error(form, err), session=session)


@bp.post("/sessions/<int:session_id>/confirm")
def confirm(session_id):
    session = station_record(ServiceSession, session_id)
    refuse_with(lambda err: _review_page(status=err.status, review_error=err.message))
    confirm_session(current_user, g.station, session, utcnow())
    flash(str(_l("Confirmed: %(session)s.", session=_described(session))))
    if request.form.get("back") == "volunteer":
        return redirect(url_for("keeper.volunteer", volunteer_id=session.volunteer_id), 303)
    return redirect(url_for("checkin_keeper.review"), 303)


@bp.get("/sessions/<int:session_id>/delete")
def ask_to_delete(session_id):
    """Deleting takes the session's hours, and the points they earned, for good: the keeper is asked
    first. Without JavaScript the session's page with the question; with htmx the question in place
    of the button."""
    session = station_record(ServiceSession, session_id)
    return render("checkin/session_form.html", block="delete", form=_session_form_as_stored(session), session=session,
                  asking_to_delete=True, described=_described(session))


@bp.post("/sessions/<int:session_id>/delete")
def delete(session_id):
    session = station_record(ServiceSession, session_id)
    if request.form.get("confirm") != "yes":  # a post that did not answer the question (an older page): ask it
        return redirect(url_for("checkin_keeper.ask_to_delete", session_id=session_id, _anchor="delete"), 303)
    volunteer_id, described = session.volunteer_id, _described(session)
    delete_session(current_user, g.station, session, utcnow())
    flash(str(_l("Deleted: %(session)s.", session=described)))
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id), 303)


def _described(session: ServiceSession) -> str:
    """A session as a keeper's confirmation names it: whose, when, how long (张晓华 11-22 09:00–12:00, 3 h)."""
    station = g.station
    start = local_time(session.checked_in_at, station, format="MM-dd HH:mm")
    if session.checked_out_at is None:
        return f"{session.volunteer.name} {start}–"
    end = local_time(session.checked_out_at, station, format="HH:mm")
    hours = format_hours(session_minutes(session, station))
    return str(_l("%(name)s %(start)s–%(end)s, %(hours)s h", name=session.volunteer.name, start=start, end=end,
                  hours=hours))
