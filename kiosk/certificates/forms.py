from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from kiosk.core.forms import REQUIRED, TOO_LONG


class IssueForm(FlaskForm):
    # Dates are read by kiosk.core.stations.parse_day, which gives its own message.
    start = StringField(_l("From"))
    end = StringField(_l("To"))


class RevokeForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[InputRequired(REQUIRED), Length(max=200, message=TOO_LONG)])


class StationDetailsForm(FlaskForm):
    person_in_charge = StringField(_l("Person in charge"), validators=[Length(max=40, message=TOO_LONG)])
    contact = StringField(_l("Contact"), validators=[Length(max=40, message=TOO_LONG)])
