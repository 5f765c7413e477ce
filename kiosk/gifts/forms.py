from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired, Length

from kiosk.core.forms import REQUIRED, TOO_LONG, WHOLE_NUMBER, WholeNumberField


class BadgeForm(FlaskForm):
    code = StringField(validators=[InputRequired(REQUIRED)])
    method = HiddenField(default="scanner")


class PickForm(FlaskForm):
    choice = HiddenField(validators=[InputRequired()])
    gift_id = HiddenField(validators=[InputRequired()])


class ConfirmForm(PickForm):
    """The answer 换 to "用 150 积分换 保温杯？", with the question's one-time token."""
    once = HiddenField(validators=[InputRequired()])


class BackForm(FlaskForm):
    """不换了: back to the volunteer's gifts."""
    choice = HiddenField(validators=[InputRequired()])


class GiftForm(FlaskForm):
    name = StringField(_l("Gift"), validators=[InputRequired(REQUIRED), Length(max=40, message=TOO_LONG)])
    points = WholeNumberField(_l("Points"), validators=[InputRequired(WHOLE_NUMBER)])
    stock = WholeNumberField(_l("In stock"), validators=[InputRequired(WHOLE_NUMBER)])
    active = BooleanField(_l("Offered"), default=True)
    seen = HiddenField()  # a catalogue row as the page showed it (core/edits.py)


class KeeperRedeemForm(FlaskForm):
    gift_id = HiddenField(validators=[InputRequired()])
    once = HiddenField()  # the form's one-time token (core/once.py)
