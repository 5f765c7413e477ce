"""Reports a keeper prints at the end of a month or year and a district admin compares across
stations: volunteers, sessions, person-times and confirmed hours, activities, the swap shelf,
suggestions, walk-ins, points and gifts, beside the period before, drawn as charts (SVG made on the
server), downloadable as CSV and XLSX. It reads every feature; none reads it.

- periods.py       a month, a year or a range of the station's days; the period before; chart steps
- figures.py       one station's figures for a period (what each one counts is written there)
- summary.py       the figures in words, the charts, the district table, the rows of the files
- charts.py        the geometry of column and bar charts (templates/reports/_chart.html draws them)
- keeper_routes.py the report page, the district page and their downloads"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.reports import keeper_routes

    app.register_blueprint(keeper_routes.bp)
    add_keeper_link(app, "reports.report", _l("Reports"), 95)
