"""The public kiosk: home screen and the language switch."""

from flask import Blueprint, abort, current_app, g, make_response, redirect, request, url_for

from ..clock import utcnow
from ..database import READ_ONLY_METHODS
from ..extensions import db
from ..stations import local_today, station_for_kiosk
from ..suggestions import you_said_we_did
from ..web import render, safe_next

bp = Blueprint("kiosk", __name__)

# The home tiles, in the order they appear. A tile whose area is not built yet shows as "coming soon".
TILES = [
    ("checkin", "checkin.scan"),
    ("swap", "swap.shelf_page"),
    ("suggest", "suggest.new"),
    ("services", "services.tap"),
]


KIOSK_STATION_COOKIE = "kiosk_station"


# Pages a resident's phone opens from a kiosk's QR: the phone has no kiosk cookie, so the station
# travels in the link (?station=slug) and in every link and form on those pages.
PHONE_ENDPOINTS = frozenset({"phone.checkin", "phone.submit_checkin", "phone.link", "phone.link_badge", "phone.me",
                             "phone.forget", "suggest.phone", "suggest.submit_phone"})


@bp.before_app_request
def load_station():
    # The station named in a phone link; else the one a keeper set this tablet up for (a cookie);
    # else the server's setting.
    named = request.args.get("station", "")[:40] if request.endpoint in PHONE_ENDPOINTS else ""
    g.station = station_for_kiosk(named or request.cookies.get(KIOSK_STATION_COOKIE) or current_app.config["STATION"])
    if request.method not in READ_ONLY_METHODS:
        # End the lookup's transaction: on SQLite it began with BEGIN IMMEDIATE, and the write
        # lock should be held only while the request's own change is made, not for the whole request.
        db.session.commit()


@bp.get("/")
def home():
    if g.station is None:
        abort(503)
    tiles = [(name, endpoint if endpoint in current_app.view_functions else None) for name, endpoint in TILES]
    return render("kiosk/home.html", tiles=tiles, today=local_today(g.station, utcnow()),
                  items=you_said_we_did(g.station, 3))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    back = safe_next(request.form.get("next"), url_for("kiosk.home"))
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    response = make_response(redirect(back, 303))
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        lang,
        max_age=5 * 365 * 24 * 3600,  # remembered by the tablet, not by a person
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.app_url_defaults
def keep_station_in_phone_links(endpoint, values):
    if endpoint in PHONE_ENDPOINTS and "station" not in values and g.get("station") is not None:
        values["station"] = g.station.slug
