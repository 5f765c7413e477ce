"""Request-side helpers: page or fragment, HX headers, and the headers every response carries."""

import re
from urllib.parse import urlsplit

from flask import Flask, Response, abort, g, make_response, render_template, request
from jinja2_fragments.flask import render_block
from werkzeug.routing import IntegerConverter

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class IdConverter(IntegerConverter):
    """<int:…> in URLs: ASCII digits that fit a database id. A longer number is a 404, not an
    overflow inside the database driver."""

    regex = r"[0-9]{1,9}"


def id_arg(name: str) -> int | None:
    """An id from the query string, or None: never a number too large for the database."""
    raw = request.args.get(name, "")
    return int(raw) if re.fullmatch(r"[0-9]{1,9}", raw) else None


def wants_fragment() -> bool:
    """An htmx request that is neither boosted nor a history restore wants just the fragment."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render(template: str, block: str = "content", status: int = 200, **context) -> Response:
    """The whole page, or for htmx only the named block of the same template."""
    if wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def render_block_response(template: str, block: str, status: int = 200, **context) -> Response:
    """Always just the block: for endpoints that only ever serve a fragment (polling)."""
    return make_response(render_block(template, block, **context), status)


def first_error(form) -> str:
    """The first validation message of a WTForm, for forms that show one message."""
    return next((errors[0] for errors in form.errors.values() if errors), "")


def safe_next(target: str | None, fallback: str) -> str:
    """Only ever send a person back to a path on this server."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL; no person types one. Refuse it before any code sees it."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    from .checkin import session_minutes
    from .i18n import format_hours
    from .volunteers import mask_name

    from .walkins import service_label

    app.jinja_env.filters["masked"] = mask_name
    app.jinja_env.globals["service_label"] = service_label
    from .suggestions import category_label as suggestion_category_label
    from .suggestions import event_label as suggestion_event_label
    from .suggestions import public_text
    from .suggestions import status_label as suggestion_status_label

    app.jinja_env.globals.update(suggestion_category_label=suggestion_category_label,
                                 suggestion_event_label=suggestion_event_label, public_text=public_text,
                                 suggestion_status_label=suggestion_status_label)
    from .swap import CONDITION_LABELS, EVENT_LABELS, REMOVAL_LABELS, STATUS_LABELS, category_label

    app.jinja_env.globals.update(category_label=category_label, condition_label=lambda c: CONDITION_LABELS.get(c, c),
                                 removal_label=lambda r: REMOVAL_LABELS.get(r, r or ""),
                                 swap_status_label=lambda s: STATUS_LABELS.get(s, s),
                                 swap_event_label=lambda e: EVENT_LABELS.get(e, e))
    app.jinja_env.globals["session_hours"] = lambda session: format_hours(session_minutes(session, g.station))

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.vary.add("HX-Request")
        h = response.headers
        h.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if response.mimetype == "text/html":
            h.setdefault("Cache-Control", "no-store")
        return response
