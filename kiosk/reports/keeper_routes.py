"""The reports: a station's month, year or range for its keeper (an admin sees the station they
chose), the district's every station for an admin, and both as CSV and XLSX."""

from flask import Response, abort, g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.keepers import keeper_blueprint, stations_to_choose
from kiosk.records.exports import csv_chunks, write_xlsx
from kiosk.records.keeper_routes import csv_download, xlsx_download
from kiosk.reports.figures import district_figures, first_record_day, station_figures
from kiosk.reports.periods import opening_period, parse_period
from kiosk.reports.summary import (FIGURE_KEYS, age_rows, FIGURES, district_chart, district_rows, district_total, headline,
                                   period_title, report_charts, report_rows, sheet_title,
                                   sort_stations)

bp = keeper_blueprint("reports", __name__)


def _period():
    """The period asked for, or last month when nothing was asked (this month in a station's first
    weeks). A wrong one is shown beside its field on the same page (422)."""
    today = local_today(g.station, utcnow())
    if not request.args.get("kind"):
        return opening_period(today, first_record_day(g.station))
    return parse_period(request.args, today)


def _refuse(template: str):
    refuse_with(lambda err: render(template, status=err.status, error=err, args=request.args, period=None,
                                   stations=stations_to_choose()))


@bp.get("/reports")
def report():
    _refuse("reports/report.html")
    period = _period()
    now = utcnow()
    figures = station_figures(g.station, period, now)
    previous = station_figures(g.station, period.previous(), now)
    return render("reports/report.html", period=period, title=period_title(period), args=request.args,
                  has_later=period.following().has_begun(local_today(g.station, now)),
                  not_begun=not period.has_begun(local_today(g.station, now)),
                  stations=stations_to_choose(),
                  previous_title=period_title(previous.period), figures=figures, lines=headline(figures, previous),
                  charts=report_charts(figures), age_rows=age_rows(figures), error=None)


@bp.get("/reports.<any(csv, xlsx):file_format>")
def report_file(file_format: str):
    _refuse("reports/report.html")
    period = _period()
    now = utcnow()
    headers, rows = report_rows(station_figures(g.station, period, now),
                                station_figures(g.station, period.previous(), now))
    return _file(file_format, f"{g.station.slug}-report-{period.slug()}", sheet_title(period), headers, rows)


def _district(template: str):
    if not current_user.is_admin:
        abort(403)
    _refuse(template)
    period = _period()
    stations = db.session.scalars(select(Station).order_by(Station.name)).all()
    return period, district_figures(stations, period, utcnow())


@bp.get("/reports/district")
def district():
    period, all_figures = _district("reports/district.html")
    key = request.args.get("sort", "station")
    key = key if key in FIGURE_KEYS else "station"
    descending = request.args.get("order") == "desc"
    shown = request.args.get("chart", "confirmed_hours")
    shown = shown if shown in FIGURE_KEYS else "confirmed_hours"
    return render("reports/district.html", period=period, title=period_title(period), args=request.args,
                  has_later=period.following().has_begun(local_today(g.station, utcnow())),
                  not_begun=not period.has_begun(local_today(g.station, utcnow())),
                  figures=FIGURES, columns=[("station", _("Station"))] + [(f.key, f.title(period)) for f in FIGURES],
                  stations=sort_stations(all_figures, key, descending), sort=key,
                  descending=descending, totals=[district_total(f, all_figures) for f in FIGURES],
                  chart=district_chart(all_figures, shown, period), shown=shown, error=None)


@bp.get("/reports/district.<any(csv, xlsx):file_format>")
def district_file(file_format: str):
    period, all_figures = _district("reports/district.html")
    headers, rows = district_rows(all_figures, period)
    return _file(file_format, f"district-report-{period.slug()}", sheet_title(period), headers, rows)


def _file(file_format: str, name: str, sheet: str, headers: list, rows: list) -> Response:
    if file_format == "csv":
        return csv_download(lambda: csv_chunks(headers, rows), f"{name}.csv")
    return xlsx_download(lambda target: write_xlsx(target, sheet, headers, rows, widths=(28, 16, 16, 16, 16)),
                         f"{name}.xlsx")

