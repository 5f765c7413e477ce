"""A station's own lists of choices (walk-in services, swap and suggestion categories): keepers
add their own, rename, hide and show them again. One set of rules for all three."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app, g, redirect, request, url_for
from flask_babel import force_locale
from sqlalchemy import func, select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import EmptyForm
from kiosk.core.models import Station
from kiosk.core.stations import station_record
from kiosk.core.text import NAME_TAKEN, clean_name, name_key
from kiosk.core.transaction import refuse_with
from kiosk.core.web import form_sent, render


def add_standard(model, station: Station, codes) -> list:
    """The standard entries a new station starts with, in order; shown in the reader's language."""
    added = [model(station_id=station.id, code=code, position=position, active=True) for position, code in enumerate(codes)]
    db.session.add_all(added)
    db.session.flush()
    return added


def add_choice(model, station: Station, name: str, label: Callable):
    """A keeper's own entry at the end of the list. `label` is how the feature shows an entry
    (a standard one in the reader's language)."""
    name = clean_name(name, person=False)
    _refuse_a_name_taken(model, station.id, name, label)
    last = db.session.scalar(select(func.max(model.position)).where(model.station_id == station.id))
    choice = model(station_id=station.id, code=None, name=name, position=(last or 0) + 1, active=True)
    db.session.add(choice)
    db.session.flush()
    return choice


def update_choice(choice, *, label: Callable, name: str | None = None, active: str | None = None):
    """Rename (a keeper's name overrides a standard label), or hide/show with form values "0"/"1".
    A standard entry given its standard name, in any language (the name the form showed, saved
    unchanged, or typed again after a rename), is standard again: shown in each reader's language."""
    if name is not None:
        name = clean_name(name, person=False)
        _refuse_a_name_taken(type(choice), choice.station_id, name, label, but=choice)
        standard = type(choice)(code=choice.code) if choice.code else None
        choice.name = None if standard is not None and name_key(name) in _names_of(standard, label) else name
    if active in ("0", "1"):
        choice.active = active == "1"
    db.session.flush()
    return choice


def _names_of(choice, label: Callable) -> set[str]:
    """How an entry reads in every language the station shows, as `name_key` compares names."""
    names = set()
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            names.add(name_key(str(label(choice))))
    return names


def _refuse_a_name_taken(model, station_id: int, name: str, label: Callable, but=None) -> None:
    """Two tiles both saying 喝水 leave a resident guessing. A standard entry's name counts in every
    language the station shows; a hidden entry counts too (show it again instead). Names compare
    as people's do (`name_key`): 自行车, 自 行 车 and 自行車 read as one name."""
    for choice in db.session.scalars(select(model).where(model.station_id == station_id)):
        if choice is not but and name_key(name) in _names_of(choice, label):
            raise DomainError(NAME_TAKEN, field="name")


def station_choices(model, station: Station, include_hidden: bool = False) -> list:
    """A station's list in its order; hidden entries only when a keeper edits the list."""
    query = select(model).where(model.station_id == station.id)
    if not include_hidden:
        query = query.where(model.active.is_(True))
    return list(db.session.scalars(query.order_by(model.position, model.id)))


# --- The one keeper page that edits such a list ------------------------------------------------


@dataclass(frozen=True)
class ChoiceEditor:
    """What a feature tells the shared editor about its list."""

    model: type
    label: Callable
    title: object
    add_title: object
    intro: object
    add: Callable  # (station, name) -> choice
    # (choice, form) -> choice; by default rename and hide/show
    update: Callable | None = None
    refusable: bool = False  # swap categories can be marked "not accepted"


def add_choice_editor(bp: Blueprint, path: str, editor: ChoiceEditor) -> None:
    """Register `<bp>.choices` (list and add) and `<bp>.update_choice` (rename, hide, show) at `path`."""
    list_endpoint, update_endpoint = f"{bp.name}.choices", f"{bp.name}.update_choice"

    def page(status: int = 200, error=None, error_id: int | None = None):
        # after a refusal the name typed comes back in the form at fault (`typed`)
        typed = request.form.get("name") if error else None
        return render("core/choices.html", status=status, error=error, error_id=error_id, typed=typed, form=EmptyForm(),
                      items=station_choices(editor.model, g.station, include_hidden=True), label=editor.label,
                      title=editor.title, add_title=editor.add_title, intro=editor.intro,
                      update_endpoint=update_endpoint, add_endpoint=list_endpoint, id_arg="choice_id",
                      refusable=editor.refusable)

    def choices():
        if not form_sent():
            return page()
        refuse_with(lambda err: page(422, err.message))
        editor.add(g.station, request.form.get("name", ""))
        return redirect(url_for(list_endpoint), 303)

    def update(choice_id: int):
        choice = station_record(editor.model, choice_id)
        refuse_with(lambda err: page(422, err.message, choice_id))
        if editor.update is not None:
            editor.update(choice, request.form)
        else:
            update_choice(choice, label=editor.label, name=request.form.get("name"), active=request.form.get("active"))
        return redirect(url_for(list_endpoint), 303)

    bp.add_url_rule(path, "choices", choices, methods=["GET", "POST"])
    bp.add_url_rule(f"{path}/<int:choice_id>", "update_choice", update, methods=["POST"])
