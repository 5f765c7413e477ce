"""Station services on the kiosk: one tap records that someone used the station."""

import secrets

from flask import Blueprint, abort, g, request

from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm
from ..walkins import record_visit, station_services
from ..web import render

bp = Blueprint("services", __name__, url_prefix="/services")


@bp.before_request
def need_station():
    if g.station is None:
        abort(503)


def _tiles(**extra):
    # Each tile gets a fresh tap id with every rendering: a double tap repeats it, a new tap does not.
    tiles = [(service, secrets.token_hex(16)) for service in station_services(g.station)]
    return {"tiles": tiles, "form": EmptyForm(), **extra}


@bp.get("/")
def tap():
    return render("services/tap.html", **_tiles())


@bp.post("/tap")
def record():
    try:
        service = record_visit(g.station, request.form.get("service_id", ""), request.form.get("tap_id", ""), utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("services/tap.html", "tiles", status=422, **_tiles(error=err.message))
    return render("services/tap.html", "tiles", **_tiles(thanked=service))
