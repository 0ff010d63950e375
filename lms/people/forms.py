"""Forms of the HR import page (CSRF on, as everywhere)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice


class ImportForm(FlaskForm):
    file = FileField(_l("HR export (CSV or JSON, UTF-8)"), validators=[FileRequired()])
    format = SelectField(_l("Format"), choices=[
        SelectChoice("", _l("From the file name (.json is JSON, anything else CSV)")),
        SelectChoice("csv", "CSV"), SelectChoice("json", "JSON")], default="")
    deactivate_missing = BooleanField(
        _l("Full-file sync: also deactivate active employees who are not in the file"))
