"""Two keepers editing one record: the second to save from a page opened before the first saved
would silently undo the first's change. A form carries a stamp of the record as it showed it; a
save whose stamp no longer matches is refused, and the form shows the record as it is now."""

import hashlib
import hmac
import json

from flask import current_app
from flask_babel import lazy_gettext as _l

from kiosk.core.errors import DomainError

EDITED_MEANWHILE = _l("Someone else changed this record while you had it open. This is how it is now: "
                      "please make your change again.")


class EditedMeanwhile(DomainError):
    """The record changed since the form was opened; nothing was saved."""

    status = 409


def edit_stamp(details: dict) -> str:
    """A stamp of a record's details as a form shows them. Keyed, so the page carries nothing from
    which its details (a mobile, an identity number) could be worked out."""
    text = json.dumps(details, sort_keys=True, default=str, ensure_ascii=False)
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"edit-stamp\0" + text.encode(), hashlib.sha256).hexdigest()[:24]


def refuse_if_edited_meanwhile(seen: str | None, details: dict) -> None:
    """`seen` is the stamp the form was opened with (None: a caller without a form, e.g. an import)."""
    # As bytes: compare_digest refuses str with characters beyond ASCII, which a hand-made post may send.
    if seen is not None and not hmac.compare_digest(seen.encode(), edit_stamp(details).encode()):
        raise EditedMeanwhile(EDITED_MEANWHILE)
