"""Keeper pages for the swap shelf: every item with its history, removal, counts, categories."""

from datetime import date

from flask import g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from kiosk.core.choices import ChoiceEditor, add_choice_editor
from kiosk.core.clock import utcnow
from kiosk.core.forms import EmptyForm
from kiosk.core.photos import send_private_photo
from kiosk.core.stations import local_today
from kiosk.core.transaction import refuse_with
from kiosk.core.web import found_or_404, render
from kiosk.people.keepers import keeper_blueprint
from kiosk.swap.models import REMOVAL_REASONS, SwapCategory, SwapItem
from kiosk.swap.shelf import (
    NOTE_MAX,
    add_category,
    category_label,
    day_counts,
    find_item,
    history,
    is_stale,
    keeper_items,
    mark_taken,
    month_counts,
    put_back_item,
    remove_item,
    update_category,
)

bp = keeper_blueprint("swap_keeper", __name__)


@bp.get("/swap")
def items():
    status = request.args.get("status") or None
    now = utcnow()
    today = local_today(g.station, now)
    return render("swap/keeper_list.html", items=keeper_items(g.station, status), shown_status=status, now=now,
                  is_stale=lambda item: is_stale(g.station, item, now), today_counts=day_counts(g.station, today),
                  month_counts=month_counts(g.station, today.year, today.month), months=_recent_months(today, 6))


def _recent_months(today: date, count: int) -> list[tuple[str, object]]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append((f"{year}-{month:02d}", month_counts(g.station, year, month)))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def _item_page(code: str, status: int = 200, error=None, error_field=None):
    """The item; after a refused removal, the reason and note sent come back (`sent`), the message
    beside the field it is about."""
    item = found_or_404(find_item, g.station, code)
    return render("swap/keeper_item.html", status=status, item=item, events=history(item), form=EmptyForm(),
                  reasons=REMOVAL_REASONS, note_max=NOTE_MAX, error=error, error_field=error_field,
                  sent=request.form if error else {})


@bp.get("/swap/<code>")
def item(code):
    return _item_page(code)


@bp.post("/swap/<code>/remove")
def remove(code):
    found = found_or_404(find_item, g.station, code)
    refuse_with(lambda err: _item_page(code, status=err.status, error=err.message, error_field=err.field))
    remove_item(current_user, g.station, found, request.form.get("reason", ""), request.form.get("note"), utcnow())
    return redirect(url_for("swap_keeper.item", code=found.code), 303)


@bp.post("/swap/<code>/taken")
def taken(code):
    """Someone took it without scanning: counted as taken, not removed."""
    found = found_or_404(find_item, g.station, code)
    refuse_with(lambda err: _item_page(code, status=err.status, error=err.message))
    mark_taken(current_user, g.station, found, utcnow())
    return redirect(url_for("swap_keeper.item", code=found.code), 303)


@bp.post("/swap/<code>/put-back")
def put_back(code):
    found = found_or_404(find_item, g.station, code)
    refuse_with(lambda err: _item_page(code, status=err.status, error=err.message))
    put_back_item(current_user, g.station, found, utcnow())
    return redirect(url_for("swap_keeper.item", code=found.code), 303)


@bp.get("/swap/photo/<name>")
def photo(name):
    """Every swap photo, removed items' too, for the keeper's item page."""
    return send_private_photo(SwapItem, "swap", name)


add_choice_editor(bp, "/swap-categories", ChoiceEditor(
    model=SwapCategory, label=category_label, add=add_category, title=_l("Swap shelf categories"),
    add_title=_l("Add a category"),
    intro=_l('A category marked "not accepted" is shown at intake, and an item in it is politely refused.'),
    update=lambda category, form: update_category(category, name=form.get("name"), active=form.get("active"),
                                                  refused=form.get("refused")),
    refusable=True))
