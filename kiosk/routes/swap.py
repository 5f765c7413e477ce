"""The swap shelf on the kiosk: bring an item, look at the shelf, take an item."""

import secrets

from flask import Blueprint, abort, current_app, g, request, send_from_directory

from ..badges import qr_svg
from ..clock import utcnow
from ..errors import DomainError
from ..extensions import db
from ..forms import EmptyForm
from ..models import CONDITIONS
from ..photos import photo_dir
from ..swap import bring_item, categories, is_public_photo, item_to_take, public_item, shelf, take_item
from ..web import id_arg, render

bp = Blueprint("swap", __name__, url_prefix="/swap")


@bp.before_request
def need_station():
    if g.station is None:
        abort(503)


@bp.get("/")
def shelf_page():
    category_id = id_arg("category")
    return render("swap/shelf.html", "grid", items=shelf(g.station, category_id), categories=categories(g.station),
                  category_id=category_id)


@bp.get("/items/<code>")
def item(code):
    try:
        found = public_item(g.station, code)
    except DomainError:
        abort(404)
    return render("swap/item.html", item=found, form=EmptyForm())


@bp.route("/bring", methods=["GET", "POST"])
def bring():
    if request.method == "GET":
        return render("swap/bring.html", form=EmptyForm(), categories=categories(g.station), conditions=CONDITIONS,
                      values={"once": secrets.token_hex(16)}, errors={})
    values = {key: request.form.get(key, "") for key in ("title", "category", "condition", "contact", "once")}
    upload = request.files.get("photo")
    photo = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1) if upload and upload.filename else None
    try:
        new = bring_item(g.station, title=values["title"], category_id=values["category"], condition=values["condition"],
                         photo=photo, contact=values["contact"], now=utcnow(), once=values["once"])
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("swap/bring.html", "intake", status=422, form=EmptyForm(), categories=categories(g.station),
                      conditions=CONDITIONS, values=values, errors={err.field or "title": err.message})
    return render("swap/label.html", "label", item=new, svg=qr_svg(new.code, box_size=6), brought=True)


@bp.get("/items/<code>/label")
def label(code):
    try:
        found = public_item(g.station, code)
    except DomainError:
        abort(404)
    return render("swap/label.html", "label", item=found, svg=qr_svg(found.code, box_size=6), brought=False)


@bp.get("/take")
def take_screen():
    return render("swap/take.html", form=EmptyForm())


@bp.post("/take/find")
def find():
    """A label scanned (camera or scanner) or typed: show the item to confirm."""
    try:
        found = item_to_take(g.station, request.form.get("code", ""))
    except DomainError as err:
        return render("swap/take.html", "found", status=422, form=EmptyForm(), error=err.message)
    return render("swap/take.html", "found", form=EmptyForm(), item=found)


@bp.post("/items/<code>/take")
def take(code):
    try:
        taken = take_item(g.station, code, utcnow(), request.form.get("swapped_for"))
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        return render("swap/take.html", "found", status=422, form=EmptyForm(), error=err.message)
    return render("swap/take.html", "found", form=EmptyForm(), taken=taken)


@bp.get("/photos/<name>")
def photo(name):
    """Swap-shelf photos are public on the shelf; the names are random and the files re-encoded."""
    if not is_public_photo(g.station, name):
        abort(404)
    response = send_from_directory(photo_dir("swap"), name, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
