"""What every keeper form shares (core/forms.py): the number field (what a Chinese keyboard types),
and the rules' refusals beside the fields together with the form's own messages."""

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from wtforms import StringField
from wtforms.validators import InputRequired

from kiosk.core.errors import DomainError
from kiosk.core.forms import WholeNumberField, validated
from tests.conftest import in_english


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


class PairForm(FlaskForm):
    class Meta:
        csrf = False

    amount = WholeNumberField("amount")
    name = StringField("name", validators=[InputRequired("fill in")])


def refuse_both():
    raise DomainError.of_fields({"amount": "too many", "name": "no such name"})


def test_a_form_refused_by_itself_still_hears_the_rules_for_its_other_fields(app):
    with app.test_request_context():
        form = PairForm(formdata=MultiDict({"amount": "5", "name": ""}))
        assert validated(form, refuse_both) is None
        assert (form.amount.errors, form.name.errors) == (["too many"], ["fill in"]), "its own message only"


def test_a_valid_form_gets_the_rules_result_or_their_refusal_whole(app):
    with app.test_request_context():
        form = PairForm(formdata=MultiDict({"amount": "5", "name": "x"}))
        assert validated(form, lambda: "plan") == "plan"
        with pytest.raises(DomainError) as caught:
            validated(form, refuse_both)
        assert caught.value.by_field() == {"amount": "too many", "name": "no such name"}


def every_form_class():
    import importlib
    import pkgutil

    import kiosk

    for module in pkgutil.walk_packages(kiosk.__path__, "kiosk."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("kiosk.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda form: form.__qualname__)


def test_every_length_limit_on_a_form_says_how_long_it_may_be(app):
    """"This is too long." left a keeper guessing how much to cut; each form's limit is said by the
    one shared message (core/forms.TOO_LONG fills in the limit), or by its own naming it."""
    from wtforms.fields.core import UnboundField
    from wtforms.validators import Length

    limits = []
    with in_english(app):
        for form in every_form_class():
            for name, unbound in vars(form).items():
                if not isinstance(unbound, UnboundField):
                    continue
                for rule in unbound.kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else []):
                    if isinstance(rule, Length) and rule.max != -1:
                        said = str(rule.message % {"min": rule.min, "max": rule.max, "length": rule.max + 1})
                        limits.append(name)
                        assert str(rule.max) in said, f"{form.__qualname__}.{name}: {said}"
    assert len(limits) > 20, "the forms' limits were found"
