"""The suggestion box (建议筒): "发现—处置—反馈". Residents drop a suggestion and get a tracking code;
keepers move it along received → accepted → in progress → resolved or declined, and reply in public."""

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kiosk.core.database import serialize_writes
from kiosk.core.edits import refuse_if_edited_meanwhile
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.suggest.models import (
    OPEN_STATUSES,
    STANDARD_SUGGESTION_CATEGORIES,
    SUGGESTION_STATUSES,
    Suggestion,
    SuggestionCategory,
    SuggestionEvent,
)
from kiosk.core.choices import add_choice, add_standard, station_choices
from kiosk.core.models import Station
from kiosk.core.photos import PreparedPhoto, keep_after_commit
from kiosk.core.text import clean_mobile, half_width, lines, mask_names_in, mask_phone_numbers
from kiosk.people.models import Keeper, Volunteer
from kiosk.people.privacy import masked_words
from kiosk.people.volunteers import registered_names

CATEGORY_LABELS = {
    "environment": _l("Environment"),
    "safety": _l("Safety"),
    "facilities": _l("Facilities"),
    "station": _l("Station services"),
    "neighbours": _l("Neighbour disputes"),
    "other": _l("Other"),
}
STATUS_LABELS = {
    "received": _l("Received"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "resolved": _l("Resolved"),
    "declined": _l("Declined"),
}
TEXT_MAX = 500
REPLY_MAX = 1000
NOTE_MAX = 1000
BUSY_KIOSK = _l("This tablet has had many suggestions just now. Please try again in a while, or scan the code "
               "with your own phone.")
BUSY_PHONE = _l("Many suggestions have come from here just now. Please try again in a while.")
# How many suggestions one device may leave in an hour: a shared kiosk serves many residents,
# a phone serves one.
RATE_LIMITS = {"kiosk": 20, "phone": 3}
# …and from one network address, by where they were sent from.
ADDRESS_LIMITS = {"kiosk": 20, "phone": 6}
RATE_WINDOW = timedelta(hours=1)
# Crockford-style base32 without look-alikes (no 0/O, 1/I/L): easy to read out and type.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3000", "\u00a0"}
# The S and the dash may be left out; the dash may be a Chinese keyboard's —— (two of them), or 一,
# which a pinyin keyboard offers for "yi" in its place. Six code letters always.
TRACKING = re.compile(r"(?:S(?:--?|一)?)?([2-9A-HJKMNP-Z]{6})")


CHOOSE_CATEGORY = _l("Please choose what it is about.")


class TooManySuggestions(DomainError):
    status = 429


def category_label(category: SuggestionCategory) -> str:
    return category.name or str(CATEGORY_LABELS.get(category.code or "", category.code or ""))


def event_label(event: SuggestionEvent) -> str:
    if event.action == "status":
        return str(_l("Status: %(before)s → %(after)s", before=status_label(event.before or ""),
                      after=status_label(event.after or "")))
    if event.action == "duplicate":
        return str(_l("Marked as a duplicate of %(code)s", code=event.after)) if event.after else str(_l("Not a duplicate"))
    labels = {"received": _l("Dropped in the box"), "reply": _l("Public reply updated"),
              "note": _l("Internal note updated"), "wording": _l("Public wording updated"),
              "hidden": _l("Hidden from public views"), "shown": _l("Shown in public views again")}
    return str(labels.get(event.action, event.action))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def add_standard_categories(station: Station) -> None:
    add_standard(SuggestionCategory, station, STANDARD_SUGGESTION_CATEGORIES)


def categories(station: Station, include_hidden: bool = False) -> list[SuggestionCategory]:
    return station_choices(SuggestionCategory, station, include_hidden)


def add_category(station: Station, name: str) -> SuggestionCategory:
    return add_choice(SuggestionCategory, station, name, category_label)


def submitter_key(device_id: str) -> str:
    return hashlib.sha256(f"suggest:{device_id}".encode()).hexdigest()


def _clean_text(raw: str | None, limit: int, field: str, required: bool = True, empty=None) -> str | None:
    # Control and invisible characters go first, so a text of only those counts as empty.
    text = lines(raw)
    if not text or not any(ch.isprintable() and not ch.isspace() and ch not in INVISIBLE for ch in text):
        if required:
            raise DomainError(empty or _l("Please write your suggestion."), field=field)
        return None
    if len(text) > limit:
        raise DomainError(_l("Please keep it to %(n)s characters or fewer.", n=limit), field=field)
    return text


def submit(station: Station, *, category_id, text: str, photo: PreparedPhoto | None, contact: str | None, anonymous: bool,
           source: str, device_id: str, address: str = "", now: datetime, once: str | None = None,
           volunteer_id: int | None = None, station_kiosk: bool = False) -> Suggestion:
    """Drop a suggestion in the box. The photo, already re-encoded (`prepare_photo`), goes in place
    once the suggestion is committed.
    The rate counts the device (its cookie) and, so that a fresh cookie does not reset it, its address.
    Only the tablet a keeper set up as the station's kiosk (`station_kiosk`) has the kiosk's
    allowance; any other device has a phone's, whichever form it uses, counted over both."""
    once = once if once and re.fullmatch(r"[0-9a-f]{32}", once) else None
    if once:
        # The same form sent twice (a double tap, a retry): one suggestion, the same receipt.
        already = db.session.scalar(select(Suggestion).where(Suggestion.submit_token == once))
        if already is not None and already.station_id == station.id:
            return already
    key = submitter_key(device_id)
    origin = submitter_key(f"addr:{address}")
    allowance = "kiosk" if source == "kiosk" and station_kiosk else "phone"
    since = now - RATE_WINDOW
    serialize_writes("suggest:rate")  # two at once must not both squeeze under the limit
    by_device = db.session.scalar(select(func.count()).select_from(Suggestion).where(
        Suggestion.submitter == key, Suggestion.created_at >= since))
    from_address = select(func.count()).select_from(Suggestion).where(Suggestion.origin == origin,
                                                                       Suggestion.created_at >= since)
    by_address = db.session.scalar(from_address.where(Suggestion.source == "kiosk") if allowance == "kiosk"
                                   else from_address)
    # A shared address (the kiosk tablet, a family's Wi-Fi) gets a little more than one device, never
    # more: a phone that throws its cookie away is still counted by its address.
    if by_device >= RATE_LIMITS[allowance] or by_address >= ADDRESS_LIMITS[allowance]:
        # Not "thank you" before a refusal; on the kiosk, its code for a phone is the other way in.
        raise TooManySuggestions(BUSY_KIOSK if source == "kiosk" else BUSY_PHONE)
    category = None
    if re.fullmatch(r"[0-9]{1,9}", str(category_id or "")):
        category = db.session.get(SuggestionCategory, int(category_id))
    no_category = category is None or category.station_id != station.id or not category.active
    try:
        text = _clean_text(text, TEXT_MAX, "text")
    except DomainError as bad_text:
        if no_category:  # both at once: the form shows both, not one after the other
            raise DomainError(CHOOSE_CATEGORY, field="category", also={"text": bad_text.message}) from None
        raise
    if no_category:
        raise DomainError(CHOOSE_CATEGORY, field="category")
    # Staying anonymous means no contact is kept, even if one was typed.
    contact = None if anonymous or not (contact or "").strip() else clean_mobile(contact)
    try:
        suggestion = Suggestion(
            station_id=station.id, tracking_code=_new_code(), category_id=category.id, text=text,
            photo=photo.name if photo else None, contact_mobile=contact, source=source, submitter=key, origin=origin,
            submit_token=once, volunteer_id=None if anonymous else volunteer_id,
            status="received", created_at=now, updated_at=now,
        )
        with db.session.begin_nested():
            db.session.add(suggestion)
        db.session.add(SuggestionEvent(suggestion_id=suggestion.id, at=now, action="received"))
        db.session.flush()
    except IntegrityError:
        twin = db.session.scalar(select(Suggestion).where(Suggestion.submit_token == once)) if once else None
        if twin is None:
            raise
        return twin
    if photo:
        keep_after_commit(photo)
    return suggestion


def _new_code() -> str:
    while True:
        code = "S-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not db.session.scalar(select(Suggestion.id).where(Suggestion.tracking_code == code)):
            return code


def by_tracking_code(raw: str) -> Suggestion | None:
    # A Chinese keyboard may type the code in full-width letters; any dash (— – －) is the dash.
    typed = unicodedata.normalize("NFKC", half_width((raw or "")[:20]))
    match = TRACKING.fullmatch("".join(typed.split()).upper())
    if not match:
        return None
    return db.session.scalar(select(Suggestion).where(Suggestion.tracking_code == f"S-{match.group(1)}"))


def editable_details(suggestion: Suggestion) -> dict:
    """What the keeper's page edits, as stored: whether it changed since the page was opened (`edit_stamp`)."""
    return {"status": suggestion.status, "public_reply": suggestion.public_reply,
            "internal_note": suggestion.internal_note, "public_wording": suggestion.public_wording,
            "hidden": bool(suggestion.hidden), "duplicate_of_id": suggestion.duplicate_of_id}


def change(keeper: Keeper, suggestion: Suggestion, *, status: str | None = None, public_reply: str | None = None,
           internal_note: str | None = None, hidden: bool | None = None, duplicate_of: str | None = None,
           public_wording: str | None = None, now: datetime, seen: str | None = None) -> Suggestion:
    """A keeper moves a suggestion along, replies, notes, edits its public wording, hides, or marks it
    a duplicate; history kept. Once it is past "received" (public), its wording is fixed: the
    keeper's, else the masked text as the keeper's page previewed it. What a keeper writes for the
    public (wording, reply) is masked like a resident's words: a name or a mobile typed there would
    otherwise go on every public screen and to the district. `seen`: the stamp of the suggestion
    the keeper's page showed (core/edits.py); another keeper's save since is not undone."""
    refuse_if_edited_meanwhile(seen, editable_details(suggestion))
    events = []
    names = registered_names(suggestion.station_id) if public_wording or public_reply else []
    if public_wording is not None:
        wording = masked_text(_clean_text(public_wording, TEXT_MAX, "public_wording",
                                          empty=_l("Please write what residents will see (or hide the suggestion).")),
                              names)
        # Saving the page unchanged does not fix the automatic wording before it is published.
        if wording != wording_of(suggestion):
            events.append(("wording", suggestion.public_wording, wording))
            suggestion.public_wording = wording
    if public_reply is not None:
        reply = _clean_text(public_reply, REPLY_MAX, "public_reply", required=False)
        # The station's own number (its contact) stays: a reply saying "call us" must keep it.
        reply = masked_text(reply, names, keep=[db.session.get(Station, suggestion.station_id).contact]) if reply else reply
        if reply != suggestion.public_reply:
            events.append(("reply", suggestion.public_reply, reply))
            suggestion.public_reply = reply
    if internal_note is not None:
        note = _clean_text(internal_note, NOTE_MAX, "internal_note", required=False)
        if note != suggestion.internal_note:
            events.append(("note", None, None))
            suggestion.internal_note = note
    if status is not None and status != suggestion.status:
        if status not in SUGGESTION_STATUSES:
            raise DomainError(_l("Please choose a status."), field="status")
        if status == "received" and (suggestion.public_reply if public_reply is None else public_reply):
            # Back to "received" undoes a status tapped by mistake; once residents have read a reply
            # it would leave them a reply under "received" and no wording: it is reopened instead.
            raise DomainError(_l("This suggestion is public already: to reopen it, choose “In progress”."),
                              field="status")
        events.append(("status", suggestion.status, status))
        suggestion.status = status
        suggestion.resolved_at = now if status in ("resolved", "declined") else None
    if hidden is not None and hidden != suggestion.hidden:
        events.append(("hidden" if hidden else "shown", None, None))
        suggestion.hidden = hidden
    if duplicate_of is not None:
        original = by_tracking_code(duplicate_of) if duplicate_of.strip() else None
        if duplicate_of.strip() and (original is None or original.station_id != suggestion.station_id
                                     or original.id == suggestion.id):
            raise DomainError(_l("No other suggestion has this tracking code."), field="duplicate_of")
        new_id = original.id if original else None
        if new_id != suggestion.duplicate_of_id:
            if original is not None and _leads_back(original, suggestion):
                raise DomainError(_l("%(code)s is already marked as a duplicate of this one (directly or through "
                                     "another). To turn it round, first clear the duplicate mark on %(code)s.",
                                     code=original.tracking_code), field="duplicate_of")
            events.append(("duplicate", None, original.tracking_code if original else None))
            suggestion.duplicate_of_id = new_id
    if suggestion.status != "received" and suggestion.public_wording is None:
        # Published now: what the preview showed stays public, whoever registers or is erased
        # later. Not a change of the wording (it reads as before), so no history line of its own.
        suggestion.public_wording = wording_of(suggestion)
    if suggestion.status == "declined" and not suggestion.public_reply:
        # A declined suggestion always says why, however it got there.
        raise DomainError(_l("Please say why in the public reply before declining."), field="public_reply")
    if events:
        suggestion.updated_at = now
        for action, before, after in events:
            db.session.add(SuggestionEvent(suggestion_id=suggestion.id, keeper_id=keeper.id, at=now, action=action,
                                           before=(before or "")[:200] or None, after=(after or "")[:200] or None))
    db.session.flush()
    return suggestion


def _leads_back(original: Suggestion, suggestion: Suggestion) -> bool:
    """Whether `original`, followed from duplicate to original, comes to `suggestion`: marking it
    a duplicate of `original` would then close a ring, each page naming another as the original."""
    serialize_writes("suggest:duplicates")  # two keepers marking S-A and S-B of each other at once
    seen, at = set(), original.id
    while at is not None and at not in seen:  # a ring saved before this rule must not loop forever
        if at == suggestion.id:
            return True
        seen.add(at)
        at = db.session.scalar(select(Suggestion.duplicate_of_id).where(Suggestion.id == at))
    return False


def inbox(station: Station, status: str | None = None, category_id: int | None = None) -> list[Suggestion]:
    query = select(Suggestion).where(Suggestion.station_id == station.id)
    if status in SUGGESTION_STATUSES:
        query = query.where(Suggestion.status == status)
    if category_id:
        query = query.where(Suggestion.category_id == category_id)
    return list(db.session.scalars(query.order_by(Suggestion.created_at.desc()).limit(500)))


def counts(station: Station) -> tuple[dict[str, int], list[tuple[SuggestionCategory, int]]]:
    by_status = dict(db.session.execute(select(Suggestion.status, func.count()).where(
        Suggestion.station_id == station.id).group_by(Suggestion.status)).all())
    by_category = dict(db.session.execute(select(Suggestion.category_id, func.count()).where(
        Suggestion.station_id == station.id).group_by(Suggestion.category_id)).all())
    return ({s: by_status.get(s, 0) for s in SUGGESTION_STATUSES},
            [(c, by_category.get(c.id, 0)) for c in categories(station)])


def history(suggestion: Suggestion) -> list[SuggestionEvent]:
    return list(db.session.scalars(select(SuggestionEvent).where(
        SuggestionEvent.suggestion_id == suggestion.id).order_by(SuggestionEvent.at, SuggestionEvent.id)))


def you_said_we_did(station: Station, limit: int = 10) -> list[Suggestion]:
    """Recently resolved suggestions with a public reply, for the kiosk: proof the box is read."""
    return list(db.session.scalars(select(Suggestion).where(
        Suggestion.station_id == station.id, Suggestion.status == "resolved", Suggestion.hidden.is_(False),
        Suggestion.public_reply.is_not(None)).order_by(Suggestion.resolved_at.desc()).limit(limit)))


def masked_text(text: str, names, keep=()) -> str:
    """A resident's words with the station's registered names (`names`) and every number that may
    be someone's phone (but those in `keep`) masked: the public wording a keeper starts from."""
    return mask_phone_numbers(mask_names_in(text, names), keep)


def wording_of(suggestion: Suggestion, names: list[str] | None = None) -> str:
    """What public views show of a suggestion's words: the wording a keeper published or edited;
    before that (and for suggestions older than public wording) the text, masked."""
    if suggestion.public_wording is not None:
        return suggestion.public_wording
    return masked_text(suggestion.text, registered_names(suggestion.station_id) if names is None else names)


def keep_wording_masked(_keeper: Keeper, station: Station, volunteer: Volunteer, _now: datetime) -> None:
    """Before a volunteer is erased: suggestions whose public wording is still worked out from their
    text (masking the names registered at the time) get that wording kept, so the erased name,
    no longer registered, stays masked."""
    if len(volunteer.name or "") < 2:
        return
    names = registered_names(station.id)
    others = [n for n in names if n != volunteer.name]
    # Masking finds a name however it was written (a space inside it, any case): ask it, not SQL.
    for suggestion in db.session.scalars(select(Suggestion).where(
            Suggestion.station_id == station.id, Suggestion.public_wording.is_(None))):
        wording = masked_text(suggestion.text, names)
        if wording != masked_text(suggestion.text, others):
            suggestion.public_wording = wording


def mask_erased_notes(_keeper: Keeper, _station: Station, volunteer: Volunteer, _now: datetime) -> None:
    """Before a volunteer is erased: keepers' internal notes on what they sent from their phone
    (随手拍) keep no name or phone number of theirs. What they wrote themselves stays, as every
    resident's suggestion does."""
    for suggestion in db.session.scalars(select(Suggestion).where(Suggestion.volunteer_id == volunteer.id,
                                                                  Suggestion.internal_note.is_not(None))):
        if (masked := masked_words(suggestion.internal_note, volunteer)) != suggestion.internal_note:
            suggestion.internal_note = masked


def wordings(suggestions: list[Suggestion]) -> dict[int, str]:
    """`wording_of` for a list, reading each station's names once, and only where needed."""
    names: dict[int, list[str]] = {}
    shown = {}
    for s in suggestions:
        if s.public_wording is None and s.station_id not in names:
            names[s.station_id] = registered_names(s.station_id)
        shown[s.id] = wording_of(s, names.get(s.station_id))
    return shown


def public_requests(station: Station | None = None, limit: int = 200) -> list[Suggestion]:
    """What a district system may read: suggestions a keeper has looked at (past "received"), not hidden."""
    query = select(Suggestion).where(Suggestion.hidden.is_(False), Suggestion.status != "received")
    if station is not None:
        query = query.where(Suggestion.station_id == station.id)
    return list(db.session.scalars(query.order_by(Suggestion.created_at.desc()).limit(limit)))


def open311(suggestion: Suggestion, wording: str | None = None) -> dict:
    """The GeoReport v2 request fields that apply; never the contact, the photo or the internal note."""
    return {
        "service_request_id": suggestion.tracking_code,
        "status": "open" if suggestion.status in OPEN_STATUSES else "closed",
        "status_notes": suggestion.public_reply or "",
        "service_name": category_label(suggestion.category),
        "service_code": suggestion.category.code or f"custom-{suggestion.category_id}",
        "description": wording_of(suggestion) if wording is None else wording,
        "requested_datetime": suggestion.created_at.isoformat(),
        "updated_datetime": suggestion.updated_at.isoformat(),
    }


def sent_by_volunteer_as_data(volunteer: Volunteer) -> list[dict]:
    """Suggestions the volunteer sent from their linked phone (随手拍), for the export of
    everything stored about them: their own words and contact, and where each stands."""
    return [{"tracking_code": s.tracking_code, "text": s.text, "contact_mobile": s.contact_mobile,
             "status": s.status, "public_reply": s.public_reply, "sent_at": s.created_at.isoformat()}
            for s in db.session.scalars(select(Suggestion).where(Suggestion.volunteer_id == volunteer.id)
                                        .order_by(Suggestion.created_at))]
