"""The kiosk's home screen: the big tiles, and what the station did with residents' suggestions."""

from flask import Blueprint, current_app, g

from kiosk.checkin.forms import ScanForm
from kiosk.core.clock import utcnow
from kiosk.core.stations import local_today, station_required
from kiosk.core.web import render
from kiosk.honor.roll import honor_roll_for_home
from kiosk.suggest.box import wordings, you_said_we_did

bp = station_required(Blueprint("kiosk", __name__, template_folder="templates"))

# The home tiles, in the order they appear. A tile whose area is not built yet shows as "coming soon".
TILES = [
    ("checkin", "checkin.scan"),
    ("swap", "swap.shelf_page"),
    ("suggest", "suggest.new"),
    ("services", "services.tap"),
    ("activities", "activities.board"),
    ("gifts", "gifts.page"),
]


@bp.get("/")
def home():
    tiles = [(name, endpoint if endpoint in current_app.view_functions else None) for name, endpoint in TILES]
    now = utcnow()
    items = you_said_we_did(g.station, 3)
    scan_form = ScanForm() if "checkin.submit_scan" in current_app.view_functions else None
    return render("kiosk/home.html", tiles=tiles, today=local_today(g.station, now), scan_form=scan_form,
                  items=items, wordings=wordings(items), roll=honor_roll_for_home(g.station, now))
