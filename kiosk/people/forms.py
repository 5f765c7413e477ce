"""Forms for keepers: signing in, registering volunteers, importing a roster."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kiosk.core.forms import NOT_A_CHOICE, REQUIRED, TOO_LONG
from kiosk.people.models import ID_TYPES

YEAR = _l("Please enter a year such as 1958.")

# The identity documents the national volunteer system knows (证件类型), in the reader's language.
ID_TYPE_LABELS = {
    "resident_id": _l("Resident ID card"),
    "hk_macau_pass": _l("Mainland Travel Permit for Hong Kong and Macao Residents"),
    "taiwan_pass": _l("Mainland Travel Permit for Taiwan Residents"),
    "passport": _l("Passport"),
    "other": _l("Other document"),
}


def id_type_label(id_type: str | None) -> str:
    return str(ID_TYPE_LABELS.get(id_type, id_type or ""))


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=200, message=TOO_LONG)])
    remember = BooleanField(_l("Keep me signed in on this tablet"))


class PasswordChangeForm(FlaskForm):
    """The keeper's own new password (people.keepers.change_password says which are taken). Never
    filled in again: a refused form comes back with every box empty."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(REQUIRED)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(REQUIRED)],
                                 description=_l("At least 8 characters, not your user name."),
                                 render_kw={"autocomplete": "new-password"})
    new_password_again = PasswordField(_l("New password again"), validators=[DataRequired(REQUIRED)],
                                       render_kw={"autocomplete": "new-password"})


class AddKeeperForm(FlaskForm):
    """A new keeper of the station (people.keeper_accounts.add_keeper says which names are taken).
    Used with prefix "keeper", so its boxes are not mistaken for the sign-in form's."""

    username = StringField(_l("User name"), validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
                           description=_l("What they type to sign in: no spaces, e.g. lina."),
                           render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    name = StringField(_l("Name shown"), validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)],
                       description=_l("Shown beside the changes they make, e.g. 李娜."),
                       render_kw={"autocomplete": "off"})


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # WTForms' own message is English only and names the raw value.
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(NOT_A_CHOICE) from None

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(NOT_A_CHOICE) from None


class SecretField(StringField):
    """Typed in, never filled in from what is stored: a page showing the form never carries the
    stored value (an ID number is only ever shown masked)."""

    def process_data(self, value):
        self.data = ""


class YearField(IntegerField):
    """A year of birth; "abc" gets the same plain message as 1800."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(YEAR) from None


class VolunteerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=40, message=TOO_LONG)])
    mobile = StringField(_l("Mobile"), validators=[DataRequired(REQUIRED), Length(max=20, message=TOO_LONG)])
    birth_year = YearField(
        _l("Year of birth"),
        validators=[Optional()],  # which years: volunteers.clean_birth_year
    )
    teams = MultiCheckboxField(_l("Teams"), coerce=int)
    skills = StringField(_l("Skills"), validators=[Optional(), Length(max=200, message=TOO_LONG)],
                         description=_l("Separate with commas, e.g. 理发, 理疗"))
    national_code = StringField(_l("National volunteer code"), validators=[Optional(), Length(max=40, message=TOO_LONG)])
    id_type = SelectField(_l("Identity document"), invalid_choice_message=NOT_A_CHOICE, default="",
                          choices=[SelectChoice("", _l("Not kept"))] + [SelectChoice(key, ID_TYPE_LABELS[key])
                                                                         for key in ID_TYPES])
    # Blank keeps the number already stored (volunteers.update_volunteer).
    id_number = SecretField(_l("Document number"), validators=[Optional(), Length(max=40, message=TOO_LONG)],
                            render_kw={"autocomplete": "off"})
    hide_from_honor_roll = BooleanField(_l("Keep off the honor roll"))
    seen = HiddenField()  # the record as the form showed it (core/edits.py)


class ImportUploadForm(FlaskForm):
    file = FileField(_l("Roster file (Excel or CSV)"))


class ImportConfirmForm(FlaskForm):
    text = TextAreaField(validators=[InputRequired()])
