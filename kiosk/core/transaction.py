"""One commit per request, in one place.

Routes and rules never commit: rules change objects and flush; at the end of a request that
changed state (any method but GET, or a GET that declared a write with `begin_writing`) this
module commits once if the response is a success, and rolls back otherwise. A rule that says no
raises a DomainError; the one handler here rolls back its changes and shows the refusal the view
asked for (`refuse_with`), or a plain error page with the message. A refusal that must keep what
it recorded (a wrong code counted) says so with `keep_changes`, and is committed all the same.

Files that belong to a change (photos) are staged beside their place and put there only once the
commit has succeeded (`after_commit`); a rollback removes them, so a failed commit leaves no file
behind, and a full disk is found before anything is committed."""

from collections.abc import Callable

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from kiosk.core.database import READ_ONLY_METHODS, reads_only_from_here, writes_on_get
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db

Refusal = Callable[[DomainError], Response]


def refuse_with(show: Refusal) -> None:
    """How this view shows a rule's refusal: usually the same form with the message beside the field."""
    g.refusal = show


def after_commit(action: Callable[[], None], otherwise: Callable[[], None] | None = None) -> None:
    """Run `action` once the current transaction has committed; if it rolls back instead, run
    `otherwise` (removing what was staged for it)."""
    db.session.info.setdefault("after_commit", []).append(action)
    if otherwise is not None:
        db.session.info.setdefault("after_rollback", []).append(otherwise)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    session.info.pop("after_rollback", None)
    for action in session.info.pop("after_commit", []):
        action()


@event.listens_for(Session, "after_transaction_end")
def _run_after_rollback(session: Session, transaction) -> None:
    # After a commit both lists are already gone; what is left belonged to a rolled-back transaction.
    if transaction.parent is None:
        session.info.pop("after_commit", None)
        for action in session.info.pop("after_rollback", []):
            action()


def _changes_state() -> bool:
    return request.method not in READ_ONLY_METHODS or writes_on_get()


def commit_before_answering() -> None:
    """A successful change is committed before its answer is rendered (core/web.py `render`):
    the write lock is not held while a template renders, and nobody is told "checked in" about a
    change that then failed to commit. `finish_request` then finds nothing left to commit."""
    if has_request_context() and _changes_state() and (db.session().in_transaction() or db.session.new
                                                        or db.session.dirty or db.session.deleted):
        db.session.commit()


def finish_request(response: Response) -> Response:
    if not _changes_state():
        return response
    if response.status_code < 400 or g.get("keep_changes"):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def show_refusal(err: DomainError) -> Response:
    if err.keep_changes:
        g.keep_changes = True
    else:
        db.session.rollback()
        reads_only_from_here()
    show = g.get("refusal")
    if show is not None:
        return show(err)
    from kiosk.core.error_pages import render_error

    return render_error(err.status, message=err.message)


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, show_refusal)
    app.after_request(finish_request)
