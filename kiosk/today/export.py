"""Downloads for keepers: a day's sessions and visits as CSV that Excel opens with Chinese intact."""

import csv
import io

from flask_babel import gettext as _

from kiosk.checkin.labels import keeper_note, methods_label
from kiosk.core.i18n import format_hours, local_time
from kiosk.core.text import spreadsheet_safe
from kiosk.today.report import DayReport
from kiosk.walkins.visits import service_label


def day_csv(report: DayReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("No."), _("Name"), _("Checked in"), _("Checked out"), _("Hours"), _("How"), _("Confirmed"),
                     _("Note")])
    for s in sorted(report.sessions, key=lambda s: s.checked_in_at):
        note = []
        if s.needs_review:
            note.append(_("to review"))
        if keeper_note(s):
            note.append(keeper_note(s))
        writer.writerow([
            s.volunteer.number,
            spreadsheet_safe(s.volunteer.name),
            local_time(s.checked_in_at, format="yyyy-MM-dd HH:mm"),
            local_time(s.checked_out_at, format="yyyy-MM-dd HH:mm") if s.checked_out_at else "",
            format_hours(report.minutes.get(s.id, 0)) if s.checked_out_at else "",
            methods_label(s),
            _("yes") if s.confirmed_at else _("no"),
            "、".join(note),
        ])
    writer.writerow([])
    writer.writerow([_("Station services"), _("Visits")])
    for service, count in report.walk_ins:
        writer.writerow([spreadsheet_safe(service_label(service)), count])
    writer.writerow([])
    writer.writerow([_("Swap shelf"), _("Brought"), _("Taken")])
    # The shelf's one row is the day's, named by the day as the sessions' times are.
    writer.writerow([report.day.isoformat(), len(report.swap_brought), len(report.swap_taken)])
    # The byte-order mark tells Excel this is UTF-8; without it Chinese turns to gibberish.
    return ("\ufeff" + out.getvalue()).encode("utf-8")

