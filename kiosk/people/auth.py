"""Keeper sign-in and sign-out."""

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from htmx_flask import make_response as hx_response

from kiosk.core.clock import utcnow
from kiosk.core.extensions import login_manager
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, keeper_home, render, safe_next, wants_fragment
from kiosk.people.forms import LoginForm
from kiosk.people.keepers import (authenticate, forget_remembered_sign_in, leave_this_device,
                                  note_keeper_seen, page_to_return_to, require_keeper, sign_out_everywhere)

bp = Blueprint("auth", __name__, url_prefix="/keeper", template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        return render("people/login.html", status=422 if form_sent() else 200, form=form)

    def show(err):
        form.password.errors.append(err.message)
        return render("people/login.html", status=err.status, form=form)

    refuse_with(show)
    keeper = authenticate(form.username.data, form.password.data, request.remote_addr or "", utcnow())
    # A new session at sign-in (and with it a new CSRF token): nothing from before carries over.
    session.clear()
    session.permanent = True  # lives PERMANENT_SESSION_LIFETIME, unless "keep me signed in"
    login_user(keeper, remember=form.remember.data)
    if not form.remember.data:
        forget_remembered_sign_in()  # the tablet's last keeper may have kept theirs
    note_keeper_seen(utcnow())  # the kiosk tablet's idle time counts from here
    return redirect(safe_next(request.args.get("next"), keeper_home()), 303)


@bp.post("/logout")
def logout():
    """Signing out ends this keeper's sign-ins on every device, "keep me signed in" ones too."""
    if current_user.is_authenticated:
        sign_out_everywhere(current_user)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", left="everywhere"), 303)  # and say so: the phone too


@bp.post("/leave")
def leave():
    """A keeper page left alone on the station's kiosk: sign out this tablet only (the keeper's
    other devices stay signed in) and give the screen back to the volunteers."""
    leave_this_device()
    return redirect(url_for("kiosk.home"), 303)


@bp.get("/still-here")
def still_here():
    """A keeper page on the station's kiosk tablet says someone is at it (kiosk.js, while keys or
    taps come: typing a long reply sends nothing else), so the server's idle time starts again as
    after any keeper request. A tablet left alone says nothing and is still signed out; one already
    idle too long is signed out here, like any keeper page."""
    return require_keeper() or ("", 204, {"Cache-Control": "no-store"})


@login_manager.unauthorized_handler
def need_sign_in():
    """To the sign-in page, saying why when this device's sign-in has ended (signed out elsewhere,
    password changed) and that a form sent meanwhile was not saved; after signing in, back to the
    page asked for, or to the page the form or fragment was on (`page_to_return_to`)."""
    sent_a_form = form_sent()
    target = url_for("auth.login", next=page_to_return_to(), signed_out=1 if "_user_id" in session else None,
                     unsaved=1 if sent_a_form else None)
    if wants_fragment():
        # htmx cannot see a redirect; HX-Redirect loads the sign-in page whole (HX-Location would
        # swap in only its fragment, without the header and the language switch).
        return hx_response("", 200, redirect=target)
    return redirect(target, 303)
