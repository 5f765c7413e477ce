"""What a tablet downloads: pages and scripts compressed, static files addressed by their
fingerprint and kept for a year, a changed file fetched again."""

import gzip
import re

import brotli
import pytest

from kiosk.core import assets

GZIP = {"Accept-Encoding": "gzip"}
CHROMIUM = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def static_urls(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', page)


def without_csrf_tokens(page: bytes) -> bytes:
    # A CSRF token carries the second it was signed, so two pages served a tick apart differ there
    return re.sub(rb"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}", b"<token>", page)


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()  # a static file is streamed from disk: read it, then let the file go
    return response


def test_a_page_is_compressed_for_a_browser_that_asks(client, station):
    plain = client.get("/")
    packed = client.get("/", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert without_csrf_tokens(gzip.decompress(packed.data)) == without_csrf_tokens(plain.data)
    assert b"<token>" in without_csrf_tokens(plain.data)
    assert len(packed.data) < len(plain.data) / 2
    assert "Content-Encoding" not in plain.headers


def test_every_static_file_a_page_loads_carries_its_fingerprint_and_is_kept_a_year(client, station):
    urls = static_urls(client.get("/checkin/").get_data(as_text=True))
    assert any("kiosk.js" in url for url in urls) and any("htmx" in url for url in urls)
    for url in urls:
        assert re.search(r"[?&]v=[0-9a-f]{12}$", url), url
        response = get(client, url)
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache and "no-store" not in cache, (url, cache)


@pytest.mark.parametrize("version", [None, "000000000000", "not-a-version"])
def test_a_static_file_without_its_current_fingerprint_is_checked_again_each_time(client, station, version):
    url = "/static/js/kiosk.js" + (f"?v={version}" if version else "")
    response = get(client, url)
    assert response.status_code == 200
    assert "max-age=31536000" not in response.headers.get("Cache-Control", "")


def test_scripts_and_the_decoder_are_compressed(client, station):
    for url in ("/static/js/kiosk.js", "/static/vendor/zxing-wasm-3.1.6.reader.wasm"):
        plain = get(client, url)
        packed = get(client, url, headers=CHROMIUM)
        assert packed.headers.get("Content-Encoding") == "br", url  # what Chromium prefers of the two offered
        assert brotli.decompress(packed.data) == plain.data
        assert len(packed.data) < 0.6 * len(plain.data)


def test_a_changed_file_gets_a_new_fingerprint(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    script = tmp_path / "x.js"
    script.write_text("one")
    with app.test_request_context():
        first = assets.fingerprint("x.js")
        script.write_text("two, longer")
        assert assets.fingerprint("x.js") != first
        assert assets.fingerprint("../etc/passwd") is None and assets.fingerprint("missing.js") is None


@pytest.mark.parametrize("headers", [{}, {"Range": "bytes=0-99"}])
def test_a_sound_left_half_sent_holds_no_file_open(app, station, headers):
    # A tablet that leaves mid-sound (the next scan, the screen going home) drops the connection;
    # the development server then never closes the response, so it must not hold the file.
    import gc
    import warnings

    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/static/sounds/error.wav", headers=headers).get_environ()
    statuses = []
    body = app.wsgi_app(environ, lambda status, response_headers, exc_info=None: statuses.append(status))
    first = next(iter(body))
    assert statuses[0].startswith("206" if headers else "200") and first
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del body
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_static_files_are_compressed_once_as_tightly_as_the_browser_reads(client, station):
    """A tablet downloads each file once and keeps it a year: htmx, the stylesheet and kiosk.js go
    out at brotli's best (Flask-Compress's quick level made them larger than plain gzip), gzip at its
    best for a browser without brotli, and a copy checked again is a 304."""
    for url in ("/static/vendor/htmx-2.0.11.min.js", "/static/css/kiosk.css", "/static/js/kiosk.js"):
        plain = get(client, url).data
        packed = get(client, url, headers=CHROMIUM)
        assert packed.headers["Content-Encoding"] == "br" and brotli.decompress(packed.data) == plain
        assert len(packed.data) <= 0.92 * len(gzip.compress(plain, 6)), url
        assert "Accept-Encoding" in packed.headers["Vary"]
        zipped = get(client, url, headers=GZIP)
        assert zipped.headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped.data) == plain
        assert len(zipped.data) <= len(gzip.compress(plain, 6)), url
        again = get(client, url, headers={**CHROMIUM, "If-None-Match": packed.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        assert packed.headers["ETag"] != zipped.headers["ETag"]  # one validator per encoding
