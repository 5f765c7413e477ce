"""The station settings form. Each field says beside it what a change affects (checked against
what the code does: see station.py)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from kiosk.core.forms import NOT_A_CHOICE, REQUIRED, TOO_LONG, WHOLE_NUMBER, ClockTimeField, WholeNumberField
from kiosk.settings.station import LABELS, WINDOW_OUT_OF_RANGE


class StepField(SelectField):
    """One of the rounding steps; a made-up value gets our own message (WTForms' is English only)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(NOT_A_CHOICE) from None


def step_label(minutes: int) -> str:
    words = {1: _l("to the minute"), 15: _l("to the quarter hour (15 minutes)"),
             30: _l("to the half hour (30 minutes)"), 60: _l("to the hour (60 minutes)")}
    return str(words.get(minutes) or _l("to %(n)s minutes", n=minutes))


class StationSettingsForm(FlaskForm):
    name = StringField(LABELS["name"], validators=[InputRequired(REQUIRED), Length(max=80, message=TOO_LONG)],
                       description=_l("Shown on the kiosk, on phones and in reports, and on badge cards and swap "
                                      "labels printed from now on. Certificates already issued keep the name they "
                                      "were issued under."))
    name_hant = StringField(LABELS["name_hant"], validators=[Length(max=80, message=TOO_LONG)],
                            description=_l("How pages in 繁體中文 write the name, such as 幸福里暖心驛站. Left empty, "
                                           "they show the station name as it is."))
    opens_at = ClockTimeField(LABELS["opens_at"], validators=[InputRequired(REQUIRED)],
                              description=_l("Such as 8:00. Check-ins are taken at any hour, before opening "
                                             "too; a session begun after closing (an evening patrol) stays open "
                                             "until the next opening time, so a scan after midnight checks it out."))
    closes_at = ClockTimeField(LABELS["closes_at"], validators=[InputRequired(REQUIRED)],
                               description=_l("A session nobody checked out of is closed at closing time and waits "
                                              "under To review. A new closing time applies to every session still "
                                              "open, one left open on an earlier day too (it closes at that day's new "
                                              "closing time); sessions already closed keep their times. Set earlier "
                                              "than the time now, it checks out at that time everyone on duty today "
                                              "who checked in before it: the page asks you first."))
    hours_rounding_minutes = StepField(_l("Round served hours"), coerce=int, invalid_choice_message=NOT_A_CHOICE,
                                       description=_l("Half up: to the half hour, 3 h 15 min counts as 3.5 h. A new "
                                                      "step counts from now for all hours, earlier sessions too: "
                                                      "Today, volunteers' pages, the check-in screen, reports, "
                                                      "records, stars, the honor roll and certificates issued from "
                                                      "now on. Certificates already issued keep their hours. Points "
                                                      "already given stay; the next time a volunteer's hours are "
                                                      "confirmed or corrected, the points for all their confirmed "
                                                      "sessions are worked out again at the new step."))
    duplicate_window_minutes = WholeNumberField(LABELS["duplicate_window_minutes"],
                                                validators=[InputRequired(WHOLE_NUMBER)], too_large=WINDOW_OUT_OF_RANGE,
                                                description=_l("1 to 60. A second scan of the same badge this soon "
                                                               "after checking in or out changes nothing. Counts from "
                                                               "the next scan."))
    person_in_charge = StringField(LABELS["person_in_charge"], validators=[Length(max=40, message=TOO_LONG)],
                                   description=_l("Printed on service certificates issued from now on (those "
                                                  "already issued keep theirs) and offered for new activities."))
    contact = StringField(LABELS["contact"], validators=[Length(max=40, message=TOO_LONG)],
                          description=_l("Printed on service certificates issued from now on."))
    seen = HiddenField()  # the settings as the page showed them (core/edits.py)
    # Asked for only when new times would check out volunteers on duty (station.AskFirst).
    agreed = BooleanField(_l("Yes, save the new times and check them out"))
