"""Check-in and check-out: badges scanned at the kiosk or on a phone, the duplicate-scan window,
sessions closed at closing time, and a keeper's corrections.

- attendance.py  the rules of a scan (check in, check out, the duplicate window, forgotten sessions)
- corrections.py a keeper's changes to sessions, each audited
- phone.py       the signed station QR and linking a volunteer's phone
- routes.py, phone_routes.py, keeper_routes.py  the kiosk, phone and keeper pages"""

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.checkin import cli, keeper_routes, labels, models, phone_routes, routes  # noqa: F401
    from kiosk.checkin.attendance import session_minutes
    from kiosk.core.i18n import format_hours
    from kiosk.checkin import attendance, phone
    from kiosk.people.keeper_routes import add_volunteer_section
    from kiosk.people.phones import add_phone_identity
    from kiosk.checkin.corrections import close_on_deactivation, on_duty_until_new_hours, on_duty_warning
    from kiosk.core.stations import on_new_hours
    from kiosk.people.privacy import add_on_deactivate, add_volunteer_data

    for blueprint in (routes.bp, phone_routes.bp, keeper_routes.bp):
        app.register_blueprint(blueprint)
    labels.init_app(app)
    cli.init_app(app)
    app.jinja_env.globals["session_hours"] = lambda session: format_hours(session_minutes(session, g.station))
    add_volunteer_section(app, "checkin/_volunteer_sessions.html", keeper_routes.volunteer_section, position=10)
    add_volunteer_data(app, "service_sessions", attendance.sessions_as_data)
    add_volunteer_data(app, "phone", phone.phone_as_data)
    add_keeper_link(app, "checkin_keeper.review", _l("To review"), 30, everyday=True)
    add_phone_identity(app, phone_routes.this_phones_volunteer)
    add_on_deactivate(app, close_on_deactivation, on_duty_warning)
    on_new_hours(app, on_duty_until_new_hours)

