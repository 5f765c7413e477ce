"""Setting up a station tablet: the station's own certificate authority and HTTPS certificate
(browsers open the camera only on a secure page), the root certificate a tablet downloads, and the
keeper's "set up a tablet" page with the steps and a live camera check.

- certificates.py  the root and the server certificate in instance/tls/: made, checked, re-issued
- cli.py           flask --app kiosk station-certificate
- routes.py        the root certificate for download (public) and the keeper's set-up page"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.tablets import cli, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.keeper_bp)
    cli.init_app(app)
    add_keeper_link(app, "tablets_keeper.setup", _l("Set up a tablet"), 110)
