"""Keeper corrections to service sessions. Every change writes an audit event with the values
before and after, shown on the volunteer's page."""

from collections.abc import Callable
from datetime import UTC, datetime, time

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.checkin.attendance import (MAX_SESSION_HOURS, auto_close_deadline, close_forgotten_sessions, close_if_open,
                                     on_duty_since, open_session, open_sessions, system_closing)
from kiosk.checkin.hours import confirm, confirmed_hours_changed
from kiosk.checkin.models import ServiceSession
from kiosk.core.edits import refuse_if_edited_meanwhile
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.i18n import local_time
from kiosk.core.models import Station
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import refuse_if_erased

def snapshot(session: ServiceSession) -> dict:
    return {
        "checked_in_at": session.checked_in_at.isoformat(),
        "checked_out_at": session.checked_out_at.isoformat() if session.checked_out_at else None,
        "needs_review": session.needs_review,
        "confirmed": session.confirmed_at is not None,
    }


def check_times(checked_in_at: datetime, checked_out_at: datetime | None, now: datetime,
                fields: tuple[str, str] = ("checked_in_at", "checked_out_at")) -> None:
    """A session's times make sense (not to come, end after start, not too long); the refusal
    names the form's field for each time (`fields`: start's, end's)."""
    start_field, end_field = fields
    if checked_in_at > now:
        raise DomainError(_l("The check-in time cannot be in the future."), field=start_field)
    if checked_out_at is None:
        return
    if checked_out_at > now:
        raise DomainError(_l("The check-out time cannot be in the future."), field=end_field)
    if checked_out_at <= checked_in_at:
        raise DomainError(_l("Check-out must be after check-in."), field=end_field)
    if (checked_out_at - checked_in_at).total_seconds() > MAX_SESSION_HOURS * 3600:
        raise DomainError(_l("A session cannot be longer than %(h)s hours.", h=MAX_SESSION_HOURS), field=end_field)


_FOREVER = datetime.max.replace(tzinfo=UTC)


def _overlapping(session_id: int | None, volunteer_id: int, start: datetime,
                 end: datetime | None) -> ServiceSession | None:
    """The volunteer's other session that [start, end) would overlap, if any. `end` None is the
    session under way, as is any other one still open: it runs on (at most one, the latest)."""
    others = db.session.scalars(
        select(ServiceSession).where(ServiceSession.volunteer_id == volunteer_id, ServiceSession.id != (session_id or 0))
        .order_by(ServiceSession.checked_in_at)
    )
    return next((other for other in others
                 if start < (other.checked_out_at or _FOREVER) and other.checked_in_at < (end or _FOREVER)), None)


def _from_to(station: Station, session: ServiceSession) -> str:
    """A session's times as a refusal names them: 11/20 09:00–11:45 (the end's day when another)."""
    start = local_time(session.checked_in_at, station, "M/d HH:mm")
    end = session.checked_out_at
    same_day = local_time(end, station, "M/d") == local_time(session.checked_in_at, station, "M/d")
    return f"{start}–{local_time(end, station, 'HH:mm' if same_day else 'M/d HH:mm')}"


def add_correction_check(app: Flask, check: Callable[[Station, ServiceSession, datetime, datetime | None], None]) -> None:
    """A feature's rule on the times a keeper corrects a session to (activities: a session of an
    activity stays on the activity's day); it raises a DomainError naming the field."""
    app.extensions.setdefault("kiosk_correction_checks", []).append(check)


def session_times(session: ServiceSession) -> dict:
    """What a keeper edits on a session, as stored (for `edit_stamp`)."""
    return {"checked_in_at": session.checked_in_at, "checked_out_at": session.checked_out_at}


def correct_session(keeper: Keeper, station: Station, session: ServiceSession, checked_in_at: datetime,
                    checked_out_at: datetime | None, now: datetime, seen: str | None = None) -> ServiceSession:
    """Set a session's times (a keeper fixing a forgotten or wrong check-out) and mark it reviewed.
    `seen`: the stamp of the times the keeper's form showed; another keeper's save since is not undone."""
    refuse_if_edited_meanwhile(seen, session_times(session))
    if _to_the_minute(checked_in_at) == _to_the_minute(session.checked_in_at) and \
            _to_the_minute(checked_out_at) == _to_the_minute(session.checked_out_at):
        # Saved as it stood (the form shows minutes): no correction to record. A keeper who looked
        # and saved agrees with it, so one waiting for review is confirmed, as 确认 would.
        return session if session.confirmed_at and not session.needs_review else \
            confirm_session(keeper, station, session, now)
    check_times(checked_in_at, checked_out_at, now)
    if checked_out_at is None and session.checked_out_at is not None:
        raise DomainError(_l("Please give a check-out time."), field="checked_out_at")
    for check in current_app.extensions.get("kiosk_correction_checks", []):
        check(station, session, checked_in_at, checked_out_at)
    clash = _overlapping(session.id, session.volunteer_id, checked_in_at, checked_out_at)
    if clash is not None:
        raise DomainError(_l("These times overlap another session of this volunteer (%(times)s).",
                             times=_from_to(station, clash) if clash.checked_out_at else
                             local_time(clash.checked_in_at, station, "M/d HH:mm")), field="checked_in_at")
    before = snapshot(session)
    session.checked_in_at = checked_in_at
    session.checked_out_at = checked_out_at
    if checked_out_at is not None and session.check_out_method in (None, "auto", "deactivate"):
        session.check_out_method = "keeper"
    session.needs_review = False
    session.edited = True  # the one change that is a correction (keeper_note)
    confirm(session, keeper, now)  # times a keeper set are times a keeper agrees with
    db.session.flush()
    audit(keeper, station, "session.corrected", volunteer_id=session.volunteer_id, session_id=session.id,
          before=before, after=snapshot(session), now=now)
    confirmed_hours_changed(station, [session.volunteer_id], now)
    return session


def _to_the_minute(moment: datetime | None) -> datetime | None:
    return moment.replace(second=0, microsecond=0) if moment else None


def confirm_session(keeper: Keeper, station: Station, session: ServiceSession, now: datetime) -> ServiceSession:
    """The keeper agrees with a flagged session as it stands: it is reviewed and its hours confirmed.
    An open session has no hours yet: confirming it would clear the flag before the check-out is known."""
    if session.checked_out_at is None:
        raise DomainError(_l("This volunteer is still on duty. Confirm the session once they have checked out."))
    before = snapshot(session)
    session.needs_review = False
    confirm(session, keeper, now)
    audit(keeper, station, "session.confirmed", volunteer_id=session.volunteer_id, session_id=session.id,
          before=before, after=snapshot(session), now=now)
    db.session.flush()
    confirmed_hours_changed(station, [session.volunteer_id], now)
    return session


def delete_session(keeper: Keeper, station: Station, session: ServiceSession, now: datetime) -> None:
    audit(keeper, station, "session.deleted", volunteer_id=session.volunteer_id, session_id=session.id,
          before=snapshot(session), after=None, now=now)
    was_confirmed = session.confirmed_at is not None
    db.session.delete(session)
    db.session.flush()
    if was_confirmed:
        confirmed_hours_changed(station, [session.volunteer_id], now)


def keeper_check_in(keeper: Keeper, station: Station, volunteer: Volunteer, at: datetime, now: datetime) -> ServiceSession:
    """Check a volunteer in by hand: now (their badge is lost and they have no phone), or at an
    earlier time, a keeper copying days from paper in any order. A check-in on a day already over,
    or before a later session of the volunteer, is no one's current duty: the system closes it at
    once (see `_closed_for_now_at`), flagged, and the keeper's check-out then gives its real end."""
    refuse_if_erased(volunteer)
    if not volunteer.active:
        raise DomainError(_l("This volunteer is no longer active."))
    check_times(at, None, now)
    close_forgotten_sessions(station, now, volunteer.id)
    closed_at = _closed_for_now_at(station, volunteer, at, now)
    clash = _overlapping(None, volunteer.id, at, closed_at)
    if clash is not None:
        if clash.checked_out_at is None:
            raise DomainError(_l("This volunteer is already checked in (since %(time)s): check them out first.",
                                 time=local_time(clash.checked_in_at, station, "M/d HH:mm")), field="at")
        raise DomainError(_l("This volunteer already has a session at that time (%(times)s). Please check the "
                             "date and time.", times=_from_to(station, clash)), field="at")
    session = ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=at,
                             check_in_method="keeper", needs_review=False, updated_at=now)
    entered = snapshot(session)  # what the keeper did; the closing below is the system's
    if closed_at is not None:
        # As close_forgotten_sessions would have then (the database keeps one open session: the
        # volunteer may be on duty today).
        session.checked_out_at, session.check_out_method = closed_at, "auto"
        session.auto_closed = session.needs_review = True
    try:
        with db.session.begin_nested():
            db.session.add(session)
    except IntegrityError:
        raise DomainError(_l("This volunteer is already checked in."), field="at") from None
    audit(keeper, station, "session.checked_in", volunteer_id=volunteer.id, session_id=session.id,
          before=None, after=entered, now=now)
    return session


def _closed_for_now_at(station: Station, volunteer: Volunteer, at: datetime, now: datetime) -> datetime | None:
    """Where the system closes a check-in typed for `at`, or None while it is the volunteer's duty
    under way: at its day's closing time (auto_close_deadline) once that has passed, and never past
    the start of the volunteer's next session (left open, the check-in would run over it)."""
    deadline = auto_close_deadline(station, at)
    following = db.session.scalar(select(ServiceSession.checked_in_at).where(
        ServiceSession.volunteer_id == volunteer.id, ServiceSession.checked_in_at > at)
        .order_by(ServiceSession.checked_in_at).limit(1))
    if following is not None:
        return min(deadline, following)
    return deadline if now >= deadline else None


def keeper_check_out(keeper: Keeper, station: Station, volunteer: Volunteer, at: datetime, now: datetime) -> ServiceSession:
    """Check a volunteer out by hand. It ends the session checked in last before `at`: the one
    under way, or one the system closed that is waiting for its real end (copying paper: that
    day's check-in, whatever has been entered since), not the volunteer's duty now."""
    close_forgotten_sessions(station, now, volunteer.id)
    session = _session_before(volunteer, at)
    if session is None or not (session.checked_out_at is None or
                               (_waiting_for_its_end(session) and at <= session.checked_out_at)):
        raise _why_not_checked_in(station, volunteer, at)
    check_times(session.checked_in_at, at, now)
    before = snapshot(session)
    session.checked_out_at = at
    session.check_out_method = "keeper"
    session.needs_review = False
    confirm(session, keeper, now)
    db.session.flush()
    audit(keeper, station, "session.checked_out", volunteer_id=volunteer.id, session_id=session.id,
          before=before, after=snapshot(session), now=now)
    confirmed_hours_changed(station, [volunteer.id], now)
    return session


def _waiting_for_its_end(session: ServiceSession) -> bool:
    """Closed by the system and not yet confirmed: a keeper's check-out may give its real end."""
    return session.check_out_method == "auto" and session.confirmed_at is None


def _why_not_checked_in(station: Station, volunteer: Volunteer, at: datetime) -> DomainError:
    """A keeper who just checked a volunteer in for an earlier day, then checks them out, finds the
    session already closed by the system: say so, not "not checked in"; and a check-out before the
    check-in it would end says that."""
    before = _session_before(volunteer, at)
    if before is not None and _waiting_for_its_end(before):  # `at` is past the system's end
        closed = local_time(before.checked_out_at, station, "M/d HH:mm")
        if system_closing(station, before) == "closing":
            return DomainError(_l("The system checked this volunteer out at closing time (%(time)s). Enter the real "
                                  "end time on that day, or correct the session under To review.", time=closed),
                               field="at")
        return DomainError(_l("The system checked this volunteer out at %(time)s, as nobody had. Enter the real end "
                              "time, or correct the session under To review.", time=closed), field="at")
    after = db.session.scalar(select(ServiceSession).where(
        ServiceSession.volunteer_id == volunteer.id, ServiceSession.checked_in_at >= at)
        .order_by(ServiceSession.checked_in_at).limit(1))
    if after is not None and (after.checked_out_at is None or _waiting_for_its_end(after)):
        return DomainError(_l("Check-out must be after check-in (%(time)s).",
                              time=local_time(after.checked_in_at, station, "M/d HH:mm")), field="at")
    return DomainError(_l("This volunteer is not checked in."), field="at")


def _session_before(volunteer: Volunteer, at: datetime) -> ServiceSession | None:
    """The volunteer's session checked in last before `at`."""
    return db.session.scalar(select(ServiceSession).where(
        ServiceSession.volunteer_id == volunteer.id, ServiceSession.checked_in_at < at)
        .order_by(ServiceSession.checked_in_at.desc()).limit(1))


def close_on_deactivation(keeper: Keeper, station: Station, volunteer: Volunteer, now: datetime) -> None:
    """A volunteer deactivated (or erased) while on duty is checked out at that moment: their badge
    no longer scans, so nobody else could ever close the session. The hours are kept, flagged for a
    keeper to confirm (nobody said when they really left); a session from an earlier day closes at
    that day's closing time, as a forgotten one does. Audited."""
    close_forgotten_sessions(station, now, volunteer.id)
    session = open_session(station, volunteer.id)
    if session is None:
        return
    before = snapshot(session)
    # Only if still open: a scan at the same moment may have checked them out already.
    if close_if_open(session, now, "deactivate", now, needs_review=True):
        audit(keeper, station, "session.closed_on_deactivation", volunteer_id=volunteer.id, session_id=session.id,
              before=before, after=snapshot(session), now=now)


def on_duty_warning(station: Station, volunteer: Volunteer, now: datetime) -> str | None:
    """Said beside the deactivate button while the volunteer is on duty (not for a session left
    open from an earlier day: that one closes at its day's closing time, deactivated or not)."""
    since = on_duty_since(station, volunteer.id, now)
    if since is None:
        return None
    return _l("On duty since %(time)s: deactivating checks them out now. The hours are kept for you to confirm "
              "under To review.", time=local_time(since, station))


def on_duty_until_new_hours(station: Station, opens_at: time, closes_at: time, now: datetime) -> str | None:
    """Said before new opening or closing times are saved that would end sessions under way now
    (a closing time set earlier than the time now checks out those who came before it)."""
    ending = [deadline for s in open_sessions(station)
              if (deadline := auto_close_deadline(station, s.checked_in_at, opens_at, closes_at)) <= now
              < auto_close_deadline(station, s.checked_in_at)]
    if not ending:
        return None
    return _l("%(n)s on duty now would be checked out at %(time)s, their hours waiting for you under To review. "
              "To save the new times anyway, tick the box below and save again.",
              n=len(ending), time=local_time(min(ending), station))


def record_session(keeper: Keeper, station: Station, volunteer: Volunteer, checked_in_at: datetime,
                   checked_out_at: datetime, now: datetime, activity_id: int | None = None) -> ServiceSession:
    """A whole session a keeper records afterwards (an activity held elsewhere): closed, and
    confirmed, since a keeper set its times."""
    refuse_if_erased(volunteer)
    if not volunteer.active or volunteer.station_id != station.id:
        raise DomainError(_l("%(name)s is no longer active.", name=volunteer.name))
    check_times(checked_in_at, checked_out_at, now)
    if _overlapping(None, volunteer.id, checked_in_at, checked_out_at) is not None:
        raise DomainError(_l("%(name)s already has a session at that time.", name=volunteer.name), field="volunteers")
    session = ServiceSession(station_id=station.id, volunteer_id=volunteer.id, checked_in_at=checked_in_at,
                             checked_out_at=checked_out_at, check_in_method="keeper", check_out_method="keeper",
                             activity_id=activity_id, updated_at=now)
    confirm(session, keeper, now)
    db.session.add(session)
    db.session.flush()
    audit(keeper, station, "session.recorded", volunteer_id=volunteer.id, session_id=session.id,
          before=None, after=snapshot(session), now=now)
    confirmed_hours_changed(station, [volunteer.id], now)
    return session


def flagged_sessions(station: Station) -> list[ServiceSession]:
    return list(db.session.scalars(
        select(ServiceSession)
        .where(ServiceSession.station_id == station.id, ServiceSession.needs_review.is_(True))
        .order_by(ServiceSession.checked_in_at)
    ))
