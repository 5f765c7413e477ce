"""The keeper's page for the station's settings (/keeper/settings)."""

from flask import g, redirect, url_for
from flask_login import current_user

from kiosk.core.clock import utcnow
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.errors import DomainError
from kiosk.core.forms import attach_error, first_refusal, validated
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, render
from kiosk.people.keepers import keeper_blueprint
from kiosk.settings.forms import StationSettingsForm, step_label
from kiosk.settings.station import (AskFirst, StationSettings, change_lines, change_settings, checked,
                                    recent_changes, rounding_steps, stamped)

bp = keeper_blueprint("settings_keeper", __name__)


def _page(form: StationSettingsForm, status: int = 200, asking: bool = False):
    return render("settings/settings.html", status=status, form=form, changes=recent_changes(g.station),
                  change_lines=change_lines, asking=asking)


def _with_steps(form: StationSettingsForm) -> StationSettingsForm:
    form.hours_rounding_minutes.choices = [(step, step_label(step)) for step in rounding_steps(g.station)]
    return form


def _form_as_stored() -> StationSettingsForm:
    return _with_steps(StationSettingsForm(formdata=None, obj=g.station, seen=edit_stamp(stamped(g.station))))


def _refused(form: StationSettingsForm, err: DomainError):
    if isinstance(err, EditedMeanwhile):  # the settings as they are now, to change again
        form = _form_as_stored()
    return _page(attach_error(form, err), status=err.status, asking=isinstance(err, AskFirst))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    if not form_sent():
        return _page(_form_as_stored())
    form = _with_steps(StationSettingsForm())
    refuse_with(lambda err: _refused(form, err))
    wanted = StationSettings(
        name=form.name.data, name_hant=form.name_hant.data or "", opens_at=form.opens_at.data, closes_at=form.closes_at.data,
        hours_rounding_minutes=form.hours_rounding_minutes.data,
        duplicate_window_minutes=form.duplicate_window_minutes.data,
        person_in_charge=form.person_in_charge.data or "", contact=form.contact.data or "")
    # The form's own checks and the rules both, so every field at fault says so at once.
    if validated(form, lambda: checked(g.station, wanted)) is None:
        raise first_refusal(form)
    changed = change_settings(current_user, g.station, wanted, utcnow(), seen=form.seen.data or None,
                              agreed=form.agreed.data)
    return redirect(url_for("settings_keeper.settings", **({"saved": 1} if changed else {"unchanged": 1})), 303)
