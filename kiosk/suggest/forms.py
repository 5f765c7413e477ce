"""The keeper's form on a suggestion's page. The other fields of that page are read by the rules
(`box.change`) as typed; the public wording is checked here first, then cleaned by the rules."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from kiosk.suggest.box import TEXT_MAX


class SuggestionForm(FlaskForm):
    public_wording = TextAreaField(validators=[Length(
        max=TEXT_MAX, message=_l("What residents will see can be at most %(n)s characters.", n=TEXT_MAX))])
    seen = HiddenField()  # the suggestion as the page showed it (core/edits.py)
