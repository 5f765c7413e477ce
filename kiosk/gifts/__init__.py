"""Gifts (爱心兑换): a catalogue with stock and a points price. A volunteer scans their badge at
the kiosk, picks a gift, and a keeper hands it over and confirms on their tablet. Neither a
balance nor a stock ever goes below zero, even with two redemptions at once; a keeper can cancel
a redemption, and the points and the stock come back.

- redemptions.py   the rules: the catalogue, asking for a gift, handing it over, cancelling
- routes.py        the kiosk page (scan, pick)
- keeper_routes.py the catalogue and the redemptions waiting for a keeper"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.gifts import keeper_routes, models, redemptions, routes  # noqa: F401
    from kiosk.people.audit import add_audit_labels
    from kiosk.people.keeper_routes import add_volunteer_section
    from kiosk.people.privacy import add_before_erase, add_on_deactivate, add_volunteer_data

    app.register_blueprint(routes.bp)
    app.register_blueprint(keeper_routes.bp)
    add_volunteer_section(app, "gifts/_volunteer_gifts.html", keeper_routes.volunteer_section, position=25)
    add_audit_labels(app, {"gift.added": _l("added a gift"), "gift.changed": _l("changed a gift"),
                           "redemption.handed": _l("handed over a gift"),
                           "redemption.cancelled": _l("cancelled a gift redemption")},
                     describe=redemptions.describe)
    add_keeper_link(app, "gifts_keeper.gifts", _l("Gifts"), 85)
    add_on_deactivate(app, None, redemptions.waiting_warning)  # the gift stays: the points are spent
    add_before_erase(app, redemptions.cancel_erased_waiting)
    add_volunteer_data(app, "gift_redemptions", redemptions.redemptions_as_data)
