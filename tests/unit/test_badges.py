import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select, update

from kiosk.core.clock import utcnow
from kiosk.core.errors import DomainError
from kiosk.core.extensions import db
from kiosk.core.models import Station
from kiosk.core.qr import qr_png, qr_svg
from kiosk.people.badges import (CARD_NAME_POINTS, NONCE_BYTES, TOKEN, UnknownBadge, badge_stamp, badge_token,
                                 card_name_size, issue_badge, volunteer_for_token)
from kiosk.people.models import AuditEvent, Volunteer
from kiosk.people.volunteers import register_volunteer
from tests.conftest import decode_svg_qr, in_english


@pytest.fixture
def ctx(app, station):
    with in_english(app):
        yield db.session.get(Station, station), db.session.get(Volunteer, 1)


def test_token_is_opaque_and_finds_its_volunteer(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    assert TOKEN.fullmatch(token)
    for secret in (volunteer.name, volunteer.number, volunteer.mobile, volunteer.mobile[-4:]):
        assert secret not in token
    assert volunteer_for_token(station, token) is volunteer
    # Scanners add spaces and newlines, or send lower case.
    assert volunteer_for_token(station, f"  {token.lower()}\r\n") is volunteer


def test_a_badge_typed_in_full_width_is_the_same_badge(ctx):
    """A scanner behind a Chinese input method in full-width mode types ＨＸ…: it was refused."""
    station, volunteer = ctx
    token = badge_token(volunteer)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in token)
    assert volunteer_for_token(station, full_width + "\n") is volunteer


@pytest.mark.parametrize("raw", ["0005", "５", " 0005\n", "13800138001"])
def test_a_number_typed_into_the_scanners_field_is_pointed_to_the_forgotten_badge_lookup(ctx, raw):
    """Probe: "That is not a station badge" left a volunteer typing their number with nowhere to go."""
    station, _ = ctx
    with pytest.raises(UnknownBadge, match="To check in with your number, tap “Forgot your badge"):
        volunteer_for_token(station, raw)


def test_reissued_badge_stops_the_old_one_at_once(ctx):
    station, volunteer = ctx
    old = badge_token(volunteer)
    new = issue_badge(volunteer)
    assert new != old
    assert volunteer_for_token(station, new) is volunteer
    with pytest.raises(UnknownBadge, match="replaced"):
        volunteer_for_token(station, old)


def test_a_forged_token_with_a_real_nonce_is_refused(ctx):
    station, volunteer = ctx
    token = badge_token(volunteer)
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises(UnknownBadge, match="not made by this station"):
        volunteer_for_token(station, forged)


def test_badge_from_another_station_is_refused(ctx):
    station, _ = ctx
    other = Station(slug="other", name="另一个驿站")
    db.session.add(other)
    db.session.flush()
    stranger = register_volunteer(other, name="外站人", mobile="13911112222")
    with pytest.raises(UnknownBadge, match="another station"):
        volunteer_for_token(station, badge_token(stranger))


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "hello", "HX", "HX" + "A" * 31, "HX" + "A" * 33, "HX" + "1" * 32, "x" * 10_000,
     "' OR 1=1 --", "<script>alert(1)</script>", "J-0157", "HX" + "Ａ" * 32, "\x00" * 40],
)
def test_malformed_codes_are_refused_plainly(ctx, raw):
    station, _ = ctx
    with pytest.raises(UnknownBadge):
        volunteer_for_token(station, raw)


def test_qr_images_decode_back_to_the_token(ctx):
    _, volunteer = ctx
    token = badge_token(volunteer)
    png = Image.open(io.BytesIO(qr_png(token)))
    assert [r.text for r in zxingcpp.read_barcodes(png)] == [token]
    svg = qr_svg(token)
    assert svg.startswith("<svg") and "path" in svg


def test_svg_qr_for_print_decodes_to_the_token(ctx):
    _, volunteer = ctx
    token = badge_token(volunteer)
    assert decode_svg_qr(qr_svg(token, box_size=10)) == [token]


# --- The name on a printed card (the browser test measures the card itself) -----------------------


@pytest.mark.parametrize("name, step", [
    ("张晓华", 0), ("欧阳明月", 0), ("", 0), ("Li Na", 0),
    ("阿卜杜热合曼·买买提艾力", 0),  # breaks between characters: three lines at the big type
    ("阿卜杜热合曼·买买提艾力·克里木江", 2),  # smaller only to stay within three lines
    ("Gulnara", 1),
    ("Nurmukhammedova Gulnara", len(CARD_NAME_POINTS) - 1),  # one word longer than the column at 20 pt
    ("Abdurakhmonovich-Nurmukhammedov", len(CARD_NAME_POINTS) - 1),
    ("x" * 200, len(CARD_NAME_POINTS) - 1),  # as small as it goes; CSS breaks the rest
])
def test_a_long_word_in_a_name_sets_it_smaller_on_the_card(name, step):
    assert card_name_size(name) == step


def test_the_longest_word_decides_not_where_it_stands():
    assert card_name_size("Gulnara Nurmukhammedova") == card_name_size("Nurmukhammedova Gulnara")
    # Spaces and hyphens are where a line may break: the words alone count, not the whole name.
    assert card_name_size("Ana Li Bo") < card_name_size("AnaLiBo")
    assert card_name_size("Mary-Ann") < card_name_size("MaryAnn")


# --- Re-issuing a lost badge: once per confirmation ------------------------------------------------


def reissue(volunteer, seen):
    from kiosk.people.models import Keeper
    from kiosk.people.volunteers import reissue_badge

    keeper = db.session.scalar(select(Keeper))
    return reissue_badge(keeper, volunteer.station, volunteer, seen, utcnow())


def reissued_events(volunteer):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "volunteer.badge_reissued", AuditEvent.volunteer_id == volunteer.id))


def test_a_confirmed_reissue_replaces_the_badge_the_keeper_was_shown(ctx):
    station, volunteer = ctx
    old = badge_token(volunteer)
    assert reissue(volunteer, badge_stamp(volunteer)) is True
    new = badge_token(volunteer)
    assert new != old and volunteer_for_token(station, new) is volunteer
    with pytest.raises(UnknownBadge, match="replaced"):
        volunteer_for_token(station, old)
    assert reissued_events(volunteer) == 1


def test_the_same_confirmation_sent_twice_issues_one_new_badge(ctx):
    """A double tap, or the browser's back button and the form sent again: the badge the keeper
    confirmed replacing is gone already, so nothing more is issued and the new card stays good."""
    _, volunteer = ctx
    seen = badge_stamp(volunteer)
    assert reissue(volunteer, seen) is True
    new = badge_token(volunteer)
    assert reissue(volunteer, seen) is False
    assert badge_token(volunteer) == new
    assert reissued_events(volunteer) == 1


def test_two_keepers_confirming_at_the_same_moment_issue_one_new_badge(ctx):
    """The second read the volunteer before the first's new badge was written: the stamp still
    matches what it holds, and only the conditional write tells that the badge is gone."""
    _, volunteer = ctx
    seen = badge_stamp(volunteer)
    db.session.execute(update(Volunteer).where(Volunteer.id == volunteer.id).values(badge_nonce="ab" * NONCE_BYTES)
                       .execution_options(synchronize_session=False))  # the other keeper's, written meanwhile
    assert reissue(volunteer, seen) is False
    assert volunteer.badge_nonce == "ab" * NONCE_BYTES
    assert reissued_events(volunteer) == 0


@pytest.mark.parametrize("seen", [None, "", "not-a-stamp", "印章" * 30])
def test_a_reissue_without_the_keepers_confirmation_changes_nothing(ctx, seen):
    _, volunteer = ctx
    old = badge_token(volunteer)
    if seen:  # a stamp of no badge this volunteer held: taken as already replaced
        assert reissue(volunteer, seen) is False
    else:
        with pytest.raises(DomainError, match="confirm"):
            reissue(volunteer, seen)
    assert badge_token(volunteer) == old and reissued_events(volunteer) == 0


def test_a_reissue_is_news_on_the_question_page_until_the_stations_day_ends(ctx):
    from datetime import timedelta

    from kiosk.people.volunteers import reissued_today

    station, volunteer = ctx
    now = utcnow()  # 09:00 in Shanghai
    assert reissued_today(station, volunteer, now) is None  # the badge given at registration is no re-issue
    reissue(volunteer, badge_stamp(volunteer))
    assert reissued_today(station, volunteer, now) == now
    assert reissued_today(station, volunteer, now + timedelta(hours=14, minutes=59)) == now  # 23:59 the same day
    assert reissued_today(station, volunteer, now + timedelta(hours=15)) is None  # midnight at the station
