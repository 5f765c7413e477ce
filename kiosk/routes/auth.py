"""Keeper sign-in and sign-out."""

from flask import Blueprint, redirect, request, url_for
from htmx_flask import make_response as hx_response
from flask_login import login_user, logout_user

from ..extensions import db, login_manager
from ..forms import LoginForm
from ..keepers import BAD_SIGN_IN, authenticate
from ..web import render, safe_next, wants_fragment

bp = Blueprint("auth", __name__, url_prefix="/keeper")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        keeper = authenticate(form.username.data, form.password.data)
        if keeper is not None:
            login_user(keeper, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("keeper.volunteers")), 303)
        form.password.errors.append(BAD_SIGN_IN)
    status = 422 if request.method == "POST" else 200
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
