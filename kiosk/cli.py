"""flask --app kiosk … commands."""

import secrets

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import Keeper


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo station, only into an empty database."""
        from .demo import database_is_empty, load_demo_station

        if not database_is_empty():
            click.echo("The database already has a station; the demo was not loaded.")
            return
        station, keeper, password = load_demo_station()
        db.session.commit()
        click.echo(f"Loaded the demo station “{station.name}”.")
        click.echo(f"Keeper sign-in — user: {keeper.username}  password: {password}")
        click.echo("This password is shown only once. Reset it with: flask --app kiosk keeper-password keeper")

    @app.cli.command("close-forgotten")
    def close_forgotten():
        """Close sessions left open past closing time (also done lazily on every scan and review page)."""
        from .checkin import close_forgotten_sessions
        from .clock import utcnow
        from .models import Station

        closed = 0
        for station in db.session.scalars(select(Station)):
            closed += len(close_forgotten_sessions(station, utcnow()))
        db.session.commit()
        click.echo(f"Closed {closed} forgotten session(s); they wait for a keeper on the review page.")

    @app.cli.command("keeper-password")
    @click.argument("username")
    def keeper_password(username):
        """Give a keeper a new random password and print it once."""
        keeper = db.session.scalar(select(Keeper).where(Keeper.username == username))
        if keeper is None:
            raise click.ClickException(f"No keeper named {username!r}.")
        password = secrets.token_urlsafe(9)
        keeper.set_password(password)
        db.session.commit()
        click.echo(f"New password for {username}: {password}")
