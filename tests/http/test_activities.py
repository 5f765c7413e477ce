"""Activities through the pages: a keeper plans one, a volunteer signs up on their phone, the
check-in goes to it, residents rate it, the honor roll shows on the kiosk's home screen."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kiosk.activities.models import Activity, Rating, Signup
from kiosk.checkin.models import ServiceSession
from kiosk.core.extensions import db
from kiosk.core.stations import local_input_value
from kiosk.core.models import Station
from tests.conftest import HX, csrf_token, set_up_as_kiosk
from tests.http.test_keeper import field_errors
from tests.http.test_phone import code_at, link_badge
from tests.http.test_recognition import kiosk, post, scan, token  # noqa: F401 - kiosk is a fixture


def plan(app, keeper, clock, **fields):
    with app.app_context():
        station = db.session.get(Station, 1)
        start = local_input_value(station, clock.now() + timedelta(minutes=30))
        end = local_input_value(station, clock.now() + timedelta(hours=2, minutes=30))
    data = {"name": "爱心课堂", "place": "驿站二楼", "content": "陪孩子写作业", "starts_at": start, "ends_at": end,
            "capacity": "1", "person_in_charge": "王老师", "organiser": "幸福社区", **fields}
    return post(keeper, "/keeper/activities", data, page="/keeper/activities")


@pytest.fixture
def phone(app, clock, station):
    client = app.test_client()
    client.set_cookie("kiosk_lang", "en")
    assert link_badge(client, code_at(app, 1, clock.now()), token(app)).status_code == 303
    return client


def test_plan_sign_up_on_the_phone_and_the_check_in_goes_to_the_activity(app, keeper, kiosk, phone, clock):
    r = plan(app, keeper, clock)
    assert r.status_code == 303
    activity_page = keeper.get(r.headers["Location"]).get_data(as_text=True)
    assert "爱心课堂" in activity_page and "Record it held elsewhere" in activity_page
    me = phone.get("/m/me").get_data(as_text=True)
    signup_action = re.search(r'action="(/m/activities/\d+/sign-up[^"]*)"', me).group(1).replace("&amp;", "&")
    r = phone.post(signup_action, data={"csrf_token": csrf_token(phone, "/m/me")})
    assert r.status_code == 303
    assert "Signed up" in phone.get("/m/me").get_data(as_text=True)
    page = scan(kiosk, token(app)).get_data(as_text=True)
    assert 'data-outcome="checked_in"' in page and "For: 爱心课堂" in page
    with app.app_context():
        assert db.session.scalar(select(ServiceSession.activity_id)) == db.session.scalar(select(Activity.id))


def test_the_last_place_is_refused_with_a_message(app, keeper, phone, clock):
    plan(app, keeper, clock)
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
        db.session.add(Signup(activity_id=activity_id, volunteer_id=2, at=clock.now()))
        db.session.commit()
    assert "Full" in phone.get("/m/me").get_data(as_text=True)
    r = phone.post(f"/m/activities/{activity_id}/sign-up?station=demo", data={"csrf_token": csrf_token(phone, "/m/me")})
    assert r.status_code == 422 and "this activity is full" in r.get_data(as_text=True)


def test_signing_up_needs_a_linked_phone(app, keeper, clock):
    plan(app, keeper, clock)
    stranger = app.test_client()
    stranger.set_cookie("kiosk_lang", "en")
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    r = stranger.post(f"/m/activities/{activity_id}/sign-up?station=demo",
                      data={"csrf_token": csrf_token(stranger, "/m/me")})
    assert r.status_code == 422 and "does not know you yet" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 0


@pytest.mark.parametrize("fields, message", [
    ({"name": ""}, "Please fill this in."),
    ({"starts_at": "tomorrow"}, "Please enter a date and time"),
    ({"starts_at": "1990-01-01T09:00"}, "Please enter a date between 2000-01-01 and 2100-12-31."),
    ({"ends_at": ""}, "Please fill this in."),
    ({"capacity": "lots"}, "Please enter a whole number."),
    ({"capacity": "0"}, "Places: a whole number from 1"),
    ({"team_id": "99999999999999"}, "Please choose from the list."),
    ({"team_id": "9999"}, "Please choose from the list."),
])
def test_a_wrong_plan_gets_a_message_and_stores_nothing(app, keeper, clock, fields, message):
    r = plan(app, keeper, clock, **fields)
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


# Several things wrong at once: what the form's own checks find (blank name, words for places, a long
# place) and what the rules find (a time that is not one, the end before the start, no such team).
EVERYTHING_WRONG = {"name": "", "place": "楼" * 81, "capacity": "0", "team_id": "9999", "ends_at": "2000-01-01T08:00"}
EVERY_MESSAGE = {"name": ["Please fill this in."], "place": ["Please keep this to 80 characters or fewer."],
                 "capacity": ["Places: a whole number from 1 to 10000, or empty for no limit."],
                 "team_id": ["Please choose from the list."], "ends_at": ["The end must be after the start."]}


@pytest.mark.parametrize("wrong, messages", [
    (EVERYTHING_WRONG, EVERY_MESSAGE),
    ({"starts_at": "tomorrow", "ends_at": "later", "capacity": "lots"},  # the form's check and both times
     {"starts_at": ["Please enter a date and time such as 2026-11-22 09:00."],
      "ends_at": ["Please enter a date and time such as 2026-11-22 09:00."], "capacity": ["Please enter a whole number."]}),
    ({"capacity": "0", "team_id": "9999"},  # only the rules', both
     {"capacity": EVERY_MESSAGE["capacity"], "team_id": EVERY_MESSAGE["team_id"]}),
])
def test_every_wrong_field_of_a_plan_says_so_beside_it_at_once(app, keeper, clock, wrong, messages):
    """A keeper who fixed one thing and sent again only to learn of the next had to send it as many
    times as there were mistakes."""
    r = plan(app, keeper, clock, **wrong)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    for name in ("name", "place", "content", "starts_at", "ends_at", "capacity", "team_id", "person_in_charge"):
        assert field_errors(page, name) == messages.get(name, []), name
    assert 'value="陪孩子写作业"' in page, "what was right stays typed"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_every_wrong_field_of_a_change_says_so_beside_it_at_once(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    r = post(keeper, page, {"starts_at": "2026-11-22T09:00", "content": "", **EVERYTHING_WRONG}, page=page)
    assert r.status_code == 422
    for name, messages in EVERY_MESSAGE.items():
        assert field_errors(r.get_data(as_text=True), name) == messages, name
    with app.app_context():
        assert db.session.scalar(select(Activity.name)) == "爱心课堂"


def test_a_start_out_of_range_is_told_in_the_keepers_language(app, keeper, clock):
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    r = plan(app, keeper, clock, starts_at="1990-01-01T09:00")
    assert r.status_code == 422 and "日期要在 2000-01-01 到 2100-12-31 之间" in r.get_data(as_text=True)
    assert "这样的格式" not in r.get_data(as_text=True)


def test_an_activity_in_2099_is_refused_and_one_next_year_shows_its_year(app, keeper, clock):
    r = plan(app, keeper, clock, starts_at="2099-01-01T09:00", ends_at="2099-01-01T10:00")
    assert r.status_code == 422 and "An activity can be planned at most a year ahead" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    assert plan(app, keeper, clock, starts_at="2027-01-05T09:00", ends_at="2027-01-05T10:00").status_code == 303
    assert plan(app, keeper, clock, name="学雷锋理发", starts_at="2026-12-01T09:00",
                ends_at="2026-12-01T10:00").status_code == 303
    listed = keeper.get("/keeper/activities").get_data(as_text=True)
    assert "Jan 5, 2027 09:00–10:00" in listed and "Dec 1 09:00–10:00" in listed and "Dec 1, 2026" not in listed
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    listed = keeper.get("/keeper/activities").get_data(as_text=True)
    assert "2027年1月5日 09:00–10:00" in listed and "12月1日 09:00–10:00" in listed and "2026年12月1日" not in listed


@pytest.mark.parametrize("language, day", [("en", "Nov 22 "), ("zh_Hans", "11月22日 "), ("zh_Hant", "11月22日 ")])
def test_an_activitys_day_is_written_as_every_other_date_in_the_language(app, keeper, kiosk, clock, language, day):
    """Not "11/22" in every language (which reads as 22 November nowhere but in the US)."""
    plan(app, keeper, clock)
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    clock.advance(hours=1)  # on now: coming up, and to rate
    for client in (keeper, kiosk):
        client.set_cookie("kiosk_lang", language)
    pages = [kiosk.get("/activities/"), keeper.get("/keeper/activities"), keeper.get(f"/keeper/activities/{activity_id}")]
    for page in pages:
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and day in text and "11/22" not in text, page.request.path
    assert kiosk.get("/activities/").get_data(as_text=True).count(day) == 2


@pytest.mark.parametrize("language, organiser", [("zh_Hant", "幸福里暖心驛站"), ("zh_Hans", "幸福里暖心驿站"),
                                                ("en", "幸福里暖心驿站")])
def test_the_organising_unit_starts_as_the_station_named_in_the_pages_script(app, keeper, language, organiser):
    keeper.set_cookie("kiosk_lang", language)
    page = keeper.get("/keeper/activities").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="organiser"[^>]*value="([^"]*)"', page).group(1) == organiser


def test_the_same_activity_added_twice_is_refused(app, keeper, clock):
    assert plan(app, keeper, clock).status_code == 303
    twice = plan(app, keeper, clock)
    assert twice.status_code == 422 and "爱心课堂 at this time is planned already." in twice.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Activity)) == 1


def test_record_held_elsewhere_through_the_page(app, keeper, clock):
    plan(app, keeper, clock)
    clock.advance(hours=4)
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    page = f"/keeper/activities/{activity_id}"
    r = post(keeper, f"{page}/record", {"volunteers": ["1", "2"]}, page=page)
    assert r.status_code == 303
    assert "Recorded for 2 volunteers." in keeper.get(r.headers["Location"]).get_data(as_text=True)
    again = post(keeper, f"{page}/record", {"volunteers": ["3", "1"]}, page=page)
    assert again.status_code == 422 and "already has a session at that time" in again.get_data(as_text=True)
    bad = post(keeper, f"{page}/record", {"volunteers": ["x"]}, page=page)
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 2


def test_recording_on_another_day_or_before_the_start_is_refused(app, keeper, clock):
    plan(app, keeper, clock)  # today 09:30–11:30
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    page = f"/keeper/activities/{activity_id}"
    early = post(keeper, f"{page}/record", {"volunteers": ["1", "2"]}, page=page)
    assert early.status_code == 422
    assert "Hours can be recorded once it has started." in early.get_data(as_text=True)
    assert "cannot be in the future" not in early.get_data(as_text=True)
    clock.advance(hours=4)
    elsewhere = post(keeper, f"{page}/record", {"volunteers": ["1", "2"], "starts_at": "2026-11-01T10:00",
                                                "ends_at": "2026-11-01T12:00"}, page=page)
    assert elsewhere.status_code == 422
    assert "must be on the activity's own day (2026-11-22)" in elsewhere.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0
    keeper.set_cookie("kiosk_lang", "zh_Hans")
    again = post(keeper, f"{page}/record", {"volunteers": ["1"], "starts_at": "2026-11-01T10:00",
                                            "ends_at": "2026-11-01T12:00"}, page=page)
    assert again.status_code == 422 and "2026-11-22" in again.get_data(as_text=True)
    same_day = post(keeper, f"{page}/record", {"volunteers": ["1"], "starts_at": "2026-11-22T08:30",
                                               "ends_at": "2026-11-22T12:30"}, page=page)
    assert same_day.status_code == 303


def test_a_cancelled_activity_stays_listed_marked_and_takes_no_hours(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    clock.advance(hours=4)  # held and over
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    listed = keeper.get("/keeper/activities").get_data(as_text=True)
    assert re.search(r'<li class="muted"><a href="%s">爱心课堂</a> <span class="badge-flag">cancelled</span>' % page, listed)
    shown = keeper.get(page).get_data(as_text=True)
    assert "no more hours can be recorded" in shown
    assert f'action="{page}/record"' not in shown and f'action="{page}"' not in shown  # neither form is offered
    late = post(keeper, f"{page}/record", {"volunteers": ["1"]}, page=page)
    assert late.status_code == 422 and "no more hours can be recorded" in late.get_data(as_text=True)
    with app.app_context():
        activity = db.session.get(Activity, int(page.rsplit("/", 1)[1]))
        station = db.session.get(Station, 1)
        when = {"starts_at": local_input_value(station, activity.starts_at),
                "ends_at": local_input_value(station, activity.ends_at)}
    changed = post(keeper, page, {"name": "爱心课堂（补）", **when}, page=page)
    assert changed.status_code == 422 and "it cannot be changed" in changed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, activity.id).name == "爱心课堂"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0


def test_a_cancelled_activity_coming_up_is_listed_there_marked(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    listed = keeper.get("/keeper/activities").get_data(as_text=True)
    assert '<tr role="row" class="muted">' in listed and '爱心课堂</a> <span class="badge-flag">cancelled</span>' in listed


def test_recording_while_it_runs_asks_for_the_end_beside_it(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]  # 09:30–11:30
    clock.advance(hours=1)
    r = post(keeper, f"{page}/record", {"volunteers": ["1"]}, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "cannot be in the future" not in text
    assert re.search(r'id="record-ends_at-error" role="alert">The activity has not ended yet. Please give the time it'
                     r' actually ended.</p>', text)


def test_a_recorded_session_corrected_to_another_day_is_refused_beside_the_time(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]  # today 09:30–11:30
    clock.advance(hours=4)
    assert post(keeper, f"{page}/record", {"volunteers": ["1"]}, page=page).status_code == 303
    with app.app_context():
        session_id = db.session.scalar(select(ServiceSession.id))
    edit = f"/keeper/sessions/{session_id}/edit"
    r = post(keeper, edit, {"checked_in_at": "2026-11-03T10:00", "checked_out_at": "2026-11-03T13:00"}, page=edit)
    assert r.status_code == 422
    assert re.search(r'id="checked_in_at-error"[^>]*>The times must be on the activity.s own day \(2026-11-22\)',
                     r.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(ServiceSession, session_id).checked_in_at.day == 22


def rating_on_the_kiosk(app, keeper, kiosk, clock) -> int:
    """The planned activity under way, and `kiosk` set up as the station's kiosk: its id."""
    plan(app, keeper, clock)
    clock.advance(hours=3)
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    set_up_as_kiosk(app, kiosk)
    return activity_id


FACES = [("1", "Very unhappy"), ("2", "Unhappy"), ("3", "So-so"), ("4", "Happy"), ("5", "Very happy")]


@pytest.mark.parametrize("path", ["/activities/", "/activities/rate?station=demo"])
def test_the_faces_are_drawn_by_the_page_not_taken_from_an_emoji_font(app, keeper, kiosk, clock, path):
    """🙁 and 🙂 were empty boxes on a station's Chromium with no emoji font: each face is a small
    drawing in the page now, its word under it and its name for a screen reader as before."""
    activity_id = rating_on_the_kiosk(app, keeper, kiosk, clock)
    page = kiosk.get(path).get_data(as_text=True)
    form = re.search(rf'<form[^>]*action="/activities/{activity_id}/rate[^"]*".*?</form>', page, re.S).group(0)
    assert not re.search("[\U0001F300-\U0001FAFF\u2600-\u27BF]", form), "an emoji is left to a font"
    buttons = re.findall(r'<button type="submit" name="score" value="(\d)"[^>]*aria-label="([^"]+)">(.*?)</button>',
                         form, re.S)
    assert [(score, name) for score, name, _ in buttons] == FACES
    for (_, name, inside), (_, word) in zip(buttons, FACES):
        assert re.search(r'<svg[^>]*aria-hidden="true"[^>]*>.*</svg>', inside, re.S), name
        assert f'<span class="face-label">{word}</span>' in inside


def test_residents_rate_on_the_kiosk_and_on_a_phone_once(app, keeper, kiosk, clock):
    activity_id = rating_on_the_kiosk(app, keeper, kiosk, clock)
    board = kiosk.get("/activities/").get_data(as_text=True)
    assert "爱心课堂" in board and "<svg" in board
    for _ in range(2):  # the station's kiosk is shared: each resident's rating counts
        r = kiosk.post(f"/activities/{activity_id}/rate", data={"score": "5", "csrf_token": csrf_token(kiosk, "/activities/")},
                       headers=HX)
        assert r.status_code == 200 and "Thank you!" in r.get_data(as_text=True)
    resident = app.test_client()
    resident.set_cookie("kiosk_lang", "en")
    assert "爱心课堂" in resident.get("/activities/rate?station=demo").get_data(as_text=True)
    data = {"score": "3", "words": "很好", "csrf_token": csrf_token(resident, "/activities/rate?station=demo")}
    assert resident.post(f"/activities/{activity_id}/rate?station=demo", data=data, headers=HX).status_code == 200
    twice = resident.post(f"/activities/{activity_id}/rate?station=demo", data=data, headers=HX)
    assert twice.status_code == 409 and "rated this activity already" in twice.get_data(as_text=True)
    for score in ("9", "abc", "", "2.5"):  # what the page never sends: "enter a whole number" puzzled
        bad = resident.post(f"/activities/{activity_id}/rate?station=demo", data={**data, "score": score}, headers=HX)
        assert bad.status_code == 422 and "tap one of the faces" in bad.get_data(as_text=True), score
    with app.app_context():
        assert sorted(db.session.scalars(select(Rating.score))) == [3, 5, 5]
    assert "4.3 of 5 from 3 ratings" in keeper.get(f"/keeper/activities/{activity_id}").get_data(as_text=True)


# Probe: on the station's kiosk the same rating form sent twice (a reload of the answer without
# JavaScript, a double tap) stored two ratings: the keeper's page said 2 of them.
def test_the_same_rating_form_sent_twice_from_the_kiosk_counts_once(app, keeper, kiosk, clock):
    activity_id = rating_on_the_kiosk(app, keeper, kiosk, clock)
    board = kiosk.get("/activities/").get_data(as_text=True)
    once = re.search(r'name="once" value="([0-9a-f]{32})"', board).group(1)
    data = {"score": "5", "once": once, "csrf_token": csrf_token(kiosk, "/activities/")}
    first = kiosk.post(f"/activities/{activity_id}/rate", data=data)  # the page without JavaScript
    again = kiosk.post(f"/activities/{activity_id}/rate", data=data)  # reloaded
    for answer in (first, again):
        assert answer.status_code == 200 and "Thank you!" in answer.get_data(as_text=True)
    assert "5.0 of 5 from 1 rating<" in keeper.get(f"/keeper/activities/{activity_id}").get_data(as_text=True)  # one, not "1 ratings"
    fresh = re.search(r'name="once" value="([0-9a-f]{32})"', again.get_data(as_text=True)).group(1)
    assert fresh != once  # the faces shown with the thanks are a new form, for the next resident
    assert kiosk.post(f"/activities/{activity_id}/rate", data={**data, "once": fresh}, headers=HX).status_code == 200
    assert "5.0 of 5 from 2 ratings" in keeper.get(f"/keeper/activities/{activity_id}").get_data(as_text=True)


def test_the_honor_roll_is_on_the_home_screen_with_masked_names(app, keeper, kiosk, clock):
    r = post(keeper, "/keeper/honor", {"number": "1", "note": "最美志愿者"}, page="/keeper/honor")
    assert r.status_code == 303
    home = kiosk.get("/").get_data(as_text=True)
    assert "Honor roll" in home and "最美志愿者" in home and "张*华" in home and "张晓华" not in home
    bad = post(keeper, "/keeper/honor", {"number": "abc"}, page="/keeper/honor")
    assert bad.status_code == 422 and "No active volunteer has this number." in bad.get_data(as_text=True)


def test_the_honor_roll_is_headed_by_its_month_and_equal_hours_share_a_place(app, kiosk, clock):
    """Issues A12 and W8: "1. 徐*燕 · 8 小时 / 2. 孙*新 · 8 小时" under "光荣榜 · 2026-12"."""
    start = clock.now() - timedelta(hours=10)
    with app.app_context():
        for volunteer_id, hours in ((1, 8), (2, 8), (3, 5)):
            db.session.add(ServiceSession(station_id=1, volunteer_id=volunteer_id, checked_in_at=start,
                                          checked_out_at=start + timedelta(hours=hours), check_in_method="scanner",
                                          confirmed_at=clock.now()))
        db.session.commit()
    home = kiosk.get("/").get_data(as_text=True)
    assert "Honor roll, November 2026" in home
    places = re.findall(r'<li value="(\d+)">([^<]*)</li>', home)
    assert places == [("1", "张*华 · 8 h"), ("1", "李*英 · 8 h"), ("3", "王*国 · 5 h")]
    kiosk.set_cookie("kiosk_lang", "zh_Hant")
    assert "2026年11月光榮榜" in kiosk.get("/").get_data(as_text=True)


def test_a_pick_s_note_shows_on_the_home_screen_without_names_or_a_mobile(app, keeper, kiosk, clock):
    note = "张晓华阿姨热心肠，电话13800138001，楊秀蘭也常来"  # 杨秀兰 is registered, written here in 繁體
    assert post(keeper, "/keeper/honor", {"number": "1", "note": note}, page="/keeper/honor").status_code == 303
    home = kiosk.get("/").get_data(as_text=True)
    assert "张*华阿姨热心肠，电话***，楊*蘭也常来" in home
    assert not [secret for secret in ("张晓华", "13800138001", "楊秀蘭") if secret in home]
    # The keeper sees their words as typed, and how the kiosk will show them before anyone else does.
    page = keeper.get("/keeper/honor").get_data(as_text=True)
    assert note in page and "张*华阿姨热心肠，电话***，楊*蘭也常来" in page
    assert "names and phone numbers masked" in page


def test_a_volunteer_withdraws_on_the_phone_and_the_place_is_free_again(app, keeper, phone, clock):
    plan(app, keeper, clock)
    with app.app_context():
        activity_id = db.session.scalar(select(Activity.id))
    token = csrf_token(phone, "/m/me")
    assert phone.post(f"/m/activities/{activity_id}/sign-up?station=demo", data={"csrf_token": token}).status_code == 303
    assert "I can't come" in phone.get("/m/me").get_data(as_text=True)
    assert phone.post(f"/m/activities/{activity_id}/withdraw?station=demo", data={"csrf_token": token}).status_code == 303
    # The same tap again, from a page not yet reloaded: withdrawn already (tests/http/test_phone_activities.py).
    again = phone.post(f"/m/activities/{activity_id}/withdraw?station=demo", data={"csrf_token": token})
    assert again.status_code == 422 and "already withdrawn" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 0
    assert "Sign me up" in phone.get("/m/me").get_data(as_text=True)


def test_a_keeper_changes_and_cancels_an_activity_through_its_page(app, keeper, phone, clock):
    r = plan(app, keeper, clock, capacity="3")
    page = r.headers["Location"]
    activity_id = int(page.rsplit("/", 1)[1])
    with app.app_context():
        for volunteer_id in (1, 2):
            db.session.add(Signup(activity_id=activity_id, volunteer_id=volunteer_id, at=clock.now()))
        db.session.commit()
        station = db.session.get(Station, 1)
        start = local_input_value(station, clock.now() + timedelta(hours=1))
        end = local_input_value(station, clock.now() + timedelta(hours=3))
    fields = {"name": "爱心课堂（改期）", "starts_at": start, "ends_at": end, "capacity": "2"}
    assert post(keeper, page, fields, page=page).status_code == 303
    fewer = post(keeper, page, {**fields, "capacity": "1"}, page=page)
    assert fewer.status_code == 422 and "the places cannot be fewer" in fewer.get_data(as_text=True)
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    twice = post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page)
    assert twice.status_code == 422 and "cancelled already" in twice.get_data(as_text=True)
    with app.app_context():
        activity = db.session.get(Activity, activity_id)
        assert (activity.name, activity.capacity, activity.cancelled) == ("爱心课堂（改期）", 2, True)
    me = phone.get("/m/me").get_data(as_text=True)  # volunteer 1 signed up: told, not offered it
    assert "爱心课堂（改期）" in me and f"/m/activities/{activity_id}/" not in me


def test_a_keeper_takes_a_pick_off_the_honor_roll(app, keeper, kiosk, clock):
    post(keeper, "/keeper/honor", {"number": "1", "note": "最美志愿者"}, page="/keeper/honor")
    remove = re.search(r'action="(/keeper/honor/\d+/remove)"', keeper.get("/keeper/honor").get_data(as_text=True)).group(1)
    assert post(keeper, remove, {}, page="/keeper/honor").status_code == 303
    assert post(keeper, remove, {}, page="/keeper/honor").status_code == 404  # a second tab: already gone
    clock.advance(minutes=6)  # the home screen's roll is worked out again every few minutes
    assert "最美志愿者" not in kiosk.get("/").get_data(as_text=True)


def ticked(page: str) -> set[str]:
    """The volunteers whose boxes the 补记 form shows ticked."""
    return set(re.findall(r'name="volunteers" value="(\d+)" checked', page))


def typed(page: str, name: str) -> str:
    """What the 补记 form's time `name` shows filled in."""
    return re.search(rf'id="record-{name}" type="datetime-local" name="{name}" value="([^"]*)"', page).group(1)


@pytest.mark.parametrize("sent, field, message", [
    ({"volunteers": ["1", "2"], "starts_at": "2026-11-22T11:00", "ends_at": "2026-11-22T10:00"},
     "ends_at", "Check-out must be after check-in."),
    ({"volunteers": ["1", "3"], "starts_at": "2026-11-01T10:00", "ends_at": "2026-11-01T12:00"},
     "starts_at", "The times must be on the activity"),
    ({"volunteers": ["2"], "starts_at": "2026-11-22T09:30", "ends_at": "2026-11-22T23:00"},
     "ends_at", "The check-out time cannot be in the future."),
    ({"starts_at": "2026-11-22T09:30", "ends_at": "2026-11-22T11:30"},
     "volunteers", "Please choose at least one volunteer."),
], ids=["end before start", "off its day", "end still to come", "nobody ticked"])
def test_a_refused_record_keeps_the_ticks_and_times_with_the_message_beside_the_field(app, keeper, clock, sent,
                                                                                       field, message):
    page = plan(app, keeper, clock).headers["Location"]  # today 09:30–11:30
    clock.advance(hours=4)
    r = post(keeper, f"{page}/record", sent, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(rf'<p class="field-error" id="record-{field}-error" role="alert">{re.escape(message)}', text)
    assert ticked(text) == set(sent.get("volunteers", []))
    assert typed(text, "starts_at") == sent["starts_at"] and typed(text, "ends_at") == sent["ends_at"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0


def test_a_record_refused_for_one_volunteer_keeps_every_tick_and_stores_none(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    clock.advance(hours=4)
    assert post(keeper, f"{page}/record", {"volunteers": ["2"]}, page=page).status_code == 303
    sent = {"volunteers": ["1", "2", "3"], "starts_at": "2026-11-22T09:00", "ends_at": "2026-11-22T11:00"}
    r = post(keeper, f"{page}/record", sent, page=page)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "already has a session at that time" in text
    assert 'id="record-volunteers-error"' in text  # beside the ticks
    assert ticked(text) == {"1", "2", "3"}
    assert typed(text, "starts_at") == "2026-11-22T09:00" and typed(text, "ends_at") == "2026-11-22T11:00"
    with app.app_context():
        assert db.session.scalars(select(ServiceSession.volunteer_id)).all() == [2]


def test_a_record_for_an_activity_cancelled_meanwhile_shows_what_was_not_recorded(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    clock.advance(hours=4)
    token = csrf_token(keeper, page)  # the page opened before another keeper cancels it
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    r = keeper.post(f"{page}/record", data={"csrf_token": token, "volunteers": ["1", "3"],
                                            "starts_at": "2026-11-22T09:30", "ends_at": "2026-11-22T11:00"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re.search(r'<p class="form-error" role="alert">This activity is cancelled: it cannot be changed', text)
    assert ticked(text) == {"1", "3"}
    assert typed(text, "starts_at") == "2026-11-22T09:30" and typed(text, "ends_at") == "2026-11-22T11:00"
    assert "Record their hours" not in text  # shown, not offered again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceSession)) == 0


def test_cancelling_asks_first_saying_how_many_signed_up(app, keeper, clock):
    page = plan(app, keeper, clock, capacity="3").headers["Location"]
    activity_id = int(page.rsplit("/", 1)[1])
    with app.app_context():
        for volunteer_id in (1, 2):
            db.session.add(Signup(activity_id=activity_id, volunteer_id=volunteer_id, at=clock.now()))
        db.session.commit()
    shown = keeper.get(page).get_data(as_text=True)
    # The button asks, it does not cancel: a link (the question in place with htmx, a page without).
    assert f'action="{page}/cancel"' not in shown
    assert re.search(rf'<a class="button" href="{page}/cancel#cancel"\s+hx-get="{page}/cancel" hx-target="#cancel"'
                     r' hx-swap="outerHTML">Cancel this activity</a>', shown)
    asked = keeper.get(f"{page}/cancel")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<html" in text and "Cancel 爱心课堂?" in text
    assert "Signed up so far: 2. Their phone page will show it as cancelled." in text
    assert "This cannot be undone." in text and f'action="{page}/cancel"' in text
    assert re.search(r'name="confirm" value="yes"', text) and f'href="{page}">Keep it</a>' in text
    fragment = keeper.get(f"{page}/cancel", headers=HX)
    part = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in part and part.lstrip().startswith('<div id="cancel"')
    assert "Signed up so far: 2." in part and "HX-Request" in fragment.headers["Vary"]
    # A tap that did not answer the question (an old page, a stray post) asks it; nothing changes.
    unasked = post(keeper, f"{page}/cancel", {}, page=page)
    assert unasked.status_code == 303 and unasked.headers["Location"] == f"{page}/cancel#cancel"
    with app.app_context():
        assert db.session.get(Activity, activity_id).cancelled is False
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    with app.app_context():
        assert db.session.get(Activity, activity_id).cancelled is True
        assert db.session.scalar(select(func.count()).select_from(Signup)) == 2  # kept: they are told
    after = keeper.get(f"{page}/cancel").get_data(as_text=True)
    assert "Yes, cancel it" not in after and "Cancel this activity" not in after


def test_cancelling_one_nobody_signed_up_for_says_so(app, keeper, clock):
    page = plan(app, keeper, clock).headers["Location"]
    text = keeper.get(f"{page}/cancel").get_data(as_text=True)
    assert "Nobody has signed up yet. This cannot be undone." in " ".join(text.split()) and "Signed up so far" not in text


def test_a_volunteer_who_signed_up_sees_it_cancelled_and_the_kiosk_no_longer_offers_it(app, keeper, kiosk, phone,
                                                                                       clock):
    page = plan(app, keeper, clock, capacity="5").headers["Location"]
    activity_id = int(page.rsplit("/", 1)[1])
    token_ = csrf_token(phone, "/m/me")
    assert phone.post(f"/m/activities/{activity_id}/sign-up?station=demo", data={"csrf_token": token_}).status_code == 303
    set_up_as_kiosk(app, kiosk)
    assert "爱心课堂" in kiosk.get("/activities/").get_data(as_text=True)
    assert post(keeper, f"{page}/cancel", {"confirm": "yes"}, page=page).status_code == 303
    me = phone.get("/m/me").get_data(as_text=True)
    row = re.search(r'<li class="activity-row activity-cancelled">(.*?)</li>', me, re.S).group(1)
    assert "爱心课堂" in row and '<strong class="activity-flag">cancelled</strong>' in row
    assert "No need to come. Thank you all the same!" in row
    assert f"/m/activities/{activity_id}/" not in me  # neither "I can't come" nor "Sign me up"
    phone.set_cookie("kiosk_lang", "zh_Hans")
    assert "已取消" in phone.get("/m/me").get_data(as_text=True)
    board = kiosk.get("/activities/").get_data(as_text=True)
    assert "爱心课堂" not in board
    # Someone else's phone is not told of what they never signed up for.
    other = app.test_client()
    other.set_cookie("kiosk_lang", "en")
    assert link_badge(other, code_at(app, 1, clock.now()), token(app, 2)).status_code == 303
    assert "爱心课堂" not in other.get("/m/me").get_data(as_text=True)
    # Over for more than a week, the line goes.
    clock.advance(days=8)
    assert "爱心课堂" not in phone.get("/m/me").get_data(as_text=True)


def test_an_activity_planned_weeks_ago_is_found_again_by_its_month(app, keeper, clock):
    """A keeper copying last month's paper sheets plans it on its real day: the month lists it."""
    r = plan(app, keeper, clock, starts_at="2026-10-18T09:00", ends_at="2026-10-18T11:00", name="重阳节慰问")
    page = r.headers["Location"]
    listed = keeper.get("/keeper/activities").get_data(as_text=True)
    assert "重阳节慰问" not in listed and 'name="month"' in listed and 'value="2026-10"' in listed
    shown = keeper.get("/keeper/activities?month=2026-10")
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and f'<a href="{page}">重阳节慰问</a>' in text and "<html" in text
    assert re.search(r'href="/keeper/activities\?month=2026-09#earlier"\s+hx-get="/keeper/activities\?month=2026-09" '
                     r'hx-target="#earlier" hx-swap="outerHTML" hx-push-url="true">‹ 2026-09</a>', text)
    assert 'href="/keeper/activities?month=2026-11#earlier"' in text and "2026-11 ›</a>" in text
    fragment = keeper.get("/keeper/activities?month=2026-10", headers=HX)
    part = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in part and "重阳节慰问" in part
    assert part.lstrip().startswith('<div id="earlier"') and "Plan an activity" not in part
    assert "重阳节慰问" not in keeper.get("/keeper/activities?month=2026-09").get_data(as_text=True)
    assert "No activities in this month." in keeper.get("/keeper/activities?month=2026-09").get_data(as_text=True)


@pytest.mark.parametrize("month, message", [
    ("2026-13", "Please choose a month such as 2026-11."), ("abc", "Please choose a month such as 2026-11."),
    ("", "Please choose a month such as 2026-11."), ("9" * 500, "Please choose a month such as 2026-11."),
    ("1900-01", "Please choose a month between 2000-01 and 2100-12."),
])
def test_a_wrong_month_is_told_beside_the_field(app, keeper, clock, month, message):
    for headers in ({}, HX):
        r = keeper.get("/keeper/activities", query_string={"month": month}, headers=headers)
        text = r.get_data(as_text=True)
        assert r.status_code == 422 and re.search(
            r'<input id="month" name="month" type="month"[^>]*aria-invalid="true" aria-describedby="month-error"', text)
        assert f'<p class="field-error" id="month-error" role="alert">{message}</p>' in text
