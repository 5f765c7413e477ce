"""Stars (星级志愿者): a volunteer's level from their confirmed hours, on the ladder the station
sets (by default 100 / 300 / 600 / 1,000 / 1,500 hours for one to five stars). Shown on the
check-in confirmation and the volunteer's phone page; keepers print a yearly list of who reached
a new level. A station's record: certifying stars belongs to the civil-affairs office.

- ladder.py        the rules: a level from hours, the station's ladder, who moved up in a year
- keeper_routes.py the yearly list and the ladder setting"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.checkin.attendance import add_scan_note
    from kiosk.checkin.phone_routes import add_phone_section
    from kiosk.people.audit import add_audit_labels
    from kiosk.people.keeper_routes import add_volunteer_section
    from kiosk.stars import keeper_routes, ladder

    app.register_blueprint(keeper_routes.bp)
    app.jinja_env.globals["star_marks"] = ladder.star_marks
    add_scan_note(app, ladder.scan_note)
    add_phone_section(app, "stars/_phone_stars.html", keeper_routes.stars_section, position=10)
    add_volunteer_section(app, "stars/_volunteer_stars.html", keeper_routes.stars_section, position=15)
    add_audit_labels(app, {"stars.ladder": _l("changed the star ladder")}, describe=ladder.describe)
    add_keeper_link(app, "stars_keeper.certification", _l("Stars"), 95)
