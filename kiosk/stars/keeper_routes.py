"""Keeper pages for stars: the yearly list of who reached a new level (printable), and the ladder."""

from flask import g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from kiosk.core.clock import utcnow
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.forms import attach_error
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Volunteer
from kiosk.stars.ladder import ladder_of, new_levels_in_year, set_ladder, stars_of

bp = keeper_blueprint("stars_keeper", __name__)


class LadderForm(FlaskForm):
    star_hours = StringField()
    min_rating = StringField()


def stars_section(volunteer: Volunteer, station: Station) -> dict:
    return {"stars": stars_of(station, volunteer.id)}


def _year() -> tuple[int, str | None]:
    """The year asked for, or this year; a year that cannot be shown gives this year and the reason."""
    this_year = local_today(g.station, utcnow()).year
    raw = request.args.get("year", "")
    if not raw:
        return this_year, None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= this_year):
        return this_year, _("That year cannot be shown. Here is this year instead.")
    return int(raw), None


def _page(year: int, status: int = 200, **extra):
    form = extra.pop("form", None) or LadderForm(formdata=None, star_hours=", ".join(map(str, ladder_of(g.station))),
                                                 min_rating=f"{g.station.star_min_rating:g}")
    return render("stars/certification.html", status=status, year=year, new_levels=new_levels_in_year(g.station, year),
                  ladder=ladder_of(g.station), form=form, this_year=local_today(g.station, utcnow()).year, **extra)


@bp.get("/stars")
def certification():
    year, refused = _year()
    return _page(year, status=422 if refused else 200, year_error=refused)


@bp.post("/stars/ladder")
def ladder():
    form = LadderForm()
    refuse_with(lambda err: _page(local_today(g.station, utcnow()).year, status=err.status, form=attach_error(form, err)))
    if not form.validate():
        return _page(local_today(g.station, utcnow()).year, status=400, form=form)
    set_ladder(current_user, g.station, form.star_hours.data or "", (form.min_rating.data or "")[:10], utcnow())
    return redirect(url_for("stars_keeper.certification", saved=1), 303)
