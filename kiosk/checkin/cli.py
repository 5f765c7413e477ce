"""flask --app kiosk … commands for check-in."""

import click
from flask import Flask
from sqlalchemy import select

from kiosk.core.extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("close-forgotten")
    def close_forgotten():
        """Close sessions left open past closing time (also done lazily on every scan and review page)."""
        from kiosk.checkin.attendance import close_forgotten_sessions
        from kiosk.core.clock import utcnow
        from kiosk.core.models import Station

        closed = 0
        for station in db.session.scalars(select(Station)):
            closed += len(close_forgotten_sessions(station, utcnow()))
        db.session.commit()
        click.echo(f"Closed {closed} forgotten session(s); they wait for a keeper on the review page.")
