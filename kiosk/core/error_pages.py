"""Error pages: a full page in the reader's language, or for htmx a fragment that replaces <main>."""

import errno

from flask import Flask, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from htmx_flask import make_response as hx_response
from jinja2_fragments.flask import render_block
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from kiosk.core.database import reads_only_from_here
from kiosk.core.extensions import db
from kiosk.core.i18n import reads_the_devices_language
from kiosk.core.stations import load_station
from kiosk.core.storage import note_cannot_save
from kiosk.core.web import came_from, form_sent, is_keeper_request, keeper_home, takes_upload_here, wants_fragment

MESSAGES = {
    400: (_l("Something was not right"), _l("The screen sent something we could not read. Please try again.")),
    403: (_l("Not allowed here"), _l("This page is for the district's administrators only.")),
    404: (_l("Page not found"), _l("We could not find that page.")),
    405: (_l("That did not work"), _l("Please go back and use the buttons on the screen.")),
    413: (_l("File too large"), _l("That file is too large. Please choose a smaller one.")),
    422: (_l("Please check your input"), _l("Something you entered could not be used.")),
    429: (_l("Too many tries"), _l("Please wait a moment and try again.")),
    500: (_l("Sorry, something went wrong"), _l("The station's system had a problem. Please try again.")),
    503: (_l("Station not set up yet"), _l("Ask a keeper to set up this station.")),
}
# 413 where no photo or file is taken: what was typed (or sent) is too long, not a file too large.
FORM_TOO_LARGE = (_l("Too long"), _l("What you entered is too long. Please make it shorter and try again."))
CSRF_MESSAGE = (_l("This page has expired"), _l("Please go back to the start and try again."))
# The same on a person's own phone, which has no "start" of the kiosk's.
OWN_DEVICE_CSRF_MESSAGE = (CSRF_MESSAGE[0], _l("Please go back to the page and try again."))
# A keeper's form is sent back to its page to be filled in again, with this said at the top.
KEEPER_FORM_EXPIRED = _l("This page had been open too long, so what you sent was not saved. Please try again.")
# A kiosk form sent with a token that no longer holds: the form stays as it was, with a new token.
KIOSK_FORM_RENEWED = _l("That was not saved: this screen had been open too long. It is ready again, so please "
                        "tap once more.")
# The database or the disk cannot take a write (full, read-only, failing): nothing was stored,
# and only a keeper can do something about it.
CANNOT_SAVE = (_l("Nothing could be saved"),
               _l("The station's computer cannot save right now. Nothing was recorded. Please tell a keeper."))
CANNOT_SAVE_SIGNS = ("disk is full", "readonly database", "read-only", "disk i/o error", "no space left")


def render_error(status: int, title=None, message=None):
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    context = {"status": status, "title": title or default_title, "message": message or default_message,
               "keeper_page": False, "own_device": False, "back": None}
    if is_keeper_request():
        # A keeper is not at the kiosk: the way back leads into the keeper pages, and no countdown
        # sends the screen to the kiosk's start.
        back = came_from()
        context.update(keeper_page=True, back=back if back and back != request.full_path.rstrip("?") else None,
                       keeper_home=keeper_home())
    elif reads_the_devices_language():
        # A person's own phone (a volunteer's check-in, a resident's suggestion): not the kiosk, so
        # no countdown to the kiosk's start and no button to it; back to the page it came from.
        back = came_from()
        # (A form's page is often the address it sends to: back to it is a GET, so it may be.)
        same = back == request.full_path.rstrip("?") and not form_sent()
        context.update(own_device=True, back=back if back and not same else None)
        if (request.path == "/m" or request.path.startswith("/m/")) and g.get("station") is not None:
            context["phone_home"] = url_for("phone.me")  # a volunteer's phone: its own page, their hours
    if wants_fragment():
        # Whatever element asked, the error takes the whole screen, where the big button is.
        return hx_response(
            render_block("errors/error.html", "content", **context), status, retarget="#main", reswap="innerHTML"
        )
    return make_response(render_template("errors/error.html", **context), status)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # Leaving the kiosk tablet is sent by the kiosk's idle countdown, not from a keeper's form.
        if request.endpoint == "auth.leave":
            return render_error(400, *CSRF_MESSAGE)
        if not is_keeper_request():
            if wants_fragment():
                return kiosk_form_renewed()
            if "station" not in g:  # refused before the station was read: whose screen this is counts
                load_station()
            return render_error(400, *(OWN_DEVICE_CSRF_MESSAGE if reads_the_devices_language() else CSRF_MESSAGE))
        if request.endpoint != "auth.login" and not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # signed out meanwhile: sign in, and say so
        return back_to_the_form()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code == 413 and not takes_upload_here():
            return render_error(413, *FORM_TOO_LARGE)
        return render_error(error.code if error.code in MESSAGES else 400)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        reads_only_from_here()  # the page still reads the station; after a failed write, only read
        g.setdefault("station", None)
        original = getattr(error, "original_exception", None)
        if original is not None and cannot_save(original):
            current_app.logger.error("cannot save: %s", original)
            note_cannot_save(current_app._get_current_object())
            return render_error(503, *CANNOT_SAVE)
        return render_error(500)


def kiosk_form_renewed():
    """A kiosk form whose token no longer holds (the tablet's session was renewed or lost): nothing
    was saved, but the screen keeps what a resident typed and gets a new token (kiosk.js), so one
    more tap sends it. Only an htmx request gets this: another site's form cannot send its headers."""
    return hx_response("", 400, reswap="none",
                       trigger={"kiosk:renewed": {"token": generate_csrf(), "message": str(KIOSK_FORM_RENEWED)}})


def back_to_the_form():
    """A keeper's form that expired: back to its page, fresh, saying to try again (and, the page
    marked data-unsaved, forms.js puts back what was typed)."""
    flash(str(KEEPER_FORM_EXPIRED), "unsaved")
    target = came_from() or keeper_home()
    if wants_fragment():
        return hx_response("", 200, redirect=target)  # htmx cannot see a redirect; load the page anew
    return redirect(target, 303)


def cannot_save(error: BaseException) -> bool:
    """A full disk or a read-only database, as SQLite, PostgreSQL or the file system say it."""
    # EACCES, EPERM: a file beside the database (the writers' lock, a journal) made by another user.
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES,
                                                      errno.EPERM):
        return True
    return isinstance(error, DBAPIError) and any(sign in str(error).lower() for sign in CANNOT_SAVE_SIGNS)
