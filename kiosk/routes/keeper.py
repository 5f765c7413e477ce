"""Keeper pages: volunteers, badges, import, and corrections to service sessions."""

import re
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, g, redirect, request, send_from_directory, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..badges import badge_token, issue_badge, qr_png, qr_svg
from ..checkin import close_forgotten_sessions, forgotten_sessions, minutes_served, recent_sessions
from ..clock import utcnow
from ..corrections import confirm_session, correct_session, delete_session, flagged_sessions, keeper_check_in, keeper_check_out
from ..choices import update_choice
from ..database import begin_writing
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, ImportConfirmForm, ImportUploadForm, ManualTimeForm, SessionForm, VolunteerForm
from ..exports import day_csv
from ..models import SUGGESTION_STATUSES, Suggestion, SuggestionCategory, SwapItem
from ..models import REMOVAL_REASONS, AuditEvent, ServiceSession, Station, SwapCategory, Team, Volunteer, WalkInService
from ..phone import issue_phone_code
from ..photos import NAME as PHOTO_NAME
from ..photos import photo_dir
from ..suggestions import add_category as add_suggestion_category
from ..suggestions import by_tracking_code
from ..suggestions import categories as suggestion_categories_of
from ..suggestions import category_label as suggestion_category_label
from ..suggestions import change as change_suggestion
from ..suggestions import counts as suggestion_counts
from ..suggestions import history as suggestion_history
from ..suggestions import inbox as suggestion_inbox
from ..swap import add_category, categories, category_label, day_counts, find_item, is_stale, keeper_items, month_counts, remove_item, update_category
from ..swap import history as swap_history
from ..stations import local_input_value, local_today, parse_local_datetime
from ..today import day_report, live_stamp
from ..volunteer_import import apply_import, decode_csv, preview_import
from ..volunteers import register_volunteer, search_volunteers, split_list, update_volunteer
from ..walkins import add_service, service_label, station_services
from ..web import id_arg, render, render_block_response, safe_next
from .kiosk import KIOSK_STATION_COOKIE

bp = Blueprint("keeper", __name__, url_prefix="/keeper")

NO_FILE = _l("Please choose a CSV file.")
ID = re.compile(r"[0-9]{1,9}")


@bp.before_request
@login_required
def require_keeper():
    # A keeper works at their own station; an admin at the one they chose (else the kiosk's).
    if current_user.station_id:
        station = current_user.station
    else:
        chosen = session.get("admin_station_id")
        station = (db.session.get(Station, chosen) if isinstance(chosen, int) else None) or g.station
    if station is None:
        abort(503)
    # Times and hours on keeper pages follow the keeper's station, not the kiosk's.
    g.keeper_station = g.station = station


def _station() -> Station:
    return g.keeper_station


def _volunteer(volunteer_id: int) -> Volunteer:
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None or volunteer.station_id != _station().id:
        abort(404)
    return volunteer


def _session(session_id: int) -> ServiceSession:
    session = db.session.get(ServiceSession, session_id)
    if session is None or session.station_id != _station().id:
        abort(404)
    return session


def _teams() -> list[Team]:
    return list(db.session.scalars(select(Team).where(Team.station_id == _station().id).order_by(Team.id)))


def _volunteer_form(volunteer: Volunteer | None = None) -> VolunteerForm:
    form = VolunteerForm(obj=volunteer) if request.method == "GET" else VolunteerForm()
    form.teams.choices = [(t.id, t.name) for t in _teams()]
    if request.method == "GET" and volunteer is not None:
        form.teams.data = [t.id for t in volunteer.teams]
        form.skills.data = "、".join(volunteer.skills or [])
    return form


def _form_values(form: VolunteerForm) -> dict:
    chosen = set(form.teams.data or [])
    return {
        "name": form.name.data,
        "mobile": form.mobile.data,
        "birth_year": form.birth_year.data,
        "teams": [t for t in _teams() if t.id in chosen],
        "skills": split_list(form.skills.data),
        "national_code": (form.national_code.data or "").strip() or None,
    }


def _attach(form, err: DomainError) -> None:
    target = getattr(form, err.field, None) if err.field else None
    (target.errors if target is not None else form.form_errors).append(err.message)


@bp.get("/")
def index():
    return redirect(url_for("keeper.today"), 303)


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
    return redirect(safe_next(request.form.get("next"), url_for("keeper.today")), 303)


@bp.post("/kiosk-device")
def make_kiosk():
    """Set up the tablet in hand as this station's kiosk (for servers that serve several stations)."""
    response = redirect(url_for("kiosk.home"), 303)
    response.set_cookie(KIOSK_STATION_COOKIE, _station().slug, max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _day() -> date:
    """The day asked for (?day=2026-11-20), or the station's today."""
    raw = request.args.get("day", "")
    today = local_today(_station(), utcnow())
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        abort(404)
    if not date(2000, 1, 1) <= day <= today:
        abort(404)
    return day


@bp.get("/today")
def today():
    day = _day()
    q = request.args.get("q", "")[:40]
    _close_forgotten()
    report = day_report(_station(), day, utcnow(), q)
    return render("keeper/today.html", "live", report=report, q=q, stamp=live_stamp(_station(), day),
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1), stations=_stations())


@bp.get("/today/live")
def today_live():
    """Polled every few seconds by the Today screen. Nothing new: 204 and htmx swaps nothing."""
    day = _day()
    # Closing time passes while the screen is open: close forgotten sessions before comparing.
    _close_forgotten()
    stamp = live_stamp(_station(), day)
    if request.args.get("stamp") == stamp:
        return "", 204
    q = request.args.get("q", "")[:40]
    report = day_report(_station(), day, utcnow(), q)
    return render_block_response("keeper/today.html", "live", report=report, q=q, stamp=live_stamp(_station(), day))


@bp.get("/today.csv")
def today_csv():
    day = _day()
    _close_forgotten()
    report = day_report(_station(), day, utcnow())
    response = Response(day_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_station().slug}-{day.isoformat()}.csv"'
    return response


def _close_forgotten() -> None:
    """Keeper views show forgotten sessions as the system closed them. This is the one write a
    keeper's GET may cause, so it happens only when there is something to close."""
    station, now = _station(), utcnow()
    if forgotten_sessions(station, now):
        begin_writing()
        close_forgotten_sessions(station, now)
        db.session.commit()


def _stations() -> list[Station]:
    if not current_user.is_admin:
        return []
    return list(db.session.scalars(select(Station).order_by(Station.name)))


@bp.route("/services", methods=["GET", "POST"])
def services():
    """Keepers add walk-in services of their own, rename the standard ones, or hide them."""
    error = None
    if request.method == "POST":
        try:
            add_service(_station(), request.form.get("name", ""))
            db.session.commit()
            return redirect(url_for("keeper.services"), 303)
        except DomainError as err:
            db.session.rollback()
            error = err.message
    return _services_page(422 if error else 200, error)


@bp.post("/services/<int:service_id>")
def update_service(service_id):
    service = db.session.get(WalkInService, service_id)
    if service is None or service.station_id != _station().id:
        abort(404)
    try:
        update_choice(service, name=request.form.get("name"), active=request.form.get("active"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _services_page(422, err.message, service_id)
    return redirect(url_for("keeper.services"), 303)


def _services_page(status=200, error=None, error_id=None):
    return render("keeper/choices.html", status=status, error=error, error_id=error_id, form=EmptyForm(),
                  items=station_services(_station(), include_hidden=True), label=service_label,
                  title=_l("Station services"), add_title=_l("Add a service"),
                  intro=_l("The buttons residents and riders tap on the kiosk. Rename them, hide them, or add your own."),
                  update_endpoint="keeper.update_service", add_endpoint="keeper.services", id_arg="service_id",
                  refusable=False)


@bp.get("/volunteers")
def volunteers():
    q = request.args.get("q", "")
    found = search_volunteers(_station(), q)
    return render("keeper/volunteers.html", "results", volunteers=found, q=q)


@bp.route("/volunteers/new", methods=["GET", "POST"])
def new_volunteer():
    form = _volunteer_form()
    if form.validate_on_submit():
        try:
            volunteer = register_volunteer(_station(), **_form_values(form))
            db.session.commit()
            return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)
        except DomainError as err:
            db.session.rollback()
            _attach(form, err)
    status = 422 if request.method == "POST" else 200
    return render("keeper/volunteer_form.html", status=status, form=form, volunteer=None)


@bp.route("/volunteers/<int:volunteer_id>/edit", methods=["GET", "POST"])
def edit_volunteer(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    form = _volunteer_form(volunteer)
    if form.validate_on_submit():
        try:
            update_volunteer(volunteer, **_form_values(form))
            db.session.commit()
            return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)
        except DomainError as err:
            db.session.rollback()
            volunteer = _volunteer(volunteer_id)
            _attach(form, err)
    status = 422 if request.method == "POST" else 200
    return render("keeper/volunteer_form.html", status=status, form=form, volunteer=volunteer)


@bp.get("/volunteers/<int:volunteer_id>")
def volunteer(volunteer_id):
    return _volunteer_page(volunteer_id)


def _volunteer_page(volunteer_id: int, status: int = 200, **extra):
    volunteer = _volunteer(volunteer_id)
    station = _station()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.volunteer_id == volunteer.id).order_by(AuditEvent.at.desc()).limit(50)
    ).all()
    context = {
        "volunteer": volunteer,
        "sessions": recent_sessions(volunteer.id, 30),
        "events": events,
        "total_minutes": minutes_served(station, volunteer.id),
        "form": EmptyForm(),
        "time_form": ManualTimeForm(formdata=None),
        "badge_svg": qr_svg(badge_token(volunteer), box_size=8) if volunteer.badge_nonce else None,
        "now_value": local_input_value(station, utcnow()),
    }
    context.update(extra)
    return render("keeper/volunteer.html", status=status, **context)


@bp.post("/volunteers/<int:volunteer_id>/active")
def set_active(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    volunteer.active = request.form.get("active") == "1"
    db.session.commit()
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer.id), 303)


@bp.post("/volunteers/<int:volunteer_id>/badge")
def reissue_badge(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    issue_badge(volunteer)
    db.session.commit()
    return redirect(url_for("keeper.badge_card", volunteer_id=volunteer.id), 303)


@bp.get("/volunteers/<int:volunteer_id>/badge")
def badge_card(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    return render("keeper/badges.html", cards=[_card(volunteer)], single=True)


@bp.get("/volunteers/<int:volunteer_id>/badge.svg")
def badge_svg(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    return Response(qr_svg(badge_token(volunteer)), mimetype="image/svg+xml")


@bp.get("/volunteers/<int:volunteer_id>/badge.png")
def badge_png(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    response = Response(qr_png(badge_token(volunteer)), mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{volunteer.number}.png"'
    return response


@bp.get("/badges")
def print_badges():
    """A sheet of cards for A4: every active volunteer, or one team."""
    team_id = id_arg("team")
    stmt = select(Volunteer).where(Volunteer.station_id == _station().id, Volunteer.active.is_(True),
                                   Volunteer.badge_nonce.is_not(None))
    if team_id:
        stmt = stmt.where(Volunteer.teams.any(Team.id == team_id))
    volunteers = db.session.scalars(stmt.order_by(Volunteer.number)).all()
    return render("keeper/badges.html", cards=[_card(v) for v in volunteers], single=False, teams=_teams(),
                  team_id=team_id)


def _card(volunteer: Volunteer) -> dict:
    return {"volunteer": volunteer, "svg": qr_svg(badge_token(volunteer), box_size=6)}


@bp.post("/volunteers/<int:volunteer_id>/phone-code")
def phone_code(volunteer_id):
    volunteer = _volunteer(volunteer_id)
    code = issue_phone_code(volunteer, utcnow())
    db.session.commit()
    # Shown once, on this page only: the keeper reads it out to the volunteer.
    return _volunteer_page(volunteer_id, phone_code=code)


@bp.post("/volunteers/<int:volunteer_id>/check-in")
def check_in(volunteer_id):
    return _by_hand(volunteer_id, keeper_check_in)


@bp.post("/volunteers/<int:volunteer_id>/check-out")
def check_out(volunteer_id):
    return _by_hand(volunteer_id, keeper_check_out)


def _by_hand(volunteer_id, operation):
    volunteer = _volunteer(volunteer_id)
    form = ManualTimeForm()
    now = utcnow()
    try:
        at = parse_local_datetime(_station(), form.at.data, "at") or now
        operation(current_user, _station(), volunteer, at, now)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _volunteer_page(volunteer_id, status=422, time_error=err.message)
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id), 303)


@bp.get("/review")
def review():
    _close_forgotten()
    sessions = flagged_sessions(_station())
    return render("keeper/review.html", sessions=sessions, form=EmptyForm())


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id):
    session = _session(session_id)
    station = _station()
    if request.method == "GET":
        form = SessionForm(formdata=None, checked_in_at=local_input_value(station, session.checked_in_at),
                           checked_out_at=local_input_value(station, session.checked_out_at))
        return render("keeper/session_form.html", form=form, session=session)
    form = SessionForm()
    if form.validate():
        try:
            checked_in_at = parse_local_datetime(station, form.checked_in_at.data, "checked_in_at")
            checked_out_at = parse_local_datetime(station, form.checked_out_at.data, "checked_out_at")
            correct_session(current_user, station, session, checked_in_at, checked_out_at, utcnow())
            db.session.commit()
            return redirect(url_for("keeper.volunteer", volunteer_id=session.volunteer_id), 303)
        except DomainError as err:
            db.session.rollback()
            session = _session(session_id)
            _attach(form, err)
    return render("keeper/session_form.html", status=422, form=form, session=session)


@bp.post("/sessions/<int:session_id>/confirm")
def confirm(session_id):
    session = _session(session_id)
    confirm_session(current_user, _station(), session, utcnow())
    db.session.commit()
    if request.form.get("back") == "volunteer":
        return redirect(url_for("keeper.volunteer", volunteer_id=session.volunteer_id), 303)
    return redirect(url_for("keeper.review"), 303)


@bp.post("/sessions/<int:session_id>/delete")
def delete(session_id):
    session = _session(session_id)
    volunteer_id = session.volunteer_id
    delete_session(current_user, _station(), session, utcnow())
    db.session.commit()
    return redirect(url_for("keeper.volunteer", volunteer_id=volunteer_id), 303)


@bp.route("/volunteers/import", methods=["GET", "POST"])
def import_volunteers():
    form = ImportUploadForm()
    if request.method == "GET":
        return render("keeper/import.html", form=form, preview=None)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise DomainError(NO_FILE, field="file")
        text = decode_csv(upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1))
        preview = preview_import(_station(), text)
    except DomainError as err:
        form.file.errors = [err.message]
        return render("keeper/import.html", status=422, form=form, preview=None)
    return render("keeper/import.html", form=form, preview=preview, confirm=ImportConfirmForm(formdata=None, text=text))


@bp.post("/volunteers/import/confirm")
def confirm_import():
    confirm = ImportConfirmForm()
    try:
        if not confirm.validate():
            raise DomainError(NO_FILE, field="file")
        summary = apply_import(_station(), confirm.text.data)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        form = ImportUploadForm(formdata=None)
        form.file.errors = [err.message]
        return render("keeper/import.html", status=422, form=form, preview=None)
    return render("keeper/import.html", form=ImportUploadForm(formdata=None), preview=None, summary=summary)


# --- Swap shelf ------------------------------------------------------------------------------


@bp.get("/swap")
def swap_items():
    status = request.args.get("status") or None
    now = utcnow()
    today = local_today(_station(), now)
    return render("keeper/swap.html", items=keeper_items(_station(), status), shown_status=status, now=now,
                  is_stale=lambda item: is_stale(_station(), item, now), today_counts=day_counts(_station(), today),
                  month_counts=month_counts(_station(), today.year, today.month),
                  months=_recent_months(today, 6))


def _recent_months(today: date, count: int) -> list[tuple[str, object]]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append((f"{year}-{month:02d}", month_counts(_station(), year, month)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


@bp.get("/swap/<code>")
def swap_item(code, status=200, error=None):
    try:
        item = find_item(_station(), code)
    except DomainError:
        abort(404)
    return render("keeper/swap_item.html", status=status, item=item, events=swap_history(item), form=EmptyForm(),
                  reasons=REMOVAL_REASONS, error=error)


@bp.post("/swap/<code>/remove")
def remove_swap_item(code):
    try:
        item = find_item(_station(), code)
    except DomainError:
        abort(404)
    try:
        remove_item(current_user, _station(), item, request.form.get("reason", ""), request.form.get("note"), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return swap_item(code, status=422, error=err.message)
    return redirect(url_for("keeper.swap_item", code=item.code), 303)


@bp.route("/swap-categories", methods=["GET", "POST"])
def swap_categories():
    error = None
    if request.method == "POST":
        try:
            add_category(_station(), request.form.get("name", ""))
            db.session.commit()
            return redirect(url_for("keeper.swap_categories"), 303)
        except DomainError as err:
            db.session.rollback()
            error = err.message
    return _swap_categories_page(422 if error else 200, error)


@bp.post("/swap-categories/<int:category_id>")
def update_swap_category(category_id):
    category = db.session.get(SwapCategory, category_id)
    if category is None or category.station_id != _station().id:
        abort(404)
    try:
        update_category(category, name=request.form.get("name"), active=request.form.get("active"),
                        refused=request.form.get("refused"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _swap_categories_page(422, err.message, category_id)
    return redirect(url_for("keeper.swap_categories"), 303)


def _swap_categories_page(status=200, error=None, error_id=None):
    return render("keeper/choices.html", status=status, error=error, error_id=error_id, form=EmptyForm(),
                  items=categories(_station(), include_hidden=True), label=category_label,
                  title=_l("Swap shelf categories"), add_title=_l("Add a category"),
                  intro=_l('A category marked "not accepted" is shown at intake, and an item in it is politely refused.'),
                  update_endpoint="keeper.update_swap_category", add_endpoint="keeper.swap_categories",
                  id_arg="category_id", refusable=True)


# --- Suggestion box ---------------------------------------------------------------------------


@bp.get("/suggestions")
def suggestions():
    status = request.args.get("status") or None
    category_id = id_arg("category")
    by_status, by_category = suggestion_counts(_station())
    return render("keeper/suggestions.html", items=suggestion_inbox(_station(), status, category_id),
                  shown_status=status, category_id=category_id, by_status=by_status, by_category=by_category,
                  statuses=SUGGESTION_STATUSES)


def _suggestion(code: str) -> Suggestion:
    suggestion = by_tracking_code(code)
    if suggestion is None or suggestion.station_id != _station().id:
        abort(404)
    return suggestion


@bp.get("/suggestions/<code>")
def suggestion(code, status=200, error=None, error_field=None):
    item = _suggestion(code)
    return render("keeper/suggestion.html", status=status, item=item, events=suggestion_history(item),
                  statuses=SUGGESTION_STATUSES, form=EmptyForm(), error=error, error_field=error_field)


@bp.post("/suggestions/<code>")
def update_suggestion(code):
    item = _suggestion(code)
    form = request.form
    try:
        change_suggestion(
            current_user, item, status=form.get("status"), public_reply=form.get("public_reply"),
            internal_note=form.get("internal_note"),
            hidden=("1" in form.getlist("hidden")) if "hidden" in form else None,
            duplicate_of=form.get("duplicate_of"), now=utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return suggestion(code, status=422, error=err.message, error_field=err.field)
    return redirect(url_for("keeper.suggestion", code=item.tracking_code), 303)


@bp.get("/suggestions/photo/<name>")
def suggestion_photo(name):
    """Suggestion photos may show a person or a home: keepers only."""
    return _private_photo(Suggestion, "suggestions", name)


@bp.get("/swap/photo/<name>")
def swap_photo(name):
    """Every swap photo, removed items' too, for the keeper's item page."""
    return _private_photo(SwapItem, "swap", name)


def _private_photo(model, kind: str, name: str):
    if not PHOTO_NAME.fullmatch(name):
        abort(404)
    owner = db.session.scalar(select(model).where(
        model.photo == name.replace("-thumb.jpg", ".jpg"), model.station_id == _station().id))
    if owner is None:
        abort(404)
    response = send_from_directory(photo_dir(kind), name, max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/suggestion-categories", methods=["GET", "POST"])
def suggestion_categories():
    error = None
    if request.method == "POST":
        try:
            add_suggestion_category(_station(), request.form.get("name", ""))
            db.session.commit()
            return redirect(url_for("keeper.suggestion_categories"), 303)
        except DomainError as err:
            db.session.rollback()
            error = err.message
    return _suggestion_categories_page(422 if error else 200, error)


@bp.post("/suggestion-categories/<int:category_id>")
def update_suggestion_category(category_id):
    category = db.session.get(SuggestionCategory, category_id)
    if category is None or category.station_id != _station().id:
        abort(404)
    try:
        update_category(category, name=request.form.get("name"), active=request.form.get("active"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return _suggestion_categories_page(422, err.message, category_id)
    return redirect(url_for("keeper.suggestion_categories"), 303)


def _suggestion_categories_page(status=200, error=None, error_id=None):
    return render("keeper/choices.html", status=status, error=error, error_id=error_id, form=EmptyForm(),
                  items=suggestion_categories_of(_station(), include_hidden=True), label=suggestion_category_label,
                  title=_l("Suggestion categories"), add_title=_l("Add a category"),
                  intro=_l("What residents choose when they drop a suggestion. Rename them, hide them, or add your own."),
                  update_endpoint="keeper.update_suggestion_category", add_endpoint="keeper.suggestion_categories",
                  id_arg="category_id", refusable=False)
