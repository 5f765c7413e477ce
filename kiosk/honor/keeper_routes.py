"""The keeper's picks for this month's honor roll."""

from flask import g, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, Optional

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.forms import REQUIRED, TOO_LONG, EmptyForm, attach_error, first_error
from kiosk.core.stations import station_record
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.honor.models import HonorPick
from kiosk.honor.roll import honor_roll, pick, pick_shown, this_months_picks, unpick
from kiosk.people.keepers import keeper_blueprint

bp = keeper_blueprint("honor_keeper", __name__)


class PickForm(FlaskForm):
    number = StringField(validators=[InputRequired(REQUIRED), Length(max=12, message=TOO_LONG)])
    note = StringField(validators=[Optional(), Length(max=60, message=TOO_LONG)])


def _page(status: int = 200, form: PickForm | None = None):
    now = utcnow()
    chosen = this_months_picks(g.station, now)
    return render("honor/keeper.html", status=status, form=form or PickForm(formdata=None), picks=chosen,
                  not_shown={p.id: pick_shown(p) for p in chosen}, roll=honor_roll(g.station, now),
                  button=EmptyForm())


@bp.get("/honor")
def picks():
    return _page()


@bp.post("/honor")
def add():
    form = PickForm()
    refuse_with(lambda err: _page(status=err.status, form=attach_error(form, err)))
    if not form.validate():
        raise DomainError(first_error(form))
    pick(current_user, g.station, form.number.data, form.note.data, utcnow())
    return redirect(url_for("honor_keeper.picks"), 303)


@bp.post("/honor/<int:pick_id>/remove")
def remove(pick_id):
    unpick(current_user, g.station, station_record(HonorPick, pick_id), utcnow())
    return redirect(url_for("honor_keeper.picks"), 303)
