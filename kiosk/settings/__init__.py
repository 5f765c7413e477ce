"""The station's settings page: its name, opening and closing time, how served hours are rounded,
the duplicate-scan window, the person in charge and the contact. Each save is audited.

- station.py       the rules: what each setting may be, changing them all or none, the changes made
- keeper_routes.py /keeper/settings"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.people.audit import add_audit_labels
    from kiosk.settings import keeper_routes, station

    app.register_blueprint(keeper_routes.bp)
    add_keeper_link(app, "settings_keeper.settings", _l("Station settings"), 115)
    add_audit_labels(app, {station.CHANGED: _l("changed the station's settings")}, describe=station.describe)
