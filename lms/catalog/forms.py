"""Forms of the trainers' content area. Every form carries the CSRF token; forms that change a
draft carry the revision the trainer saw, so a stale page cannot overwrite newer work."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Regexp
from wtforms.widgets import HiddenInput

SLUG_RULE = r"^[a-z0-9][a-z0-9-]{0,99}$"


class RevisionForm(FlaskForm):
    """Only the CSRF token and the draft's revision: publish, discard, delete a file."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class FileForm(RevisionForm):
    text = TextAreaField(_l("Text"))


class AddFileForm(RevisionForm):
    name = StringField(_l("File name"), validators=[DataRequired(), Length(max=200)])


class ZipImportForm(RevisionForm):
    archive = FileField(_l("Zip of the course's Markdown files"), validators=[FileRequired()])


class QuestionImportForm(RevisionForm):
    source = FileField(_l("Questions file"), validators=[FileRequired()])
    format = SelectField(_l("Format"), choices=[SelectChoice("gift", "GIFT (Moodle)"),
                                                SelectChoice("aiken", "Aiken (Moodle)")])


class NewCourseForm(FlaskForm):
    slug = StringField(_l("Short name (lower-case letters, digits and hyphens)"),
                       validators=[DataRequired(), Regexp(SLUG_RULE, message=_l(
                           "Use lower-case letters, digits and hyphens, such as "
                           "data-protection."))])


class MediaForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG, GIF or WebP, at most 2 MB)"),
                      validators=[FileRequired()])


class PreviewForm(FlaskForm):
    """The live preview's request: a file's unsaved text."""

    name = HiddenField(validators=[DataRequired()])
    text = TextAreaField()
