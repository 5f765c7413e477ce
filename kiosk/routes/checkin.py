"""The kiosk check-in screen: camera, barcode scanner, forgotten badge, and the station QR for phones."""

from flask import Blueprint, abort, g, render_template, url_for

from ..badges import qr_svg
from ..checkin import PICK_AGAIN, find_by_number_or_mobile_tail, pick_from_matches, record_attendance, scan_badge
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import FindForm, PickForm, ScanForm
from ..phone import station_code
from ..web import first_error, render

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

KIOSK_METHODS = {"camera", "scanner"}
# How often the station QR for phones is redrawn; each code is good for about a minute.
STATION_QR_REFRESH_SECONDS = 20


@bp.before_request
def need_station():
    if g.station is None:
        abort(503)


@bp.get("/")
def scan():
    return render("checkin/scan.html", form=ScanForm(), **station_qr_context())


@bp.post("/scan")
def submit_scan():
    form = ScanForm()
    if not form.validate():
        return render("checkin/scan.html", "result", status=422, form=form, error=first_error(form))
    method = form.method.data if form.method.data in KIOSK_METHODS else "scanner"
    try:
        result = scan_badge(g.station, form.code.data, method, utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("checkin/scan.html", "result", status=422, form=form, error=err.message)
    return render("checkin/scan.html", "result", form=form, result=result)


@bp.get("/forgot")
def forgot():
    return render("checkin/forgot.html", form=FindForm())


@bp.post("/find")
def find():
    form = FindForm()
    if not form.validate():
        return render("checkin/forgot.html", "matches", status=422, form=form, error=first_error(form))
    try:
        matches = find_by_number_or_mobile_tail(g.station, form.entered.data)
    except DomainError as err:
        return render("checkin/forgot.html", "matches", status=422, form=form, error=err.message)
    return render("checkin/forgot.html", "matches", form=form, matches=matches, pick=PickForm(formdata=None))


@bp.post("/pick")
def pick():
    """The volunteer tapped their own masked name among the matches for what they typed."""
    form = PickForm()
    try:
        if not form.validate():
            raise DomainError(PICK_AGAIN)
        volunteer = pick_from_matches(g.station, form.entered.data, form.volunteer_id.data)
        result = record_attendance(g.station, volunteer, "manual", utcnow())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("checkin/forgot.html", "matches", status=422, form=FindForm(formdata=None), error=err.message)
    return render("checkin/forgot.html", "matches", form=FindForm(formdata=None), result=result)


@bp.get("/station-code")
def station_qr():
    """The self-replacing QR that a volunteer's phone scans to check in on the phone."""
    return render_template("checkin/_station_qr.html", **station_qr_context())


def station_qr_context() -> dict:
    link = url_for("phone.checkin", c=station_code(g.station, utcnow()), _external=True)
    return {"svg": qr_svg(link, box_size=6), "link": link, "refresh": STATION_QR_REFRESH_SECONDS}

