"""The keeper's records page: service records for a date range and the volunteer list, as CSV or
XLSX for the national volunteer system."""

import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from flask import Response, g, request, stream_with_context
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField

from kiosk.core.clock import utcnow
from kiosk.core.database import reads_before_writing
from kiosk.core.errors import DomainError
from kiosk.core.forms import NOT_A_CHOICE, attach_error
from kiosk.core.stations import local_today
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.people.keepers import keeper_blueprint
from kiosk.records.exports import (FORMATS, erased_confirmed_minutes, note_export, parse_range, previous_month,
                                   recent_exports, service_csv, service_xlsx, volunteers_csv, volunteers_xlsx)

bp = keeper_blueprint("records_keeper", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RangeForm(FlaskForm):
    start = StringField()
    end = StringField()


def _page(status: int = 200, form: RangeForm | None = None, error: str | None = None):
    if form is None:
        start, end = previous_month(local_today(g.station, utcnow()))
        form = RangeForm(formdata=None, start=start.isoformat(), end=end.isoformat())
    return render("records/records.html", status=status, form=form, error=error, exports=recent_exports(g.station),
                  erased_minutes=erased_confirmed_minutes(g.station))


def _format() -> str:
    """Which file: the button pressed says csv or xlsx."""
    chosen = request.form.get("format", "")
    if chosen not in FORMATS:
        raise DomainError(NOT_A_CHOICE)
    return chosen


@bp.get("/records")
def records():
    return _page()


@bp.post("/records/service")
def service():
    form = RangeForm()
    if not form.validate():  # the dates' own rules are parse_range's; this readies the fields' messages
        return _page(status=422, form=form)
    refuse_with(lambda err: _page(status=err.status, form=attach_error(form, err)))
    start, end = parse_range(form.start.data, form.end.data)
    chosen = _format()
    name = f"{g.station.slug}-service-records-{start.isoformat()}-{end.isoformat()}.{chosen}"
    if chosen == "csv":
        note_export(current_user, g.station, "service", chosen, utcnow(), start, end)
        return csv_download(lambda: service_csv(g.station, start, end), name)
    response = xlsx_download(lambda target: service_xlsx(target, g.station, start, end), name)
    note_export(current_user, g.station, "service", chosen, utcnow(), start, end)
    return response


@bp.post("/records/volunteers")
def volunteers():
    refuse_with(lambda err: _page(status=err.status, error=err.message))
    chosen = _format()
    name = f"{g.station.slug}-volunteers-{local_today(g.station, utcnow()).isoformat()}.{chosen}"
    if chosen == "csv":
        note_export(current_user, g.station, "volunteers", chosen, utcnow())
        return csv_download(lambda: volunteers_csv(g.station), name)
    response = xlsx_download(lambda target: volunteers_xlsx(target, g.station), name)
    note_export(current_user, g.station, "volunteers", chosen, utcnow())
    return response


def csv_download(chunks: Callable[[], Iterator[bytes]], filename: str) -> Response:
    """Streamed: the rows are read while they are sent, after the request's one commit (the
    download's audit line). The reads take no write lock, so check-ins carry on meanwhile."""
    def generate():
        with reads_before_writing():
            yield from chunks()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_download(write: Callable[[IO[bytes]], None], filename: str) -> Response:
    """Written to a temporary file first (an XLSX is a zip: nothing can be sent before it is
    finished), then sent from it. Read before the audit line is written, so the write lock is held
    only for that line. The file is closed (and so gone) once sent, or when the answer is dropped."""
    target = tempfile.TemporaryFile()
    try:
        with reads_before_writing():
            write(target)
        size = target.tell()
        target.seek(0)
    except BaseException:
        target.close()
        raise

    def send():
        with target:
            while block := target.read(64 * 1024):
                yield block

    response = Response(send(), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.content_length = size
    return response
