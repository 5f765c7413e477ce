"""A consistent copy of a live station: the SQLite database (through SQLite's online backup API,
so what is still in the write-ahead log is included and kiosks keep writing meanwhile), the
photos, the secret key (without it every badge and phone link would stop working) and the station's
certificates in tls/ (without them every tablet would have to install a new root certificate).
On PostgreSQL the database is copied with pg_dump instead (see README)."""

import shutil
import sqlite3
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from kiosk.core.extensions import db

DATABASE_FILE = "kiosk.sqlite"
KEPT_FILES = ("secret_key", "config.py")
# Folders copied whole, file modes kept (tls/ holds private keys readable by the owner only).
KEPT_FOLDERS = ("tls",)


class BackupError(RuntimeError):
    pass


def _sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("This command copies a SQLite database. For PostgreSQL use pg_dump (see README).")
    return Path(url.database)


def back_up(target: Path) -> dict:
    """Write the copy into `target` (a new or empty folder). Returns what was copied."""
    source = _sqlite_path()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: choose a new folder for the backup.")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / (DATABASE_FILE + ".part")
    live = sqlite3.connect(source, timeout=current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    copy = sqlite3.connect(partial)
    try:
        # Copies a consistent snapshot in steps; writers that commit meanwhile restart it.
        live.backup(copy, pages=1024)
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The copy did not pass SQLite's integrity check.")
    finally:
        copy.close()
        live.close()
    partial.replace(target / DATABASE_FILE)
    instance = Path(current_app.instance_path)
    photos = 0
    if (instance / "uploads").is_dir():
        # After the database: every photo of a record in the copy was written when it committed.
        shutil.copytree(instance / "uploads", target / "uploads")
        photos = sum(1 for p in (target / "uploads").rglob("*") if p.is_file())
    for name in KEPT_FILES:
        if (instance / name).exists():
            shutil.copy2(instance / name, target / name)
    for name in KEPT_FOLDERS:
        if (instance / name).is_dir():
            shutil.copytree(instance / name, target / name)
    return {"database": str(target / DATABASE_FILE), "photos": photos}


def restore(source: Path) -> None:
    """Put a backup back in place. The server must be stopped first (the README says how)."""
    database = source / DATABASE_FILE
    if not database.is_file():
        raise BackupError(f"{source} holds no {DATABASE_FILE}: is it a backup folder?")
    target = _sqlite_path()
    db.engine.dispose()
    backup = sqlite3.connect(database)
    live = sqlite3.connect(target)
    try:
        backup.backup(live)
    finally:
        live.close()
        backup.close()
    instance = Path(current_app.instance_path)
    if (source / "uploads").is_dir():
        shutil.rmtree(instance / "uploads", ignore_errors=True)
        shutil.copytree(source / "uploads", instance / "uploads")
    for name in KEPT_FILES:
        if (source / name).exists():
            shutil.copy2(source / name, instance / name)
    for name in KEPT_FOLDERS:
        if (source / name).is_dir():
            shutil.rmtree(instance / name, ignore_errors=True)
            shutil.copytree(source / name, instance / name)
