"""Issue 13 over HTTP: a registered volunteer's name in a resident's suggestion reaches no public view
(home, "you said, we did", the status page, Open311); the keeper sees what will be public before
publishing and may change it."""

import json
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from kiosk.core.extensions import db
from kiosk.suggest.models import Suggestion
from tests.http.test_keeper import field_errors
from tests.http.test_suggestions import events, keeper, kiosk, page, seed, the, update  # noqa: F401 - fixtures

TEXT = "谢谢志愿者李桂英阿姨，她的电话13912345678"
MASKED = "谢谢志愿者李*英阿姨，她的电话***"
EMPTY = "Please write what residents will see (or hide the suggestion)."
TOO_LONG = "What residents will see can be at most 500 characters."


def public_bodies(kiosk, code) -> dict[str, str]:
    return {
        "home": page(kiosk, "/"), "done": page(kiosk, "/suggest/done"), "status page": page(kiosk, f"/s/{code}"),
        # JSON escapes Chinese as \uXXXX: read it back, so a name would show as itself.
        "open311 list": json.dumps(kiosk.get("/api/v1/open311/requests.json").get_json(), ensure_ascii=False),
        "open311 one": json.dumps(kiosk.get(f"/api/v1/open311/requests/{code}.json").get_json(), ensure_ascii=False),
    }


def description(kiosk, code) -> str:
    [item] = kiosk.get(f"/api/v1/open311/requests/{code}.json").get_json()
    return item["description"]


@pytest.fixture
def written(app, clock, station):
    """A resident's suggestion naming a registered volunteer, not yet read by a keeper."""
    return seed(app, clock, text=TEXT)


def test_the_keeper_sees_the_masked_wording_before_publishing(keeper, written):
    html = page(keeper, f"/keeper/suggestions/{written}")
    preview = re.search(r'<div class="done-item" data-preview>(.*?)</div>', html, re.S).group(1)
    assert MASKED in preview and "李桂英" not in preview
    assert re.search(r'<textarea id="public_wording" name="public_wording"[^>]*>' + re.escape(MASKED) + "</textarea>",
                     html)
    assert "Not public yet" in html
    assert TEXT in html  # the resident's own words stay visible to the keeper


def test_once_resolved_every_public_view_shows_only_the_masked_wording(app, kiosk, keeper, clock, written):
    clock.advance(hours=1)
    r = update(keeper, written, {"status": "resolved", "public_reply": "已转达谢意", "public_wording": MASKED})
    assert r.status_code == 303
    assert the(app, written).public_wording == MASKED
    for where, body in public_bodies(kiosk, written).items():
        assert "李桂英" not in body and "13912345678" not in body, where
        assert MASKED in body or str(escape(MASKED)) in body, where


def test_a_keepers_edited_wording_is_what_open311_shows(app, kiosk, keeper, clock, written):
    edited = "谢谢一位志愿者阿姨的帮助"
    r = update(keeper, written, {"status": "accepted", "public_wording": edited})
    assert r.status_code == 303
    assert description(kiosk, written) == edited
    assert edited in page(kiosk, f"/s/{written}")
    assert "Public wording updated" in page(keeper, f"/keeper/suggestions/{written}")
    assert [e.after for e in events(app, written) if e.action == "wording"] == [edited]


@pytest.mark.parametrize("typed, message", [("", EMPTY), ("   ", EMPTY), ("字" * 501, TOO_LONG)])
def test_a_bad_wording_is_422_beside_the_field_and_nothing_is_stored(app, kiosk, keeper, clock, written, typed,
                                                                       message):
    before = the(app, written)
    r = update(keeper, written, {"status": "accepted", "public_reply": "收到", "public_wording": typed})
    assert r.status_code == 422
    assert field_errors(r.get_data(as_text=True), "public_wording") == [message]
    after = the(app, written)
    assert (after.status, after.public_reply, after.public_wording, after.updated_at) == (
        before.status, before.public_reply, before.public_wording, before.updated_at)
    assert [e.action for e in events(app, written)] == ["received"]
    assert kiosk.get(f"/api/v1/open311/requests/{written}.json").status_code == 404  # still not published


def test_saving_without_the_csrf_token_changes_nothing(app, keeper, written):
    r = keeper.post(f"/keeper/suggestions/{written}", data={"status": "accepted", "public_wording": "x"})
    assert r.status_code == 303  # a keeper's form without a good token goes back to its page, unsaved
    assert (the(app, written).status, the(app, written).public_wording) == ("received", None)


def test_a_suggestion_published_before_public_wording_is_masked_in_every_public_view(app, kiosk, clock, written):
    with app.app_context():  # as the version before this one left it: resolved, no public wording
        s = db.session.scalar(select(Suggestion).where(Suggestion.tracking_code == written))
        s.status, s.public_reply, s.resolved_at = "resolved", "已转达谢意", clock.now()
        db.session.commit()
    for where, body in public_bodies(kiosk, written).items():
        assert "李桂英" not in body and "13912345678" not in body, where
        assert MASKED in body or str(escape(MASKED)) in body, where


def test_the_status_page_shows_no_words_until_they_are_public(kiosk, written):
    html = page(kiosk, f"/s/{written}")
    assert "李" not in html and "data-wording" not in html

