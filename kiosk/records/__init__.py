"""Records for the national volunteer system (志愿服务记录与证明出具办法, 民政部令第67号): a keeper
downloads the station's service records for a date range, and the volunteer list, as CSV or XLSX.
Built from confirmed hours (kiosk/checkin), activities and the people registered.

- exports.py       the rules: the date range, one row per volunteer, activity and day, the
                   volunteer list, writing CSV (streamed) and XLSX, and who downloaded what
- keeper_routes.py the keeper's records page and its downloads"""

from flask import Flask
from flask_babel import lazy_gettext as _l

from kiosk.core.web import add_keeper_link


def init_app(app: Flask) -> None:
    from kiosk.people.audit import add_audit_labels
    from kiosk.records import exports, keeper_routes, models  # noqa: F401

    app.register_blueprint(keeper_routes.bp)
    add_audit_labels(app, {exports.EXPORTED: _l("downloaded records")}, describe=exports.describe_export)
    add_keeper_link(app, "records_keeper.records", _l("Service records"), 100)
