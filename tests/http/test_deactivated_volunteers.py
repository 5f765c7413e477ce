"""A deactivated volunteer through the pages: the keeper is told before and after what deactivating
does to an open session and sign-ups; their phone, the forgotten-badge screen and the honor picks
say they are paused (or kept off), not unknown."""

import html
import re

from sqlalchemy import func, select

from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.people.models import Volunteer
from tests.http.test_activities import plan
from tests.http.test_recognition import kiosk, post, scan, token  # noqa: F401 - kiosk is a fixture

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
    assert "checked out on deactivation: 11-22 09:00 – 11-22 11:00" in after
    today = keeper.get("/keeper/today").get_data(as_text=True)
    on_duty = today.split("data-on-duty", 1)[1].split("</ul>", 1)[0]
    assert "欧阳明月" not in on_duty and "Nobody on duty right now." in on_duty
    r = scan(kiosk, token(app, NUMBER))
    assert r.status_code == 422 and "no longer active" in r.get_data(as_text=True)
    assert "欧阳明月" in keeper.get("/keeper/review").get_data(as_text=True)  # hours kept, to confirm


def test_deactivating_gives_back_sign_ups_and_says_so_before_and_after(app, keeper, clock):
    assert plan(app, keeper, clock).status_code == 303
    with app.app_context():
        from kiosk.activities.models import Activity, Signup

        activity_id = db.session.scalar(select(Activity.id))
        db.session.add(Signup(activity_id=activity_id, volunteer_id=NUMBER, at=clock.now()))
        db.session.commit()
    before = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "Signed up for 1 activities to come: deactivating gives those places back." in before
    assert deactivate(keeper).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 0
    after = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "took off an activity's sign-ups: 爱心课堂" in after


def test_a_volunteer_off_duty_is_deactivated_with_no_warning(app, keeper):
    page = text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
    assert "On duty since" not in page and "activities to come" not in page
    assert deactivate(keeper).status_code == 303
    assert "When deactivated" not in text(keeper.get(f"/keeper/volunteers/{NUMBER}"))
