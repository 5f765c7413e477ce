"""What gunicorn answers itself, before a request reaches the app: a request line or headers too
long for it, or a request it cannot read. Those pages carried none of the app's security headers
and no `no-store` (issue 10, probe 10), and spoke English only, naming gunicorn's internals."""

import socket

import pytest

from kiosk.core.extensions import db
from tests.conftest import make_app
from tests.http.test_concurrency import start_gunicorn, wait_until_answering


def raw(port: int, request: bytes) -> tuple[int, dict[str, str], str]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body.decode("utf-8")


@pytest.fixture(scope="module")
def gunicorn_port(tmp_path_factory):
    from kiosk.people.demo import load_demo_station

    folder = tmp_path_factory.mktemp("served")
    app = make_app(folder)
    with app.app_context():
        load_demo_station()
        db.session.commit()
        db.engine.dispose()
    server, port = start_gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], workers=1, threads=2)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}", seconds=60)
        yield port
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),  # a link far longer than any the kiosk makes
    (b"GET / HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 9000 + b"\r\n\r\n", 431),  # a cookie grown too big
    (b"HELLO THERE\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-\x01: y\r\n\r\n", 400),
])
def test_the_servers_own_refusals_carry_the_security_headers_and_say_it_plainly(gunicorn_port, request_bytes, status):
    got, headers, body = raw(gunicorn_port, request_bytes)
    assert got == status
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "same-origin"
    assert headers["Content-Type"] == "text/html; charset=utf-8" and headers["Connection"] == "close"
    assert int(headers["Content-Length"]) == len(body.encode("utf-8"))
    assert "请告诉站长" in body and "請告訴站長" in body and "please tell a keeper" in body
    assert "gunicorn" not in body.lower() and "Request Line" not in body and "parsing" not in body
