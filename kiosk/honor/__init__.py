"""(being built)"""

from flask import Flask


def init_app(app: Flask) -> None:
    from kiosk.honor import models  # noqa: F401
