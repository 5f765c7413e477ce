"""Forms for check-in at the kiosk, on a phone, and a keeper's corrections."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from kiosk.checkin.attendance import WHAT_TO_TYPE
from kiosk.core.forms import REQUIRED, TOO_LONG


class ScanForm(FlaskForm):
    code = StringField(validators=[InputRequired(REQUIRED)])
    method = HiddenField(default="scanner")


class FindForm(FlaskForm):
    entered = StringField(_l("Volunteer number or last 4 digits of your mobile"), validators=[InputRequired(WHAT_TO_TYPE)])


class PickForm(FlaskForm):
    entered = HiddenField(validators=[InputRequired()])
    volunteer_id = HiddenField(validators=[InputRequired()])


class SessionForm(FlaskForm):
    checked_in_at = StringField(_l("Checked in"), validators=[DataRequired(REQUIRED)])
    checked_out_at = StringField(_l("Checked out"), validators=[Optional()])
    seen = HiddenField()  # the times as the form showed them (core/edits.py)


class ManualTimeForm(FlaskForm):
    at = StringField(_l("Time"), validators=[Optional()])


class PhoneLinkForm(FlaskForm):
    c = HiddenField()
    number = StringField(_l("Volunteer number"), validators=[DataRequired(REQUIRED), Length(max=10, message=TOO_LONG)])
    code = StringField(_l("Code from the keeper"), validators=[DataRequired(REQUIRED), Length(max=10, message=TOO_LONG)])


class PhoneBadgeForm(FlaskForm):
    c = HiddenField()
    code = StringField(validators=[InputRequired(REQUIRED)])


class PhoneCheckinForm(FlaskForm):
    c = HiddenField(validators=[InputRequired()])
