"""Telling keepers the station's computer cannot save (a full disk, a read-only database).

A failed save is remembered by the worker that saw it (nothing can be written to disk at that
moment, so it lives in memory), and the space left on the disk that holds the database and the
photos is checked whenever a keeper opens Today, so every worker reports a disk running full."""

import shutil
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from kiosk.core.clock import utcnow
from kiosk.core.i18n import local_time

LOW_SPACE_MB = 200
REMEMBER_FAILURE = timedelta(hours=24)


def note_cannot_save(app: Flask) -> None:
    app.extensions["kiosk_cannot_save_at"] = utcnow()


def free_mb(path: Path) -> int:
    return shutil.disk_usage(path).free // (1024 * 1024)


def storage_trouble(now: datetime) -> list[str]:
    """Plain words for a keeper, if anything is wrong with saving."""
    trouble = []
    failed_at = current_app.extensions.get("kiosk_cannot_save_at")
    if failed_at is not None and now - failed_at < REMEMBER_FAILURE:
        trouble.append(str(_l("At %(time)s the station's computer could not save: nothing from that moment was recorded. "
                              "Please check that its disk has room and the database can be written.",
                              time=local_time(failed_at, format="MM-dd HH:mm"))))
    try:
        left = free_mb(Path(current_app.instance_path))
    except OSError:
        left = None
    if left is not None and left < LOW_SPACE_MB:
        trouble.append(str(_l("Only %(mb)s MB of disk space is left. When it runs out, nothing can be saved: "
                              "please make room or ask for help.", mb=left)))
    return trouble
