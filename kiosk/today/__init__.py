"""The keeper's Today: who is on duty, who came and went, walk-ins and the swap shelf for one of
the station's days, live. It reads check-in, walk-ins and the swap shelf; none of them reads it.

- report.py  the day's figures, and the fingerprint that tells the live view nothing changed
- export.py  the day as CSV
- routes.py  the Today screen, its live part and the CSV download"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.today import routes

    app.register_blueprint(routes.bp)
    add_keeper_link(app, "today.today", _l("Today"), 10, everyday=True)
