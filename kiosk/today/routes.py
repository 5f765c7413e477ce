"""The keeper's Today screen: the day's visitors, live, any past day, and the day as CSV."""

from datetime import date, timedelta

from flask import Response, abort, g, request

from kiosk.checkin.attendance import settle_forgotten_sessions
from kiosk.core.clock import utcnow
from kiosk.core.stations import local_today
from kiosk.core.web import background_refresh, render, render_block_response
from kiosk.people.keepers import keeper_blueprint, stations_to_choose
from kiosk.core.storage import storage_trouble
from kiosk.gifts.redemptions import waiting as waiting_redemptions
from kiosk.today.export import day_csv
from kiosk.today.report import day_report, live_stamp

bp = keeper_blueprint("today", __name__)


def _day() -> date:
    """The day asked for (?day=2026-11-20), or the station's today."""
    raw = request.args.get("day", "")
    today = local_today(g.station, utcnow())
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
    settle_forgotten_sessions(g.station, utcnow())
    report = day_report(g.station, day, utcnow(), q)
    return render("today/today.html", "live", report=report, q=q, stamp=live_stamp(g.station, day),
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1), stations=stations_to_choose(),
                  storage_trouble=storage_trouble(utcnow()), gifts_waiting=len(waiting_redemptions(g.station)))


@bp.get("/today/live")
@background_refresh
def today_live():
    """Polled every few seconds by the Today screen. Nothing new: 204 and htmx swaps nothing."""
    day = _day()
    # Closing time passes while the screen is open: close forgotten sessions before comparing.
    settle_forgotten_sessions(g.station, utcnow())
    stamp = live_stamp(g.station, day)
    if request.args.get("stamp") == stamp:
        return "", 204
    q = request.args.get("q", "")[:40]
    report = day_report(g.station, day, utcnow(), q)
    return render_block_response("today/today.html", "live", report=report, q=q, stamp=stamp)


@bp.get("/today.csv")
def today_csv():
    day = _day()
    settle_forgotten_sessions(g.station, utcnow())
    report = day_report(g.station, day, utcnow())
    response = Response(day_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{g.station.slug}-{day.isoformat()}.csv"'
    return response
