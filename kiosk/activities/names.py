"""What an activity is called on records: its own name, or the station's everyday duty."""

from flask_babel import lazy_gettext as _l

from kiosk.activities.models import Activity

STATION_DUTY = _l("Station duty")  # 驿站值班: a session without an activity


def activity_name(activity: Activity | None) -> str:
    return activity.name if activity is not None else str(STATION_DUTY)
