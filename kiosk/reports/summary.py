"""What a report shows, in the reader's language: the headline figures (this period beside the
one before), the charts, the district table and its totals, and the same as rows for CSV and XLSX.
One list of figures (FIGURES) serves the page, the district table and the files alike."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from babel.dates import format_interval, format_skeleton
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext

from kiosk.core.i18n import format_hours, station_title
from kiosk.reports import charts
from kiosk.reports.figures import AGE_GROUPS, Figures, median_days
from kiosk.reports.periods import Period


def _count(value) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.#")


def _hours_value(minutes: int) -> float:
    return round(minutes / 60, 2)


def _hours_title() -> str:
    """Confirmed hours with their unit, for a column of bare numbers: 已确认时长（小时）."""
    return pgettext("in hours", "Confirmed hours")


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # a lazy string, or one per kind of period: {"month": …, "year": …, "range": …}
    value: Callable[[Figures], float | int | None]  # as a spreadsheet cell holds it
    shown: Callable[[float | int | None], str] = _count
    summed: bool = True  # the district total adds the stations up (a median cannot be)

    def title(self, period: Period) -> str:
        """The figure's name in a report of this period (本月… / 本年… / 本期…)."""
        return str(self.label[period.kind] if isinstance(self.label, dict) else self.label)


FIGURES = (
    Figure("registered", _l("Volunteers registered"), lambda f: f.registered),
    Figure("new_volunteers", _l("New volunteers"), lambda f: f.new_volunteers),
    Figure("active", _l("Volunteers who served"), lambda f: f.active),
    Figure("sessions", _l("Check-ins"), lambda f: f.sessions),
    Figure("person_times", _l("Person-times served"), lambda f: f.person_times),
    Figure("confirmed_hours", lazy_pgettext("in hours", "Confirmed hours"), lambda f: _hours_value(f.confirmed_minutes)),
    Figure("activities_held", _l("Activities held"), lambda f: f.activities_held),
    Figure("walk_ins", _l("Walk-in visits"), lambda f: f.walk_in_total),
    Figure("swap_in", _l("Swap items brought"), lambda f: f.swap_in),
    Figure("swap_out", _l("Swap items taken"), lambda f: f.swap_out),
    Figure("swap_homes", _l("Items given a new home, all time"), lambda f: f.swap_homes_so_far),
    Figure("suggestions_received", _l("Suggestions received"), lambda f: f.suggestions_received),
    Figure("suggestions_resolved", _l("Suggestions resolved"), lambda f: f.suggestions_resolved),
    Figure("suggestions_declined", _l("Suggestions declined"), lambda f: f.suggestions_declined),
    Figure("median_days", _l("Median days to resolve"), lambda f: f.median_days_to_resolve, summed=False),
    # Hours earn their points when a keeper confirms them, so November's days confirmed in December
    # give December's points: the name says so rather than moving points between periods.
    Figure("points_earned", {"month": _l("Points given this month (by date confirmed)"),
                             "year": _l("Points given this year (by date confirmed)"),
                             "range": _l("Points given this period (by date confirmed)")}, lambda f: f.points_earned),
    Figure("gifts_redeemed", _l("Gifts handed over"), lambda f: f.gifts_redeemed),
)
FIGURE_KEYS = tuple(figure.key for figure in FIGURES)


def period_title(period: Period) -> str:
    """November 2026 / 2026年11月; 2026; 20 Dec 2026 – 10 Jan 2027."""
    locale = get_locale()
    if period.kind == "month":
        return format_skeleton("yMMMM", period.first, locale=locale)
    if period.kind == "year":
        return format_skeleton("y", period.first, locale=locale)
    return format_interval(period.first, period.last, "yMMMd", locale=locale)


def step_title(first: date, by_day: bool, short: bool = False) -> str:
    """A bar's name: Nov 3 / 11月3日 for a day, Nov 2026 / 2026年11月 for a month. Short, where the
    chart's title or its neighbours say the rest (31 long names would run into each other): the
    day alone within one month where the language marks it as a day (3日; English keeps Nov 3), the
    month alone within one year (Nov / 11月)."""
    locale = get_locale()
    if by_day:
        day = format_skeleton("d", first, locale=locale)
        # A bare "3" read out or shown alone says neither that it is a day nor of which month.
        return day if short and not day.isdigit() else format_skeleton("MMMd", first, locale=locale)
    return format_skeleton("MMM" if short else "yMMM", first, locale=locale)


@dataclass
class Line:
    figure: Figure
    now: float | int | None
    before: float | int | None

    @property
    def difference(self) -> float | int | None:
        """This period less the one before, for a file's cell; None when there is nothing to compare."""
        if self.now is None or self.before is None:
            return None
        return round(self.now - self.before, 2)  # hours are floats: 0.3, not 0.30000000000000004

    @property
    def change(self) -> str:
        """+12 / −3 / "" when there is nothing to compare."""
        difference = self.difference
        if not difference:
            return ""
        return ("+" if difference > 0 else "−") + _count(abs(difference))


def headline(figures: Figures, previous: Figures) -> list[Line]:
    return [Line(figure, figure.value(figures), figure.value(previous)) for figure in FIGURES]


def age_rows(figures: Figures) -> list[tuple[str, int, int]]:
    """(age group, registered, served) in the groups' order."""
    return [(str(label), registered, active) for (_key, label, *_), (_k, registered, active)
            in zip(AGE_GROUPS, figures.by_age)]


def report_charts(figures: Figures) -> list[charts.Chart]:
    by_day = figures.period.by_day
    same = {(s.first.year, s.first.month) if by_day else s.first.year for s in figures.steps}
    steps = [step_title(step.first, by_day, short=len(same) == 1) for step in figures.steps]
    per = _("per day") if by_day else _("per month")
    hours = _hours_title()
    person_times = _("Person-times served")
    brought, taken = _("Brought"), _("Taken")
    return [
        charts.columns("hours", f"{hours} · {per}", steps,
                       [(hours, [s.confirmed_minutes for s in figures.steps], format_hours)]),
        charts.columns("person-times", f"{person_times} · {per}", steps,
                       [(person_times, [s.person_times for s in figures.steps], _count)]),
        charts.columns("swap", f"{_('Swap shelf')} · {per}", steps,
                       [(brought, [s.swap_in for s in figures.steps], _count),
                        (taken, [s.swap_out for s in figures.steps], _count)]),
        charts.bars("suggestions", _("Suggestions received, by where they are now"), figures.suggestions_by_status,
                    _count, _("Suggestions")),
        charts.bars("walk-ins", _("Walk-in visits by service"), figures.walk_ins, _count, _("Visits")),
        charts.bars("ages", _("Volunteers by age"), [(label, registered) for label, registered, _ in age_rows(figures)],
                    _count, _("Volunteers registered")),
    ]


# --- The district -------------------------------------------------------------------------------


def district_total(figure: Figure, all_figures: list[Figures]):
    if figure.summed:
        return sum(figure.value(f) or 0 for f in all_figures)
    return median_days([d for f in all_figures for d in f.resolve_days])


def sort_stations(all_figures: list[Figures], key: str, descending: bool) -> list[Figures]:
    if key == "station":
        return sorted(all_figures, key=lambda f: f.station.name, reverse=descending)
    figure = next(f for f in FIGURES if f.key == key)
    # Stations without the figure (no suggestion resolved: no median) go last either way.
    present = [f for f in all_figures if figure.value(f) is not None]
    absent = [f for f in all_figures if figure.value(f) is None]
    return sorted(present, key=lambda f: (figure.value(f), f.station.name), reverse=descending) + absent


def district_chart(all_figures: list[Figures], key: str, period: Period) -> charts.Chart:
    """One figure across every station, largest first (a chart of every figure at once would be
    seventeen charts of three hundred bars: the page offers one at a time)."""
    figure = next(f for f in FIGURES if f.key == key)
    ranked = sort_stations(all_figures, key, descending=True)
    return charts.bars(f"district-{figure.key}", figure.title(period),
                       [(station_title(f.station), figure.value(f) or 0) for f in ranked], figure.shown, figure.title(period))


# --- Files --------------------------------------------------------------------------------------


def report_rows(figures: Figures, previous: Figures) -> tuple[list[str], list[list]]:
    """The station report as one sheet: headline figures beside the period before, then each
    breakdown under its own heading row."""
    # The page's columns, under the page's headings; the station (the page's title, so its 繁體 name on a
    # 繁體 page) on a row of its own.
    headers = [_("Figure"), period_title(figures.period), period_title(previous.period), _("Difference")]
    rows: list[list] = [[_("Station"), station_title(figures.station)]]
    rows += [[line.figure.title(figures.period), line.now, line.before, line.difference]
             for line in headline(figures, previous)]
    by_day = figures.period.by_day
    rows += [[], [_("Day") if by_day else _("Month"), _("Person-times served"), _hours_title(), _("Swap items brought"),
                  _("Swap items taken")]]
    rows += [[step_title(s.first, by_day), s.person_times, _hours_value(s.confirmed_minutes), s.swap_in, s.swap_out]
             for s in figures.steps]
    rows += [[], [_("Team"), _("Volunteers registered"), _("Volunteers who served"), _hours_title()]]
    rows += [[team, registered, active, _hours_value(minutes)] for team, registered, active, minutes in figures.by_team]
    rows += [[], [_("Age"), _("Volunteers registered"), _("Volunteers who served")]]
    rows += [list(row) for row in age_rows(figures)]
    rows += [[], [_("Suggestions received, by where they are now"), _("Suggestions")]]
    rows += [[status, count] for status, count in figures.suggestions_by_status]
    rows += [[], [_("Walk-in visits by service"), _("Visits")]]
    rows += [[service, count] for service, count in figures.walk_ins]
    return headers, rows


def sheet_title(period: Period) -> str:
    """The XLSX sheet's tab, in the reader's language (Excel allows 31 characters, none of []:*?/\\)."""
    if period.kind == "month":
        return _("Monthly report")
    if period.kind == "year":
        return _("Yearly report")
    return _("Report")


def district_rows(all_figures: list[Figures], period: Period) -> tuple[list[str], list[list]]:
    headers = [_("Station"), *(figure.title(period) for figure in FIGURES)]
    rows = [[station_title(f.station), *(figure.value(f) for figure in FIGURES)] for f in all_figures]
    rows.append([_("All stations"), *(district_total(figure, all_figures) for figure in FIGURES)])
    return headers, rows
