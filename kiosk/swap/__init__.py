"""The swap shelf (旧物集市): residents log what they bring (with a photo) and what they take;
keepers clear the shelf and edit its categories.

- shelf.py   the rules: bringing (label number, refused categories), taking (one taker wins),
             removal, counts
- routes.py, keeper_routes.py  the kiosk and keeper pages"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.stations import on_new_station
from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.swap import keeper_routes, models, routes, shelf  # noqa: F401

    app.register_blueprint(routes.bp)
    app.register_blueprint(keeper_routes.bp)
    app.jinja_env.globals.update(
        category_label=shelf.category_label,
        condition_label=lambda c: shelf.CONDITION_LABELS.get(c, c),
        removal_label=lambda r: shelf.REMOVAL_LABELS.get(r, r or ""),
        swap_status_label=lambda s: shelf.STATUS_LABELS.get(s, s),
        swap_event_label=lambda e: shelf.EVENT_LABELS.get(e, e),
    )
    on_new_station(app, shelf.add_standard_categories)
    add_keeper_link(app, "swap_keeper.items", _l("Swap shelf"), 70)
