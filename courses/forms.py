from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class AttestationForm(FlaskForm):
    agree = BooleanField(_l("I have read the statement above and agree to it."),
                         validators=[DataRequired()])
    full_name = StringField(_l("Your full name, as on your record"),
                            validators=[DataRequired(), Length(max=300)])
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=1024)])


class CompleteModuleForm(FlaskForm):
    """Only the CSRF token: marking a module read is a state change."""
