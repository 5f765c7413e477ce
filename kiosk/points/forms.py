from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from kiosk.core.forms import REQUIRED, TOO_LONG, WHOLE_NUMBER, WholeNumberField


class AwardForm(FlaskForm):
    amount = WholeNumberField(_l("Points (+ to give, − to take)"), validators=[InputRequired(WHOLE_NUMBER)])
    reason = StringField(_l("Why"), validators=[InputRequired(REQUIRED), Length(max=200, message=TOO_LONG)])
    once = HiddenField()  # the form's one-time token (core/once.py)


class ReverseForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[Length(max=200, message=TOO_LONG)])


class PointsSettingForm(FlaskForm):
    points_per_hour = WholeNumberField(_l("Points per confirmed hour"), validators=[InputRequired(WHOLE_NUMBER)])


class LeadForm(FlaskForm):
    amount = WholeNumberField(_l("Points for this lead"), validators=[InputRequired(WHOLE_NUMBER)])
