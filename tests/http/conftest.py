"""What every HTTP test of keeper pages needs: the demo keeper with a known password, and signing in."""

import pytest
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.people.models import Keeper
from tests.conftest import csrf_token

PASSWORD = "pw-for-tests"


def sign_in(client, username="keeper", password=PASSWORD, query=""):
    token = csrf_token(client, "/keeper/login")
    return client.post("/keeper/login" + query, data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def keeper_id(app, station):
    """The demo station's keeper, with PASSWORD; returns its id."""
    with app.app_context():
        keeper = db.session.scalar(select(Keeper).where(Keeper.username == "keeper"))
        keeper.set_password(PASSWORD)
        db.session.commit()
        return keeper.id


@pytest.fixture
def keeper(app, keeper_id):
    """A tablet of its own, signed in as the demo station's keeper, reading English. Test files
    whose keeper is the shared test client define their own."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client).status_code == 303
    return client


def add_keeper(username: str, display_name: str, station=None, role: str = "keeper") -> Keeper:
    """A keeper of `station` (an admin: no station) who signs in with PASSWORD; the caller commits."""
    keeper = Keeper(username=username, display_name=display_name, station=station, role=role, active=True)
    keeper.set_password(PASSWORD)
    db.session.add(keeper)
    return keeper


def signed_in_admin(app, client):
    """A district admin (no station of their own) added and signed in on `client`, reading English."""
    with app.app_context():
        add_keeper("admin", "区管理员", role="admin")
        db.session.commit()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="admin").status_code == 303
    return client
