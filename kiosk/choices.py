"""A station's own lists of choices (walk-in services, swap and suggestion categories): keepers
add their own, rename, hide and show them again. One set of rules for all three."""

from sqlalchemy import func, select

from .extensions import db
from .models import Station
from .volunteers import clean_name


def add_standard(model, station: Station, codes) -> list:
    """The standard entries a new station starts with, in order; shown in the reader's language."""
    added = [model(station_id=station.id, code=code, position=position, active=True) for position, code in enumerate(codes)]
    db.session.add_all(added)
    db.session.flush()
    return added


def add_choice(model, station: Station, name: str):
    name = clean_name(name)
    last = db.session.scalar(select(func.max(model.position)).where(model.station_id == station.id))
    choice = model(station_id=station.id, code=None, name=name, position=(last or 0) + 1, active=True)
    db.session.add(choice)
    db.session.flush()
    return choice


def update_choice(choice, *, name: str | None = None, active: str | None = None):
    """Rename (a keeper's name overrides a standard label), or hide/show with form values "0"/"1"."""
    if name is not None:
        choice.name = clean_name(name)
    if active in ("0", "1"):
        choice.active = active == "1"
    db.session.flush()
    return choice
