"""The signed-in keeper's own account (/keeper/account): who they are signed in as, a new password,
and the keepers of their station (an admin: of the station they are looking at): adding one, a new
password for one who forgot theirs, deactivating one who left (people/keeper_accounts.py).

A new password is shown once, in the answer to the form that made it: it is never stored as it
reads, nor put in a cookie, and the page it is on is not kept (Cache-Control: no-store)."""

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kiosk.core.clock import utcnow
from kiosk.core.forms import EmptyForm, attach_error, first_refusal
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, render
from kiosk.people.forms import AddKeeperForm, PasswordChangeForm
from kiosk.people.keeper_accounts import (NOT_YOURSELF, add_keeper, change_keeper_active, keeper_events, keeper_of,
                                          new_password_for, password_stamp, station_keepers)
from kiosk.people.keepers import change_password, keeper_blueprint, sign_in_again_here
from kiosk.people.models import Keeper

bp = keeper_blueprint("account", __name__)


def _account_page(status: int = 200, form: PasswordChangeForm | None = None, add_form: AddKeeperForm | None = None):
    return render("people/account.html", status=status, form=form or PasswordChangeForm(formdata=None),
                  add_form=add_form or AddKeeperForm(formdata=None, prefix="keeper"),
                  keepers=station_keepers(g.station), events=keeper_events(g.station))


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordChangeForm()
    refuse_with(lambda err: _account_page(err.status, form=attach_error(form, err)))
    if not form.is_submitted():
        return _account_page(form=form)
    if not form.validate():
        raise first_refusal(form)
    change_password(current_user, g.station, form.current_password.data, form.new_password.data,
                    form.new_password_again.data, request.remote_addr or "", utcnow())
    sign_in_again_here(current_user)
    return redirect(url_for("account.account", changed=1), 303)


# --- The station's keepers -------------------------------------------------------------------------


def _keeper(keeper_id: int) -> Keeper:
    """A keeper of this station, or 404: never another station's, never an admin."""
    keeper = keeper_of(g.station, keeper_id)
    if keeper is None:
        abort(404)
    return keeper


def _keepers_section():
    return redirect(url_for("account.account", _anchor="keepers"), 303)


@bp.route("/account/keepers", methods=["GET", "POST"])
def add_station_keeper():
    if not form_sent():  # the address a new keeper's password was shown at, opened again
        return _keepers_section()
    form = AddKeeperForm(prefix="keeper")
    refuse_with(lambda err: _account_page(err.status, add_form=attach_error(form, err)))
    if not form.validate():
        raise first_refusal(form)
    keeper, password = add_keeper(g.station, form.username.data, form.name.data, by=current_user, now=utcnow())
    return render("people/keeper_password.html", keeper=keeper, password=password, added=True)


def _password_step(keeper: Keeper, status: int = 200, error=None):
    return render("people/keeper_change.html", status=status, keeper=keeper, change="password", form=EmptyForm(),
                  seen=password_stamp(keeper), error=error)


@bp.route("/account/keepers/<int:keeper_id>/password", methods=["GET", "POST"])
def new_keeper_password(keeper_id):
    """GET asks first (what happens to their sign-ins); POST makes the password and shows it once."""
    keeper = _keeper(keeper_id)
    if keeper.id == current_user.id:  # one's own is changed with the current one, above
        return redirect(url_for("account.account"), 303)
    if not form_sent():
        return _password_step(keeper)
    refuse_with(lambda err: _password_step(_keeper(keeper_id), err.status, err.message))
    password = new_password_for(keeper, by=current_user, now=utcnow(), seen=request.form.get("seen", ""))
    return render("people/keeper_password.html", keeper=keeper, password=password, added=False)


def _active_step(keeper: Keeper, status: int = 200, error=None):
    return render("people/keeper_change.html", status=status, keeper=keeper, form=EmptyForm(), error=error,
                  change="deactivate" if keeper.active else "reactivate")


@bp.route("/account/keepers/<int:keeper_id>/active", methods=["GET", "POST"])
def keeper_active(keeper_id):
    """GET asks first; POST (active=0 or 1) deactivates or reactivates."""
    keeper = _keeper(keeper_id)
    if not form_sent():
        return _active_step(keeper, error=NOT_YOURSELF if keeper.id == current_user.id else None)
    refuse_with(lambda err: _active_step(_keeper(keeper_id), err.status, err.message))
    answer = request.form.get("active")
    if answer not in ("0", "1"):  # not what the page sends: never read as "deactivate"
        abort(400)
    active = answer == "1"
    change_keeper_active(keeper, active, by=current_user, now=utcnow())
    flash(str(_l("%(name)s is active again and can sign in.", name=keeper.display_name) if active else
              _l("%(name)s is deactivated: signed out everywhere, and can no longer sign in.",
                 name=keeper.display_name)))
    return _keepers_section()
