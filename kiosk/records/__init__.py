"""(being built)"""

from flask import Flask


def init_app(app: Flask) -> None:
    from kiosk.records import models  # noqa: F401
