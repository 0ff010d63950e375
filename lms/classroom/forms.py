"""Forms of the classroom pages. The class form reads its values; the rules (times, zone,
capacity, instructors, links) are checked in ``lms.classroom.scheduling``, which names the
field each problem belongs to."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Optional

from lms.classroom.scheduling import ClassInput


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ClassForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=_int_or_none, validate_choice=False)
    day = DateField(_l("Date"), validators=[Optional()])
    starts = TimeField(_l("Starts at (venue's local time)"), validators=[Optional()])
    ends = TimeField(_l("Ends at (venue's local time)"), validators=[Optional()])
    timezone = SelectField(_l("Time zone of the venue"), validate_choice=False)
    venue = StringField(_l("Venue (building and room)"), render_kw={"maxlength": 300})
    video_url = StringField(_l("Video-call link (optional, https only)"),
                            render_kw={"maxlength": 500, "inputmode": "url"})
    capacity = IntegerField(_l("Places"), validators=[Optional()], render_kw={"min": 1, "max": 500})
    instructors = TextAreaField(_l("Instructors' e-mail addresses (one per line)"),
                                render_kw={"rows": 3})
    deadline = DateField(_l("Sign-up closes on (blank: 2 days before)"),
                         validators=[Optional()])
    notes = TextAreaField(_l("Notes for participants (optional)"),
                          render_kw={"rows": 4, "maxlength": 2000})

    def as_input(self) -> ClassInput:
        """The entered values; a field that could not be read is None (its error is set)."""
        return ClassInput(
            course_id=self.course_id.data, day=self.day.data, starts=self.starts.data,
            ends=self.ends.data, timezone=self.timezone.data or "",
            venue=self.venue.data or "", video_url=self.video_url.data or "",
            capacity=self.capacity.data, instructors=self.instructors.data or "",
            deadline=self.deadline.data, notes=self.notes.data or "")

    def fill(self, data: ClassInput) -> None:
        self.course_id.data, self.day.data = data.course_id, data.day
        self.starts.data, self.ends.data = data.starts, data.ends
        self.timezone.data, self.venue.data = data.timezone, data.venue
        self.video_url.data, self.capacity.data = data.video_url, data.capacity
        self.instructors.data, self.deadline.data = data.instructors, data.deadline
        self.notes.data = data.notes


class BookForReportForm(FlaskForm):
    employee_id = SelectField(_l("Person"), coerce=_int_or_none, validate_choice=False)
