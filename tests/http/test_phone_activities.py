"""Signing up for an activity and withdrawing, on the volunteer's own phone (/m/me): what a tap says,
and how it goes when the station computer does not answer (htmx, as the check-in button)."""

import re

from sqlalchemy import func, select

from kiosk.activities.models import Activity, Signup
from kiosk.core.extensions import db
from tests.conftest import HX, csrf_token
from tests.http.test_activities import phone, plan  # noqa: F401 - phone is a fixture


def activity_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Activity.id))


def signups(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Signup))


def tap(phone, what, activity, **kwargs):
    return phone.post(f"/m/activities/{activity}/{what}?station=demo",
                      data={"csrf_token": csrf_token(phone, "/m/me")}, **kwargs)


def forms(page: str, what: str) -> list[str]:
    return re.findall(rf'<form [^>]*action="/m/activities/\d+/{what}[^"]*"[^>]*>', page)


def test_signing_up_and_withdrawing_are_sent_by_htmx_so_a_lost_answer_says_it_was_not_saved(app, keeper, phone, clock):
    """Probe: plain forms, so with the station computer restarting the phone showed the browser's own
    "This site can't be reached" page instead of the page's "✕ … that was not saved"."""
    plan(app, keeper, clock, capacity="5")
    [sign_up] = forms(phone.get("/m/me").get_data(as_text=True), "sign-up")
    action = re.search(r'action="([^"]+)"', sign_up).group(1)
    assert f'hx-post="{action}"' in sign_up and 'hx-target="#phone-activities"' in sign_up
    r = tap(phone, "sign-up", activity_id(app), headers=HX)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in page and page.lstrip().startswith('<div id="phone-activities"')
    assert "Signed up: 爱心课堂" in page and len(forms(page, "withdraw")) == 1 and signups(app) == 1
    [withdraw] = forms(page, "withdraw")
    assert 'hx-post="' in withdraw and 'hx-target="#phone-activities"' in withdraw
    r = tap(phone, "withdraw", activity_id(app), headers=HX)
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Withdrawn: 爱心课堂" in page and len(forms(page, "sign-up")) == 1
    assert signups(app) == 0


def test_without_javascript_a_tap_says_what_it_did_on_the_page_it_comes_back_to(app, keeper, phone, clock):
    """Probe: the page just reloaded, saying nothing of what happened."""
    plan(app, keeper, clock, capacity="5")
    r = tap(phone, "sign-up", activity_id(app))
    assert r.status_code == 303 and r.headers["Location"] == "/m/me?station=demo#activities"
    page = phone.get("/m/me").get_data(as_text=True)
    assert "Signed up: 爱心课堂" in page
    assert "Signed up: 爱心课堂" not in phone.get("/m/me").get_data(as_text=True)  # said once
    assert tap(phone, "withdraw", activity_id(app)).status_code == 303
    page = phone.get("/m/me").get_data(as_text=True)
    assert "Withdrawn: 爱心课堂" in page and "sign up again" in page


def test_withdrawing_twice_says_it_was_withdrawn_already_not_that_they_never_signed_up(app, keeper, phone, clock):
    """Probe: the second tab said "您没有报名这个活动。" to someone who had signed up."""
    plan(app, keeper, clock, capacity="5")
    assert tap(phone, "sign-up", activity_id(app)).status_code == 303
    assert tap(phone, "withdraw", activity_id(app)).status_code == 303
    for headers in ({}, HX):
        again = tap(phone, "withdraw", activity_id(app), headers=headers)
        page = again.get_data(as_text=True)
        assert again.status_code == 422 and "You have already withdrawn from 爱心课堂." in page
        assert "not signed up" not in page
    assert signups(app) == 0


def test_withdrawing_asks_first_and_says_a_full_activitys_place_may_go_to_someone_else(app, keeper, phone, clock):
    """Probe: one tap gave the place up at once, even for a full activity."""
    plan(app, keeper, clock, capacity="1")  # their sign-up fills it
    assert tap(phone, "sign-up", activity_id(app)).status_code == 303
    page = phone.get("/m/me").get_data(as_text=True)
    asked = re.search(r"<details[^>]*>\s*<summary[^>]*>I can(?:'|&#39;)t come</summary>(.*?)</details>", page, re.S)
    assert asked, "the withdraw button is behind a question"
    assert "It is full: someone else may take your place." in asked.group(1)
    assert len(forms(asked.group(1), "withdraw")) == 1 and "Yes, give up my place" in asked.group(1)
    assert len(forms(page, "withdraw")) == 1  # no button outside the question
    plan(app, keeper, clock, name="学雷锋理发", capacity="5")
    with app.app_context():
        other = db.session.scalar(select(Activity.id).where(Activity.name == "学雷锋理发"))
    assert tap(phone, "sign-up", other).status_code == 303
    page = phone.get("/m/me").get_data(as_text=True)
    assert "Your place will go back for others to take." in page


def test_an_error_on_a_phone_page_offers_the_phones_own_hours_page(app, phone):
    """An activity that is no longer there (a keeper deleted it while the page was open): the error
    offered only "Back"; a phone's way home is its hours page, never the kiosk's start."""
    r = tap(phone, "sign-up", 99999, headers=HX)
    page = r.get_data(as_text=True)
    assert r.status_code == 404
    assert re.search(r'<a class="button[^"]*" href="/m/me[^"]*">My hours</a>', page), page
    assert "Back to start" not in page
