from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length, Optional

from kiosk.core.forms import REQUIRED, TOO_LONG, WHOLE_NUMBER, WholeNumberField


class ActivityForm(FlaskForm):
    name = StringField(lazy_pgettext("not a person", "Name"),
                       validators=[InputRequired(REQUIRED), Length(max=60, message=TOO_LONG)])
    team_id = StringField(_l("Team"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=80, message=TOO_LONG)])
    content = StringField(_l("Service content"), validators=[Optional(), Length(max=200, message=TOO_LONG)])
    starts_at = StringField(_l("Starts"), validators=[InputRequired(REQUIRED)])
    ends_at = StringField(_l("Ends"), validators=[InputRequired(REQUIRED)])
    recurring = BooleanField(_l("A recurring duty (every day between these dates)"))
    capacity = WholeNumberField(_l("Places (empty: no limit)"), validators=[Optional()], render_kw={"size": 6})
    person_in_charge = StringField(_l("Person in charge"), validators=[Optional(), Length(max=40, message=TOO_LONG)])
    organiser = StringField(_l("Organising unit"), validators=[Optional(), Length(max=80, message=TOO_LONG)])


class RecordForm(FlaskForm):
    volunteers = SelectMultipleField(coerce=str, validate_choice=False)
    starts_at = StringField(validators=[Optional()])
    ends_at = StringField(validators=[Optional()])


class RatingForm(FlaskForm):
    score = WholeNumberField(validators=[InputRequired(WHOLE_NUMBER)])
    words = StringField(validators=[Optional(), Length(max=200, message=TOO_LONG)])
