"""A deactivated volunteer through the pages: the keeper is told before and after what deactivating
does to an open session and sign-ups; their phone, the forgotten-badge screen and the honor picks
say they are paused (or kept off), not unknown."""

import html
import re

import pytest
from sqlalchemy import func, select

from kiosk.checkin.attendance import LOOKUPS_PER_WINDOW
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.honor.models import HonorPick
from kiosk.people.models import Volunteer
from tests.conftest import HX, csrf_token
from tests.http.test_activities import plan
from tests.http.test_keeper import field_errors
from tests.http.test_phone import code_at, link_badge
from tests.http.test_recognition import kiosk, post, scan, token  # noqa: F401 - kiosk is a fixture

PAUSED = "Your volunteer account is paused for now. Please talk to a keeper."
NUMBER = 20  # 欧阳明月, No. 0020


def deactivate(keeper, volunteer_id=NUMBER):
    return post(keeper, f"/keeper/volunteers/{volunteer_id}/active", {"active": "0"},
                page=f"/keeper/volunteers/{volunteer_id}")


def text(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()))


def set_volunteer(app, volunteer_id=NUMBER, **values):
    with app.app_context():
        volunteer = db.session.get(Volunteer, volunteer_id)
        for key, value in values.items():
            setattr(volunteer, key, value)
        db.session.commit()


# --- 1. Deactivating a volunteer on duty --------------------------------------------------------


def test_deactivating_a_volunteer_on_duty_checks_them_out_and_the_page_says_so(app, keeper, kiosk, clock):
    assert 'data-outcome="checked_in"' in scan(kiosk, token(app, NUMBER)).get_data(as_text=True)
    assert "欧阳明月" in keeper.get("/keeper/today").get_data(as_text=True)
    before = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "On duty since 09:00: deactivating checks them out now." in before
    clock.advance(hours=2)
    r = deactivate(keeper)
    assert r.status_code == 303 and r.headers["Location"] == f"/keeper/volunteers/{NUMBER}"
    with app.app_context():
        (session,) = db.session.scalars(select(ServiceSession))
        assert session.checked_out_at == clock.now() and session.needs_review
    after = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "When deactivated, this also happened:" in after
    assert "Checked out on deactivation: 11-22 09:00 – 11-22 11:00" in after
    today = keeper.get("/keeper/today").get_data(as_text=True)
    on_duty = today.split("data-on-duty", 1)[1].split("</ul>", 1)[0]
    assert "欧阳明月" not in on_duty and "Nobody on duty right now." in on_duty
    r = scan(kiosk, token(app, NUMBER))
    assert r.status_code == 422 and "no longer active" in r.get_data(as_text=True)
    assert "欧阳明月" in keeper.get("/keeper/review").get_data(as_text=True)  # hours kept, to confirm
    # Probe: the session read "by keeper" / "entered by keeper" twice, though no keeper typed a time.
    review = text(keeper.get("/keeper/review"))
    assert "checked out on deactivation" in review and "by keeper" not in review
    assert "scanner / checked out on deactivation" in text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "entered by keeper" not in text(keeper.get(f"/keeper/volunteers/{NUMBER}"))


def test_deactivating_gives_back_sign_ups_and_says_so_before_and_after(app, keeper, clock):
    assert plan(app, keeper, clock).status_code == 303
    with app.app_context():
        from kiosk.activities.models import Activity, Signup

        activity_id = db.session.scalar(select(Activity.id))
        db.session.add(Signup(activity_id=activity_id, volunteer_id=NUMBER, at=clock.now()))
        db.session.commit()
    before = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "Holds places in activities to come (1): deactivating gives them back." in before
    assert deactivate(keeper).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 0
    after = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "Took off an activity's sign-ups: 爱心课堂" in after


def test_a_volunteer_off_duty_is_deactivated_with_no_warning(app, keeper):
    page = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "On duty since" not in page and "activities to come" not in page
    assert deactivate(keeper).status_code == 303
    assert "When deactivated" not in text(keeper.get(f"/keeper/volunteers/{NUMBER}"))


# --- 2. Their own phone -------------------------------------------------------------------------


@pytest.fixture
def paused_phone(app, clock, station):
    """Volunteer 20's phone, linked by their badge, then the volunteer is deactivated."""
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert link_badge(client, code_at(app, station, clock.now()), token(app, NUMBER)).status_code == 303
    set_volunteer(app, active=False)
    return client


def test_a_paused_volunteers_phone_says_so_on_my_hours(app, paused_phone):
    r = paused_phone.get("/m/me")
    assert r.status_code == 200
    assert PAUSED in text(r) and "does not know you" not in text(r)
    assert 'action="/m/forget' in r.get_data(as_text=True)


def test_a_paused_volunteers_phone_says_so_on_check_in(app, paused_phone, clock, station):
    code = code_at(app, station, clock.now())
    for path in ("/m/checkin", f"/m/checkin?c={code}"):
        page = text(paused_phone.get(path))
        assert PAUSED in page and "First time on this phone" not in page
    r = paused_phone.post("/m/checkin", data={"c": code, "csrf_token": csrf_token(paused_phone, "/m/me")}, headers=HX)
    assert r.status_code == 422 and PAUSED in text(r)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0


def test_a_paused_volunteer_signing_up_on_the_phone_is_told_so(app, keeper, paused_phone, clock):
    plan(app, keeper, clock)
    with app.app_context():
        from kiosk.activities.models import Activity

        activity_id = db.session.scalar(select(Activity.id))
    r = paused_phone.post(f"/m/activities/{activity_id}/sign-up?station=demo",
                          data={"csrf_token": csrf_token(paused_phone, "/m/me")})
    assert r.status_code == 422 and PAUSED in text(r)


def test_reactivating_brings_the_phone_back(app, paused_phone):
    set_volunteer(app, active=True)
    assert "欧*明月" in text(paused_phone.get("/m/me")) or "No. 0020" in text(paused_phone.get("/m/me"))


# --- 3. Forgot your badge -----------------------------------------------------------------------


def find(client, entered, address="10.1.1.1"):
    return client.post("/checkin/find", data={"entered": entered, "csrf_token": csrf_token(client, "/checkin/forgot")},
                       headers=HX, environ_base={"REMOTE_ADDR": address})


def test_forgot_badge_with_a_paused_number_says_see_a_keeper(app, client, station):
    client.set_cookie("kiosk_lang", "en")
    set_volunteer(app, active=False)
    r = find(client, "0020")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'role="alert"' in page
    assert "This volunteer is no longer active. Please see a keeper." in text(r)
    assert "No volunteer matches" not in page and "欧" not in page and 'name="volunteer_id"' not in page


def test_forgot_badge_for_a_paused_number_counts_like_any_other_try(app, client, station):
    client.set_cookie("kiosk_lang", "en")
    set_volunteer(app, active=False)
    for _ in range(LOOKUPS_PER_WINDOW):
        client.delete_cookie("kiosk_device")
        assert find(client, "0020").status_code == 422
    r = find(client, "0020")
    assert r.status_code == 429 and "Too many tries just now" in r.get_data(as_text=True)


# --- 4. Honor picks -----------------------------------------------------------------------------


def pick(keeper, number):
    return post(keeper, "/keeper/honor", {"number": number, "note": "最美志愿者"}, page="/keeper/honor")


def picks(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(HonorPick))


def test_picking_a_volunteer_kept_off_the_honor_roll_is_refused_beside_the_number(app, keeper):
    set_volunteer(app, 2, hide_from_honor_roll=True)
    r = pick(keeper, "2")
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "number") == [
        "This volunteer asked to be kept off the honor roll (see their page)."]
    assert picks(app) == 0


def test_picking_a_deactivated_volunteer_says_deactivated_beside_the_number(app, keeper):
    set_volunteer(app, 2, active=False)
    r = pick(keeper, "2")
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "number") == [
        "This volunteer is deactivated: the kiosk does not show them on the honor roll."]
    assert picks(app) == 0


def test_a_pick_the_kiosk_stopped_showing_says_why_on_the_keepers_list(app, keeper):
    assert pick(keeper, "2").status_code == 303
    set_volunteer(app, 2, hide_from_honor_roll=True)
    page = text(keeper.get("/keeper/honor"))
    assert "Not shown on the kiosk: This volunteer asked to be kept off the honor roll (see their page)." in page


def test_a_gift_waiting_for_a_deactivated_volunteer_stays_and_says_they_are_inactive(app, keeper, clock):
    from kiosk.gifts.redemptions import add_gift, ask_for_gift, offer_gift
    from kiosk.people.models import Keeper
    from kiosk.points.ledger import award

    with app.app_context():
        station, someone = db.session.get(Volunteer, NUMBER).station, db.session.scalar(select(Keeper))
        award(someone, station, db.session.get(Volunteer, NUMBER), 200, "最美志愿者", clock.now())
        cup = add_gift(someone, station, "保温杯", 150, 2, clock.now())
        volunteer = db.session.get(Volunteer, NUMBER)
        ask_for_gift(station, volunteer, cup.id, clock.now(), offer_gift(station, volunteer, cup.id).once)
        db.session.commit()
    keeper.set_cookie("lang", "en")
    assert "Has a gift waiting to be handed over (保温杯)" in text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert deactivate(keeper).status_code == 303
    waiting = text(keeper.get("/keeper/gifts")).split("Waiting to be handed over", 1)[1].split("Catalogue", 1)[0]
    assert "欧阳明月 inactive 保温杯" in waiting
