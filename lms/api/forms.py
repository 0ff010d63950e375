from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.api.services import NAME_MAX, SCOPES

SCOPE_LABELS = {
    "assignments:read": _l("Assignments and completions (assignments:read)"),
    "certificates:read": _l("Certificates (certificates:read)"),
    "roster:read": _l("The compliance roster (roster:read)"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("Name (which system uses it)"),
                       validators=[DataRequired(), Length(max=NAME_MAX)])
    scopes = SelectMultipleField(
        _l("Scopes"), choices=[SelectChoice(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
        validators=[DataRequired(message=_l("Choose at least one scope."))],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    expires_on = DateField(_l("Expires after (optional)"), validators=[Optional()])
