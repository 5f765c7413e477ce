"""The period a report covers: a month, a year or any range of the station's own days, the period
before it (for the figures beside), and the steps its charts are drawn in (days or months)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from kiosk.core.errors import DomainError
from kiosk.core.models import Station
from kiosk.core.stations import FIRST_DAY, LAST_DAY, day_bounds, first_of_next_month, parse_day, parse_month
from kiosk.core.text import typed_digits

KINDS = ("month", "year", "range")
MAX_YEARS = 3  # a range beyond three years is a typo in a year
DAYS_DRAWN_AS_DAYS = 62  # up to two months a chart has a bar per day; longer, a bar per month


@dataclass(frozen=True)
class Period:
    kind: str  # month | year | range
    first: date  # both days included, in the station's own calendar
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, station: Station) -> tuple[datetime, datetime]:
        """The UTC instants where the period starts and ends for this station (its time zone)."""
        return day_bounds(station, self.first)[0], day_bounds(station, self.last)[1]

    def previous(self) -> "Period":
        """The month or year before, or the same number of days just before a range."""
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return month(last.year, last.month)
        if self.kind == "year":
            return year(self.first.year - 1)
        return Period("range", self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def has_begun(self, today: date) -> bool:
        return self.first <= today

    def following(self) -> "Period":
        if self.kind == "month":
            after = self.last + timedelta(days=1)
            return month(after.year, after.month)
        if self.kind == "year":
            return year(self.first.year + 1)
        return Period("range", self.last + timedelta(days=1), self.last + timedelta(days=self.days))

    def steps(self) -> list[tuple[date, date]]:
        """The chart's bars: (first, last) day of each day, or of each month (clipped to the period)."""
        if self.days <= DAYS_DRAWN_AS_DAYS:
            return [(self.first + timedelta(days=n),) * 2 for n in range(self.days)]
        steps = []
        start = self.first
        while start <= self.last:
            end = min(_month_end(start), self.last)
            steps.append((start, end))
            start = end + timedelta(days=1)
        return steps

    @property
    def by_day(self) -> bool:
        return self.days <= DAYS_DRAWN_AS_DAYS

    def query(self) -> dict[str, str]:
        """The URL arguments that ask for this period again."""
        if self.kind == "month":
            return {"kind": "month", "month": self.first.strftime("%Y-%m")}
        if self.kind == "year":
            return {"kind": "year", "year": str(self.first.year)}
        return {"kind": "range", "from": self.first.isoformat(), "to": self.last.isoformat()}

    def slug(self) -> str:
        """For a file name: 2026-11, 2026, or 2026-12-20_2027-01-10."""
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        if self.kind == "year":
            return str(self.first.year)
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def _month_end(day: date) -> date:
    return first_of_next_month(day) - timedelta(days=1)


def month(year_number: int, month_number: int) -> Period:
    first = date(year_number, month_number, 1)
    return Period("month", first, _month_end(first))


def year(year_number: int) -> Period:
    return Period("year", date(year_number, 1, 1), date(year_number, 12, 31))


def last_month(today: date) -> Period:
    """What a keeper opens the reports for, most days: the month just ended; in a month's last
    days, that month itself (it is what they are about to hand in)."""
    if today.day >= 25:
        return month(today.year, today.month)
    before = today.replace(day=1) - timedelta(days=1)
    return month(before.year, before.month)


def opening_period(today: date, first_record: date | None) -> Period:
    """The period the reports open on: last_month, unless the station has nothing from before it
    ended (its first week): then this month, not a page of zeros."""
    period = last_month(today)
    if first_record is None or first_record > period.last:
        return month(today.year, today.month)
    return period


BAD_YEAR = _l("Please enter a year such as 2026.")


def _years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 1 March in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def parse_period(args, today: date) -> Period:
    """The period a report page was asked for (?kind=month&month=2026-11, ?kind=year&year=2026,
    ?kind=range&from=2026-12-20&to=2027-01-10), or a DomainError naming the field at fault. A range
    ends today at the latest (the station's `today`): days to come have nothing to count, as on
    Today; a month or year still under way is what a keeper hands in, so they may reach past it."""
    kind = args.get("kind", "month")
    if kind == "month":
        first = parse_month(args.get("month"))
        return month(first.year, first.month)
    if kind == "year":
        text = typed_digits(args.get("year") or "", 4)  # ２０２６ from a keyboard in full-width mode too
        if text is None or len(text) != 4:
            raise DomainError(BAD_YEAR, field="year")
        if not FIRST_DAY.year <= int(text) <= LAST_DAY.year:
            raise DomainError(_l("Please enter a year from %(first)s to %(last)s.", first=FIRST_DAY.year,
                                 last=LAST_DAY.year), field="year")
        return year(int(text))
    if kind == "range":
        first = parse_day(args.get("from"), field="from")
        last = parse_day(args.get("to"), field="to")
        if first > last:
            raise DomainError(_l("The first day is after the last day. Please swap them."), field="to")
        if last > today:
            raise DomainError(_l("The last day cannot be in the future."), field="to")  # as for a certificate
        if last >= _years_after(first, MAX_YEARS):
            raise DomainError(_l("Please choose at most three years at a time."), field="to")
        return Period("range", first, last)
    raise DomainError(_l("Please choose a month, a year or a range of days."), field="kind")
