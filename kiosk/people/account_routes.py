"""The signed-in keeper's own account (/keeper/account): who they are signed in as, and a new password."""

from flask import g, redirect, request, url_for
from flask_login import current_user

from kiosk.core.clock import utcnow
from kiosk.core.forms import attach_error, first_refusal
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.forms import PasswordChangeForm
from kiosk.people.keepers import change_password, keeper_blueprint, sign_in_again_here

bp = keeper_blueprint("account", __name__)


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordChangeForm()
    refuse_with(lambda err: render("people/account.html", status=err.status, form=attach_error(form, err)))
    if not form.is_submitted():
        return render("people/account.html", form=form)
    if not form.validate():
        raise first_refusal(form)
    change_password(current_user, g.station, form.current_password.data, form.new_password.data,
                    form.new_password_again.data, request.remote_addr or "", utcnow())
    sign_in_again_here(current_user)
    return redirect(url_for("account.account", changed=1), 303)
