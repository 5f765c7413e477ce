"""Forms (Flask-WTF: CSRF-checked and validated on the server). Messages are our own, translated.
Each feature keeps its own forms; these are what they share."""

import re
from datetime import time

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import StopValidation

from kiosk.core.errors import DomainError
from kiosk.core.text import half_width

REQUIRED = _l("Please fill this in.")
# Every Length(max=…, message=TOO_LONG) fills in its own limit: a keeper is told how long it may be.
TOO_LONG = _l("Please keep this to %(max)s characters or fewer.")
NOT_A_CHOICE = _l("Please choose from the list.")
WHOLE_NUMBER = _l("Please enter a whole number.")
TOO_LARGE = _l("This number is too large.")
BAD_TIME = _l("Please enter a time such as 8:00 or 20:30.")


def too_long(limit: int):
    """TOO_LONG for a rule that measures a length itself, with the limit it measured against."""
    return LazyString(lambda: str(TOO_LONG) % {"max": limit})


class WholeNumberField(IntegerField):
    """A whole number; "abc", "1.5" or twenty digits get one plain message of our own (WTForms'
    own is English only), and nothing too large for the database reaches a rule. `too_large`: the
    field's own rule for its range ("from 1 to 60"), said for twenty digits too, where "too large"
    alone would leave the typist guessing what would do."""

    def __init__(self, label=None, validators=None, too_large=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.too_large = too_large or TOO_LARGE

    def process_formdata(self, valuelist):
        # ＋５０ from a keyboard in full-width mode, −5 with the minus sign the labels show
        typed = half_width(str(valuelist[0])).strip() if valuelist else ""
        valuelist = [typed] if valuelist else valuelist
        if len(typed) > 9:
            self.data = None
            # 99999999999 is a whole number: telling its typist to enter one would puzzle them
            raise ValueError(self.too_large if typed.lstrip("+-").isdecimal() else WHOLE_NUMBER)
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(WHOLE_NUMBER) from None


# 8:00, 08:00, 8.00, 8 (on the hour), 0800 or 800 (a keypad without a colon)
CLOCK_TIME = re.compile(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?|([0-9]{1,2})([0-9]{2})")


def clock_time(typed: str | None) -> time | None:
    """A time of day as a keeper types it, full-width too (８：００ from a keyboard in full-width
    mode); spaces do not matter. None when it is not one (25:00, 8:60, 八点)."""
    text = "".join(half_width(typed or "").split())
    match = CLOCK_TIME.fullmatch(text) if text.isascii() else None
    if match is None:
        return None
    hour, minute = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    hour, minute = int(hour), int(minute or 0)
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


class ClockTimeField(StringField):
    """A time of day (`clock_time`), shown as 08:00; a refused one comes back as it was typed."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = clock_time(valuelist[0])
        if self.data is None and str(valuelist[0]).strip():
            raise ValueError(BAD_TIME)

    def pre_validate(self, form):
        # Spaces alone (a tab, an IME's full-width space) are blank, which InputRequired lets by
        # (it sees a value): no time at all is "please fill this in", as for an empty field.
        if self.data is None and self.raw_data and not self.errors:
            raise StopValidation(REQUIRED)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else ""


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
    """A rule's refusal shown beside the field(s) it names (or above the form); returns the form."""
    for field, message in err.by_field().items():
        target = getattr(form, field, None) if field else None
        errors = target.errors if target is not None else form.form_errors
        if str(message) not in map(str, errors):  # a validation message raised again (first_refusal)
            errors.append(message)
    return form


def validated(form, check):
    """`check()` (the rules over the form's values) once the form is valid; None if it is not. The
    rules are asked even then, so every field at fault says so at once, not one per send: a field
    the form's own checks refused keeps only their message. A rule's refusal of a valid form is
    raised as it is."""
    valid = form.validate()
    try:
        result = check()
    except DomainError as err:
        if valid:
            raise
        for field, message in err.by_field().items():
            own = getattr(form, field, None) if field else None
            if own is None or not own.errors:
                attach_error(form, DomainError(message, field=field))
        return None
    return result if valid else None
