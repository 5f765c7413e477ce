"""Error pages: a full page in the reader's language, or for htmx a fragment that replaces <main>."""

from flask import Flask, g, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response as hx_response
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import HTTPException, InternalServerError

from kiosk.core.extensions import db
from kiosk.core.web import wants_fragment

MESSAGES = {
    400: (_l("Something was not right"), _l("The screen sent something we could not read. Please try again.")),
    403: (_l("Not allowed here"), _l("This page is for station keepers only.")),
    404: (_l("Page not found"), _l("We could not find that page.")),
    405: (_l("That did not work"), _l("Please go back and use the buttons on the screen.")),
    413: (_l("File too large"), _l("That file is too large. Please choose a smaller one.")),
    422: (_l("Please check your input"), _l("Something you entered could not be used.")),
    429: (_l("Too many tries"), _l("Please wait a moment and try again.")),
    500: (_l("Sorry, something went wrong"), _l("The station's system had a problem. Please try again.")),
    503: (_l("Station not set up yet"), _l("Ask a keeper to set up this station.")),
}
CSRF_MESSAGE = (_l("This page has expired"), _l("Please go back to the start and try again."))


def render_error(status: int, title=None, message=None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    context = {"status": status, "title": title or default_title, "message": message or default_message}
    if wants_fragment():
        # Whatever element asked, the error takes the whole screen, where the big button is.
        return hx_response(
            render_block("errors/error.html", "content", **context), status, retarget="#main", reswap="innerHTML"
        )
    return make_response(render_template("errors/error.html", **context), status)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code if error.code in MESSAGES else 400)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        g.setdefault("station", None)
        return render_error(500)
