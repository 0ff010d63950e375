"""The translations object remembered per context (lms.i18n.ContextDomain): the same strings as
Flask-Babel's own lookup, in the reader's language, and still switched by ``force_locale`` (the
e-mails and PDFs in the recipient's language), by ``refresh()`` and for lazy strings."""

from __future__ import annotations

import flask_babel
from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, ngettext, refresh
from jinja2 import Environment

from lms.i18n import ContextDomain, current_translations

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
TEMPLATE = ("{{ _('Sign in') }}|{{ gettext('Sign in') }}|"
            "{{ ngettext('%(num)s assignment', '%(num)s assignments', 3) }}|"
            "{{ _('Page %(page)s of %(pages)s', page=1, pages='<2>') }}|{{ _('100%%') }}")


def _uncached(app, message: str, locale: str) -> str:
    """What Flask-Babel's own domain gives, without the remembered object."""
    with app.test_request_context("/"), force_locale(locale):
        return flask_babel.Domain(domain="messages").gettext(message)


def test_the_domain_in_use_is_the_remembering_one(app):
    with app.test_request_context("/"):
        assert isinstance(flask_babel.get_domain(), ContextDomain)


def test_same_strings_as_flask_babels_own_lookup(app):
    chinese = _uncached(app, "Sign in", "zh_Hans")
    assert chinese != "Sign in"  # the catalog is compiled and has it
    with app.test_request_context("/", headers=ZH):
        assert gettext("Sign in") == chinese
        assert gettext("Sign in") == chinese  # the remembered object, same answer
        assert ngettext("%(num)s assignment", "%(num)s assignments", 2) \
            == flask_babel.Domain(domain="messages").ngettext(
                "%(num)s assignment", "%(num)s assignments", 2)
    with app.test_request_context("/"):
        assert gettext("Sign in") == "Sign in"


def test_force_locale_switches_and_restores(app):
    english, chinese = "Sign in", _uncached(app, "Sign in", "zh_Hans")
    with app.test_request_context("/", headers=ZH):
        assert gettext("Sign in") == chinese
        with force_locale("en"):
            assert gettext("Sign in") == english
            assert render_template_string("{{ _('Sign in') }}") == english
            with force_locale("zh_Hans"):
                assert gettext("Sign in") == chinese
            assert gettext("Sign in") == english
        assert gettext("Sign in") == chinese
        assert render_template_string("{{ _('Sign in') }}") == chinese


def test_force_locale_outside_a_request(app):
    """Jobs (the outbox, the PDF renderer) run in an app context only."""
    chinese = _uncached(app, "Sign in", "zh_Hans")
    with app.app_context():
        assert gettext("Sign in") == "Sign in"
        with force_locale("zh_Hans"):
            assert gettext("Sign in") == chinese
            assert render_template_string("{{ _('Sign in') }}") == chinese
        assert gettext("Sign in") == "Sign in"


def test_refresh_after_the_locale_changes(app):
    chinese = _uncached(app, "Sign in", "zh_Hans")
    with app.test_request_context("/"):
        assert gettext("Sign in") == "Sign in"
        flask_babel.get_babel().locale_selector = lambda: "zh_Hans"
        try:
            refresh()
            assert gettext("Sign in") == chinese
        finally:
            from lms import web

            flask_babel.get_babel().locale_selector = web.select_locale


def test_lazy_strings_follow_the_language_where_they_are_read(app):
    label = lazy_gettext("Sign in")
    chinese = _uncached(app, "Sign in", "zh_Hans")
    with app.test_request_context("/", headers=ZH):
        assert str(label) == chinese
        with force_locale("en"):
            assert str(label) == "Sign in"
    with app.test_request_context("/"):
        assert str(label) == "Sign in"


def test_templates_render_as_with_flask_babels_callables(app):
    """The installed callables (and ``_`` pointing at ``gettext``) give exactly what Flask-Babel's
    own give: escaping of variables, %% in strings without variables, plurals."""
    for headers in (ZH, {}):
        with app.test_request_context("/", headers=headers):
            ours = render_template_string(TEMPLATE)
            env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
            env.install_gettext_callables(
                gettext=lambda s: flask_babel.get_translations().ugettext(s),
                ngettext=lambda s, p, n: flask_babel.get_translations().ungettext(s, p, n),
                newstyle=True)
            theirs = env.from_string(TEMPLATE).render()
            assert ours == theirs
            assert "&lt;2&gt;" in ours and "100%" in ours


def test_outside_any_context_nothing_is_translated():
    assert current_translations().ugettext("Sign in") == "Sign in"


def test_remembered_dates_are_flask_babels_in_each_language(app):
    from datetime import UTC, date, datetime

    from flask_babel import format_date

    from lms.i18n import format_date_remembered

    values = [date(2026, 12, 31), date(2026, 12, 31), datetime(2026, 12, 31, 20, 30, tzinfo=UTC),
              date(2027, 1, 1)]
    for headers in (ZH, {}):
        with app.test_request_context("/", headers=headers):
            for value in values:
                for style in ("medium", "long", None):
                    expected = format_date(value, style)
                    assert format_date_remembered(value, style) == expected
                    with force_locale("en" if headers else "zh_Hans"):
                        assert format_date_remembered(value, style) == format_date(value, style)
                        assert format_date_remembered(value, style) != expected
                    assert format_date_remembered(value, style) == expected
            assert render_template_string("{{ format_date(d, 'medium') }}", d=values[0]) \
                == format_date(values[0], "medium")
