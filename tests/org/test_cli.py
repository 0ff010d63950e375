"""``flask --app lms org list|set`` and ``content render`` with the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.config import PROJECT_ROOT
from lms.db import db
from lms.demo.data import ORG_SETTINGS
from lms.org.services import org_settings
from tests.conftest import make_test_app
from tests.org.conftest import ZH

COURSE = PROJECT_ROOT / "courses" / "content" / "code-of-conduct"


def _audits() -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "org_settings_changed")).all()


@pytest.mark.usefixtures("bilingual")
def test_list_shows_every_setting_per_language(runner):
    result = runner.invoke(args=["org", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "appeals\ttext\tAppeals route" in lines
    at = lines.index("appeals\ttext\tAppeals route")
    assert lines[at + 1:at + 3] == ["  en (default)\tthe Conduct Appeals Panel",
                                    f"  zh-Hans\t{ZH['appeals']}"]
    at = lines.index("hotline\tphone\tSpeak-up hotline")
    assert lines[at + 2] == "  zh-Hans\t-"  # none of its own: readers get the default


def test_set_a_default_and_a_language_value_audited(runner):
    result = runner.invoke(args=["org", "set", "appeals", "the Appeals Panel"])
    assert result.exit_code == 0 and result.output == "appeals: set\n"
    result = runner.invoke(args=["org", "set", "appeals", "申诉委员会", "--locale", "zh-CN"])
    assert result.exit_code == 0 and result.output == "appeals.zh-Hans: set\n"
    db.session.expire_all()
    assert org_settings("zh-Hans")["appeals"] == "申诉委员会"
    assert org_settings("en")["appeals"] == "the Appeals Panel"
    assert [e.detail for e in _audits()] == [{"keys": ["appeals"]}, {"keys": ["appeals.zh-Hans"]}]
    assert all(e.actor == "system (cli: org)" for e in _audits())
    again = runner.invoke(args=["org", "set", "appeals", "申诉委员会", "--locale", "zh-Hans"])
    assert again.output == "appeals.zh-Hans: unchanged\n" and len(_audits()) == 2
    removed = runner.invoke(args=["org", "set", "appeals", "", "--locale", "zh-Hans"])
    assert removed.exit_code == 0 and removed.output == "appeals.zh-Hans: removed\n"
    db.session.expire_all()
    assert org_settings("zh-Hans")["appeals"] == "the Appeals Panel"


@pytest.mark.parametrize(("args", "message"), [
    (["hotlne", "110"], "unknown setting 'hotlne'; known: name, hotline,"),
    (["hotline", "call us"], "hotline: Enter a phone number"),
    (["report_web", "javascript:alert(1)"], "report_web: Enter a web address"),
    (["hr_contact", "hr", "--locale", "zh-Hans"], "hr_contact.zh-Hans: Enter one e-mail"),
    (["name", "Nom", "--locale", "fr"], "'fr' is not an offered language (en, zh-Hans)"),
    (["name", "x" * 201], "name: Use at most 200 characters (this has 201)."),
])
def test_refusals_say_why_and_exit_1(runner, args, message):
    result = runner.invoke(args=["org", "set", *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(message), result.stderr
    assert _audits() == [] and db.session.scalar(select(AuditEvent.id)) is None


@pytest.mark.usefixtures("bilingual")
def test_content_render_uses_the_files_language(runner):
    chinese = runner.invoke(args=["content", "render", str(COURSE / "01-our-code.zh-Hans.md")])
    assert chinese.exit_code == 0
    assert ZH["name"] in chinese.stdout and ORG_SETTINGS["name"] not in chinese.stdout
    english = runner.invoke(args=["content", "render", str(COURSE / "01-our-code.md")])
    assert ORG_SETTINGS["name"] in english.stdout and ZH["name"] not in english.stdout
    forced = runner.invoke(args=["content", "render", str(COURSE / "01-our-code.md"),
                                 "--locale", "zh-Hans"])
    assert ZH["ethics_committee"] in forced.stdout


def test_content_render_without_tables_shows_the_labels(tmp_path):
    empty = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    result = empty.test_cli_runner().invoke(
        args=["content", "render", str(COURSE / "06-speaking-up.md")])
    assert result.exit_code == 0, result.output
    assert "[Speak-up hotline: not configured]" in result.stdout and "<h1>" in result.stdout
    [note] = result.stderr.splitlines()
    assert note.startswith("note: organisation settings not read (no such table: org_settings)")
    assert note.endswith("Run `flask --app lms db upgrade` to create the tables.")
    with empty.app_context():
        db.engine.dispose()
