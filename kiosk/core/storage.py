"""Telling keepers the station's computer cannot save (a full disk, a read-only database).

A failed save cannot be written down where the data lives (that is what failed). It is kept in
the worker that saw it and as a marker file in shared memory (/dev/shm, a tmpfs: it needs no disk
space), named after the station's instance folder, so the keeper's Today page shows it whichever
worker on this machine answers. The space left on the disk that holds the database and the photos
is checked whenever a keeper opens Today, so every worker reports a disk running full."""

import hashlib
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from kiosk.core.clock import utcnow
from kiosk.core.i18n import local_time

LOW_SPACE_MB = 200
REMEMBER_FAILURE = timedelta(hours=24)


def _marker(app: Flask) -> Path:
    """The marker file every worker of this station on this machine looks at."""
    folder = app.config.get("SHARED_MEMORY_DIR") or ("/dev/shm" if Path("/dev/shm").is_dir()
                                                           else tempfile.gettempdir())
    station = hashlib.sha256(str(Path(app.instance_path).resolve()).encode()).hexdigest()[:16]
    return Path(folder) / f"kiosk-cannot-save-{station}"


def note_cannot_save(app: Flask) -> None:
    now = utcnow()
    app.extensions["kiosk_cannot_save_at"] = now
    try:
        _marker(app).write_text(now.isoformat())
    except (OSError, ValueError):
        pass  # this worker still remembers it


def _failed_at(app: Flask) -> datetime | None:
    """When a save last failed, as this worker or another on this machine saw it."""
    seen = [app.extensions.get("kiosk_cannot_save_at")]
    try:
        seen.append(datetime.fromisoformat(_marker(app).read_text().strip()))
    except (OSError, ValueError):
        pass
    return max((at for at in seen if at is not None), default=None)  # both aware: written from utcnow()


def free_mb(path: Path) -> int:
    return shutil.disk_usage(path).free // (1024 * 1024)


def storage_trouble(now: datetime) -> list[str]:
    """Plain words for a keeper, if anything is wrong with saving."""
    trouble = []
    failed_at = _failed_at(current_app)
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
