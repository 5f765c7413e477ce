"""Walk-in services (rest, water, charging, first aid …): one tap on the kiosk counts one person
served; keepers rename, hide or add services.

- visits.py  counting a tap (once, however often it arrives) and the counts for a period
- routes.py  the kiosk tiles and the keeper's list"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.stations import on_new_station
from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.walkins import models, routes, visits  # noqa: F401

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.keeper_bp)
    app.jinja_env.globals["service_label"] = visits.service_label
    on_new_station(app, visits.add_standard_services)
    add_keeper_link(app, "walkins_keeper.choices", _l("Station services"), 60)
