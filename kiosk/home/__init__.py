"""The kiosk's home screen. It shows several features (tiles, "you said, we did"), so it sits
above them, beside Today."""

from flask import Flask


def init_app(app: Flask) -> None:
    from kiosk.home import routes

    app.register_blueprint(routes.bp)
