"""Keeper sign-in and sign-out."""

from flask import Blueprint, redirect, request, session, url_for
from htmx_flask import make_response as hx_response
from flask_login import login_user, logout_user

from ..extensions import db, login_manager
from ..forms import LoginForm
from ..clock import utcnow
from ..keepers import BAD_SIGN_IN, SignInThrottled, authenticate
from ..web import render, safe_next, wants_fragment

bp = Blueprint("auth", __name__, url_prefix="/keeper")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            keeper = authenticate(form.username.data, form.password.data, request.remote_addr or "", utcnow())
        except SignInThrottled as err:
            db.session.rollback()
            form.password.errors.append(err.message)
            return render("auth/login.html", status=err.status, form=form)
        db.session.commit()  # a failed try is recorded, so guessing slows down
        if keeper is not None:
            session.permanent = True  # lives PERMANENT_SESSION_LIFETIME, unless "keep me signed in"
            login_user(keeper, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("keeper.today")), 303)
        form.password.errors.append(BAD_SIGN_IN)
    return render("auth/login.html", status=status, form=form)


@bp.post("/logout")
def logout():
    logout_user()
    return redirect(url_for("auth.login"), 303)


@login_manager.unauthorized_handler
def need_sign_in():
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if wants_fragment():
        # htmx cannot see a redirect; HX-Location makes it go to the sign-in page itself.
        return hx_response("", 200, location=target)
    return redirect(target, 303)
