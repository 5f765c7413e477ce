"""What a tablet downloads, kept small and downloaded once: text responses compressed
(Flask-Compress), and static files addressed by their content's fingerprint (`?v=…`, added by
url_for), so a tablet keeps them for a year and still fetches a changed kiosk.js at once."""

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
# Flask-Compress's list, plus the camera decoder's WebAssembly (about a third of its size gzipped).
COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "text/csv", "text/javascript", "application/javascript",
                    "application/json", "image/svg+xml", "application/wasm"]


@lru_cache(maxsize=512)
def _fingerprint(path: str, modified_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def fingerprint(filename: str) -> str | None:
    """The first characters of the file's SHA-256, or None if there is no such static file."""
    path = safe_join(current_app.static_folder, filename)
    try:
        return _fingerprint(path, Path(path).stat().st_mtime_ns) if path else None
    except OSError:
        return None


def _version_static_urls(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = fingerprint(values["filename"])
        if version:
            values["v"] = version


# A static file is compressed here, once per worker, as tightly as the tablet's browser reads: a
# tablet downloads it once and keeps it a year, so the time goes on the first download only (about
# 0.1 s for htmx at brotli's best; the camera decoder's larger wasm at quality 9 takes as long). Pages
# and fragments stay with Flask-Compress's quick level: they are made anew for every request.
SMALL_STATIC = 256 * 1024


@lru_cache(maxsize=64)
def _packed(path: str, modified_ns: int, encoding: str) -> bytes:
    body = Path(path).read_bytes()
    if encoding == "gzip":
        return gzip.compress(body, 9, mtime=0)
    return brotli.compress(body, quality=11 if len(body) <= SMALL_STATIC else 9)


def _pack_static(response: Response, body: bytes) -> None:
    """The file compressed once (`_packed`), when this browser takes brotli or gzip and the type is
    worth it; Flask-Compress then leaves it as it is."""
    if (response.status_code != 200 or response.mimetype not in COMPRESSED_TYPES
            or len(body) < current_app.config["COMPRESS_MIN_SIZE"] or "Content-Encoding" in response.headers):
        return
    offered = request.accept_encodings
    encoding = next((e for e in ("br", "gzip") if offered[e] > 0), None)
    path = safe_join(current_app.static_folder, (request.view_args or {}).get("filename", ""))
    if encoding is None or path is None:
        return
    response.set_data(_packed(path, Path(path).stat().st_mtime_ns, encoding))
    response.headers["Content-Encoding"] = encoding
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(f"{etag}:{encoding}")  # as Flask-Compress marks its own
        response.make_conditional(request)  # a tablet checking its copy again: 304


def _static_file(response: Response) -> Response:
    """A static file asked for by its current fingerprint never changes: keep it a year. Without
    one (or an old one) it is revalidated each time, as Flask does by default. The file is read
    whole here (they are small, and a tablet fetches each once): Flask-Compress would compress it
    as a stream and leave the file open, and the development server never closes a response whose
    tablet went away mid-file (a sound cut short by the next scan)."""
    if request.endpoint != "static":
        return response
    if response.direct_passthrough:  # still the open file (whole, or the range asked for)
        stream = response.response
        try:
            body = b"".join(stream)
        finally:
            if hasattr(stream, "close"):
                stream.close()  # now, not whenever the server gets round to closing the response
        response.direct_passthrough = False
        response.set_data(body)
        _pack_static(response, body)
    if response.status_code in (200, 304):
        version = request.args.get("v")
        if version and version == fingerprint((request.view_args or {}).get("filename", "")):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Exports go out as streams: Flask-Compress streams br or deflate, not gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    app.url_defaults(_version_static_urls)
    Compress(app)
    app.after_request(_static_file)  # runs before compression: Flask runs them in reverse
