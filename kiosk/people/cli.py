"""flask --app kiosk … commands for keepers and the demo station."""

from contextlib import contextmanager

import click
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.keeper_accounts import add_keeper, change_keeper_active, clean_username, new_password_for
from kiosk.people.keepers import keeper_typed


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
        station = None
        if not admin:
            station = db.session.scalar(select(Station).where(Station.slug == (station_slug or "")))
        with _in_english():
            if not admin and station is None:
                # The name is checked first: a bad one is the mistake to fix whatever the station.
                clean_username(username)
                there = ", ".join(db.session.scalars(select(Station.slug).order_by(Station.slug))) or "none yet"
                raise click.ClickException(
                    (f"No station {station_slug}. " if station_slug else "")
                    + f"Give --station SLUG of an existing station ({there}), or --admin.")
            keeper, password = add_keeper(station, username, display_name, by=None, now=utcnow(), admin=admin)
        db.session.commit()
        click.echo(f"{'Admin' if admin else 'Keeper'} {keeper.username} added. Password: {password}")
        click.echo("This password is shown only once. They sign in at /keeper/ on the station's address and can "
                   "change it under My account.")

    @app.cli.command("keeper-password")
    @click.argument("username")
    def keeper_password(username):
        """Give a keeper a new random password and print it once."""
        keeper = _keeper_typed(username)
        password = new_password_for(keeper, by=None, now=utcnow())
        db.session.commit()
        click.echo(f"New password for {keeper.username}: {password}")

    @app.cli.command("keeper-active")
    @click.argument("username")
    @click.argument("state", type=click.Choice(["on", "off"]))
    def keeper_active(username, state):
        """Deactivate (off) or reactivate (on) a keeper; deactivating ends every sign-in at once."""
        keeper = _keeper_typed(username)
        with _in_english():
            # The last keeper of a station too: whoever runs this can bring one back the same way.
            change_keeper_active(keeper, state == "on", by=None, now=utcnow(), last_may_go=True)
        db.session.commit()
        click.echo(f"Keeper {keeper.username} is {'active' if state == 'on' else 'deactivated; every sign-in has ended'}.")


def _keeper_typed(username: str):
    """The keeper a user name means, as at sign-in, or the command's refusal."""
    keeper = keeper_typed(username)
    if keeper is None:
        raise click.ClickException(f"No keeper named {username!r}.")
    return keeper


@contextmanager
def _in_english():
    """A rule's refusal as a command's message, in English like every other command's (a bad
    --name says so)."""
    with force_locale("en"):
        try:
            yield
        except DomainError as err:
            db.session.rollback()
            prefix = "--name: " if err.field == "name" else ""
            raise click.ClickException(f"{prefix}{err.message}") from None
