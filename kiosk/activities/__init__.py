"""Activities (活动/服务项目) and recurring duties: a keeper plans them, volunteers sign up on
their phone (never beyond the places), a check-in goes straight to the activity the volunteer
signed up for (otherwise to the station's everyday duty), hours count per activity, and a keeper
records one held elsewhere in one go. Residents rate an activity afterwards (服务满意度).

- schedule.py      the rules: planning, sign-ups and capacity, where a check-in goes, recording afterwards
- ratings.py       satisfaction ratings: one per phone and activity; averages
- names.py         what a session's activity is called on records (the station's duty when none)
- routes.py        the kiosk board, rating (kiosk or phone), signing up on the phone
- keeper_routes.py the keeper's list and each activity's page"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.activities import keeper_routes, models, routes, schedule  # noqa: F401
    from kiosk.checkin.attendance import add_activity_finder
    from kiosk.checkin.corrections import add_correction_check
    from kiosk.checkin.phone_routes import add_phone_section
    from kiosk.people.audit import add_audit_labels
    from kiosk.people.privacy import add_on_deactivate, add_volunteer_data

    for blueprint in (routes.bp, routes.phone_bp, keeper_routes.bp):
        app.register_blueprint(blueprint)
    add_activity_finder(app, schedule.activity_for_check_in)
    add_correction_check(app, schedule.check_corrected_session)
    add_phone_section(app, "activities/_phone_activities.html", routes.phone_section, position=30)
    add_audit_labels(app, {"activity.planned": _l("planned an activity"), "activity.changed": _l("changed an activity"),
                           "activity.cancelled": _l("cancelled an activity"),
                           "activity.signup_dropped": _l("took off an activity's sign-ups")},
                     describe=_describe)
    add_on_deactivate(app, schedule.drop_signups_to_come, schedule.signups_warning)  # erasing runs it too
    add_volunteer_data(app, "activity_signups", schedule.signups_as_data)
    add_keeper_link(app, "activities_keeper.activities", _l("Activities"), 25)
    app.jinja_env.globals["activity_day"] = _activity_day


def _activity_day(moment) -> str:
    """An activity's day in the station's timezone, as the app writes its other dates (as
    `local_month` does the month): 12月8日, Dec 8, with the year when it is not this year."""
    from babel.dates import format_skeleton
    from flask import g
    from flask_babel import get_locale

    from kiosk.activities.schedule import day_skeleton
    from kiosk.core.clock import utcnow
    from kiosk.core.stations import local_today

    station = g.get("station")
    if station is None:
        return format_skeleton("yMMMd", moment.date(), locale=get_locale())
    return format_skeleton(day_skeleton(station, moment, utcnow()), local_today(station, moment), locale=get_locale())


def _describe(values: dict | None) -> str:
    return (values or {}).get("name", "—")
