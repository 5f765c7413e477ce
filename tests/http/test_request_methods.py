"""The methods a browser or a tool sends besides GET and POST, on every page in the app's URL map (a
new page is covered without editing this file): OPTIONS is answered as Flask answers it, never with
a 500, signed in or not; HEAD is answered as GET is (a link checker, `curl -I`), never as a form
sent empty."""

import pytest
from werkzeug.routing import AnyConverter

from kiosk import create_app
from kiosk.core.web import IdConverter
from tests.http.test_hostile_input import browser_of, station_app  # noqa: F401 (a fixture)


def _rules(method: str, prefix: str = "/") -> list[tuple[str, str]]:
    """(endpoint, a path of the rule with a real record in it: id 1, the shelf's J-0001)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "INSTANCE_PATH": "/tmp/kiosk-methods-url-map"})
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or method not in rule.methods or not rule.rule.startswith(prefix):
            continue
        values = {}
        for arg, converter in rule._converters.items():
            values[arg] = (1 if isinstance(converter, IdConverter) else sorted(converter.items)[0]
                           if isinstance(converter, AnyConverter) else "J-0001")
        found.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return sorted(found)


def test_options_on_every_keeper_page_as_a_stranger_is_answered_never_a_500(station_app):
    """Probe: Flask-Login lets OPTIONS past its sign-in check, and the keeper guard then read the
    station of nobody (AttributeError, a 500)."""
    client, _token = browser_of(station_app, "stranger")
    answers = {url: client.options(url) for _endpoint, url in _rules("OPTIONS", "/keeper")}
    wrong = {url: r.status_code for url, r in answers.items() if r.status_code != 200 or "OPTIONS" not in r.headers["Allow"]}
    assert not wrong


@pytest.mark.parametrize("who", ["stranger", "keeper"])
def test_head_is_answered_as_get_is_on_every_page(station_app, who):
    """Probe: HEAD on the new-volunteer form, the teams, the import… was 422 (a form sent empty)
    where GET is 200."""
    client, _token = browser_of(station_app, who)
    wrong = set()
    for endpoint, url in _rules("GET"):
        head, get = client.head(url), client.get(url)
        if (head.status_code, head.headers.get("Location")) != (get.status_code, get.headers.get("Location")):
            wrong.add((endpoint, who))
    assert not wrong, sorted(wrong)
