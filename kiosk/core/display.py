"""长辈模式 (large text): a switch on every screen that the device remembers, like the language.

The choice is a cookie the server reads, so the very first paint of every page is already large
(no flash of small text while a script catches up) and it works without JavaScript."""

from flask import Blueprint, Flask, abort, current_app, make_response, redirect, request, url_for

from kiosk.core.web import safe_next

TEXT_SIZES = ("normal", "large")

bp = Blueprint("display", __name__)


@bp.post("/text-size")
def text_size():
    """The 大字 switch: large or normal text on this device, then back to the same screen."""
    size = request.form.get("size", "")
    if size not in TEXT_SIZES:
        abort(400)
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("kiosk.home")), 303))
    response.set_cookie(current_app.config["TEXT_SIZE_COOKIE"], size, max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def large_text() -> bool:
    return bool(request) and request.cookies.get(current_app.config["TEXT_SIZE_COOKIE"]) == "large"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["large_text"] = large_text
