"""flask --app kiosk … commands of the core. Each feature adds its own in its cli.py."""

from pathlib import Path

import click
from flask import Flask
from flask_babel import force_locale

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-station")
    @click.argument("slug")
    @click.argument("name")
    @click.option("--timezone", default="Asia/Shanghai", show_default=True)
    def create_station(slug, name, timezone):
        """Add a station (with every feature's standard lists)."""
        from kiosk.core.stations import add_station

        try:
            station = add_station(slug, name, timezone)
        except DomainError as err:
            with force_locale("en"):  # like every other command's messages
                raise click.ClickException(str(err.message)) from None
        db.session.commit()
        click.echo(f"Station {station.slug} “{station.name}” added.")

    @app.cli.command("result-seconds")
    @click.argument("slug")
    @click.argument("seconds", type=click.IntRange(20, 300))
    def result_seconds(slug, seconds):
        """How long a check-in result stays on the station's kiosk (20 to 300 seconds; 20 by default)."""
        from sqlalchemy import select

        from kiosk.core.models import Station

        station = db.session.scalar(select(Station).where(Station.slug == slug))
        if station is None:
            raise click.ClickException(f"No station {slug}.")
        station.result_seconds = seconds
        db.session.commit()
        click.echo(f"Check-in results at {station.slug} stay {seconds} seconds.")

    @app.cli.command("station-timezone")
    @click.argument("slug")
    @click.argument("timezone")
    def station_timezone(slug, timezone):
        """Put right the station's time zone (such as Asia/Urumqi): the days and times its pages show."""
        from sqlalchemy import select

        from kiosk.core.models import Station
        from kiosk.core.stations import set_timezone

        station = db.session.scalar(select(Station).where(Station.slug == slug))
        if station is None:
            raise click.ClickException(f"No station {slug}.")
        try:
            set_timezone(station, timezone)
        except DomainError as err:
            with force_locale("en"):
                raise click.ClickException(str(err.message)) from None
        db.session.commit()
        click.echo(f"{station.slug} now shows its days and times in {timezone}.")

    @app.cli.command("backup")
    @click.argument("folder", type=click.Path())
    def backup(folder):
        """Copy the live database, photos and secret key into FOLDER (new or empty); kiosks keep working."""
        from kiosk.core.backup import BackupError, back_up

        if not folder.strip():  # '' would be the current folder
            raise click.ClickException("Name the folder for the backup, such as /media/usb/kiosk-2026-11-29.")
        folder = Path(folder)
        try:
            copied = back_up(folder)
        except BackupError as err:
            raise click.ClickException(str(err)) from None
        click.echo(f"Backed up to {folder}: the database and {copied['photos']} photo file(s).")

    @app.cli.command("restore")
    @click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
    @click.option("--yes", is_flag=True, help="do not ask; the server must be stopped")
    def restore(folder, yes):
        """Put a backup made by `backup` back in place (stop the server first)."""
        from kiosk.core.backup import BackupError, check_backup_folder, restore as restore_backup

        try:
            check_backup_folder(folder)  # before asking: a folder that is no backup is said at once
            if not yes:
                click.confirm("Stop the server first. Replace this station's data with the backup?", abort=True)
            replaced = restore_backup(folder)
        except BackupError as err:
            raise click.ClickException(str(err)) from None
        kept = f"The data it replaced is kept in {replaced}." if replaced else "There was no station here before."
        click.echo(f"Restored from {folder}. {kept} Start the server again.")
