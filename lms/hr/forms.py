from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from lms.hr.services import NOTE_MAX


class FollowUpForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX)])
    contacted = BooleanField(_l("Contacted"))
