"""The kiosk's gift page: scan your badge, see your points, pick a gift, collect it from a keeper."""

from flask import Blueprint, current_app, g
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from kiosk.core.clock import utcnow
from kiosk.core.database import reads_before_writing
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.forms import first_error
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.web import render
from kiosk.gifts.forms import BadgeForm, PickForm
from kiosk.gifts.redemptions import ask_for_gift, catalogue
from kiosk.people.badges import volunteer_for_token
from kiosk.people.models import Volunteer
from kiosk.points.ledger import balance

bp = station_required(Blueprint("gifts", __name__, url_prefix="/gifts", template_folder="templates"))

# After a scan the volunteer has this long to pick: the screen resets itself well before.
CHOICE_SECONDS = 180
SCAN_AGAIN = _l("Please scan your badge again.")


def _choices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="gift-choice")


@bp.get("/")
def page():
    return render("gifts/kiosk.html", form=BadgeForm(), gifts=catalogue(g.station))


def _refusal(err: DomainError):
    """The message where the result goes (or the whole page again, without JavaScript)."""
    return render("gifts/kiosk.html", "result", status=err.status, error=err.message,
                  form=BadgeForm(formdata=None), gifts=catalogue(g.station))


@bp.post("/who")
def who():
    """A badge was scanned: show that volunteer's points and the gifts they can pick."""
    form = BadgeForm()
    refuse_with(_refusal)
    if not form.validate():
        raise DomainError(first_error(form))
    with reads_before_writing():
        volunteer = volunteer_for_token(g.station, form.code.data)
        if not volunteer.active:
            raise DomainError(SCAN_AGAIN)
        points = balance(volunteer.id)
        gifts = catalogue(g.station)
    return render("gifts/kiosk.html", "result", volunteer=volunteer, points=points, gifts=gifts,
                  choice=_choices().dumps({"v": volunteer.id, "s": g.station.id}), pick=PickForm(formdata=None),
                  form=BadgeForm(formdata=None))


@bp.post("/pick")
def pick():
    form = PickForm()
    refuse_with(_refusal)
    if not form.validate() or not form.gift_id.data.isdigit() or len(form.gift_id.data) > 9:
        raise DomainError(SCAN_AGAIN)
    volunteer = _chooser(form.choice.data)
    redemption = ask_for_gift(g.station, volunteer, int(form.gift_id.data), utcnow())
    return render("gifts/kiosk.html", "result", redemption=redemption, points=balance(volunteer.id),
                  form=BadgeForm(formdata=None), gifts=catalogue(g.station))


def _chooser(choice: str) -> Volunteer:
    try:
        data = _choices().loads(choice[:300], max_age=CHOICE_SECONDS)
    except (SignatureExpired, BadSignature):
        raise DomainError(SCAN_AGAIN) from None
    volunteer = db.session.get(Volunteer, data.get("v")) if isinstance(data, dict) and isinstance(data.get("v"), int) else None
    if volunteer is None or data.get("s") != g.station.id:
        raise DomainError(SCAN_AGAIN)
    return volunteer
