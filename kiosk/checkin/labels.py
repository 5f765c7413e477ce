"""Words for check-in's stored codes (how a session was recorded, what a keeper changed), in the reader's language."""

from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.checkin.attendance import MAX_SESSION_HOURS, system_closing
from kiosk.core.extensions import db
from kiosk.core.i18n import local_end_time, local_time
from kiosk.core.models import Station
from kiosk.people.audit import add_audit_labels

METHOD_LABELS = {
    "camera": _l("camera"),
    "scanner": _l("scanner"),
    "manual": _l("typed number"),
    "phone": _l("phone"),
    "keeper": _l("by keeper"),
    "auto": _l("closed by the system: nobody checked out"),  # with its time: system_closed_label
    "deactivate": _l("checked out on deactivation"),
}
SESSION_AUDIT_LABELS = {
    "session.corrected": _l("corrected times"),
    "session.confirmed": _l("confirmed"),
    "session.deleted": _l("deleted a session"),
    "session.checked_in": _l("checked in by hand"),
    "session.checked_out": _l("checked out by hand"),
    "session.recorded": _l("recorded a session afterwards"),
    "session.closed_on_deactivation": _l("checked out on deactivation"),
}


def method_label(code: str | None) -> str:
    return str(METHOD_LABELS.get(code or "", code or ""))


def methods_label(session) -> str:
    """How the session began and ended ("scanner / by keeper"), once when both were the same; empty
    when a keeper entered both ends, since `keeper_note` says so."""
    methods = list(dict.fromkeys(m for m in (session.check_in_method, session.check_out_method) if m))
    if methods == ["keeper"] and not session.edited:
        return ""
    return " / ".join(system_closed_label(session) if m == "auto" else method_label(m) for m in methods)


def system_closed_label(session) -> str:
    """A session the system closed as nobody checked out: at which of its times, and when (a
    patrol left open overnight is closed at the next opening, not at closing time)."""
    if session.checked_out_at is None:
        return method_label("auto")
    station = db.session.get(Station, session.station_id)
    time = local_end_time(session.checked_in_at, session.checked_out_at, station)
    closing = system_closing(station, session)
    if closing == "closing":
        return str(_l("nobody checked out: closed by the system at closing time (%(time)s)", time=time))
    if closing == "opening":
        return str(_l("nobody checked out: closed by the system at the next opening time (%(time)s)", time=time))
    if closing == "longest":
        return str(_l("nobody checked out: closed by the system after %(hours)s hours (%(time)s)",
                      hours=MAX_SESSION_HOURS, time=time))
    if closing == "next session":
        return str(_l("no check-out yet: closed by the system where the next session begins (%(time)s)", time=time))
    return str(_l("nobody checked out: closed by the system at %(time)s", time=time))


def why_flagged(session) -> str:
    """Why a session waits on the review page."""
    if session.check_out_method == "auto":
        return system_closed_label(session)
    if session.auto_closed:  # the volunteer's scan after the system's time: counted to it
        station = db.session.get(Station, session.station_id)
        return str(_l("checked out late, counted to %(time)s",
                      time=local_end_time(session.checked_in_at, session.checked_out_at, station)))
    return method_label(session.check_out_method or session.check_in_method)


def keeper_note(session) -> str | None:
    """"edited" only for a session a keeper corrected afterwards (its times changed); one a keeper
    entered by hand (check-in, check-out, 补记) says so, so real corrections stand out."""
    if session.edited:
        return str(_l("edited"))
    if "keeper" in (session.check_in_method, session.check_out_method):
        return str(_l("entered by keeper"))
    return None


def audit_times(values: dict | None) -> str:
    """"11-22 09:00 – 17:30" for a snapshot of a session."""
    if not values:
        return "—"
    start = datetime.fromisoformat(values["checked_in_at"])
    text = local_time(start, format="MM-dd HH:mm")
    if values.get("checked_out_at"):
        text += " – " + local_time(datetime.fromisoformat(values["checked_out_at"]), format="MM-dd HH:mm")
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(method_label=method_label, methods_label=methods_label, keeper_note=keeper_note,
                                 why_flagged=why_flagged)
    add_audit_labels(app, SESSION_AUDIT_LABELS, describe=audit_times)
