"""A keeper sets up a tablet as their station's kiosk: the kiosk then serves that station."""


from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.people.models import Keeper
from tests.conftest import csrf_token


def test_tablet_set_up_as_another_stations_kiosk_shows_that_station(app, client, station):
    with app.app_context():
        other = Station(slug="nanyuan", name="南苑暖心驿站")
        db.session.add(other)
        db.session.flush()
        keeper = Keeper(station_id=other.id, username="nan", display_name="南苑站长", role="keeper")
        keeper.set_password("pw-nan")
        db.session.add(keeper)
        db.session.commit()
    assert "幸福里暖心驿站" in client.get("/").get_data(as_text=True)
    client.post("/keeper/login", data={"username": "nan", "password": "pw-nan", "csrf_token": csrf_token(client)})
    r = client.post("/keeper/kiosk-device", data={"csrf_token": csrf_token(client, "/keeper/today")})
    assert r.status_code == 303 and client.get_cookie("kiosk_station").value != "nanyuan"  # signed, not typed
    assert "南苑暖心驿站" in client.get("/").get_data(as_text=True)
    # A tablet set up by a keeper shows the station QR for phones; a hand-made cookie does not.
    assert "data-station-link" in client.get("/checkin/").get_data(as_text=True)
    stranger = app.test_client()
    stranger.set_cookie("kiosk_station", "nanyuan")
    assert "南苑暖心驿站" not in stranger.get("/").get_data(as_text=True)


def test_unknown_kiosk_station_cookie_falls_back_to_the_default(client, station):
    client.set_cookie("kiosk_station", "x" * 500)
    r = client.get("/")
    assert r.status_code == 200 and "幸福里暖心驿站" in r.get_data(as_text=True)


def test_setting_up_a_kiosk_needs_a_keeper(client, station):
    r = client.post("/keeper/kiosk-device", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 303 and "/keeper/login" in r.headers["Location"]
    assert client.get_cookie("kiosk_station") is None
