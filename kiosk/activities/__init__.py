"""(being built)"""

from flask import Flask


def init_app(app: Flask) -> None:
    from kiosk.activities import models  # noqa: F401
