"""Points (积分): an append-only ledger. Volunteers earn points for confirmed hours (the station's
points per hour) and keepers add bonuses or corrections with a reason; gifts spend them. A balance
is the sum of its lines; a line is never edited, only reversed by another line.

- ledger.py        the rules: balance, earning for hours, a keeper's bonus or correction, spending, reversing
- keeper_routes.py a volunteer's points on their page, the keeper's bonus form and the setting"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link

KIND_LABELS = {
    "hours": _l("confirmed hours"),
    "bonus": _l("bonus"),
    "correction": _l("correction"),
    "gift": _l("gift"),
    "reversal": _l("reversal"),
    "lead": _l("a problem found and reported"),
    "waived": _l("not taken back: the points were already spent"),
    "unwaived": _l("taken back after all: the hours came back"),
}


def init_app(app: Flask) -> None:
    from kiosk.checkin.hours import on_confirmed_hours_changed
    from kiosk.checkin.phone_routes import add_phone_section
    from kiosk.people.audit import add_audit_labels, as_a_line
    from kiosk.people.keeper_routes import add_volunteer_section
    from kiosk.people.privacy import add_before_erase, add_volunteer_data
    from kiosk.suggest.keeper_routes import add_suggestion_section
    from kiosk.points import keeper_routes, ledger, models  # noqa: F401

    app.register_blueprint(keeper_routes.bp)
    # First on its line or in its cell: "Bonus · the keeper's reason".
    app.jinja_env.globals["points_kind_label"] = lambda kind: as_a_line(KIND_LABELS.get(kind, kind))
    app.jinja_env.globals["points_line_reversible"] = ledger.can_reverse
    app.jinja_env.globals["points_reason"] = ledger.reason_label
    add_keeper_link(app, "points_keeper.settings", _l("Points"), 90)
    on_confirmed_hours_changed(app, ledger.settle_hours)
    add_volunteer_section(app, "points/_volunteer_points.html", keeper_routes.volunteer_section, position=20)
    add_phone_section(app, "points/_phone_points.html", keeper_routes.phone_section, position=20)
    add_volunteer_data(app, "points", ledger.lines_as_data)
    add_before_erase(app, ledger.mask_erased_reasons)
    add_suggestion_section(app, "points/_suggestion_lead.html", keeper_routes.suggestion_section)
    add_audit_labels(app, {"points.awarded": _l("gave or took points"), "points.reversed": _l("reversed a points line"),
                           "points.setting": _l("changed points per hour")}, describe=ledger.describe,
                     words=("reason",))
