"""The kiosk check-in screen: camera, barcode scanner, forgotten badge, and the station QR for phones."""

from flask import Blueprint, g, redirect, render_template, url_for

from kiosk.checkin.attendance import (NOT_FOUND, PICK_AGAIN, TYPE_YOUR_NUMBER, NoMatch, WhatToType,
                                      find_by_number_or_mobile_tail, pick_from_matches, record_attendance, scan_badge)
from kiosk.checkin.forms import FindForm, PickForm, ScanForm
from kiosk.checkin.phone import STATION_CODE_MAX_AGE, station_code
from kiosk.core.clock import utcnow
from kiosk.core.database import reads_first
from kiosk.core.errors import DomainError
from kiosk.core.forms import first_error
from kiosk.core.limits import who
from kiosk.core.qr import qr_svg
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import link_for_phones, render, wants_fragment

bp = station_required(Blueprint("checkin", __name__, url_prefix="/checkin", template_folder="templates"))

KIOSK_METHODS = {"camera", "scanner"}
# How often the station QR for phones is redrawn; each code is good for about a minute.
STATION_QR_REFRESH_SECONDS = 20


@bp.get("/")
def scan():
    return render("checkin/scan.html", form=ScanForm(), **station_qr_context())


@bp.post("/scan")
@reads_first
def submit_scan():
    form = ScanForm()
    refuse_with(lambda err: render("checkin/scan.html", "result", status=err.status, form=form, error=err.message))
    if not form.validate():
        raise DomainError(first_error(form))
    method = form.method.data if form.method.data in KIOSK_METHODS else "scanner"
    result = scan_badge(g.station, form.code.data, method, utcnow())
    return render("checkin/scan.html", "result", form=form, result=result)


@bp.get("/forgot")
def forgot():
    return render("checkin/forgot.html", form=FindForm())


@bp.post("/find")
def find():
    form = FindForm()
    # Nothing was being recorded yet: a lookup that finds nobody says so ("没找到").
    refuse_with(lambda err: render("checkin/forgot.html", "matches", status=err.status, form=form, error=err.message,
                                   error_headline=_lookup_headline(err)))
    if not form.validate():
        raise WhatToType(first_error(form))
    matches = find_by_number_or_mobile_tail(g.station, form.entered.data, who(), utcnow())
    return render("checkin/forgot.html", "matches", form=form, matches=matches, pick=PickForm(formdata=None))


def _lookup_headline(err: DomainError):
    """A lookup that found nobody says "not found"; one with nothing to look up says what to type;
    anything else (a paused volunteer, too many tries) "nothing was recorded", as a scan would."""
    if isinstance(err, NoMatch):
        return NOT_FOUND
    return TYPE_YOUR_NUMBER if isinstance(err, WhatToType) else None


@bp.post("/pick")
def pick():
    """The volunteer tapped their own masked name among the matches for what they typed."""
    form = PickForm()
    refuse_with(lambda err: render("checkin/forgot.html", "matches", status=err.status, form=FindForm(formdata=None),
                                   error=err.message))
    if not form.validate():
        raise DomainError(PICK_AGAIN)
    volunteer = pick_from_matches(g.station, form.entered.data, form.volunteer_id.data, who(), utcnow())
    result = record_attendance(g.station, volunteer, "manual", utcnow())
    return render("checkin/forgot.html", "matches", form=FindForm(formdata=None), result=result,
                  clear_entered=wants_fragment())


@bp.get("/station-code")
def station_qr():
    """The self-replacing QR that a volunteer's phone scans to check in on the phone: a part of the
    check-in screen, which asks for it again every few seconds. Opened whole (typed, bookmarked) it
    would be a blank page, or one bare line: the check-in screen instead."""
    if not wants_fragment():
        return redirect(url_for("checkin.scan"), 303)
    return render_template("checkin/_station_qr.html", **station_qr_context())


def station_qr_context() -> dict:
    """The station QR, only on a tablet a keeper set up as this station's kiosk: a code anyone
    could fetch from anywhere would prove nobody was at the station."""
    if not g.kiosk_tablet:
        return {"svg": None, "link": None, "refresh": STATION_QR_REFRESH_SECONDS}
    link = link_for_phones("phone.checkin", c=station_code(g.station, utcnow()))
    return {"svg": qr_svg(link, box_size=6), "link": link, "refresh": STATION_QR_REFRESH_SECONDS,
            "good_for": int(STATION_CODE_MAX_AGE.total_seconds())}
