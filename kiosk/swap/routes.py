"""The swap shelf on the kiosk: bring an item, look at the shelf, take an item."""

from functools import cache

from flask import Blueprint, abort, current_app, g, request
from flask_babel import lazy_gettext as _l

from kiosk.core.clock import utcnow
from kiosk.core.forms import EmptyForm
from kiosk.core.i18n import own_device_page, reads_the_devices_language
from kiosk.core.limits import who
from kiosk.core.once import new_once
from kiosk.core.photos import prepare_photo, send_photo
from kiosk.core.qr import qr_svg
from kiosk.core.stations import station_required
from kiosk.core.transaction import refuse_with
from kiosk.core.errors import DomainError
from kiosk.core.text import lines
from kiosk.core.web import form_sent, id_arg, link_for_phones, render, takes_upload
from kiosk.swap.models import CONDITIONS
from kiosk.people.volunteers import registered_names
from kiosk.swap.shelf import (
    ITEM_NOT_FOUND,
    bring_item,
    categories,
    check_item,
    find_item,
    is_public_photo,
    item_to_take,
    no_longer_there,
    public_item,
    public_title,
    shelf,
    take_item,
)

bp = station_required(Blueprint("swap", __name__, url_prefix="/swap", template_folder="templates"))


def render_public(template: str, *blocks: str, **context):
    """A page residents see: an item's title shown by `title_of`, masked (`public_title`). The
    station's registered names are read once for the page, and only if a title is shown."""
    names = cache(lambda: registered_names(g.station.id))
    return render(template, *blocks, title_of=lambda item: public_title(item, names()), **context)


@bp.get("/")
def shelf_page():
    category_id = id_arg("category")
    return render_public("swap/shelf.html", "grid", items=shelf(g.station, category_id),
                         categories=categories(g.station), category_id=category_id)


@bp.get("/items/<code>")
@own_device_page  # what the label's QR opens on a resident's phone
def item(code):
    try:
        found = public_item(g.station, code)
    except DomainError:
        return _not_here(code)
    return render_public("swap/item.html", item=found, form=EmptyForm(), errors={}, once=new_once())


def _not_here(code: str):
    """An item page (or label) for no item on the shelf: often opened from a label on a phone, so
    it says which, and has a way on. A removed item is said to be gone, not why."""
    try:
        removed = find_item(g.station, code)
    except DomainError:
        removed = None
    message = no_longer_there(removed) if removed is not None else ITEM_NOT_FOUND
    return render("swap/not_here.html", status=404, message=message, own_device=reads_the_devices_language())


def _label(item, brought: bool):
    """The label: its QR holds the item's page on this station (`link_for_phones`), for a phone."""
    return render_public("swap/label.html", "label", item=item, brought=brought,
                         svg=qr_svg(link_for_phones("swap.item", code=item.code), box_size=6))


@bp.route("/bring", methods=["GET", "POST"])
@takes_upload
def bring():
    if not form_sent():
        return render("swap/bring.html", form=EmptyForm(), categories=categories(g.station), conditions=CONDITIONS,
                      values={"once": new_once()}, errors={})
    values = {key: request.form.get(key, "") for key in ("title", "category", "condition", "contact", "once")}
    refuse_with(lambda err: render("swap/bring.html", "intake", status=err.status, form=EmptyForm(),
                                   categories=categories(g.station), conditions=CONDITIONS, values=values,
                                   errors={field or "title": message for field, message in err.by_field().items()}))
    upload = request.files.get("photo")
    values["photo_again"] = bool(upload and upload.filename)  # if refused, the form says to take it again
    data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1) if upload and upload.filename else None
    # Re-encoded here, before the write transaction begins, so other kiosks do not wait for it.
    try:
        photo = prepare_photo(data, kind="swap") if data else None
    except DomainError as err:  # said together with whatever else the form has wrong
        check_item(g.station, title=values["title"], category_id=values["category"], condition=values["condition"],
                   contact=values["contact"], photo_problem=err.by_field())
        raise
    new = bring_item(g.station, title=values["title"], category_id=values["category"], condition=values["condition"],
                     photo=photo, contact=values["contact"], now=utcnow(), once=values["once"], who=who())
    return _label(new, brought=True)


@bp.get("/items/<code>/label")
def label(code):
    try:
        found = public_item(g.station, code)
    except DomainError:
        return _not_here(code)
    return _label(found, brought=False)


@bp.get("/take")
def take_screen():
    return render("swap/take.html", form=EmptyForm())


TYPE_THE_CODE = _l("Please type the code on the item's label, e.g. J-0157.")


def _take_refused(err, taking: bool = False):
    return render("swap/take.html", "found", status=err.status, form=EmptyForm(), error=err.message, taking=taking)


@bp.post("/take/find")
def find():
    """A label scanned (camera or scanner) or typed: show the item to confirm."""
    refuse_with(_take_refused)
    # A zero-width space pasted with the code (from a chat message) is no part of it, and alone is nothing typed.
    code = lines(request.form.get("code", ""))
    if not code.strip():
        raise DomainError(TYPE_THE_CODE, field="code")
    return render_public("swap/take.html", "found", form=EmptyForm(), item=item_to_take(g.station, code),
                         once=new_once())


@bp.post("/items/<code>/take")
@own_device_page  # answered in the language of the page it was sent from (the item page on a phone)
def take(code):
    swapped_for, once = request.form.get("swapped_for", ""), request.form.get("once", "")

    def refused(err):
        # Only the item page asks for a swap code: a typo there keeps its form, with what was typed.
        if err.field != "swapped_for":
            return _take_refused(err, taking=True)
        return render_public("swap/item.html", "take", status=err.status, form=EmptyForm(),
                             item=public_item(g.station, code), swapped_for=swapped_for[:40],
                             errors={"swapped_for": err.message}, once=once[:32])

    refuse_with(refused)
    taken = take_item(g.station, code, utcnow(), swapped_for, who(), once=once)
    return render_public("swap/take.html", "found", form=EmptyForm(), taken=taken)


@bp.get("/photos/<name>")
def photo(name):
    """Swap-shelf photos are public on the shelf; the names are random and the files re-encoded."""
    if not is_public_photo(g.station, name):
        abort(404)
    return send_photo("swap", name)
