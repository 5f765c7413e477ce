"""The suggestion box on the kiosk and on a resident's phone, the tracking page, and the Open311 feed."""

from flask import Blueprint, current_app, g, jsonify, make_response, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.extensions import db
from kiosk.core.forms import EmptyForm
from kiosk.core.i18n import own_device_page, reads_the_devices_language
from kiosk.core.limits import device_id, with_device_cookie
from kiosk.people.phones import volunteer_on_this_phone
from kiosk.core.models import Station
from kiosk.core.once import new_once
from kiosk.core.photos import prepare_photo
from kiosk.core.qr import qr_svg
from kiosk.core.stations import phone_page, station_required
from kiosk.core.text import one_line
from kiosk.core.transaction import refuse_with
from kiosk.core.web import link_for_phones, render, takes_upload
from kiosk.suggest.box import (
    TEXT_MAX,
    by_tracking_code,
    categories,
    open311,
    public_requests,
    submit,
    wording_of,
    wordings,
    you_said_we_did,
)

bp = station_required(Blueprint("suggest", __name__, template_folder="templates"))
# The Open311 feed reads every station (or one named in the query): it needs no station of its own.
api = Blueprint("suggest_api", __name__, url_prefix="/api/v1/open311")


def _form(source: str, status: int = 200, **extra):
    context = {"form": EmptyForm(), "categories": categories(g.station), "source": source, "text_max": TEXT_MAX,
               "values": {"once": new_once()}, "errors": {},
               "phone_link": link_for_phones("suggest.phone")}
    context.update(extra)
    if source == "kiosk":
        context["phone_svg"] = qr_svg(context["phone_link"], box_size=5)
    return with_device_cookie(render("suggest/new.html", "suggest_form", status=status, **context))


@bp.get("/suggest/")
def new():
    return _form("kiosk")


@bp.get("/suggest/phone")
@phone_page
def phone():
    return _form("phone")


@bp.post("/suggest/")
@takes_upload
def submit_kiosk():
    return _submit("kiosk")


@bp.post("/suggest/phone")
@phone_page
@takes_upload
def submit_phone():
    return _submit("phone")


def _submit(source: str):
    values = {key: request.form.get(key, "") for key in ("category", "text", "contact", "once")}
    values["anonymous"] = request.form.get("anonymous") == "1"
    refuse_with(lambda err: _form(source, status=err.status, values=values,
                                  errors={err.field or "text": err.message, **err.also}))
    upload = request.files.get("photo")
    values["photo_again"] = bool(upload and upload.filename)  # if refused, the form says to take it again
    data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1) if upload and upload.filename else None
    # Re-encoded here, before the write transaction begins, so other kiosks do not wait for it.
    photo = prepare_photo(data, kind="suggestions") if data else None
    # From a volunteer's own linked phone, the suggestion says who found it (never from the kiosk).
    volunteer = volunteer_on_this_phone() if source == "phone" else None
    suggestion = submit(g.station, category_id=values["category"], text=values["text"], photo=photo,
                        contact=values["contact"], anonymous=values["anonymous"], source=source,
                        device_id=device_id(), address=request.remote_addr or "", now=utcnow(), once=values["once"],
                        volunteer_id=volunteer.id if volunteer else None, station_kiosk=g.kiosk_tablet)
    link = link_for_phones("suggest.track", code=suggestion.tracking_code)
    return render("suggest/new.html", "suggest_form", suggestion=suggestion, link=link, svg=qr_svg(link, box_size=6),
                  source=source)


@bp.get("/s/<code>")
@own_device_page
def track(code):
    """The suggestion's status page, opened from the receipt's QR: status, reply, dates. Nothing more."""
    suggestion = by_tracking_code(code)
    if suggestion is None:  # a code copied wrong: say so, and let it be typed again
        return _find_page(typed=code[:20], error=NO_SUCH_CODE, status=404)
    # Its words only as public views show them, and only once they are public.
    public = suggestion.status != "received" and not suggestion.hidden
    return render("suggest/track.html", suggestion=suggestion, wording=wording_of(suggestion) if public else None,
                  own_device=reads_the_devices_language())


NO_SUCH_CODE = _l("No suggestion has this code. Please check it: it looks like S-7KQ2MD.")
TYPE_THE_CODE = _l("Please type the code on your receipt.")


def _find_page(status: int = 200, **context):
    return render("suggest/find.html", status=status, own_device=reads_the_devices_language(), **context)


@bp.get("/suggest/find")
@own_device_page
def find():
    """Where a resident without a phone types the code from their receipt to read the reply."""
    # A zero-width space pasted with the code is nothing typed, and nothing in the code.
    typed = one_line(request.args.get("code", ""))
    if not typed:
        # Opened from a button it asks nothing yet; 查看回复 tapped on an empty field is told what to type.
        return _find_page(typed="", error=TYPE_THE_CODE if "code" in request.args else None)
    suggestion = by_tracking_code(typed)
    if suggestion is None:
        return _find_page(typed=typed[:20], error=NO_SUCH_CODE)
    return redirect(url_for("suggest.track", code=suggestion.tracking_code), 303)


@bp.get("/suggest/done")
def done():
    items = you_said_we_did(g.station, 20)
    return render("suggest/done.html", items=items, wordings=wordings(items))


# --- Open311 GeoReport v2 (read only) ---------------------------------------------------------


@api.get("/requests.json")
def open311_requests():
    station = None
    if request.args.get("station"):
        station = db.session.scalar(select(Station).where(Station.slug == request.args["station"][:40]))
        if station is None:
            return _json([])
    items = public_requests(station)
    shown = wordings(items)
    return _json([open311(s, shown[s.id]) for s in items])


@api.get("/requests/<code>.json")
def open311_request(code):
    suggestion = by_tracking_code(code)
    if suggestion is None or suggestion.hidden or suggestion.status == "received":
        return _json([{"code": 404, "description": "not found"}], 404)
    return _json([open311(suggestion)])


def _json(data, status: int = 200):
    response = make_response(jsonify(data), status)
    response.headers["Access-Control-Allow-Origin"] = "*"  # a district system may read it from anywhere
    return response
