"""The keeper's Today screen: the day's visitors, live, any past day, and the day as CSV."""

from datetime import date, timedelta

from flask import Response, g, request, url_for
from htmx_flask import make_response as hx_response

from kiosk.checkin.attendance import settle_forgotten_sessions
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.stations import local_today
from kiosk.core.web import background_refresh, render, render_block_response
from kiosk.people.keepers import keeper_blueprint, stations_to_choose
from kiosk.core.storage import storage_trouble
from kiosk.gifts.redemptions import waiting as waiting_redemptions
from kiosk.today.export import day_csv
from kiosk.today.report import FIRST_DAY, day_report, day_to_show, live_stamp, needs_first_steps

bp = keeper_blueprint("today", __name__)


def _day() -> tuple[date, DomainError | None]:
    """The day asked for (?day=2026-11-20), or the station's today; a day that cannot be shown
    gives today, with the reason to show beside the date."""
    today = local_today(g.station, utcnow())
    try:
        return day_to_show(request.args.get("day", ""), today), None
    except DomainError as err:
        return today, err


@bp.get("/today")
def today():
    day, refused = _day()
    q = request.args.get("q", "")[:40]
    settle_forgotten_sessions(g.station, utcnow())
    report = day_report(g.station, day, utcnow(), q)
    return render("today/today.html", "live", status=refused.status if refused else 200, report=report, q=q,
                  stamp=live_stamp(g.station, day), day_error=refused.message if refused else None,
                  first_day=FIRST_DAY, last_day=local_today(g.station, utcnow()),
                  prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1), stations=stations_to_choose(),
                  storage_trouble=storage_trouble(utcnow()), gifts_waiting=len(waiting_redemptions(g.station)),
                  first_steps=needs_first_steps(g.station))


@bp.get("/today/live")
@background_refresh
def today_live():
    """Polled every few seconds by the Today screen. Nothing new: 204 and htmx swaps nothing."""
    day, _refused = _day()  # a poll never asks for a day its page could not show; if one does, today
    q = request.args.get("q", "")[:40]
    if day < local_today(g.station, utcnow()):
        # Only today's page polls: its day has passed while it stayed open (overnight). Load today's
        # page whole, so its heading, date buttons and the on-duty list follow the station's day.
        return hx_response("", 200, redirect=url_for("today.today", q=q or None))
    # Closing time passes while the screen is open: close forgotten sessions before comparing.
    settle_forgotten_sessions(g.station, utcnow())
    stamp = live_stamp(g.station, day)
    if request.args.get("stamp") == stamp:
        return "", 204
    report = day_report(g.station, day, utcnow(), q)
    return render_block_response("today/today.html", "live", report=report, q=q, stamp=stamp)


@bp.get("/today.csv")
def today_csv():
    day, refused = _day()
    if refused:  # a download has no page to show the reason on: a short plain answer
        return Response(str(refused.message), status=400, mimetype="text/plain")
    settle_forgotten_sessions(g.station, utcnow())
    report = day_report(g.station, day, utcnow())
    response = Response(day_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{g.station.slug}-{day.isoformat()}.csv"'
    return response
