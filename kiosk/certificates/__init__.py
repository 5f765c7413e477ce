"""Service certificates (志愿服务证明), on the rule "谁记录谁证明": the station certifies the hours it
recorded and a keeper confirmed. Numbered per station and year (2026-0007), printed on one A4 page
with a QR that opens a public verification page, and revocable.

- register.py      the rules: the figures for a period, issuing and numbering, revoking, the station's details
- keeper_routes.py issuing from a volunteer's page, the printable certificate, the register
- routes.py        the public verification page (/v/<token>)"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.certificates import keeper_routes, models, register, routes  # noqa: F401
    from kiosk.people.audit import add_audit_labels
    from kiosk.people.keeper_routes import add_volunteer_section
    from kiosk.people.privacy import add_before_erase, add_volunteer_data

    app.register_blueprint(keeper_routes.bp)
    app.register_blueprint(routes.bp)
    add_keeper_link(app, "certificates_keeper.register", _l("Certificates"), 105)
    add_volunteer_section(app, "certificates/_volunteer_certificates.html", keeper_routes.volunteer_section,
                          position=40)
    add_volunteer_data(app, "certificates", register.certificates_as_data)
    add_before_erase(app, register.mask_erased_reasons)
    add_audit_labels(app, {"certificate.issued": _l("issued a service certificate"),
                           "certificate.revoked": _l("revoked a service certificate"),
                           "station.details": _l("changed the station's person in charge or contact")},
                     describe=register.describe, words=("reason",))
