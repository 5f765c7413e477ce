"""The number field every keeper form shares (core/forms.py): what a Chinese keyboard types."""

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from kiosk.core.forms import WholeNumberField


class AmountForm(FlaskForm):
    class Meta:
        csrf = False

    amount = WholeNumberField("amount")


@pytest.mark.parametrize("typed, number", [
    ("50", 50), ("+50", 50), ("-5", -5),
    ("＋５０", 50), ("－５", -5),  # a keyboard in full-width mode
    ("−5", -5),  # the minus sign the points form's own label shows, copied
    (" ５０ ", 50),
])
def test_a_whole_number_typed_in_full_width_or_with_a_real_minus_is_read(app, typed, number):
    with app.test_request_context():
        form = AmountForm(formdata=MultiDict({"amount": typed}))
        assert form.validate() and form.amount.data == number


@pytest.mark.parametrize("typed", ["1.5", "五十", "5０.", "++5", "²"])
def test_what_is_not_a_whole_number_is_refused(app, typed):
    with app.test_request_context():
        form = AmountForm(formdata=MultiDict({"amount": typed}))
        assert not form.validate() and form.amount.data is None
