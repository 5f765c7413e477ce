"""The one-time token a form carries so that the same form sent twice (a double tap, a reload, a
second tab) does its change once: the kiosk writes it, the rule that changes stores it."""

import re
import secrets

ONCE = re.compile(r"[0-9a-f]{32}")


def new_once() -> str:
    return secrets.token_hex(16)
