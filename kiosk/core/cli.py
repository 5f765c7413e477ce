"""flask --app kiosk … commands of the core. Each feature adds its own in its cli.py."""

import click
from flask import Flask

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
            raise click.ClickException(str(err.message)) from None
        db.session.commit()
        click.echo(f"Station {station.slug} “{station.name}” added.")
