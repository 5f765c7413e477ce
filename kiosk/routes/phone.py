"""Check-in on the volunteer's own phone, reached by scanning the station QR on the kiosk."""

from flask import Blueprint, abort, current_app, g, make_response, redirect, request, url_for

from ..checkin import minutes_served, recent_sessions, record_attendance
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm, PhoneBadgeForm, PhoneCheckinForm, PhoneLinkForm
from ..phone import (
    STATION_CODE_ACT_WITHIN,
    check_station_code,
    link_phone_with_badge,
    link_phone_with_code,
    remember_token,
    station_code,
    volunteer_for_phone,
)
from ..web import first_error, render

bp = Blueprint("phone", __name__, url_prefix="/m")

COOKIE = "kiosk_phone"
COOKIE_MAX_AGE = 400 * 24 * 3600


@bp.before_request
def need_station():
    if g.station is None:
        abort(503)


def _me():
    return volunteer_for_phone(g.station, request.cookies.get(COOKIE))


@bp.get("/checkin")
def checkin():
    code = request.args.get("c", "")
    try:
        check_station_code(g.station, code, utcnow())
    except DomainError as err:
        return render("phone/checkin.html", status=400, error=err.message, me=None, code="")
    me = _me()
    return render("phone/checkin.html", me=me, code=code, form=PhoneCheckinForm(c=code),
                  link_form=PhoneLinkForm(c=code), badge_form=PhoneBadgeForm(c=code))


@bp.post("/checkin")
def submit_checkin():
    form = PhoneCheckinForm()
    me = _me()
    if me is None:
        return redirect(url_for("phone.checkin", c=form.c.data or ""), 303)
    try:
        check_station_code(g.station, form.c.data or "", utcnow(), max_age=STATION_CODE_ACT_WITHIN)
        result = record_attendance(g.station, me, "phone", utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("phone/checkin.html", "outcome", status=422, me=me, error=err.message, code="")
    return render("phone/checkin.html", "outcome", me=me, result=result, code="")


@bp.post("/link")
def link():
    """First time on this phone: the volunteer number and a one-time code from a keeper."""
    form = PhoneLinkForm()
    code = form.c.data or ""
    try:
        check_station_code(g.station, code, utcnow(), max_age=STATION_CODE_ACT_WITHIN)
        if not form.validate():
            raise DomainError(first_error(form), field="number")
        volunteer = link_phone_with_code(g.station, form.number.data, form.code.data, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.commit() if err.keep_changes else db.session.rollback()
        return render("phone/checkin.html", "link", status=422, me=None, code=code, link_form=form,
                      badge_form=PhoneBadgeForm(c=code), link_error=err.message)
    return _remember(volunteer, code)


@bp.post("/link-badge")
def link_badge():
    """First time on this phone: scan your own badge with the phone camera."""
    form = PhoneBadgeForm()
    code = form.c.data or ""
    try:
        check_station_code(g.station, code, utcnow(), max_age=STATION_CODE_ACT_WITHIN)
        if not form.validate():
            raise DomainError(first_error(form))
        volunteer = link_phone_with_badge(g.station, form.code.data)
    except DomainError as err:
        db.session.rollback()
        return render("phone/checkin.html", "link", status=422, me=None, code=code,
                      link_form=PhoneLinkForm(c=code), badge_form=form, badge_error=err.message)
    return _remember(volunteer, code)


def _remember(volunteer, code):
    # A fresh code: linking may take longer than the minute the scanned one lives.
    target = url_for("phone.checkin", c=station_code(g.station, utcnow()))
    if request.htmx:
        response = make_response("", 200)
        response.headers["HX-Location"] = target
    else:
        response = redirect(target, 303)
    response.set_cookie(COOKIE, remember_token(volunteer), max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.get("/me")
def me():
    volunteer = _me()
    if volunteer is None:
        return render("phone/me.html", me=None)
    return render("phone/me.html", me=volunteer, sessions=recent_sessions(volunteer.id, 10),
                  total_minutes=minutes_served(g.station, volunteer.id), form=EmptyForm())


@bp.post("/forget")
def forget():
    response = redirect(url_for("phone.me"), 303)
    response.delete_cookie(COOKIE)
    return response
