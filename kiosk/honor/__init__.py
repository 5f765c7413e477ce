"""The honor roll (光荣榜): this month's most hours, new stars this year and the station's own
picks, with masked names, on the kiosk's home screen. A volunteer can ask to be left off.

- roll.py          the rules: who is on it, a keeper's picks
- keeper_routes.py the keeper's picks for the month"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.honor import keeper_routes, models  # noqa: F401
    from kiosk.checkin.hours import on_confirmed_hours_changed
    from kiosk.honor.roll import drop_erased, forget_kept_roll, picks_as_data
    from kiosk.people.audit import add_audit_labels
    from kiosk.people.privacy import add_before_erase, add_volunteer_data

    app.register_blueprint(keeper_routes.bp)
    add_audit_labels(app, {"honor.picked": _l("put on the honor roll"), "honor.unpicked": _l("took off the honor roll")},
                     describe=lambda values: (values or {}).get("note") or (values or {}).get("month", "—"),
                     words=("note",))
    add_before_erase(app, drop_erased)
    add_volunteer_data(app, "honor_picks", picks_as_data)
    on_confirmed_hours_changed(app, forget_kept_roll)
    add_keeper_link(app, "honor_keeper.picks", _l("Honor roll"), 98)
