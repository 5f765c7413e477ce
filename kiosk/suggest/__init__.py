"""The suggestion box (建议筒): residents drop a suggestion on the kiosk or their phone and get a
tracking code; keepers move it along, reply in public, and the station shows what it did.

- box.py     the rules: submitting (rate limits, one per form), tracking codes, where a
             suggestion's status may change (`change`), what is public, the Open311 view
- routes.py, keeper_routes.py  the kiosk, phone, tracking, Open311 and keeper pages"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.stations import on_new_station
from kiosk.core.web import add_keeper_link
from kiosk.people.privacy import add_before_erase, add_volunteer_data


def init_app(app: Flask) -> None:
    from kiosk.suggest import box, keeper_routes, models, routes  # noqa: F401

    app.register_blueprint(routes.bp)
    app.register_blueprint(routes.api)
    app.register_blueprint(keeper_routes.bp)
    app.jinja_env.globals.update(suggestion_category_label=box.category_label,
                                 suggestion_event_label=box.event_label,
                                 suggestion_status_label=box.status_label)
    on_new_station(app, box.add_standard_categories)
    add_before_erase(app, box.keep_wording_masked)
    add_before_erase(app, box.mask_erased_notes)
    add_volunteer_data(app, "suggestions_from_phone", box.sent_by_volunteer_as_data)
    add_keeper_link(app, "suggest_keeper.suggestions", _l("Suggestion box"), 80)
