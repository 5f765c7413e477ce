"""Keeper pages for certificates: issuing from a volunteer's page, the printable certificate, the
station's register (revoking, and the station details every certificate prints)."""

from datetime import date

from flask import g, redirect, url_for
from flask_login import current_user

from kiosk.certificates.forms import IssueForm, RevokeForm, StationDetailsForm
from kiosk.certificates.models import Certificate
from kiosk.certificates.register import (STATION_DETAILS_FIRST, certificates_of, issue_certificate, issued_by,
                                         printed_rows, printed_station_details, printed_station_name, register_of,
                                         revoke_certificate, set_station_details, station_details_missing)
from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.forms import attach_error, first_error
from kiosk.core.models import Station
from kiosk.core.qr import qr_svg
from kiosk.core.stations import local_today, parse_day, station_record
from kiosk.core.transaction import refuse_with
from kiosk.core.web import id_arg, link_for_phones, render
from kiosk.people.forms import id_type_label
from kiosk.people.keeper_routes import volunteer_page
from kiosk.people.keepers import keeper_blueprint
from kiosk.people.models import Volunteer
from kiosk.people.volunteers import mask_id_number

bp = keeper_blueprint("certificates_keeper", __name__)


def volunteer_section(volunteer: Volunteer, station: Station) -> dict:
    today = local_today(station, utcnow())
    return {"certificates": certificates_of(volunteer.id), "issue_form": IssueForm(formdata=None),
            "station_details_first": STATION_DETAILS_FIRST, "station_details_missing": station_details_missing(station),
            "certificate_start": date(today.year, 1, 1).isoformat(), "certificate_end": today.isoformat(),
            "certificate_today": today.isoformat()}


@bp.post("/volunteers/<int:volunteer_id>/certificates")
def issue(volunteer_id):
    volunteer = station_record(Volunteer, volunteer_id)
    form = IssueForm()
    refuse_with(lambda err: volunteer_page(station_record(Volunteer, volunteer_id), status=err.status,
                                           certificate_error=err.message, certificate_field=err.field,
                                           certificate_start=(form.start.data or "")[:10],
                                           certificate_end=(form.end.data or "")[:10],
                                           certificate_existing=getattr(err, "certificate", None),
                                           certificate_review=getattr(err, "review", False)))
    if not form.validate():
        raise DomainError(first_error(form))
    start, end = parse_day(form.start.data, "start"), parse_day(form.end.data, "end")
    certificate = issue_certificate(current_user, g.station, volunteer, start, end, utcnow())
    return redirect(url_for("certificates_keeper.certificate", certificate_id=certificate.id), 303)


@bp.get("/certificates/<int:certificate_id>")
def certificate(certificate_id):
    certificate = station_record(Certificate, certificate_id)
    volunteer = certificate.volunteer
    verify_url = link_for_phones("certificates.verify", token=certificate.verify_token)
    return render("certificates/certificate.html", certificate=certificate, volunteer=volunteer,
                  rows=printed_rows(certificate), issuer=issued_by(certificate), verify_url=verify_url,
                  qr=qr_svg(verify_url, box_size=10), issued_on=local_today(g.station, certificate.issued_at),
                  revoked_on=local_today(g.station, certificate.revoked_at) if certificate.revoked_at else None,
                  id_type=id_type_label(volunteer.id_type) if volunteer.id_type else "",
                  id_number=mask_id_number(volunteer.id_number),
                  station_details=printed_station_details(certificate, g.station),
                  station_name=printed_station_name(certificate, g.station))


def _register(status: int = 200, **extra):
    entries = register_of(g.station)
    # "Revoked" is said only of a certificate of this station that is revoked, whatever the link says.
    revoked = id_arg("revoked")
    context = {"entries": entries, "revoke_form": RevokeForm(formdata=None),
               "revoked_serial": next((c.serial for c, _v, _k in entries if c.id == revoked and c.revoked_at), None),
               "details_form": StationDetailsForm(formdata=None, person_in_charge=g.station.person_in_charge,
                                                  contact=g.station.contact)}
    context.update(extra)
    return render("certificates/register.html", status=status, **context)


@bp.get("/certificates")
def register():
    return _register()


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke(certificate_id):
    certificate = station_record(Certificate, certificate_id)
    form = RevokeForm()
    refuse_with(lambda err: _register(status=err.status, revoke_error=err.message, revoke_id=certificate_id,
                                      revoke_reason=(form.reason.data or "")[:200]))
    if not form.validate():
        raise DomainError(first_error(form), field="reason")
    revoke_certificate(current_user, g.station, certificate, form.reason.data, utcnow())
    return redirect(url_for("certificates_keeper.register", revoked=certificate.id), 303)


@bp.post("/certificates/station")
def station_details():
    form = StationDetailsForm()
    refuse_with(lambda err: _register(status=err.status, details_form=attach_error(form, err)))
    if not form.validate():
        return _register(status=422, details_form=form)
    set_station_details(current_user, g.station, form.person_in_charge.data, form.contact.data, utcnow())
    return redirect(url_for("certificates_keeper.register", saved=1, _anchor="station-details"), 303)
