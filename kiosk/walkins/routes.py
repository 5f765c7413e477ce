"""Station services: one tap on the kiosk records that someone used the station; keepers edit the list."""

from flask import Blueprint, g, request
from flask_babel import lazy_gettext as _l

from kiosk.core.choices import ChoiceEditor, add_choice_editor
from kiosk.core.clock import utcnow
from kiosk.core.forms import EmptyForm
from kiosk.core.limits import who, with_device_cookie
from kiosk.core.once import new_once
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.keepers import keeper_blueprint
from kiosk.walkins.models import WalkInService
from kiosk.walkins.visits import add_service, record_visit, service_label, station_services

bp = station_required(Blueprint("services", __name__, url_prefix="/services", template_folder="templates"))
keeper_bp = keeper_blueprint("walkins_keeper", __name__)


def _tiles(**extra):
    # Each tile gets a fresh tap id with every rendering: a retry repeats it, a new tap does not (nor
    # a double tap's second tap, which lands on these fresh tiles: visits.DOUBLE_TAP counts it once).
    tiles = [(service, new_once()) for service in station_services(g.station)]
    return {"tiles": tiles, "form": EmptyForm(), **extra}


@bp.get("/")
def tap():
    # The tablet's own id tells a double tap on it from a tap on another tablet behind the same address.
    return with_device_cookie(render("walkins/tap.html", **_tiles()))


@bp.post("/tap")
def record():
    refuse_with(lambda err: render("walkins/tap.html", "tiles", status=err.status, **_tiles(error=err.message)))
    service = record_visit(g.station, request.form.get("service_id", ""), request.form.get("tap_id", ""), utcnow(),
                           who())
    return render("walkins/tap.html", "tiles", **_tiles(thanked=service))


add_choice_editor(keeper_bp, "/services", ChoiceEditor(
    model=WalkInService, label=service_label, add=add_service, title=_l("Station services"),
    add_title=_l("Add a service"),
    intro=_l("The buttons residents and riders tap on the kiosk. Rename them, hide them, or add your own.")))
