"""flask --app kiosk … commands for keepers and the demo station."""

import secrets

import click
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import clean_name
from kiosk.people.keepers import check_new_username, keeper_named, set_keeper_active
from kiosk.people.models import Keeper


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo station, only into an empty database."""
        from kiosk.people.demo import database_is_empty, load_demo_station

        if not database_is_empty():
            click.echo("The database already has a station; the demo was not loaded.")
            return
        station, keeper, password = load_demo_station()
        db.session.commit()
        click.echo(f"Loaded the demo station “{station.name}”.")
        click.echo(f"Keeper sign-in — user: {keeper.username}  password: {password}")
        click.echo("This password is shown only once. Reset it with: "
                   ".venv/bin/flask --app kiosk keeper-password keeper")
        click.echo("The demo's volunteers are invented: README, \"A real station\", says how to begin your own.")

    @app.cli.command("create-keeper")
    @click.argument("username")
    @click.option("--station", "station_slug", help="the keeper's station (slug); omit with --admin")
    @click.option("--admin", is_flag=True, help="a district admin who sees every station")
    @click.option("--name", "display_name", default=None, help="the name shown on changes they make")
    def create_keeper(username, station_slug, admin, display_name):
        """Add a keeper (or an admin) and print their password once."""
        if admin and station_slug:
            raise click.ClickException("An admin sees every station: leave out --station, or leave out --admin.")
        with force_locale("en"):  # like every other command's messages
            try:
                check_new_username(username)
            except DomainError as err:
                raise click.ClickException(str(err.message)) from None
            try:
                display_name = clean_name(display_name if display_name is not None else username)
            except DomainError as err:
                raise click.ClickException(f"--name: {err.message}") from None
        station = None
        if not admin:
            station = db.session.scalar(select(Station).where(Station.slug == (station_slug or "")))
            if station is None:
                raise click.ClickException("Give --station SLUG of an existing station, or --admin.")
        password = secrets.token_urlsafe(9)
        keeper = Keeper(username=username, display_name=display_name, station=station,
                        role="admin" if admin else "keeper", active=True)
        keeper.set_password(password)
        db.session.add(keeper)
        db.session.commit()
        click.echo(f"{'Admin' if admin else 'Keeper'} {username} added. Password: {password}")

    @app.cli.command("keeper-password")
    @click.argument("username")
    def keeper_password(username):
        """Give a keeper a new random password and print it once."""
        keeper = keeper_named(username)  # capitals aside, as at sign-in
        if keeper is None:
            raise click.ClickException(f"No keeper named {username!r}.")
        password = secrets.token_urlsafe(9)
        keeper.set_password(password)
        db.session.commit()
        click.echo(f"New password for {keeper.username}: {password}")

    @app.cli.command("keeper-active")
    @click.argument("username")
    @click.argument("state", type=click.Choice(["on", "off"]))
    def keeper_active(username, state):
        """Deactivate (off) or reactivate (on) a keeper; deactivating ends every sign-in at once."""
        keeper = keeper_named(username)  # capitals aside, as at sign-in
        if keeper is None:
            raise click.ClickException(f"No keeper named {username!r}.")
        set_keeper_active(keeper, state == "on")
        db.session.commit()
        click.echo(f"Keeper {keeper.username} is {'active' if state == 'on' else 'deactivated; every sign-in has ended'}.")
