"""The shared form field macro writes only attributes that have a value."""

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Optional


class _Form(FlaskForm):
    needed = StringField("Needed", validators=[DataRequired()])
    optional = StringField("Optional", validators=[Optional()])


def test_no_attribute_says_none(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros/forms.html" import field %}{{ field(form.needed) }}'
            '{{ field(form.optional, hint="Say something") }}', form=_Form(meta={"csrf": False}))
    assert '"None"' not in html
    needed, optional = html.split('id="optional"')[0], html.split('id="optional"')[1]
    assert "required" in needed and "required" not in optional
    assert 'aria-describedby="optional-hint"' in html
