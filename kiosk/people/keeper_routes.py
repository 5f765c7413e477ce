"""Keeper pages about people: volunteers, their page, badges, the roster import; and the keeper's
station (an admin's choice, a tablet set up as a station's kiosk)."""

import json
import re
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import EmptyForm, attach_error, validated
from kiosk.core.models import Station
from kiosk.core.qr import qr_png, qr_svg
from kiosk.core.stations import KIOSK_STATION_COOKIE, kiosk_tablet_cookie, station_record
from kiosk.core.text import name_key
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, id_arg, keeper_home, render, safe_next, takes_upload
from kiosk.people.audit import done_on_deactivation, last_done_at, volunteer_events
from kiosk.people.badges import badge_stamp, badge_token, card_name_size
from kiosk.people.forms import ImportConfirmForm, ImportUploadForm, VolunteerForm
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Team, Volunteer
from kiosk.people.privacy import deactivation_warnings, erase_volunteer, everything_about, refuse_if_erased
from kiosk.people.teams import add_team, remove_team, rename_team, teams_with_members
from kiosk.people.volunteer_import import apply_import, preview_import, read_roster
from kiosk.people.volunteers import (check_new_volunteer, editable_details, namesakes, register_volunteer, reissued_today,
                                     search_volunteers, set_active, split_list, update_volunteer)
from kiosk.people.volunteers import reissue_badge as reissue_volunteer_badge

bp = keeper_blueprint("keeper", __name__)

NO_FILE = _l("Please choose the roster file (Excel or CSV).")
NO_BADGE = _l("This volunteer has no badge, so there is none to print.")
# A button left on a volunteer's page in another tab, sent after a colleague erased them.
ERASED_MEANWHILE = _l("Not done: this volunteer's personal data was erased meanwhile.")
ID = re.compile(r"[0-9]{1,9}")


@bp.get("/")
def index():
    return redirect(keeper_home(), 303)


@bp.post("/station")
def choose_station():
    """An admin switches the station they are looking at."""
    if not current_user.is_admin:
        abort(403)
    raw = request.form.get("station_id", "")
    station = db.session.get(Station, int(raw)) if ID.fullmatch(raw) else None
    if station is None:
        abort(404)
    session["admin_station_id"] = station.id
    return redirect(safe_next(request.form.get("next"), keeper_home()), 303)


@bp.post("/kiosk-device")
def make_kiosk():
    """Set up the tablet in hand as this station's kiosk (for servers that serve several stations)."""
    response = redirect(url_for("kiosk.home"), 303)
    response.set_cookie(KIOSK_STATION_COOKIE, kiosk_tablet_cookie(g.station), max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# --- Volunteers ------------------------------------------------------------------------------


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.station_id == g.station.id).order_by(Team.id)))


def _volunteer_form(volunteer: Volunteer | None = None, as_stored: bool = False) -> VolunteerForm:
    """The form as sent, or (opening it, or after another keeper's change) as the record is stored."""
    as_stored = as_stored or not form_sent()
    form = VolunteerForm(formdata=None, obj=volunteer) if as_stored else VolunteerForm()
    form.teams.choices = [(t.id, t.name) for t in _teams()]
    if as_stored and volunteer is not None:
        form.teams.data = [t.id for t in volunteer.teams]
        form.skills.data = "、".join(volunteer.skills or [])
        form.seen.data = edit_stamp(editable_details(volunteer))
    return form


def _edit_refused(volunteer_id: int, form: VolunteerForm, err: DomainError):
    volunteer = station_record(Volunteer, volunteer_id)
    if volunteer.erased_at is not None:  # erased while the form was open: nothing is left to edit
        return volunteer_page(volunteer, status=err.status, not_saved=True)
    if isinstance(err, EditedMeanwhile):  # what is stored now, to change again
        form = _volunteer_form(volunteer, as_stored=True)
    return render("people/volunteer_form.html", status=err.status, form=attach_error(form, err), volunteer=volunteer)


def _identity_values(form: VolunteerForm) -> dict:
    values = _form_values(form)
    return {key: values[key] for key in ("name", "mobile", "birth_year", "id_type", "id_number")}


def _form_values(form: VolunteerForm) -> dict:
    chosen = set(form.teams.data or [])
    return {
        "name": form.name.data,
        "mobile": form.mobile.data,
        "birth_year": form.birth_year.data,
        "teams": [t for t in _teams() if t.id in chosen],
        "skills": split_list(form.skills.data),
        "national_code": (form.national_code.data or "").strip() or None,
        "id_type": form.id_type.data or None,
        "id_number": form.id_number.data,
        "hide_from_honor_roll": form.hide_from_honor_roll.data,
    }


# --- Teams ----------------------------------------------------------------------------------


def _teams_page(status: int = 200, error: DomainError | None = None, team_id: int | None = None):
    """The teams; after a refusal, the form at fault shows what was sent (`sent`) beside the message."""
    return render("people/teams.html", status=status, teams=teams_with_members(g.station), form=EmptyForm(),
                  error=error.message if error else None, error_field=error.field if error else None,
                  error_id=team_id, sent=request.form if error else {})


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    if not form_sent():
        return _teams_page()
    refuse_with(lambda err: _teams_page(422, err))
    add_team(current_user, g.station, request.form.get("name", ""), utcnow())
    return redirect(url_for("keeper.teams"), 303)


@bp.post("/teams/<int:team_id>")
def rename(team_id):
    team = station_record(Team, team_id)
    refuse_with(lambda err: _teams_page(422, err, team_id))
    rename_team(current_user, g.station, team, request.form.get("name", ""), utcnow())
    return redirect(url_for("keeper.teams"), 303)


@bp.post("/teams/<int:team_id>/remove")
def remove(team_id):
    team = station_record(Team, team_id)
    refuse_with(lambda err: _teams_page(422, err, team_id))
    into_id = request.form.get("into", "")
    into = station_record(Team, int(into_id)) if re.fullmatch(r"[0-9]{1,9}", into_id) else None
    remove_team(current_user, g.station, team, utcnow(), into=into)
    return redirect(url_for("keeper.teams"), 303)


@bp.get("/volunteers")
def volunteers():
    q = request.args.get("q", "")
    return render("people/volunteers.html", "results", volunteers=search_volunteers(g.station, q), q=q)


@bp.route("/volunteers/new", methods=["GET", "POST"])
def new_volunteer():
    form = _volunteer_form()
    if not form_sent():
        return render("people/volunteer_form.html", form=form, volunteer=None)
    refuse_with(lambda err: render("people/volunteer_form.html", status=err.status, form=attach_error(form, err),
                                   volunteer=None))
    # Every field at fault is said at once: the form's own checks and the rules (a mobile that is
    # no mobile beside an empty name), not one per send.
    if validated(form, lambda: check_new_volunteer(g.station, **_identity_values(form))) is None:
        return render("people/volunteer_form.html", status=422, form=form, volunteer=None)
    volunteer = register_volunteer(g.station, **_form_values(form), by=current_user)
    # The page says if the name is taken already (a second registration of the same person?)
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id, registered=1), 303)


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
def edit_volunteer(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    if volunteer.erased_at is not None and not form_sent():
        # Nothing is left to edit; the volunteer's page says why (update_volunteer refuses a post).
        return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)
    form = _volunteer_form(volunteer)
    refuse_with(lambda err: _edit_refused(volunteer_id, form, err))
    if form_sent():
        refuse_if_erased(volunteer)  # before the form's own checks: no field to correct would help
    if not form.validate_on_submit():
        return render("people/volunteer_form.html", status=422 if form_sent() else 200, form=form,
                      volunteer=volunteer)
    named = name_key(volunteer.name)
    update_volunteer(volunteer, **_form_values(form), by=current_user, seen=form.seen.data or None)
    # A new name may be one the station has already: the page says whose, as after registering.
    renamed = 1 if name_key(volunteer.name) != named else None
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id, renamed=renamed), 303)


def add_volunteer_section(app: Flask, template: str, context: Callable[[Volunteer, Station], dict],
                          position: int) -> None:
    """What another feature shows on a volunteer's page (sessions, points …): a template and its context."""
    app.extensions.setdefault("kiosk_volunteer_sections", []).append((position, template, context))


def volunteer_page(volunteer: Volunteer, status: int = 200, **extra):
    """The volunteer's page: their facts and badge, each feature's section, and keepers' changes.
    `extra` (a message, a code just issued) reaches every section."""
    context = {"volunteer": volunteer, "form": EmptyForm(), "events": volunteer_events(volunteer.id),
               "badge_svg": qr_svg(badge_token(volunteer), box_size=8) if volunteer.badge_nonce else None}
    if volunteer.erased_at is None:  # what deactivating would do, or did
        if volunteer.active:
            context["deactivate_warnings"] = deactivation_warnings(g.station, volunteer, utcnow())
        else:
            context["deactivated_with"] = done_on_deactivation(volunteer.id)
    sections = sorted(current_app.extensions.get("kiosk_volunteer_sections", []), key=lambda s: s[0])
    for _position, _template, section_context in sections:
        context.update(section_context(volunteer, g.station))
    context.update(extra)
    return render("people/volunteer.html", status=status, sections=[t for _, t, _ in sections], **context)


@bp.get("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    just_named = "1" in (request.args.get("registered"), request.args.get("renamed")) and volunteer.erased_at is None
    return volunteer_page(volunteer, namesakes=namesakes(volunteer) if just_named else [])


def refuse_on_volunteer_page(volunteer_id: int) -> None:
    """A button on the volunteer's page that a rule refuses is answered with that page, saying why
    at the top: not an error page asking to check what was typed (nothing was)."""
    def show(err: DomainError):
        volunteer = station_record(Volunteer, volunteer_id)
        said = ERASED_MEANWHILE if volunteer.erased_at is not None else err.message
        return volunteer_page(volunteer, status=err.status, refused=said)
    refuse_with(show)


@bp.post("/volunteers/<int:volunteer_id>/active")
def set_volunteer_active(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    refuse_on_volunteer_page(volunteer_id)
    set_active(current_user, g.station, volunteer, request.form.get("active") == "1", utcnow())
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)


@bp.post("/volunteers/<int:volunteer_id>/export")
def export_volunteer(volunteer_id):
    """Everything stored about the volunteer, as a file for them (recorded on their page)."""
    volunteer = station_record(Volunteer, volunteer_id)
    record = everything_about(current_user, g.station, volunteer, utcnow())
    response = Response(json.dumps(record, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="volunteer-{volunteer.number}.json"'
    return response


@bp.post("/volunteers/<int:volunteer_id>/erase")
def erase(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, volunteer_id), status=err.status,
                                           erase_error=err.message))
    erase_volunteer(current_user, g.station, volunteer, request.form.get("confirm", ""), utcnow())
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)


# --- Badges ----------------------------------------------------------------------------------


def _new_badge_page(volunteer: Volunteer, status: int = 200, error: str | None = None):
    return render("people/new_badge.html", status=status, volunteer=volunteer, form=EmptyForm(),
                  seen=badge_stamp(volunteer), error=error, reissued_at=reissued_today(g.station, volunteer, utcnow()))


@bp.get("/volunteers/<int:volunteer_id>/badge/new")
def new_badge(volunteer_id):
    """The step before a lost badge is replaced: what happens to the old card, and one button to go on."""
    volunteer = station_record(Volunteer, volunteer_id)
    if volunteer.erased_at is not None:  # no badge to replace; the volunteer's page says why
        return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)
    return _new_badge_page(volunteer)


@bp.post("/volunteers/<int:volunteer_id>/badge")
def reissue_badge(volunteer_id):
    """Replace the badge the confirmation page showed. Sent twice (a double tap, sent again after
    going back), the second finds that badge gone and issues nothing: both land on the new card."""
    volunteer = station_record(Volunteer, volunteer_id)
    if volunteer.erased_at is not None:  # erased while this page was open: their page says so
        refuse_on_volunteer_page(volunteer_id)
    else:
        refuse_with(lambda err: _new_badge_page(station_record(Volunteer, volunteer_id), err.status, err.message))
    reissue_volunteer_badge(current_user, g.station, volunteer, request.form.get("seen"), utcnow())
    return redirect(url_for("keeper.badge_card", volunteer_id=volunteer.id, new=1), 303)


# How long after a re-issue its card page still says "new badge, take the old one back".
NEW_BADGE_NEWS = timedelta(minutes=15)


def _without_badge(volunteer: Volunteer):
    """No badge to print or download (erased, or none issued): the volunteer's page, which says why
    and offers to issue one where that can be done."""
    flash(str(NO_BADGE))
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)


@bp.get("/volunteers/<int:volunteer_id>/badge")
def badge_card(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    if not volunteer.badge_nonce:
        return _without_badge(volunteer)
    # ?new=1 is where a re-issue lands; typed, bookmarked or opened later it must not claim one.
    reissued_at = last_done_at(volunteer.id, "volunteer.badge_reissued") if request.args.get("new") == "1" else None
    return render("people/badges.html", cards=[_card(volunteer)], single=True,
                  new=reissued_at is not None and utcnow() - reissued_at < NEW_BADGE_NEWS)


@bp.get("/volunteers/<int:volunteer_id>/badge.svg")
def badge_svg(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    if not volunteer.badge_nonce:
        return _without_badge(volunteer)
    return Response(qr_svg(badge_token(volunteer)), mimetype="image/svg+xml")


@bp.get("/volunteers/<int:volunteer_id>/badge.png")
def badge_png(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    if not volunteer.badge_nonce:
        return _without_badge(volunteer)
    response = Response(qr_png(badge_token(volunteer)), mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{volunteer.number}.png"'
    return response


@bp.get("/badges")
def print_badges():
    """A sheet of cards for A4: every active volunteer, or one team."""
    team_id = id_arg("team")
    stmt = select(Volunteer).where(Volunteer.station_id == g.station.id, Volunteer.active.is_(True),
                                   Volunteer.badge_nonce.is_not(None), Volunteer.erased_at.is_(None))
    if team_id:
        stmt = stmt.where(Volunteer.teams.any(Team.id == team_id))
    found = db.session.scalars(stmt.order_by(Volunteer.number)).all()
    return render("people/badges.html", cards=[_card(v) for v in found], single=False, teams=_teams(),
                  team_id=team_id)


def _card(volunteer: Volunteer) -> dict:
    return {"volunteer": volunteer, "svg": qr_svg(badge_token(volunteer), box_size=6),
            "name_size": card_name_size(volunteer.name)}


# --- Import ----------------------------------------------------------------------------------


def _import_refused(err: DomainError):
    form = ImportUploadForm(formdata=None)
    form.file.errors = [err.message]
    return render("people/import.html", status=err.status, form=form, preview=None)


@bp.route("/volunteers/import", methods=["GET", "POST"])
@takes_upload
def import_volunteers():
    form = ImportUploadForm()
    if not form_sent():
        return render("people/import.html", form=form, preview=None)
    refuse_with(_import_refused)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError(NO_FILE, field="file")
    text = read_roster(upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1))
    preview = preview_import(g.station, text)
    return render("people/import.html", form=form, preview=preview, confirm=ImportConfirmForm(formdata=None, text=text))


@bp.post("/volunteers/import/confirm")
@takes_upload
def confirm_import():
    confirm = ImportConfirmForm()
    refuse_with(_import_refused)
    if not confirm.validate():
        raise DomainError(NO_FILE, field="file")
    # The rows the keeper ticked to give a volunteer the file's name (each "line-volunteer id").
    summary = apply_import(g.station, confirm.text.data, by=current_user, renames=request.form.getlist("rename"))
    return render("people/import.html", form=ImportUploadForm(formdata=None), preview=None, summary=summary)
