"""A consistent copy of a live station: the SQLite database (through SQLite's online backup API,
so what is still in the write-ahead log is included and kiosks keep writing meanwhile), the
photos, the secret key (without it every badge and phone link would stop working) and the station's
certificates in tls/ (without them every tablet would have to install a new root certificate).
On PostgreSQL the database is copied with pg_dump instead (see README).

A backup is written into a hidden folder beside the target (inside it, for an empty folder that
exists already) and moved into place only when whole:
a full disk or a pulled USB stick leaves no folder that looks like a backup but is not. A restore
checks the copy first (SQLite's integrity check, and that it is this kiosk's schema at a version
this code knows), keeps the data it replaces, and brings an older copy's schema up to date."""

import errno
import os
import shutil
import sqlite3
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from kiosk.core import MIGRATIONS
from kiosk.core.extensions import db

DATABASE_FILE = "kiosk.sqlite"
KEPT_FILES = ("secret_key", "config.py")
# Folders copied whole, file modes kept (tls/ holds private keys readable by the owner only).
KEPT_FOLDERS = ("tls",)
# Where a restore keeps the data it replaced, inside instance/ (a backup does not copy it).
REPLACED_PREFIX = "replaced-by-restore-"


class BackupError(RuntimeError):
    pass


def _sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("This command copies a SQLite database. For PostgreSQL use pg_dump (see README).")
    return Path(url.database)


def _kiosk_tables(database: Path) -> set[str]:
    """The kiosk's own tables in a SQLite file that exists (empty when it is none of the kiosk's)."""
    try:
        conn = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)  # any path, ? and # too
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return set()
    return tables if {"station", "volunteer"} <= tables else set()


def back_up(target: Path) -> dict:
    """Write the copy into `target` (a new or empty folder). Returns what was copied."""
    source = _sqlite_path()
    # A cron job without the server's KIOSK_DATABASE_URL, or run from another copy of the kiosk,
    # would otherwise copy an empty database (made on the spot) every night, and say it succeeded.
    if not source.is_file():
        raise BackupError(f"There is no station database at {source}: run the backup with the settings the server "
                          "uses (KIOSK_DATABASE_URL, instance/config.py), from the kiosk's folder. "
                          "Nothing was backed up.")
    if not _kiosk_tables(source):
        raise BackupError(f"{source} holds no station's data (run `flask --app kiosk db upgrade` once for a new one). "
                          "Nothing was backed up.")
    instance = Path(current_app.instance_path).resolve()
    if target.resolve() == instance or instance in target.resolve().parents:
        raise BackupError(f"{target} is inside the station's own folder ({instance}): choose a place outside it, "
                          "such as a USB stick.")
    if target.exists() and not target.is_dir():
        raise BackupError(f"{target} is a file: choose a new folder for the backup.")
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: choose a new folder for the backup.")
    # Only the backup's own folder is made: a USB stick that is not plugged in leaves its mount
    # point missing (or empty), and a backup made there would land on the station's own disk.
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist: is the USB stick plugged in? (Make that folder first "
                          "if it is meant to be new.) Nothing was backed up.")
    # Staged beside the target and renamed into place; an empty folder that exists already (a USB
    # stick's own mount point, which cannot be renamed onto) gets the copy staged inside it.
    inside = target.exists()
    staging = target / f".unfinished-{os.getpid()}" if inside else target.parent / f".{target.name}.unfinished-{os.getpid()}"
    moved: list[Path] = []
    try:
        staging.mkdir(mode=0o700)
        photos = _copy_station(source, instance, staging)
        if inside:
            for entry in list(staging.iterdir()):
                entry.rename(target / entry.name)
                moved.append(target / entry.name)
            staging.rmdir()
        else:
            staging.rename(target)
    except OSError as err:
        _remove(staging, *moved)
        raise BackupError(f"The backup could not be written to {target} ({err.strerror or err}). Nothing was "
                          f"kept there: {_what_to_do(err)}, and try again.") from None
    except BaseException:
        _remove(staging, *moved)
        raise
    return {"database": str(target / DATABASE_FILE), "photos": photos}


def _remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _what_to_do(err: OSError) -> str:
    if err.errno == errno.EROFS:
        return "that place is read-only (a USB stick with its write-protect switch on?): choose another"
    if err.errno == errno.ENOSPC:
        return "free some space or choose another place"
    return "choose another place, or free some space there"


def _copy_station(source: Path, instance: Path, into: Path, check: bool = True) -> int:
    """The database, then the photos and the files beside them, into `into`; the number of photo
    files. Without `check`, a database that fails the integrity check is copied all the same (the
    data a restore replaces is kept however it is)."""
    if source.is_file():  # (a restore on a machine whose database is missing keeps the rest)
        _copy_database(source, into / DATABASE_FILE, check)
    photos = 0
    if (instance / "uploads").is_dir():
        # After the database: every photo of a record in the copy was written when it committed.
        try:
            shutil.copytree(instance / "uploads", into / "uploads")
        except shutil.Error as err:  # a photo could not be copied (the disk filled up)
            raise OSError("some photos could not be copied") from err
        photos = sum(1 for p in (into / "uploads").rglob("*") if p.is_file())
    for name in KEPT_FILES:
        if (instance / name).exists():
            shutil.copy2(instance / name, into / name)
    for name in KEPT_FOLDERS:
        if (instance / name).is_dir():
            shutil.copytree(instance / name, into / name)
    return photos


def _copy_database(source: Path, copy_path: Path, check: bool) -> None:
    live = sqlite3.connect(source, timeout=current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    copy = sqlite3.connect(copy_path)
    try:
        # Copies a consistent snapshot in steps; writers that commit meanwhile restart it.
        live.backup(copy, pages=1024)
        if check and copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The copy did not pass SQLite's integrity check.")
    except sqlite3.OperationalError as err:  # SQLite says "disk is full" as an error of its own
        raise OSError(f"SQLite: {err}") from err
    finally:
        copy.close()
        live.close()
    copy_path.chmod(0o600)  # volunteers' names and mobiles: the owner's only, like the secret key


def check_backup(database: Path) -> None:
    """BackupError when the copy is damaged, not this kiosk's, or made by a newer version of it
    (its schema would not be understood here)."""
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    try:
        copy = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)  # any path, ? and # too
        try:
            ok = copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = (copy.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
                if "alembic_version" in tables else None
        finally:
            copy.close()
    except sqlite3.DatabaseError:
        ok, tables, version = False, set(), None
    if not ok:
        raise BackupError(f"{database} is damaged (it fails SQLite's integrity check). Nothing was restored.")
    if not {"station", "volunteer"} <= tables or version is None:
        raise BackupError(f"{database} is not a backup of this kiosk. Nothing was restored.")
    try:
        ScriptDirectory(str(MIGRATIONS)).get_revision(version)
    except CommandError:
        raise BackupError(f"{database} was made by a newer version of the kiosk (schema {version}): update "
                          "this kiosk first. Nothing was restored.") from None


def check_backup_folder(source: Path) -> None:
    """BackupError unless `source` holds a copy `restore` can put back (checked before anything is
    asked or changed)."""
    database = source / DATABASE_FILE
    if not database.is_file():
        raise BackupError(f"{source} holds no {DATABASE_FILE}: is it a backup folder?")
    check_backup(database)


def restore(source: Path) -> Path | None:
    """Put a backup back in place. The server must be stopped first (the README says how). Returns
    where the replaced data is kept, or None when there was none (a new machine)."""
    check_backup_folder(source)
    database = source / DATABASE_FILE
    target = _sqlite_path()
    instance = Path(current_app.instance_path)
    db.engine.dispose()
    replaced = None
    if _kiosk_tables(target) if target.is_file() else any((instance / name).exists() for name in ("uploads", "tls")):
        # A folder of its own (mkdtemp: 0700, never one an earlier restore kept, even in the same second).
        replaced = Path(tempfile.mkdtemp(prefix=REPLACED_PREFIX + datetime.now().strftime("%Y%m%d-%H%M%S-"),
                                         dir=instance))
        try:
            _copy_station(target, instance, replaced, check=False)
        except (OSError, BackupError) as err:
            shutil.rmtree(replaced, ignore_errors=True)
            raise BackupError(f"The present data could not be kept aside before the restore ({err}). "
                              "Nothing was restored.") from None
    try:
        backup = sqlite3.connect(database)
        live = sqlite3.connect(target)
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
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
        _upgrade_schema()
    except Exception as err:  # noqa: BLE001 - whatever stopped it, the keeper must know where the data is
        if replaced is None:
            raise BackupError(f"The restore stopped half-way ({err}). There was no station here before it: "
                              "restore the same folder again.") from None
        raise BackupError(f"The restore stopped half-way ({err}). The station's data from before it is kept in "
                          f"{replaced}: restore that folder the same way to go back.") from None
    return replaced


def _upgrade_schema() -> None:
    """A copy made before the latest update gets the schema this code reads (as `flask db upgrade`)."""
    from flask_migrate import upgrade

    db.engine.dispose()
    upgrade(directory=str(MIGRATIONS))
