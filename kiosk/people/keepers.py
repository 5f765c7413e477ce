"""Keepers: signing in, and loading the signed-in one."""

import re
import unicodedata
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from flask_babel import LazyString, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from htmx_flask import make_response as hx_response
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.core.clock import utcnow
from kiosk.core.database import serialize_writes
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db, login_manager
from kiosk.core.models import Station
from kiosk.core.stations import station_as_it_is
from kiosk.core.text import has_hidden_characters
from kiosk.core.web import came_from, form_sent, is_background_refresh, wants_fragment
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, SignInAttempt

BAD_SIGN_IN = _l("The user name or password is not right.")
# After this many failures for one user name from one address within the window, that pair
# waits; an address that fails this often for any names waits too. A user name is never locked
# for everyone: guessing from elsewhere must not lock the real keeper out.
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_MINUTES = int(FAILURE_WINDOW.total_seconds() // 60)
# A wrong sign-in with this many tries or fewer left before the wait says how many, so a keeper
# who mistypes is not locked out without warning.
WARN_WHEN_TRIES_LEFT = 3
# Checked when the user name is unknown, so a wrong name costs as long as a wrong password and the
# time taken does not tell which names exist.
_UNKNOWN_USER_HASH = generate_password_hash("no keeper has this password")


class SignInThrottled(DomainError):
    status = 429


class WrongSignIn(DomainError):
    keep_changes = True  # the failed try is recorded, so guessing slows down


SIGN_IN_ID = re.compile(r"([0-9]{1,9})\.([0-9]{1,9})")


@login_manager.user_loader
def load_keeper(sign_in_id: str) -> Keeper | None:
    """The keeper a session or "keep me signed in" cookie names, if that sign-in still stands:
    an older session version (signed out, password changed, deactivated) is no sign-in at all."""
    match = SIGN_IN_ID.fullmatch(sign_in_id or "")
    if not match:
        return None
    keeper = db.session.get(Keeper, int(match.group(1)))
    if keeper is None or not keeper.active or keeper.session_version != int(match.group(2)):
        return None
    return keeper


def sign_out_everywhere(keeper: Keeper) -> None:
    keeper.end_sign_ins()
    db.session.flush()


def set_keeper_active(keeper: Keeper, active: bool) -> None:
    """A deactivated keeper cannot sign in, and every sign-in they had ends at once."""
    keeper.active = active
    keeper.end_sign_ins()
    db.session.flush()


def keepers_named_alike(username: str) -> list[Keeper]:
    """The keepers whose user name is this one in other capitals (Keeper, KEEPER and keeper are one
    name to a keeper at the sign-in form), this one included. The database's lower() on both sides,
    so the same letters fold wherever this is asked."""
    return db.session.scalars(select(Keeper).where(func.lower(Keeper.username) == func.lower(username))
                              .order_by(Keeper.id)).all()


# What a keeper types at sign-in (which trims spaces): no spaces or control characters in it, and
# no more than the column holds. Chinese names are fine (王站长).
USERNAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,40}")
BAD_USERNAME = _l("A user name is 1 to 40 characters with no spaces.")


def username_key(username: str) -> str:
    """A user name as people tell names apart: whatever its capitals, full-width letters (a Chinese
    keyboard's 全角 mode types ｗａｎｇ) or spaces around it."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def usable_username(username: str) -> bool:
    """One the sign-in form can take and a keeper can type again: 1 to 40 characters, no spaces,
    nothing invisible (a right-to-left override would make it read as another keeper's)."""
    return bool(USERNAME.fullmatch(username)) and not has_hidden_characters(username)


def check_new_username(username: str) -> str:
    """A user name a new keeper can have: one nobody else's reads as (Wang beside wang would be two
    accounts for what a keeper takes to be one name), and one the sign-in form can take. Compared
    here, not by the database's lower(), which folds only ASCII letters on SQLite."""
    key = username_key(username)
    taken = next((name for name in db.session.scalars(select(Keeper.username).order_by(Keeper.id))
                  if username_key(name) == key), None)
    if taken is not None:
        raise DomainError(_l("A keeper named “%(name)s” already exists (user names ignore capitals, full-width "
                             "letters and spaces around them).", name=taken), field="username")
    if not usable_username(username):
        raise DomainError(BAD_USERNAME, field="username")
    return username


def keeper_named(username: str) -> Keeper | None:
    """The keeper a typed user name means, whatever its capitals. The exact name first: two accounts
    differing only in capitals (made before names were compared this way) each still sign in as
    typed, and another spelling of them matches neither rather than either at random."""
    alike = keepers_named_alike(username)
    exact = [keeper for keeper in alike if keeper.username == username]
    if exact:
        return exact[0]
    return alike[0] if len(alike) == 1 else None


def keeper_typed(username: str) -> Keeper | None:
    """The keeper a user name means as the sign-in form reads it: capitals and full-width letters
    (ｋｅｅｐｅｒ from a keyboard in 全角 mode) aside, the spaces around it trimmed."""
    username = (username or "").strip()
    return keeper_named(username) or keeper_named(unicodedata.normalize("NFKC", username))


def authenticate(username: str, password: str, address: str, now: datetime) -> Keeper:
    """The keeper, or WrongSignIn for a wrong name or password (the failure is recorded and kept).
    Raises SignInThrottled after too many failures, before even checking the password."""
    username = (username or "").strip()[:40]
    # Failures count against the name whatever its capitals or full-width letters: KEEPER, keeper
    # and ｋｅｅｐｅｒ (a Chinese keyboard in 全角 mode) are one keeper.
    throttled_name = username_key(username)[:40]
    address = (address or "")[:64]
    tries_left = _refuse_if_throttled(throttled_name, address, now)
    keeper = keeper_typed(username)
    # Every wrong sign-in costs one password check, so the time taken tells no name apart.
    if keeper is None:
        right = check_password_hash(_UNKNOWN_USER_HASH, password or "") and False
    else:
        right = keeper.check_password(password or "")
    if keeper is not None and right and not keeper.active:
        # The right password proves who this is: say why, and count no failure ("wrong password"
        # would have them retry into the wait, never knowing to ask a colleague).
        raise DomainError(_l("Your account has been turned off. Please ask another keeper of your station to turn "
                             "it on again."), field="password")
    if keeper is None or not right:
        _count_failure(throttled_name, address, now)
        raise WrongSignIn(wrong_sign_in_message(tries_left - 1), field="password")
    return keeper


def wrong_sign_in_message(tries_left: int):
    """What a wrong sign-in says, given the tries left before the wait. It depends only on the
    failures counted for the name as typed and for the address, never on whether the name is a
    keeper's, so it tells no name apart."""
    # Babel extracts ngettext(...) from inside the lambda; the text is chosen when it is shown.
    return _warned(tries_left, BAD_SIGN_IN,
                   _l("The user name or password is not right. Now please wait %(minutes)s minutes before trying "
                      "again.", minutes=LOCK_MINUTES),
                   lambda: ngettext(
                       "The user name or password is not right. %(num)s more wrong try and you will have to wait "
                       "%(minutes)s minutes to try again.",
                       "The user name or password is not right. %(num)s more wrong tries and you will have to wait "
                       "%(minutes)s minutes to try again.",
                       tries_left, minutes=LOCK_MINUTES))


def wrong_current_password_message(tries_left: int):
    """A wrong current password on the account page counts as a wrong sign-in: it warns the same."""
    return _warned(tries_left, WRONG_CURRENT,
                   _l("That is not your current password. Now please wait %(minutes)s minutes before trying again.",
                      minutes=LOCK_MINUTES),
                   lambda: ngettext(
                       "That is not your current password. %(num)s more wrong try and you will have to wait "
                       "%(minutes)s minutes to try again.",
                       "That is not your current password. %(num)s more wrong tries and you will have to wait "
                       "%(minutes)s minutes to try again.",
                       tries_left, minutes=LOCK_MINUTES))


def _warned(tries_left: int, wrong, waiting, few_left):
    """The one rule for when a wrong password warns: plain while many tries are left, how many once
    WARN_WHEN_TRIES_LEFT or fewer are, and that the wait has begun after the last one."""
    if tries_left > WARN_WHEN_TRIES_LEFT:
        return wrong
    if tries_left <= 0:
        return waiting
    return LazyString(few_left)


def _refuse_if_throttled(throttled_name: str, address: str, now: datetime) -> int:
    """Raises SignInThrottled when this name from this address, or this address, must wait; else
    the tries left before it must (the fewer of the two). Counted in the database, so every
    worker says the same."""
    serialize_writes("sign-in")  # concurrent guesses are counted one after another
    recent = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at >= now - FAILURE_WINDOW,
                                                                   SignInAttempt.address == address)
    tries_left = min(MAX_FAILURES - db.session.scalar(recent.where(SignInAttempt.username == throttled_name)),
                     MAX_FAILURES_PER_ADDRESS - db.session.scalar(recent))
    if tries_left <= 0:
        raise SignInThrottled(_l("Too many wrong passwords. Please wait %(minutes)s minutes and try again.",
                                 minutes=LOCK_MINUTES))
    return tries_left


def _count_failure(throttled_name: str, address: str, now: datetime) -> None:
    db.session.add(SignInAttempt(username=throttled_name, address=address, at=now))
    db.session.flush()


# --- A keeper's own password -------------------------------------------------------------------

PASSWORD_MIN = 8
# The sign-in form takes at most this many characters: a longer password could never be typed there.
PASSWORD_MAX = 200
WRONG_CURRENT = _l("That is not your current password.")


def check_new_password(keeper: Keeper, password: str, again: str) -> None:
    """A password a keeper chose: long enough to resist guessing at the sign-in throttle's pace,
    one the sign-in form takes, and typed the same twice."""
    if len(password) < PASSWORD_MIN:
        raise DomainError(_l("A password needs at least %(n)s characters.", n=PASSWORD_MIN), field="new_password")
    if len(password) > PASSWORD_MAX:
        raise DomainError(_l("A password can have at most %(n)s characters.", n=PASSWORD_MAX), field="new_password")
    if password != password.strip():
        # A tablet's keyboard adds a space after a word; at sign-in nobody would know it is there.
        raise DomainError(_l("A password cannot begin or end with a space."), field="new_password")
    if password.casefold() == keeper.username.casefold():
        raise DomainError(_l("Please choose a password other than your user name."), field="new_password")
    if again != password:
        raise DomainError(_l("The two new passwords are not the same. Please type it again in both."),
                          field="new_password_again")


def change_password(keeper: Keeper, station: Station, current: str, new: str, again: str, address: str,
                    now: datetime) -> None:
    """A signed-in keeper's new password. The current one is asked first, and a wrong one counts
    as a wrong sign-in from this address (and is kept: WrongSignIn), so a tablet left signed in does
    not let anyone try passwords faster than the sign-in page would. Every sign-in of the keeper,
    on every device, ends with the change (as `keeper-password` does); the page signs this device
    in again (`sign_in_again_here`)."""
    address = (address or "")[:64]
    throttled_name = username_key(keeper.username)[:40]  # as at sign-in: the same tries
    tries_left = _refuse_if_throttled(throttled_name, address, now)
    if not keeper.check_password(current or ""):
        _count_failure(throttled_name, address, now)
        raise WrongSignIn(wrong_current_password_message(tries_left - 1), field="current_password")
    if new == current:
        raise DomainError(_l("The new password is the same as the current one."), field="new_password")
    check_new_password(keeper, new or "", again or "")
    keeper.set_password(new)  # also ends every sign-in
    db.session.flush()
    audit(keeper, station, "keeper.password_changed", now=now)


def sign_in_again_here(keeper: Keeper) -> None:
    """After a new password every sign-in of the keeper has ended; this device signs in again at
    once with a new session (and CSRF token), as after the sign-in page. A device that was kept
    signed in is kept signed in, and an admin's chosen station stays chosen."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    chosen = session.get("admin_station_id")
    session.clear()
    session.permanent = True
    if chosen is not None:
        session["admin_station_id"] = chosen
    login_user(keeper, remember=remembered)
    note_keeper_seen(utcnow())


# --- Left idle on the kiosk tablet ----------------------------------------------------------------

# When this device last made a keeper request (seconds since the epoch), kept in the device's own
# signed session cookie: it is this tablet's sign-in that ends, never the keeper's others.
LAST_SEEN = "keeper_seen"


def keeper_idle_seconds(config) -> int:
    """How long a keeper page may sit on the kiosk tablet between two requests: the setting, but
    never less than the screen's own idle time and warning, so the page warns first."""
    screen = int(config["IDLE_SECONDS"]) + max(int(config["IDLE_WARNING_SECONDS"]), 20)
    return max(int(config["KEEPER_IDLE_SECONDS"]), screen)


def left_idle(last_seen, now: datetime, idle_seconds: int) -> bool:
    """More than `idle_seconds` since the keeper's previous request on this device. Not knowing
    when that was (a sign-in brought back by "keep me signed in", or from before this check)
    counts as too long."""
    if not isinstance(last_seen, (int, float)):
        return True
    return now.timestamp() - last_seen > idle_seconds


def note_keeper_seen(now: datetime) -> None:
    session[LAST_SEEN] = round(now.timestamp(), 3)


def forget_remembered_sign_in() -> None:
    """Remove this device's "keep me signed in" cookie, if it has one, at the end of the request
    (Flask-Login reads the mark), so a keeper signing in without it does not leave another's behind."""
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"


def leave_this_device() -> None:
    """Sign this device out only; the keeper's other devices stay signed in. The session is emptied
    first: logging out then marks a "keep me signed in" cookie for removal (emptied afterwards, that
    mark would be lost and the cookie would sign the tablet straight back in)."""
    session.clear()
    logout_user()


def page_to_return_to() -> str | None:
    """Where signing in again leads: the page asked for; for a form sent, the page it was on, which
    puts back what was typed (forms.js); for a fragment the page asked for by itself (Today's live
    list, a search as one types), the page it is part of, as htmx names it. Never the fragment's own
    address: opened whole it is a bare scrap of a page, or nothing at all (204). None when the page
    is not known (the keeper's first page then)."""
    if form_sent() or wants_fragment():
        return came_from()
    return request.full_path


def _left_idle_answer():
    """Back to the sign-in page, saying why; after signing in, back to the page it was on, as for
    any sign-in that ended."""
    sent_a_form = form_sent()
    target = url_for("auth.login", next=page_to_return_to(), idle=1, unsaved=1 if sent_a_form else None)
    if wants_fragment():
        return hx_response("", 200, redirect=target)  # htmx cannot see a redirect: load the page whole
    return redirect(target, 303)


# --- Keeper pages ------------------------------------------------------------------------------


@login_required
def require_keeper():
    """Before every keeper page: signed in, and working at a station. A keeper works at their own
    station; an admin at the one they chose (else the kiosk's). Times and hours on keeper pages
    follow that station, not the kiosk's.
    On the station's kiosk tablet a keeper request that comes too long after the previous one
    signs that tablet out first. A page's own polling is checked but does not count as the keeper
    being there."""
    if request.method == "OPTIONS":
        # Flask answers it itself (the methods allowed), reading nothing; login_required lets it
        # past unsigned, and nobody's station is to be read for it.
        return None
    now = utcnow()
    if g.get("kiosk_tablet") and left_idle(session.get(LAST_SEEN), now, keeper_idle_seconds(current_app.config)):
        leave_this_device()
        return _left_idle_answer()
    if not is_background_refresh():
        note_keeper_seen(now)
    # Read afresh, never the worker's kept copy: a keeper's page shows what was just saved.
    if current_user.station_id:
        station = station_as_it_is(current_user.station_id)
    else:
        chosen = session.get("admin_station_id")
        station = ((station_as_it_is(chosen) if isinstance(chosen, int) else None)
                   or (station_as_it_is(g.station.id) if g.station is not None else None))
    if station is None:
        abort(503)
    g.station = station


def keeper_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of keeper pages under /keeper: every one of them needs a signed-in keeper."""
    bp = Blueprint(name, import_name, url_prefix="/keeper", template_folder="templates")
    bp.before_request(require_keeper)
    return bp


def stations_to_choose() -> list[Station]:
    """The stations an admin can switch between (keeper.choose_station); none for a keeper."""
    if not current_user.is_admin:
        return []
    return list(db.session.scalars(select(Station).order_by(Station.name)))
