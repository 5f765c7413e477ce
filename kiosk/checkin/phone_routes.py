"""Check-in on the volunteer's own phone, reached by scanning the station QR on the kiosk."""

from flask import Blueprint, abort, current_app, g, make_response, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from kiosk.checkin.attendance import minutes_served, next_scan_checks_out, on_duty_since, recent_sessions
from kiosk.checkin.forms import PhoneBadgeForm, PhoneCheckinForm, PhoneLinkForm
from kiosk.checkin.phone import (
    PAUSED,
    badge_renewed_since_linked,
    STATION_CODE_ACT_WITHIN,
    check_station_code,
    link_phone_with_badge,
    link_phone_with_code,
    paused_on_phone,
    pasted_station_code,
    phone_stopped,
    remember_token,
    check_in_by_phone,
    station_code,
    volunteer_for_phone,
)
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.forms import EmptyForm, first_error
from kiosk.core.stations import phone_page, station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render

bp = station_required(Blueprint("phone", __name__, url_prefix="/m", template_folder="templates"))

COOKIE = "kiosk_phone"
# A linked phone stays linked for half a year; then the volunteer scans their badge with it again.
COOKIE_MAX_AGE = 180 * 24 * 3600


def _me():
    return volunteer_for_phone(g.station, request.cookies.get(COOKIE))


def _paused() -> bool:
    return paused_on_phone(g.station, request.cookies.get(COOKIE))


def _stopped():
    """Why this phone, linked before, cannot be used now (paused, erased), or None."""
    return phone_stopped(g.station, request.cookies.get(COOKIE))


def _renewed() -> bool:
    return badge_renewed_since_linked(g.station, request.cookies.get(COOKIE))


def this_phones_volunteer():
    """The volunteer this phone is linked to, if any (for other features: people/phones.py)."""
    return _me() if g.get("station") is not None else None


@bp.get("/checkin")
@phone_page
def checkin():
    code = pasted_station_code(request.args.get("c"))
    stopped = _stopped()
    if stopped:  # linked to a volunteer deactivated or erased since: said as it is, not "first time here"
        return render("phone/checkin.html", paused=stopped, me=None, code="", forget_form=EmptyForm())
    me = _me()
    if not code:  # a bookmark or a typed address: nothing went wrong, so no failure mark
        return render("phone/checkin.html", needs_code=True, me=me, code="")
    # An old code (a link from last week, one cut short in a chat): nothing was tried yet, so not
    # "nothing was recorded"; a linked phone still says whose it is and leads to its hours.
    refuse_with(lambda err: render("phone/checkin.html", status=400, stale=True, me=me, code=""))
    check_station_code(g.station, code, utcnow())
    # Said before the tap, so nobody unsure whether it worked checks out by tapping "again".
    now = utcnow()
    since = next_scan_checks_out(g.station, me.id, now) if me else None
    return render("phone/checkin.html", me=me, code=code, checked_in_at=since,
                  on_duty=since is not None and on_duty_since(g.station, me.id, now) is not None,
                  renewed=me is None and _renewed(),
                  form=PhoneCheckinForm(c=code),
                  link_form=PhoneLinkForm(c=code), badge_form=PhoneBadgeForm(c=code))


@bp.post("/checkin")
@phone_page
def submit_checkin():
    form = PhoneCheckinForm()
    me = _me()
    if me is None and not _paused():
        # The phone no longer knows them (signed out in another tab, a new badge, erased): the
        # whole page says why, never the first-time forms under the name it showed before.
        return _whole_page(url_for("phone.checkin", c=pasted_station_code(form.c.data)))
    refuse_with(lambda err: render("phone/checkin.html", "outcome", status=err.status, me=me, error=err.message,
                                   code=""))
    if me is None:
        raise DomainError(PAUSED)
    result = check_in_by_phone(g.station, me, form.c.data or "", utcnow())
    return render("phone/checkin.html", "outcome", me=me, result=result, code="")


@bp.post("/link")
@phone_page
def link():
    """First time on this phone: the volunteer number and a one-time code from a keeper."""
    form = PhoneLinkForm()
    code = form.c.data or ""
    refuse_with(lambda err: render("phone/checkin.html", "link", status=err.status, me=None, code=code,
                                   link_form=form, badge_form=PhoneBadgeForm(c=code), link_error=err.message))
    check_station_code(g.station, code, utcnow(), max_age=STATION_CODE_ACT_WITHIN)
    if not form.validate():
        raise DomainError(first_error(form), field="number")
    volunteer = link_phone_with_code(g.station, form.number.data, form.code.data, utcnow())
    return _remember(volunteer)


@bp.post("/link-badge")
@phone_page
def link_badge():
    """First time on this phone: scan your own badge with the phone camera."""
    form = PhoneBadgeForm()
    code = form.c.data or ""
    refuse_with(lambda err: render("phone/checkin.html", "link", status=err.status, me=None, code=code,
                                   link_form=PhoneLinkForm(c=code), badge_form=form, badge_error=err.message))
    check_station_code(g.station, code, utcnow(), max_age=STATION_CODE_ACT_WITHIN)
    if not form.validate():
        raise DomainError(first_error(form))
    return _remember(link_phone_with_badge(g.station, form.code.data))


def _remember(volunteer):
    # A fresh code: linking may take longer than the minute the scanned one lives.
    response = _whole_page(url_for("phone.checkin", c=station_code(g.station, utcnow())))
    response.set_cookie(COOKIE, remember_token(volunteer), max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _whole_page(target: str):
    """On to another page, for htmx as a whole page: HX-Location would swap only its fragment in,
    without header or switches."""
    if request.htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


@bp.get("/me")
@phone_page
def me():
    volunteer = _me()
    if volunteer is None:
        return render("phone/me.html", me=None, paused=_stopped(), form=EmptyForm(), renewed=_renewed())
    context = {}
    sections = sorted(current_app.extensions.get("kiosk_phone_sections", []), key=lambda s: s[0])
    for _position, _template, section_context in sections:
        context.update(section_context(volunteer, g.station))
    return render("phone/me.html", me=volunteer, sessions=recent_sessions(volunteer.id, 10),
                  total_minutes=minutes_served(g.station, volunteer.id), form=EmptyForm(),
                  sections=[t for _, t, _ in sections], **context)


def add_phone_section(app, template: str, context, position: int) -> None:
    """What another feature shows on a volunteer's own phone page (points, stars …): a template
    and a function (volunteer, station) -> its context."""
    app.extensions.setdefault("kiosk_phone_sections", []).append((position, template, context))


@bp.post("/forget")
@phone_page
def forget():
    response = redirect(url_for("phone.me"), 303)
    response.delete_cookie(COOKIE)
    return response


@bp.get("/")
@phone_page
def start():
    """/m on its own (typed, or a link cut short): the phone's own page."""
    return redirect(url_for("phone.me"), 302)


# What a chat app or a hurried hand leaves after a pasted address: /m/me。 /m/me) /m/me/
ADDRESS_TAIL = "/ .,;:!?'\"()[]{}<>。，、；：！？）（】【》《」「』『”“’‘\u3000"


@bp.get("/<path:address>")
@phone_page
def not_here(address):
    """An address under /m that is no page: the page meant, when it only had punctuation stuck to
    its end; else "not found" with the way to the phone's own pages (not the kiosk's start)."""
    addresses = current_app.url_map.bind(request.host)
    if "POST" in addresses.allowed_methods(request.path):
        abort(405)  # a form's own address (/m/forget) opened: as everywhere, "use the buttons"
    meant = f"{bp.url_prefix}/{address.rstrip(ADDRESS_TAIL)}"
    if meant != request.path:
        try:
            endpoint, _values = addresses.match(meant, method="GET")
        except HTTPException:
            endpoint = None
        if endpoint and endpoint != "phone.not_here":
            query = request.query_string.decode("utf-8", "replace")
            return redirect(meant + (f"?{query}" if query else ""), 302)
    return render("phone/not_here.html", status=404)
