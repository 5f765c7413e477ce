"""The public verification page a certificate's QR opens: no sign-in, and nothing that names the
volunteer beyond a masked name."""

from flask import Blueprint

from kiosk.certificates.register import by_token, printed_rows, printed_station_name
from kiosk.core.extensions import db
from kiosk.core.i18n import own_device_page
from kiosk.core.models import Station
from kiosk.core.stations import local_today
from kiosk.core.web import render

# Not station_required: the token names its certificate and the certificate its station, so a
# district server answers for every station's certificates whichever kiosk station it is set to.
bp = Blueprint("certificates", __name__, template_folder="templates")


@bp.get("/v/<token>")
@own_device_page  # the certificate's QR, scanned by whoever reads the certificate
def verify(token):
    certificate = by_token(token)
    if certificate is None:
        # Whoever checks a paper certificate is told plainly that no such one was issued.
        return render("certificates/verify.html", certificate=None, status=404)
    station = db.session.get(Station, certificate.station_id)
    return render("certificates/verify.html", certificate=certificate,
                  station_name=printed_station_name(certificate, station),
                  name=certificate.volunteer.name, rows=printed_rows(certificate),
                  issued_on=local_today(station, certificate.issued_at),
                  revoked_on=local_today(station, certificate.revoked_at) if certificate.revoked_at else None)
