"""Keeper pages for the suggestion box: the inbox, one suggestion (status, reply, note, duplicates,
hiding), its photo, and the categories."""

from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kiosk.core.choices import ChoiceEditor, add_choice_editor
from kiosk.core.clock import utcnow
from kiosk.core.edits import EditedMeanwhile, edit_stamp
from kiosk.core.forms import first_error
from kiosk.core.photos import send_private_photo
from kiosk.core.transaction import refuse_with
from kiosk.core.web import id_arg, render
from kiosk.people.keepers import keeper_blueprint
from kiosk.suggest.box import (TEXT_MAX, add_category, by_tracking_code, category_label, change, counts, editable_details,
                               history, inbox, wording_of)
from kiosk.suggest.forms import SuggestionForm
from kiosk.suggest.models import SUGGESTION_STATUSES, Suggestion, SuggestionCategory

bp = keeper_blueprint("suggest_keeper", __name__)


@bp.get("/suggestions")
def suggestions():
    status = request.args.get("status") or None
    category_id = id_arg("category")
    by_status, by_category = counts(g.station)
    return render("suggest/inbox.html", items=inbox(g.station, status, category_id), shown_status=status,
                  category_id=category_id, by_status=by_status, by_category=by_category, statuses=SUGGESTION_STATUSES)


def suggestion_of_station(code: str) -> Suggestion:
    found = by_tracking_code(code)
    if found is None or found.station_id != g.station.id:
        abort(404)
    return found


def add_suggestion_section(app, template: str, context) -> None:
    """What another feature shows on a suggestion's keeper page (points for a volunteer's lead):
    a template and a function (suggestion, station) -> its context."""
    app.extensions.setdefault("kiosk_suggestion_sections", []).append((template, context))


def suggestion_page(code: str, status: int = 200, error=None, error_field=None, form=None, sent=None, **extra):
    """`sent`: after a refused change, the form as sent (status, reply, note…), shown instead of the stored values."""
    item = suggestion_of_station(code)
    public = wording_of(item)
    # The field starts from what residents will see; after a refusal it keeps what was typed (and
    # the stamp of the page it came from, so its next save is checked against that).
    form = form or SuggestionForm(formdata=None, public_wording=public, seen=edit_stamp(editable_details(item)))
    context, sections = {}, []
    for template, section_context in current_app.extensions.get("kiosk_suggestion_sections", []):
        context.update(section_context(item, g.station))
        sections.append(template)
    context.update(extra)
    return render("suggest/keeper_item.html", status=status, item=item, events=history(item),
                  statuses=SUGGESTION_STATUSES, form=form, public=public, text_max=TEXT_MAX, error=error, error_field=error_field,
                  sections=sections, sent=sent, **context)


@bp.get("/suggestions/<code>")
def suggestion(code):
    return suggestion_page(code)


@bp.post("/suggestions/<code>")
def update_suggestion(code):
    item = suggestion_of_station(code)
    wording = SuggestionForm()
    refuse_with(lambda err: _refused(code, wording, err))
    if not wording.validate():
        return suggestion_page(code, status=422, error=first_error(wording), error_field="public_wording", form=wording,
                               sent=request.form)
    form = request.form
    change(current_user, item, status=form.get("status"), public_reply=form.get("public_reply"),
           public_wording=wording.public_wording.data if "public_wording" in form else None,
           internal_note=form.get("internal_note"), hidden=("1" in form.getlist("hidden")) if "hidden" in form else None,
           duplicate_of=form.get("duplicate_of"), now=utcnow(), seen=wording.seen.data or None)
    return redirect(url_for("suggest_keeper.suggestion", code=item.tracking_code), 303)


def _refused(code: str, wording: SuggestionForm, err):
    if isinstance(err, EditedMeanwhile):  # the suggestion as it is now, to change again
        return suggestion_page(code, status=err.status, error=err.message)
    return suggestion_page(code, status=err.status, error=err.message, error_field=err.field, form=wording,
                           sent=request.form)


@bp.get("/suggestions/photo/<name>")
def photo(name):
    """Suggestion photos may show a person or a home: keepers only."""
    return send_private_photo(Suggestion, "suggestions", name)


add_choice_editor(bp, "/suggestion-categories", ChoiceEditor(
    model=SuggestionCategory, label=category_label, add=add_category, title=_l("Suggestion categories"),
    add_title=_l("Add a category"),
    intro=_l("What residents choose when they drop a suggestion. Rename them, hide them, or add your own.")))
