"""The swap shelf (旧物集市): items residents bring, take, and keepers clear."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import unquote

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from kiosk.core.choices import add_choice, add_standard, station_choices, update_choice
from kiosk.core.errors import DomainError
from kiosk.core.limits import check_and_count
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.once import ONCE
from kiosk.core.photos import PreparedPhoto, keep_after_commit, photo_owner
from kiosk.core.stations import day_bounds, month_bounds
from kiosk.core.text import clean_mobile, half_width, mask_names_in, mask_phone_numbers, one_line
from kiosk.people.badges import looks_like_badge
from kiosk.people.models import Keeper
from kiosk.people.volunteers import registered_names
from kiosk.swap.models import CONDITIONS, REMOVAL_REASONS, STANDARD_CATEGORIES, SwapCategory, SwapEvent, SwapItem
from kiosk.swap.models import REFUSED_FROM_START

CATEGORY_LABELS = {
    "clothing": _l("Clothing"),
    "books": _l("Books"),
    "toys": _l("Toys"),
    "kitchen": _l("Kitchen"),
    "appliances": _l("Small appliances"),
    "daily": _l("Daily goods"),
    "other": _l("Other"),
    "food": _l("Food"),
    "medicine": _l("Medicine"),
}
CONDITION_LABELS = {"like_new": _l("Like new"), "good": _l("Good"), "worn": _l("Worn")}
REMOVAL_LABELS = {"donated": _l("Donated"), "discarded": _l("Discarded"), "not_allowed": _l("Not allowed")}
STATUS_LABELS = {"on_shelf": _l("On the shelf"), "taken": _l("Taken"), "removed": _l("Removed")}
EVENT_LABELS = {"logged": _l("Brought"), "taken": _l("Taken"), "removed:donated": _l("Removed: donated"),
                "removed:discarded": _l("Removed: discarded"), "removed:not_allowed": _l("Removed: not allowed"),
                "marked_taken": _l("Taken (not scanned)"), "put_back": _l("Put back on the shelf")}
TITLE_MAX = 60
NOTE_MAX = 200  # a removal's note
CODE = re.compile(r"J-?0*([0-9]{1,6})", re.IGNORECASE)
# A label's QR holds its item page's address (http://192.168.1.20:5000/swap/items/J-0157), which a
# phone opens; labels printed before that hold the code alone. Both are read as the code.
ITEM_PAGE = re.compile(r"https?://[^/\s]+(?:/[^\s?#]*)?/swap/items/([^/?#\s]+)/?(?:[?#]\S*)?", re.IGNORECASE)
SCANNED_MAX = 200  # a label's address with a long host name fits; a longer text is no label
ITEM_NOT_FOUND = _l("No item with this code is on the shelf. Please check the label.")


def category_label(category: SwapCategory) -> str:
    return category.name or str(CATEGORY_LABELS.get(category.code or "", category.code or ""))


def item_code(number: int) -> str:
    return f"J-{number:04d}"


def add_standard_categories(station: Station) -> None:
    for category in add_standard(SwapCategory, station, STANDARD_CATEGORIES):
        category.refused = category.code in REFUSED_FROM_START
    db.session.flush()


def categories(station: Station, include_hidden: bool = False) -> list[SwapCategory]:
    return station_choices(SwapCategory, station, include_hidden)


def add_category(station: Station, name: str) -> SwapCategory:
    category = add_choice(SwapCategory, station, name, category_label)
    category.refused = False
    db.session.flush()
    return category


def update_category(category: SwapCategory, *, name: str | None = None, active: str | None = None,
                    refused: str | None = None) -> SwapCategory:
    """A keeper renames, hides or shows, refuses or accepts a category (form values "1"/"0")."""
    update_choice(category, label=category_label, name=name, active=active)
    if refused in ("0", "1"):
        category.refused = refused == "1"
    db.session.flush()
    return category


def _category(station: Station, category_id) -> SwapCategory:
    category = db.session.get(SwapCategory, int(category_id)) if re.fullmatch(r"[0-9]{1,9}", str(category_id or "")) else None
    if category is None or category.station_id != station.id or not category.active:
        raise DomainError(_l("Please choose what kind of item it is."), field="category")
    return category


def bring_item(station: Station, *, title: str, category_id, condition: str, photo: PreparedPhoto | None,
               contact: str | None, now: datetime, once: str | None = None, who: list[str] = ()) -> SwapItem:
    """Log an item put on the shelf, with a photo already re-encoded (`prepare_photo`) that goes in
    place once the item is committed. The same form sent twice (`once`, its one-time token) logs
    the item once and returns it again."""
    once = once if once and ONCE.fullmatch(once) else None
    if once:
        already = db.session.scalar(select(SwapItem).where(SwapItem.intake_token == once))
        if already is not None and already.station_id == station.id:
            return already
    category, title, condition, contact = check_item(station, title=title, category_id=category_id,
                                                     condition=condition, contact=contact)
    if who:
        check_and_count("swap-bring", [(key, BRINGS_PER_HOUR) for key in who], timedelta(hours=1), now, SLOW_DOWN)
    return _insert_item(station, title, category, condition, photo, contact, now, once)


def check_item(station: Station, *, title: str, category_id, condition: str, contact: str | None,
               photo_problem: dict | None = None) -> tuple[SwapCategory, str, str, str | None]:
    """The intake form as it will be kept (category, title, condition, mobile), or one DomainError
    naming every field at fault, with `photo_problem` found before ({"photo": message}): a resident
    puts them all right in one go, not one per try."""
    problems = {}
    category = None
    try:
        category = _category(station, category_id)
        if category.refused:
            raise DomainError(_l("Sorry, the shelf cannot take %(category)s. Please ask a keeper.",
                                 category=category_label(category)), field="category")
    except DomainError as err:
        problems.update(err.by_field())
    title = one_line(title)
    if not title:
        problems["title"] = _l("Please say in a few words what it is.")
    elif len(title) > TITLE_MAX:
        problems["title"] = _l("Please keep it short: at most %(n)s characters.", n=TITLE_MAX)
    if condition not in CONDITIONS:
        problems["condition"] = _l("Please choose the condition.")
    problems.update(photo_problem or {})
    try:
        contact = clean_mobile(contact) if (contact or "").strip() else None
    except DomainError as err:
        problems.update(err.by_field())
    if problems:
        raise DomainError.of_fields(problems)
    return category, title, condition, contact


def _insert_item(station, title, category, condition, photo, contact, now, once=None) -> SwapItem:
    # Numbers count up per station; two kiosks logging at once retry on the unique constraint.
    for _ in range(5):
        if once and (twin := db.session.scalar(select(SwapItem).where(SwapItem.intake_token == once))):
            return twin  # the first of the two sends kept its own photo; this one's is discarded
        number = (db.session.scalar(select(func.max(SwapItem.number)).where(SwapItem.station_id == station.id)) or 0) + 1
        item = SwapItem(station_id=station.id, number=number, code=item_code(number), title=title,
                        category_id=category.id, condition=condition, photo=photo.name if photo else None, contact_mobile=contact,
                        status="on_shelf", logged_at=now, intake_token=once)
        try:
            with db.session.begin_nested():
                db.session.add(item)
        except IntegrityError:
            continue
        db.session.add(SwapEvent(item_id=item.id, action="logged", at=now))
        db.session.flush()
        if photo:
            keep_after_commit(photo)
        return item
    raise DomainError(_l("The shelf is busy. Please try again."))


def label_number(raw_code: str | None) -> int | None:
    """The number a label code names: J-0157, j0157 or 157, as typed, scanned or read by the
    camera; full-width (Ｊ－０１５７, a Chinese keyboard in full-width mode) and any dash are the same;
    or the item page's address a label's QR holds (`ITEM_PAGE`). None if it is no label code."""
    raw = half_width((raw_code or "")[:SCANNED_MAX])
    if page := ITEM_PAGE.fullmatch(raw.strip()):
        raw = unquote(page.group(1))[:40]
    match = CODE.fullmatch("".join(raw.split())) or re.fullmatch(r"0*([0-9]{1,6})", raw.strip())
    return int(match.group(1)) if match else None


def find_item(station: Station, raw_code: str) -> SwapItem:
    """An item by its label (`label_number`)."""
    number = label_number(raw_code)
    if number is None:
        if looks_like_badge(raw_code):
            raise DomainError(_l("This is a volunteer badge. To check in, tap Volunteer check-in on the home screen."),
                              field="code")
        raise DomainError(ITEM_NOT_FOUND, field="code")
    item = db.session.scalar(select(SwapItem).where(SwapItem.station_id == station.id,
                                                    SwapItem.number == number))
    if item is None:
        raise DomainError(ITEM_NOT_FOUND, field="code")
    return item


def public_item(station: Station, raw_code: str) -> SwapItem:
    """An item as residents may see it: a removed one (perhaps not allowed) is no longer public."""
    item = find_item(station, raw_code)
    if item.status == "removed":
        raise DomainError(ITEM_NOT_FOUND, field="code")
    return item


def is_public_photo(station: Station, name: str) -> bool:
    """A photo (or its thumbnail) of an item of this station that residents may still see."""
    owner = photo_owner(SwapItem, station, name)
    return owner is not None and owner.status != "removed"


def item_to_take(station: Station, raw_code: str) -> SwapItem:
    """The item a label names, if it is still there to take."""
    item = find_item(station, raw_code)
    if item.status != "on_shelf":
        raise DomainError(already_gone(item), field="code")
    return item


def already_gone(item: SwapItem):
    """Why an item cannot be taken: someone took it; or a keeper removed it, which is said without
    saying why (perhaps it was not allowed), and without saying someone took it."""
    if item.status == "removed":
        return no_longer_there(item)
    return _l("Sorry, %(code)s has already found a new home.", code=item.code)


def no_longer_there(item: SwapItem):
    return _l("Sorry, %(code)s is no longer on the shelf.", code=item.code)


def public_title(item: SwapItem, names: list[str] | None = None) -> str:
    """An item's title as residents see it (the shelf, its page, its label): the names the station
    has registered (`names`, read if not given) and numbers that may be someone's phone masked, as
    a suggestion's words are before they are public. Keepers see it as typed."""
    names = registered_names(item.station_id) if names is None else names
    return mask_phone_numbers(mask_names_in(item.title, names))


# How many items one tablet or address may log, or take, in a window: a busy afternoon, not a script.
BRINGS_PER_HOUR = 20
TAKES_PER_10_MINUTES = 20
SLOW_DOWN = _l("Thank you! That is a lot at once. Please wait a little, or ask a keeper.")


def take_item(station: Station, raw_code: str, now: datetime, swapped_for: str | None = None,
              who: list[str] = (), once: str | None = None) -> SwapItem:
    """Someone takes an item. Only one taker wins, even from two tablets at once. The same form
    sent again (`once`, its one-time token: a reload, a double tap) is answered as the first was,
    not with "already found a new home"."""
    once = once if once and ONCE.fullmatch(once) else None
    item = find_item(station, raw_code)

    def gone():
        if once and item.status == "taken" and item.take_token == once:
            return item
        raise DomainError(already_gone(item), field="code")

    if item.status != "on_shelf":
        return gone()
    if who:
        check_and_count("swap-take", [(key, TAKES_PER_10_MINUTES) for key in who], timedelta(minutes=10), now,
                        SLOW_DOWN)
    exchange = None
    if (swapped_for or "").strip():
        try:
            exchange = find_item(station, swapped_for)
        except DomainError as err:
            raise DomainError(err.message, field="swapped_for") from None
        if exchange.id == item.id or exchange.status != "on_shelf":
            raise DomainError(_l("That is not an item on the shelf you brought."), field="swapped_for")
    taken = db.session.execute(
        update(SwapItem).where(SwapItem.id == item.id, SwapItem.status == "on_shelf")
        .values(status="taken", taken_at=now, swapped_for_id=exchange.id if exchange else None, take_token=once)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        db.session.refresh(item)
        return gone()
    db.session.add(SwapEvent(item_id=item.id, action="taken", at=now, note=exchange.code if exchange else None))
    db.session.flush()
    db.session.refresh(item)
    return item


def remove_item(keeper: Keeper, station: Station, item: SwapItem, reason: str, note: str | None, now: datetime) -> SwapItem:
    if reason not in REMOVAL_REASONS:
        raise DomainError(_l("Please choose why it is removed."), field="reason")
    note = one_line(note) or None
    if note and len(note) > NOTE_MAX:
        raise DomainError(_l("Please keep the note to %(n)s characters or fewer.", n=NOTE_MAX), field="note")
    if item.status != "on_shelf":
        raise DomainError(_l("Only an item on the shelf can be removed."), field="reason")
    item.status, item.removed_at, item.removed_reason, item.removed_note = "removed", now, reason, note
    db.session.add(SwapEvent(item_id=item.id, action=f"removed:{reason}", at=now, keeper_id=keeper.id, note=note))
    db.session.flush()
    return item


def mark_taken(keeper: Keeper, station: Station, item: SwapItem, now: datetime) -> SwapItem:
    """A keeper records an item someone carried off without scanning its label. It is taken as a
    scan takes it (status and `taken_at`, which Today, the month's counts and the reports count);
    its history says a keeper recorded it."""
    taken = db.session.execute(
        update(SwapItem).where(SwapItem.id == item.id, SwapItem.status == "on_shelf")
        .values(status="taken", taken_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(item)
    if taken != 1:  # taken or removed meanwhile, or the same tap sent twice
        raise DomainError(_l("This item is no longer on the shelf: please look again."))
    db.session.add(SwapEvent(item_id=item.id, action="marked_taken", at=now, keeper_id=keeper.id))
    db.session.flush()
    return item


def put_back_item(keeper: Keeper, station: Station, item: SwapItem, now: datetime) -> SwapItem:
    """A keeper puts an item back on the shelf: removed by mistake, or marked taken when it was not.
    The history keeps both steps; the month's counts no longer count it as taken."""
    was = item.status
    if was == "on_shelf":
        raise DomainError(_l("This item is on the shelf already."))
    back = db.session.execute(
        update(SwapItem).where(SwapItem.id == item.id, SwapItem.status == was)
        .values(status="on_shelf", taken_at=None, swapped_for_id=None, take_token=None, removed_at=None,
                removed_reason=None, removed_note=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(item)
    if back != 1:  # another keeper or a taker got there first: say how it stands now
        raise DomainError(_l("This item changed meanwhile: please look again."))
    db.session.add(SwapEvent(item_id=item.id, action="put_back", at=now, keeper_id=keeper.id))
    db.session.flush()
    return item


def shelf(station: Station, category_id: int | None = None, limit: int = 200) -> list[SwapItem]:
    query = select(SwapItem).where(SwapItem.station_id == station.id, SwapItem.status == "on_shelf")
    if category_id:
        query = query.where(SwapItem.category_id == category_id)
    return list(db.session.scalars(query.order_by(SwapItem.logged_at.desc()).limit(limit)))


def keeper_items(station: Station, status: str | None = None, limit: int = 300) -> list[SwapItem]:
    query = select(SwapItem).where(SwapItem.station_id == station.id)
    if status in ("on_shelf", "taken", "removed"):
        query = query.where(SwapItem.status == status)
    return list(db.session.scalars(query.order_by(SwapItem.logged_at.desc()).limit(limit)))


def is_stale(station: Station, item: SwapItem, now: datetime) -> bool:
    return item.status == "on_shelf" and now - item.logged_at > timedelta(days=station.swap_clear_after_days)


@dataclass(frozen=True)
class SwapCounts:
    brought: int
    taken: int


def counts_between(station: Station, start: datetime, end: datetime) -> SwapCounts:
    brought = db.session.scalar(select(func.count()).select_from(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.logged_at >= start, SwapItem.logged_at < end))
    taken = db.session.scalar(select(func.count()).select_from(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.taken_at >= start, SwapItem.taken_at < end))
    return SwapCounts(brought or 0, taken or 0)


def day_counts(station: Station, day: date) -> SwapCounts:
    return counts_between(station, *day_bounds(station, day))


def month_counts(station: Station, year: int, month: int) -> SwapCounts:
    return counts_between(station, *month_bounds(station, date(year, month, 1)))


def history(item: SwapItem) -> list[SwapEvent]:
    return list(db.session.scalars(select(SwapEvent).where(SwapEvent.item_id == item.id).order_by(SwapEvent.at, SwapEvent.id)))


def items_logged_or_taken(station: Station, day: date) -> tuple[list[SwapItem], list[SwapItem]]:
    start, end = day_bounds(station, day)
    logged = list(db.session.scalars(select(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.logged_at >= start, SwapItem.logged_at < end).order_by(SwapItem.logged_at)))
    taken = list(db.session.scalars(select(SwapItem).where(
        SwapItem.station_id == station.id, SwapItem.taken_at >= start, SwapItem.taken_at < end).order_by(SwapItem.taken_at)))
    return logged, taken
