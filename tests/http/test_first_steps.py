"""What a new station's first keeper sees first: Today says what to do before the first check-in."""

from kiosk.core.extensions import db
from kiosk.core.stations import add_station
from tests.http.conftest import add_keeper, sign_in


def new_station_keeper(app, client):
    """The first keeper of a station with no volunteer yet, signed in, reading English."""
    with app.app_context():
        station = add_station("nanyuan", "南苑暖心驿站")
        add_keeper("lina", "李娜", station=station)
        db.session.commit()
    client.set_cookie("kiosk_lang", "en")
    assert sign_in(client, username="lina").status_code == 303
    return client


# Probe: a new station's keeper signed in to a Today of zeros with no word on where to start
# (the station's name, volunteers, badges and the kiosk tablet were all under 更多).
def test_a_station_without_volunteers_gets_its_first_steps_on_today(app, client):
    page = new_station_keeper(app, client).get("/keeper/today").get_data(as_text=True)
    assert "Getting started" in page
    for path in ("/keeper/settings", "/keeper/volunteers/new", "/keeper/volunteers/import", "/keeper/badges",
                 "/keeper/tablet"):
        assert f'href="{path}"' in page, path


def test_a_station_with_volunteers_is_not_told_again(keeper):
    assert "Getting started" not in keeper.get("/keeper/today").get_data(as_text=True)


# Probe: a new station's volunteer list said "No volunteer found." (as if a search had failed) with
# no word on what to do, and the badge sheet offered an active Print over it (a blank sheet).
def test_a_station_without_volunteers_says_none_yet_and_how_to_add_them(app, client):
    keeper = new_station_keeper(app, client)
    listed = keeper.get("/keeper/volunteers").get_data(as_text=True)
    assert "No volunteers yet." in listed and "No volunteer found." not in listed
    assert listed.count('href="/keeper/volunteers/new"') >= 2 and 'href="/keeper/volunteers/import"' in listed
    searched = keeper.get("/keeper/volunteers?q=zhang").get_data(as_text=True)  # a search is still a search
    assert "No volunteer found." in searched and "No volunteers yet." not in searched
    sheet = keeper.get("/keeper/badges").get_data(as_text=True)
    assert "No badges to print yet" in sheet and "data-print" not in sheet
    assert 'href="/keeper/volunteers/new"' in sheet and 'href="/keeper/volunteers/import"' in sheet


def test_a_badge_sheet_with_cards_still_prints(keeper):
    sheet = keeper.get("/keeper/badges").get_data(as_text=True)
    assert "data-print" in sheet and "No badges to print yet" not in sheet
