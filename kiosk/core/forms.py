"""Forms (Flask-WTF: CSRF-checked and validated on the server). Messages are our own, translated.
Each feature keeps its own forms; these are what they share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField

from kiosk.core.errors import DomainError
from kiosk.core.text import half_width

REQUIRED = _l("Please fill this in.")
TOO_LONG = _l("This is too long.")
NOT_A_CHOICE = _l("Please choose from the list.")
WHOLE_NUMBER = _l("Please enter a whole number.")
TOO_LARGE = _l("This number is too large.")


class WholeNumberField(IntegerField):
    """A whole number; "abc", "1.5" or twenty digits get one plain message of our own (WTForms'
    own is English only), and nothing too large for the database reaches a rule."""

    def process_formdata(self, valuelist):
        # ＋５０ from a keyboard in full-width mode, −5 with the minus sign the labels show
        typed = half_width(str(valuelist[0])).strip() if valuelist else ""
        valuelist = [typed] if valuelist else valuelist
        if len(typed) > 9:
            self.data = None
            # 99999999999 is a whole number: telling its typist to enter one would puzzle them
            raise ValueError(TOO_LARGE if typed.lstrip("+-").isdecimal() else WHOLE_NUMBER)
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(WHOLE_NUMBER) from None


class EmptyForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


def first_error(form) -> str:
    """The first validation message of a WTForm, for forms that show one message."""
    return next((errors[0] for errors in form.errors.values() if errors), "")


def first_refusal(form):
    """The first validation message of a WTForm as a refusal naming its field, for forms whose
    refusal is shown through `refuse_with` (the message then stands beside that field)."""
    field = next((name for name, errors in form.errors.items() if errors and name != "csrf_token"), None)
    return DomainError(first_error(form), field=field)


def attach_error(form, err):
    """A rule's refusal shown beside the field it names (or above the form); returns the form."""
    target = getattr(form, err.field, None) if err.field else None
    errors = target.errors if target is not None else form.form_errors
    if str(err.message) not in map(str, errors):  # a validation message raised again (first_refusal)
        errors.append(err.message)
    return form
