"""A station's volunteer teams (党旗红, 暖心橙 …): keepers add, rename, and fold one into another (a
typo in an imported file makes a team of its own), or remove an empty one. Every change audited."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.text import NAME_TAKEN, clean_name, name_key
from kiosk.people.audit import audit
from kiosk.people.models import Keeper, Team, Volunteer, volunteer_team


def teams_with_members(station: Station) -> list[tuple[Team, int]]:
    """Each team of the station with how many volunteers it has, in the order teams were made."""
    members = (select(volunteer_team.c.team_id, func.count().label("n")).group_by(volunteer_team.c.team_id)
               .subquery())
    rows = db.session.execute(select(Team, func.coalesce(members.c.n, 0)).outerjoin(members, members.c.team_id == Team.id)
                              .where(Team.station_id == station.id).order_by(Team.id))
    return [(team, count) for team, count in rows]


def _checked_name(station: Station, name: str, team: Team | None = None) -> str:
    """As the station's lists compare names (`name_key`): 黨旗紅 or 党 旗红 beside 党旗红 is one team
    twice, and volunteers would be split between them."""
    name = clean_name(name, person=False)
    others = select(Team.name).where(Team.station_id == station.id, Team.id != (team.id if team else None))
    if name_key(name) in {name_key(other) for other in db.session.scalars(others)}:
        raise DomainError(NAME_TAKEN, field="name")
    return name


def add_team(keeper: Keeper, station: Station, name: str, now: datetime) -> Team:
    team = Team(station_id=station.id, name=_checked_name(station, name))
    db.session.add(team)
    db.session.flush()
    audit(keeper, station, "team.added", after={"name": team.name}, now=now)
    return team


def rename_team(keeper: Keeper, station: Station, team: Team, name: str, now: datetime) -> Team:
    before = {"name": team.name}
    team.name = _checked_name(station, name, team)
    db.session.flush()
    audit(keeper, station, "team.renamed", before=before, after={"name": team.name}, now=now)
    return team


def remove_team(keeper: Keeper, station: Station, team: Team, now: datetime, into: Team | None = None) -> None:
    """Remove a team; its volunteers move into `into` (a typo folded into the team it meant). A
    team with volunteers and nowhere to move them is refused, so nobody loses their team unawares."""
    if into is not None and (into.id == team.id or into.station_id != station.id):
        raise DomainError(_l("Please choose another team of this station."), field="into")
    members = list(db.session.scalars(select(Volunteer).join(volunteer_team).where(volunteer_team.c.team_id == team.id)))
    if members and into is None:
        raise DomainError(_l("This team still has volunteers: choose the team they should move to."), field="into")
    for volunteer in members:
        volunteer.teams = [t for t in volunteer.teams if t.id != team.id] + ([] if into in volunteer.teams else [into])
    db.session.flush()
    try:
        with db.session.begin_nested():
            db.session.execute(delete(volunteer_team).where(volunteer_team.c.team_id == team.id))
            db.session.delete(team)
    except IntegrityError:  # an activity is for this team
        raise DomainError(_l("Activities are planned for this team, so it stays. You can rename it."),
                          field="into") from None
    audit(keeper, station, "team.removed", before={"name": team.name, "members": len(members)},
          after={"into": into.name} if into is not None else None, now=now)
