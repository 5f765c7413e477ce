"""Keepers look after the station's teams: a typo in an imported file made a team of its own, and
no page could rename it, fold it into the right one or remove it."""

import re

from sqlalchemy import select

from kiosk.activities.models import Activity
from kiosk.core.extensions import db
from kiosk.people.models import AuditEvent, Team, Volunteer
from tests.conftest import csrf_token


def post(client, path, data=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/keeper/teams"), **(data or {})})


def team_id(app, name):
    with app.app_context():
        return db.session.scalar(select(Team.id).where(Team.name == name))


def teams_of(app, volunteer_id):
    with app.app_context():
        return sorted(t.name for t in db.session.get(Volunteer, volunteer_id).teams)


def test_a_typo_team_is_folded_into_the_right_one_and_its_volunteers_move(app, keeper):
    assert post(keeper, "/keeper/teams", {"name": "暖心桔"}).status_code == 303
    typo = team_id(app, "暖心桔")
    with app.app_context():
        volunteer = db.session.get(Volunteer, 5)
        volunteer.teams.append(db.session.get(Team, typo))
        db.session.commit()
    page = keeper.get("/keeper/teams").get_data(as_text=True)
    assert "暖心桔" in page and "1 volunteer" in page
    refused = post(keeper, f"/keeper/teams/{typo}/remove")  # nowhere to go: nobody loses their team unawares
    assert refused.status_code == 422 and "choose the team they should move to" in refused.get_data(as_text=True)
    assert post(keeper, f"/keeper/teams/{typo}/remove", {"into": str(team_id(app, "暖心橙"))}).status_code == 303
    assert team_id(app, "暖心桔") is None and "暖心橙" in teams_of(app, 5) and "暖心桔" not in teams_of(app, 5)
    with app.app_context():
        assert [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("team.%")))] \
            == ["team.added", "team.removed"]


def test_a_team_is_renamed_and_a_name_taken_or_empty_is_refused(app, keeper):
    orange = team_id(app, "暖心橙")
    assert post(keeper, f"/keeper/teams/{orange}", {"name": "暖心橙队"}).status_code == 303
    assert team_id(app, "暖心橙队") == orange
    for name, message in (("党旗红", "There is one with this name already."), ("  ", "Please enter a name.")):
        r = post(keeper, f"/keeper/teams/{orange}", {"name": name})
        assert r.status_code == 422 and message in r.get_data(as_text=True)
    assert post(keeper, "/keeper/teams", {"name": "党旗红"}).status_code == 422
    assert team_id(app, "暖心橙队") == orange


def test_a_team_name_written_in_the_other_script_or_spaced_is_the_same_name(app, keeper):
    """Probe: renaming 新队伍 to 黨旗紅 was taken beside 党旗红 (only 党旗红 itself was refused)."""
    assert post(keeper, "/keeper/teams", {"name": "新队伍"}).status_code == 303
    new = team_id(app, "新队伍")
    for name in ("黨旗紅", "党 旗红", "黨旗红"):
        r = post(keeper, f"/keeper/teams/{new}", {"name": name})
        assert r.status_code == 422 and "There is one with this name already." in r.get_data(as_text=True), name
        assert post(keeper, "/keeper/teams", {"name": name}).status_code == 422, name
    assert team_id(app, "新队伍") == new
    # A team may still be renamed to its own name in the other script.
    red = team_id(app, "党旗红")
    assert post(keeper, f"/keeper/teams/{red}", {"name": "黨旗紅"}).status_code == 303
    assert team_id(app, "黨旗紅") == red


def test_a_team_activities_are_planned_for_stays(app, keeper, clock):
    green = team_id(app, "生态绿")
    with app.app_context():
        db.session.add(Activity(station_id=1, name="清洁家园", starts_at=clock.now(), ends_at=clock.now(),
                                team_id=green, created_at=clock.now()))
        db.session.commit()
    r = post(keeper, f"/keeper/teams/{green}/remove", {"into": str(team_id(app, "暖心橙"))})
    assert r.status_code == 422 and "Activities are planned for this team" in r.get_data(as_text=True)
    assert team_id(app, "生态绿") == green


def test_another_stations_team_cannot_be_touched(app, keeper):
    with app.app_context():
        from kiosk.core.stations import add_station

        other = add_station("other", "别的驿站")
        theirs = Team(station_id=other.id, name="别人的队")
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    assert post(keeper, f"/keeper/teams/{theirs_id}", {"name": "x"}).status_code == 404
    assert post(keeper, f"/keeper/teams/{theirs_id}/remove").status_code == 404
    assert post(keeper, f"/keeper/teams/{team_id(app, '党旗红')}/remove", {"into": str(theirs_id)}).status_code == 404
    assert re.search("别人的队", keeper.get("/keeper/teams").get_data(as_text=True)) is None
