"""Which volunteer a phone belongs to, for features other than check-in. Check-in links a phone
to a volunteer (kiosk/checkin/phone.py) and registers how to recognise it; a suggestion sent from
that phone can then say which volunteer found the problem (随手拍)."""

from collections.abc import Callable

from flask import Flask, current_app

from kiosk.people.models import Volunteer


def add_phone_identity(app: Flask, identify: Callable[[], Volunteer | None]) -> None:
    app.extensions["kiosk_phone_identity"] = identify


def volunteer_on_this_phone() -> Volunteer | None:
    identify = current_app.extensions.get("kiosk_phone_identity")
    return identify() if identify is not None else None
