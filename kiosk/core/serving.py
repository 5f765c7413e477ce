"""What gunicorn answers by itself, before a request reaches the app: a request line or headers
longer than it takes (414, 431), or a request it cannot read (400). Its own page carries none of
the app's security headers, may be kept by a tablet's cache, and names gunicorn's internals in
English. gunicorn has no setting for that page, so a worker that loads the app has its writer
replaced (`answer_server_refusals`, from create_app); under any other server nothing changes."""

import sys

from kiosk.core.web import SECURITY_HEADERS

# The request could not be read, so neither its language nor its station is known: all three.
_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{status} · 暖心驿站</title></head>
<body>
<h1>{zh_hans}</h1>
<p>请返回上一页再试一次；如果一直这样，请告诉站长。</p>
<p lang="zh-Hant">{zh_hant}請返回上一頁再試一次；如果一直這樣，請告訴站長。</p>
<p lang="en">{en} Please go back and try again; if it keeps happening, please tell a keeper.</p>
</body>
</html>
"""
_REFUSED = {"zh_hans": "驿站没能读懂这个请求（太长或者不完整）。", "zh_hant": "驛站沒能讀懂這個請求（太長或者不完整）。",
            "en": "The station could not read that request (too long, or not whole)."}
_FAILED = {"zh_hans": "驿站这边出了点问题。", "zh_hant": "驛站這邊出了點問題。", "en": "Something went wrong at the station."}


def server_refusal(status: int, reason: str) -> bytes:
    """The whole HTTP answer for a refusal gunicorn makes itself."""
    words = _REFUSED if status < 500 else _FAILED
    body = _PAGE.format(status=status, **words).encode("utf-8")
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close", "Content-Type: text/html; charset=utf-8",
            f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in SECURITY_HEADERS.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _write_error(sock, status_int, reason, mesg):  # gunicorn.util.write_error's signature
    from gunicorn.util import write_nonblock

    write_nonblock(sock, server_refusal(status_int, reason))


def answer_server_refusals() -> None:
    """In a gunicorn worker, its refusals are written by `server_refusal` (its workers call
    gunicorn.util.write_error by name, so replacing it there is enough)."""
    util = sys.modules.get("gunicorn.util")
    if util is not None and hasattr(util, "write_error"):
        util.write_error = _write_error
