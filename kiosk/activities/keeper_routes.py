"""Keeper pages for activities: plan, change or cancel one, see who signed up, who served and
how residents rated it, and record one held elsewhere in one go."""

from datetime import date, timedelta

from flask import g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from kiosk.activities.forms import ActivityForm, RecordForm
from kiosk.activities.models import Activity
from kiosk.activities.ratings import summary
from kiosk.activities.schedule import (
    MONTH_LIMIT,
    cancel_activity,
    change_activity,
    check_plan,
    held_in_month,
    plan_activity,
    record_held_elsewhere,
    recent,
    served,
    signup_count,
    signups,
    upcoming,
)
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import NOT_A_CHOICE, EmptyForm, attach_error, first_error, validated
from kiosk.core.i18n import station_title
from kiosk.core.stations import (FIRST_DAY, LAST_DAY, local_input_value, local_today, parse_local_datetime, parse_month,
                                 station_record)
from kiosk.core.text import search_words
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, render
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Team, Volunteer

bp = keeper_blueprint("activities_keeper", __name__)


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.station_id == g.station.id).order_by(Team.id)))


def _plan(form: ActivityForm):
    """The form as a checked plan, or a DomainError naming every field at fault."""
    unread = {}  # what cannot be read says so, not the rule's "please give a start"
    team = (form.team_id.data or "").strip()
    if team and not (team.isdigit() and len(team) <= 9):
        unread["team_id"], team = NOT_A_CHOICE, ""
    times = {}
    for field in (form.starts_at, form.ends_at):
        try:
            times[field.name] = parse_local_datetime(g.station, field.data, field.name)
        except DomainError as err:
            unread[field.name], times[field.name] = err.message, None
    try:
        plan = check_plan(g.station, form.name.data, int(team) if team else None, form.place.data or "",
                          form.content.data or "", times["starts_at"], times["ends_at"], form.recurring.data,
                          form.capacity.data, form.person_in_charge.data or "", form.organiser.data or "", now=utcnow())
    except DomainError as err:
        raise DomainError.of_fields({**err.by_field(), **unread}) from None
    if unread:
        raise DomainError.of_fields(unread)
    return plan


def _list_page(status: int = 200, form: ActivityForm | None = None, block: str = "content", **earlier):
    now = utcnow()
    # The station as this page writes its name (its 繁體 name on a 繁體 page), as the heading does.
    form = form or ActivityForm(formdata=None, organiser=station_title(g.station),
                                person_in_charge=g.station.person_in_charge)
    coming = upcoming(g.station, now, 50, with_cancelled=True)
    this_month = local_today(g.station, now).replace(day=1)
    earlier = {"month": None, "month_text": _month_text(this_month - timedelta(days=1)), "month_error": None,
               "held": [], "month_limit": MONTH_LIMIT, **earlier}
    return render("activities/keeper_list.html", block=block, status=status, form=form, teams=_teams(),
                  upcoming=coming, recent=[a for a in recent(g.station, now, with_cancelled=True) if a.ends_at <= now],
                  places_taken={a.id: signup_count(a.id) for a in coming}, **earlier)


def _month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@bp.get("/activities")
def activities():
    """The list; ?month=2026-10 adds the activities held that month (older ones are found there).
    With htmx only that part, the month chooser's answer."""
    if "month" not in request.args:
        return _list_page(block="earlier")
    typed = request.args["month"][:20]
    refuse_with(lambda err: _list_page(status=err.status, block="earlier", month_text=typed, month_error=err.message))
    first = parse_month(typed)
    before, after = first - timedelta(days=1), first + timedelta(days=31)  # in the months either side
    return _list_page(block="earlier", month=first, month_text=_month_text(first), held=held_in_month(g.station, first),
                      month_before=_month_text(before) if before >= FIRST_DAY else None,
                      month_after=_month_text(after) if after <= LAST_DAY else None)


@bp.post("/activities")
def plan():
    form = ActivityForm()
    refuse_with(lambda err: _list_page(status=err.status, form=attach_error(form, err)))
    checked = validated(form, lambda: _plan(form))
    if checked is None:
        return _list_page(status=422, form=form)
    activity = plan_activity(current_user, g.station, checked, utcnow())
    return redirect(url_for("activities_keeper.activity", activity_id=activity.id), 303)


def _page(activity: Activity, status: int = 200, form: ActivityForm | None = None,
          record_form: RecordForm | None = None, **extra):
    station = g.station
    form = form or ActivityForm(
        formdata=None, name=activity.name, team_id=str(activity.team_id or ""), place=activity.place,
        content=activity.content, starts_at=local_input_value(station, activity.starts_at),
        ends_at=local_input_value(station, activity.ends_at), recurring=activity.recurring,
        capacity=activity.capacity, person_in_charge=activity.person_in_charge, organiser=activity.organiser)
    signed_up = signups(activity)
    signed_up_ids = {s.volunteer_id for s in signed_up}
    volunteers = sorted(db.session.scalars(select(Volunteer).where(Volunteer.station_id == station.id,
                                                                   Volunteer.active.is_(True)).order_by(Volunteer.number)),
                        key=lambda v: v.id not in signed_up_ids)  # those who signed up first, then by number
    return render("activities/keeper_activity.html", status=status, activity=activity, form=form, teams=_teams(),
                  signups=signed_up, served=served(station, activity), ratings=summary(activity),
                  volunteers=volunteers, signed_up=signed_up_ids, search_words=search_words,
                  record_form=record_form or RecordForm(formdata=None), button=EmptyForm(), **extra)


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
def activity(activity_id):
    activity = station_record(Activity, activity_id)
    if not form_sent():
        return _page(activity)
    form = ActivityForm()
    refuse_with(lambda err: _page(station_record(Activity, activity_id), status=err.status, form=attach_error(form, err)))
    checked = validated(form, lambda: _plan(form))
    if checked is None:
        return _page(activity, status=422, form=form)
    change_activity(current_user, g.station, activity, checked, utcnow())
    return redirect(url_for("activities_keeper.activity", activity_id=activity_id), 303)


@bp.get("/activities/<int:activity_id>/cancel")
def ask_to_cancel(activity_id):
    """Cancelling cannot be undone: the keeper is asked first and told how many signed up. Without
    JavaScript the activity's page with the question; with htmx the question in place of the button."""
    return _page(station_record(Activity, activity_id), block="cancel", asking_to_cancel=True)


@bp.post("/activities/<int:activity_id>/cancel")
def cancel(activity_id):
    activity = station_record(Activity, activity_id)
    if request.form.get("confirm") != "yes":  # a post that did not answer the question (an older page): ask it
        return redirect(url_for("activities_keeper.ask_to_cancel", activity_id=activity_id, _anchor="cancel"), 303)
    refuse_with(lambda err: _page(station_record(Activity, activity_id), status=err.status, error=err.message))
    cancel_activity(current_user, g.station, activity, utcnow())
    return redirect(url_for("activities_keeper.activity", activity_id=activity_id), 303)


@bp.post("/activities/<int:activity_id>/record")
def record(activity_id):
    """Record an activity held elsewhere: the chosen volunteers, its times (or others typed)."""
    activity = station_record(Activity, activity_id)
    form = RecordForm()
    # refused: the same ticks and times come back, with the message beside the field it names
    refuse_with(lambda err: _page(station_record(Activity, activity_id), status=err.status, record_form=form,
                                  record_error=err.message, record_field=err.field))
    if not form.validate():
        raise DomainError(first_error(form))
    ids = [v for v in (form.volunteers.data or []) if v.isdigit() and len(v) <= 9]
    if len(ids) != len(form.volunteers.data or []):
        raise DomainError(NOT_A_CHOICE, field="volunteers")
    station = g.station
    count = record_held_elsewhere(current_user, station, activity, [int(v) for v in ids],
                                  parse_local_datetime(station, form.starts_at.data, "starts_at"),
                                  parse_local_datetime(station, form.ends_at.data, "ends_at"), utcnow())
    return redirect(url_for("activities_keeper.activity", activity_id=activity_id, recorded=count), 303)
