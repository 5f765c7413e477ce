"""What a new station's first keeper sees first: Today says what to do before the first check-in."""

from kiosk.core.extensions import db
from kiosk.core.stations import add_station
from tests.http.conftest import add_keeper, sign_in


# Probe: a new station's keeper signed in to a Today of zeros with no word on where to start
# (the station's name, volunteers, badges and the kiosk tablet were all under 更多).
def test_a_station_without_volunteers_gets_its_first_steps_on_today(app, client):
    with app.app_context():
        station = add_station("nanyuan", "南苑暖心驿站")
        add_keeper("lina", "李娜", station=station)
        db.session.commit()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="lina").status_code == 303
    page = client.get("/keeper/today").get_data(as_text=True)
    assert "Getting started" in page
    for path in ("/keeper/settings", "/keeper/volunteers/new", "/keeper/volunteers/import", "/keeper/badges",
                 "/keeper/tablet"):
        assert f'href="{path}"' in page, path


def test_a_station_with_volunteers_is_not_told_again(keeper):
    assert "Getting started" not in keeper.get("/keeper/today").get_data(as_text=True)
