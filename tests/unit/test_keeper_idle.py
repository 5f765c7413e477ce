"""The rule behind signing an idle kiosk tablet out (the HTTP side is in tests/http/test_keeper_idle.py)."""

from datetime import UTC, datetime

import pytest

from kiosk.people.keepers import keeper_idle_seconds, left_idle

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("seconds_ago, idle", [(0, False), (299.9, False), (300, False), (300.001, True),
                                              (3600, True), (-5, False)])
def test_left_idle_is_strictly_more_than_the_idle_time_since_the_previous_request(seconds_ago, idle):
    assert left_idle(NOW.timestamp() - seconds_ago, NOW, 300) is idle


@pytest.mark.parametrize("unknown", [None, "", "12", [1]])
def test_not_knowing_the_previous_request_counts_as_idle(unknown):
    assert left_idle(unknown, NOW, 300) is True


@pytest.mark.parametrize("setting, screen, warning, expected", [
    (300, 90, 30, 300),   # the default: five minutes
    (60, 90, 30, 120),    # never before the screen's own idle time and warning
    (60, 90, 5, 110),     # the warning is never under 20 seconds
    (900, 90, 30, 900),
])
def test_the_keeper_idle_time_is_never_shorter_than_the_screens_own(setting, screen, warning, expected):
    config = {"KEEPER_IDLE_SECONDS": setting, "IDLE_SECONDS": screen, "IDLE_WARNING_SECONDS": warning}
    assert keeper_idle_seconds(config) == expected
