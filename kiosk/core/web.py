"""Request-side helpers: page or fragment, HX headers, and the headers every response carries."""

import re
import tempfile
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, make_response, render_template, request, url_for
from jinja2_fragments.flask import render_block
from werkzeug.routing import IntegerConverter

from kiosk.core.errors import DomainError
from kiosk.core.transaction import commit_before_answering

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        # wasm-unsafe-eval: the camera's QR decoder is WebAssembly (compiled, never eval of text).
        "script-src 'self' 'wasm-unsafe-eval'",
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


def background_refresh(view):
    """Marks a view that a page calls by itself (a poll), not because someone touched the screen:
    it does not count as a keeper being at the kiosk tablet."""
    view.kiosk_background = True
    return view


def is_background_refresh() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "kiosk_background", False))


def wants_fragment() -> bool:
    """An htmx request that is neither boosted nor a history restore wants just the fragment."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render(template: str, block: str = "content", status: int = 200, **context) -> Response:
    """The whole page, or for htmx only the named block of the same template. A successful
    answer to a change is rendered once the change is committed."""
    if status < 400:
        commit_before_answering()
    if wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def render_block_response(template: str, block: str, status: int = 200, **context) -> Response:
    """Always just the block: for endpoints that only ever serve a fragment (polling)."""
    return make_response(render_block(template, block, **context), status)


def safe_next(target: str | None, fallback: str) -> str:
    """Only ever send a person back to a path on this server."""
    if not target:
        return fallback
    # A page's own address may hold a line break (/s/CODE%0A arrives decoded), which no header can
    # carry: written as %0A again it still leads back to that page.
    target = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"%{ord(m.group()):02X}", target)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def link_for_phones(endpoint: str, **values) -> str:
    """The address a QR for people's own phones holds. A tablet on the station's own HTTPS port (its
    camera needs HTTPS) trusts the station's certificate because a keeper installed it there; no
    phone ever did, and each would warn "not private". So a page served there links phones to the
    station's plain HTTP port. Behind a district proxy with a real certificate, HTTPS stays."""
    link = url_for(endpoint, _external=True, **values)
    config = current_app.config
    parts = urlsplit(link)
    if parts.scheme == "https" and parts.port == int(config["HTTPS_PORT"]) and parts.hostname:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return parts._replace(scheme="http", netloc=f"{host}:{int(config['HTTP_PORT'])}").geturl()
    return link


def came_from() -> str | None:
    """The page of this site a request was sent from, as a path: the page htmx says it is on, or a
    form's Referer. None when it is another site's or not known."""
    for raw in (request.headers.get("HX-Current-URL"), request.referrer):
        parts = urlsplit(raw or "")
        if raw and parts.scheme in ("http", "https") and parts.netloc == request.host:
            return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), None)
    return None


def form_sent() -> bool:
    """A form was sent (POST), not a page asked for: HEAD asks for the page as GET does (a link
    checker, `curl -I`), and must be answered as GET is, not as a form sent empty."""
    return request.method not in ("GET", "HEAD", "OPTIONS")


def this_page() -> str:
    """Where a switch on the page (language, text size) brings the screen back to: this page; for a
    form's answer (a POST, which the browser cannot simply load again: 405) the page the form was
    on, or the start."""
    if not form_sent():
        return request.full_path if request.query_string else request.path
    return came_from() or "/"


def is_keeper_request() -> bool:
    """A request to a keeper page, or one sent from a keeper page."""
    return any(path == "/keeper" or path.startswith("/keeper/") for path in (request.path, came_from() or ""))


def takes_upload(view):
    """Marks a page that accepts a photo or a roster file: only these may receive a large body."""
    view.takes_upload = True
    return view


def takes_upload_here() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "takes_upload", False)


def limit_request_body() -> None:
    """Before anything reads the body (CSRF, forms): a form larger than it could honestly be is
    refused with 413 at once, so one large request cannot keep a worker parsing for seconds."""
    if takes_upload_here():
        request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"]
        request.max_form_memory_size = current_app.config["UPLOAD_FORM_MEMORY_SIZE"]
    else:
        request.max_content_length = current_app.config["FORM_MAX_CONTENT_LENGTH"]
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        _take_chunked_body(request.environ, request.max_content_length)


def _take_chunked_body(environ: dict, limit: int) -> None:
    """A body sent in chunks has no length to check up front, and Werkzeug stops reading it at the
    limit without a word: the first part of the form would be used and the rest lost. Read it
    here, one byte past the limit at most, and hand it on with its length."""
    body = g.chunked_body = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # closed at teardown
    stream, left = environ["wsgi.input"], limit + 1
    while left > 0 and (chunk := stream.read(min(64 * 1024, left))):
        body.write(chunk)
        left -= len(chunk)
    if left <= 0:
        abort(413)
    environ.update({"wsgi.input": body, "CONTENT_LENGTH": str(body.tell())})
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    body.seek(0)


def _close_chunked_body(_error=None) -> None:
    if (body := g.pop("chunked_body", None)) is not None:
        body.close()


def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL; no person types one. Refuse it before any code sees it."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def add_keeper_link(app: Flask, endpoint: str, label, position: int, everyday: bool = False) -> None:
    """A feature puts its keeper page in the keeper's menu; the lowest position is where a keeper
    lands. An everyday page is always in sight; the others wait under "More", so that the page a
    keeper came for is not pushed below a wall of buttons (with large text, on a phone)."""
    app.extensions.setdefault("kiosk_keeper_links", []).append((position, endpoint, label, everyday))


def keeper_links() -> list[tuple[str, object, bool]]:
    """(endpoint, label, everyday) in the menu's order."""
    return [link[1:] for link in sorted(current_app.extensions.get("kiosk_keeper_links", []))]


def keeper_menu() -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    """The keeper's menu as (always in sight, under "More"). The page being shown joins the
    first, so a keeper always sees where they are."""
    shown, more = [], []
    for endpoint, label, everyday in keeper_links():
        (shown if everyday or endpoint == request.endpoint else more).append((endpoint, label))
    return shown, more


def keeper_home() -> str:
    """Where a keeper lands after signing in: the first page of the keeper's menu."""
    return url_for(keeper_links()[0][0])


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.teardown_request(_close_chunked_body)
    app.jinja_env.globals["keeper_menu"] = keeper_menu
    app.jinja_env.globals["this_page"] = this_page
    @app.after_request
    def add_headers(response: Response) -> Response:
        response.vary.add("HX-Request")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


# On every response, the server's own refusals included (core/serving.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    # Pages, fragments, CSV, badge images, JSON: nothing a shared tablet's cache should keep.
    # Static files and photos set their own.
    "Cache-Control": "no-store",
}


def found_or_404(lookup, *args):
    """What a domain lookup finds, or 404 when it says there is no such thing (a page, not a form)."""
    try:
        return lookup(*args)
    except DomainError:
        abort(404)
