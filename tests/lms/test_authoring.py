"""Trainers' drafts through the services: open, save (optimistic locking), files, check,
publish, roll back and diff."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from courses.models import CourseVersion, Enrollment
from courses.services import published_version, start_enrollment
from lms.catalog import authoring, history
from lms.catalog.authoring import AuthoringError, PublishRefused, StaleDraft
from lms.catalog.models import CourseDraft
from lms.catalog.services import check_course
from lms.compliance.services import assign, begin
from lms.db import db
from quizzes.models import Question
from quizzes.services import quiz_for_version
from tests.lms.test_catalog_sync import SHIPPED

SLUG = "code-of-conduct"
PROMPT = "What should she do?"
NEW_PROMPT = "What should Li Na do now?"


def second_x(text: str) -> tuple[str, int]:
    """The quiz with a second [x] in its first question, and the line of the later [x] (where
    the parser reports the problem)."""
    lines = text.split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    wrong = next(i for i, line in enumerate(lines) if line.startswith("- [ ]"))
    lines[wrong] = lines[wrong].replace("- [ ]", "- [x]", 1)
    end = next((i for i in range(heading + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    marked = [i for i in range(heading, end) if lines[i].startswith("- [x]")]
    return "\n".join(lines), marked[1] + 1


@pytest.fixture
def trainer(make_employee):
    return make_employee("Chen Jie", email="trainer@example.com", roles=("trainer",))


@pytest.fixture
def draft(catalog, trainer) -> CourseDraft:
    draft = authoring.open_draft(SLUG, trainer.id)
    db.session.commit()
    return draft


def source_problems(draft: CourseDraft) -> list:
    """The draft's problems in its source files. Editing a source makes its shipped Chinese
    translation stale, a warning of its own (test_editing_a_source_flags_its_translation)."""
    return [p for p in authoring.check_draft(draft) if ".zh-Hans." not in p.path]


def versions(slug: str = SLUG) -> list[tuple[int, str]]:
    return [(v.number, v.status) for v in db.session.scalars(
        sa.select(CourseVersion).join(CourseVersion.course).where(
            CourseVersion.course.has(slug=slug)).order_by(CourseVersion.number))]


def publish_edit(draft: CourseDraft, editor_id: int) -> CourseVersion:
    text = draft.files["quiz.md"].replace(PROMPT, NEW_PROMPT, 1)
    authoring.save_file(draft, "quiz.md", text, draft.revision, editor_id)
    version = authoring.publish_draft(draft)
    db.session.commit()
    return version


# -- opening and saving ---------------------------------------------------------------------

def test_a_draft_starts_from_the_published_versions_files(draft, catalog, trainer):
    v1 = published_version(catalog[SLUG].id)
    assert draft.base_version_id == v1.id
    assert draft.revision == 1
    assert draft.files == {f.path: f.content.decode() for f in v1.files}
    assert set(draft.files) == {p.name for p in (SHIPPED / SLUG).iterdir()}
    assert authoring.open_draft(SLUG, trainer.id).id == draft.id  # one draft per course


def test_a_new_course_starts_from_a_working_example(app, trainer):
    draft = authoring.open_draft("data-protection", trainer.id)
    assert set(draft.files) == {"course.md", "01-introduction.md", "quiz.md"}
    assert draft.base_version_id is None
    assert authoring.check_draft(draft) == []
    with pytest.raises(AuthoringError):
        authoring.open_draft("Not A Slug", trainer.id)


def test_save_needs_the_current_revision(draft, trainer):
    authoring.save_file(draft, "01-our-code.md", "# Our code\r\n\r\nNew text.\r\n", 1, trainer.id)
    db.session.commit()
    assert draft.revision == 2
    assert draft.files["01-our-code.md"] == "# Our code\n\nNew text.\n"  # browsers send CRLF
    assert draft.updated_by_id == trainer.id
    with pytest.raises(StaleDraft, match="Someone saved this draft"):
        authoring.save_file(draft, "01-our-code.md", "# Older tab\n", 1, trainer.id)
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(CourseDraft, draft.id)
    assert stored.revision == 2 and stored.files["01-our-code.md"] == "# Our code\n\nNew text.\n"


def test_save_refuses_a_file_the_draft_does_not_have_and_too_much_text(draft):
    with pytest.raises(AuthoringError):
        authoring.save_file(draft, "99-new.md", "# New\n", draft.revision)
    with pytest.raises(AuthoringError, match="MB"):
        authoring.save_file(draft, "course.md", "x" * (authoring.MAX_BYTES + 1), draft.revision)


@pytest.mark.parametrize("name", ["07-data.md", "quiz.md", "01-our-code.zh-Hans.md",
                                  "course.zh-Hans.md", "quiz.fr.md"])
def test_files_with_course_names_can_be_added(app, trainer, name):
    draft = authoring.open_draft("new-course", trainer.id)
    if name == "quiz.md":
        authoring.delete_file(draft, "quiz.md", draft.revision)
    if name.startswith("01-our-code."):
        authoring.add_file(draft, "01-our-code.md", draft.revision)
    authoring.add_file(draft, name, draft.revision)
    assert name in draft.files


@pytest.mark.parametrize("name", ["../course.md", "/etc/passwd", "sub/01-a.md", "Quiz.md",
                                  "notes.txt", "1-short.md", "01_under.md", "01-a.md.exe",
                                  "course.md\x00.md", "quiz.md\n", ".hidden.md", "01-Upper.md", ""])
def test_unsafe_file_names_are_refused(draft, name):
    with pytest.raises(AuthoringError):
        authoring.add_file(draft, name, draft.revision)


def test_a_translation_needs_its_source_and_starts_as_a_copy(draft):
    with pytest.raises(AuthoringError, match="does not have"):
        authoring.add_file(draft, "09-missing.zh-Hans.md", draft.revision)
    with pytest.raises(AuthoringError, match="already has"):
        authoring.add_file(draft, "01-our-code.zh-Hans.md", draft.revision)
    for name in ("01-our-code.zh-Hans.md", "course.zh-Hans.md"):  # the shipped translations
        authoring.delete_file(draft, name, draft.revision)
    authoring.add_file(draft, "01-our-code.zh-Hans.md", draft.revision)
    assert draft.files["01-our-code.zh-Hans.md"] == draft.files["01-our-code.md"]
    authoring.add_file(draft, "course.zh-Hans.md", draft.revision)
    assert draft.files["course.zh-Hans.md"].startswith('---\ntitle: "Business Code of Conduct')
    assert "kind:" not in draft.files["course.zh-Hans.md"]


def test_editing_a_source_flags_its_translation(draft):
    text = draft.files["01-our-code.md"] + "\nOne more paragraph.\n"
    authoring.save_file(draft, "01-our-code.md", text, draft.revision)
    [stale] = authoring.check_draft(draft)
    assert (stale.path, stale.severity) == (f"{SLUG}/01-our-code.zh-Hans.md", "warning")
    assert "source_version" in stale.message


def test_course_md_cannot_be_deleted_and_other_files_can(draft):
    with pytest.raises(AuthoringError):
        authoring.delete_file(draft, "course.md", draft.revision)
    authoring.delete_file(draft, "06-speaking-up.md", draft.revision)
    assert "06-speaking-up.md" not in draft.files


# -- checking ---------------------------------------------------------------------------------

def test_an_unchanged_draft_has_exactly_the_syncs_problems(draft):
    assert authoring.check_draft(draft) == check_course(SHIPPED / SLUG)[2] == []


def test_errors_are_reported_at_their_file_and_line(draft):
    broken, line = second_x(draft.files["quiz.md"])
    authoring.save_file(draft, "quiz.md", broken, draft.revision)
    problems = source_problems(draft)
    assert [(p.path, p.line, p.severity) for p in problems] == [
        (f"{SLUG}/quiz.md", line, "error")]
    assert "exactly one [x]" in problems[0].message
    # The live preview's check sees unsaved text the same way.
    fixed = authoring.check_edit(draft, "quiz.md", draft.files["quiz.md"].replace(
        broken, second_x(broken)[0]))
    assert [p.line for p in fixed if ".zh-Hans." not in p.path] == [line]


# -- publishing -------------------------------------------------------------------------------

def test_publishing_is_refused_with_every_error_and_changes_nothing(draft):
    broken, line = second_x(draft.files["quiz.md"])
    authoring.save_file(draft, "quiz.md", broken, draft.revision)
    authoring.save_file(draft, "02-conflicts-of-interest.md", "No title here\n", draft.revision)
    with pytest.raises(PublishRefused) as refused:
        authoring.publish_draft(draft)
    db.session.rollback()
    assert {(p.path, p.line) for p in refused.value.problems} == {
        (f"{SLUG}/quiz.md", line), (f"{SLUG}/02-conflicts-of-interest.md", 1)}
    assert versions() == [(1, "published")]
    assert db.session.get(CourseDraft, draft.id) is not None


def test_publishing_makes_version_n_plus_1_and_learners_keep_the_version_they_started(
        draft, catalog, trainer, make_employee):
    course = catalog[SLUG]
    v1 = published_version(course.id)
    early = make_employee("Early Bird")
    started = begin(assign(early.id, course.id, "2026", date(2026, 1, 1), date(2026, 12, 31)))
    db.session.commit()

    v2 = publish_edit(draft, trainer.id)
    assert v2.number == 2
    assert versions() == [(1, "retired"), (2, "published")]
    assert db.session.get(CourseDraft, draft.id) is None
    # The quiz of v2 is the edited one; v1 keeps its own.
    prompts = {v.id: db.session.scalar(sa.select(Question.prompt_md).where(
        Question.quiz_id == quiz_for_version(v.id).id, Question.position == 1))
        for v in (v1, v2)}
    assert NEW_PROMPT in prompts[v2.id] and PROMPT in prompts[v1.id]
    # Mid-course learners finish v1; new starts get v2.
    db.session.expire_all()
    assert db.session.get(Enrollment, started.id).course_version_id == v1.id
    assert begin(assign(early.id, course.id, "2026", date(2026, 1, 1),
                        date(2026, 12, 31))).course_version_id == v1.id
    late = make_employee("Late Comer")
    new = begin(assign(late.id, course.id, "2026", date(2026, 6, 1), date(2026, 12, 31)))
    assert new.course_version_id == v2.id


def test_publishing_an_unchanged_draft_is_refused(draft):
    with pytest.raises(AuthoringError, match="Nothing to publish"):
        authoring.publish_draft(draft)


def test_publishing_a_stale_page_is_refused(draft):
    authoring.save_file(draft, "01-our-code.md", "# Our code\n\nShorter.\n", draft.revision)
    with pytest.raises(StaleDraft):
        authoring.publish_draft(draft, revision=1)


# -- rolling back -----------------------------------------------------------------------------

def test_rollback_publishes_an_old_version_again(draft, catalog, trainer, make_employee):
    course = catalog[SLUG]
    v1 = published_version(course.id)
    v2 = publish_edit(draft, trainer.id)
    on_v2 = start_enrollment(make_employee("On Two").id, v2.id)
    authoring.rollback(course, v1)
    db.session.commit()
    assert versions() == [(1, "published"), (2, "retired")]
    assert published_version(course.id).id == v1.id
    assert db.session.get(Enrollment, on_v2.id).course_version_id == v2.id
    learner = make_employee("After Rollback")
    assert begin(assign(learner.id, course.id, "2026", date(2026, 1, 1),
                        date(2026, 12, 31))).course_version_id == v1.id
    with pytest.raises(AuthoringError, match="already"):
        authoring.rollback(course, v1)
    with pytest.raises(AuthoringError, match="another course"):
        authoring.rollback(catalog["manager-track"], v2)


def test_a_draft_equal_to_an_old_version_publishes_that_version_again(draft, catalog, trainer):
    original = dict(draft.files)
    publish_edit(draft, trainer.id)
    again = authoring.open_draft(SLUG, trainer.id)
    authoring.replace_files(again, original, again.revision)
    version = authoring.publish_draft(again)
    db.session.commit()
    assert version.number == 1
    assert versions() == [(1, "published"), (2, "retired")]


# -- diff -------------------------------------------------------------------------------------

def test_diff_between_versions_and_a_draft(draft, catalog, trainer):
    v1 = published_version(catalog[SLUG].id)
    v1_files = history.version_texts(v1)
    v2 = publish_edit(draft, trainer.id)
    diffs = {d.path: d for d in history.diff(v1_files, history.version_texts(v2),
                                                "v1", "v2")}
    assert {p: d.status for p, d in diffs.items() if d.status != "unchanged"} == {
        "quiz.md": "changed"}
    lines = diffs["quiz.md"].lines
    assert lines[:2] == ["--- v1/quiz.md", "+++ v2/quiz.md"]
    assert any(line.startswith("-") and PROMPT in line for line in lines[2:])
    assert any(line.startswith("+") and NEW_PROMPT in line for line in lines[2:])
    assert diffs["course.md"].lines == []

    new = authoring.open_draft(SLUG, trainer.id)
    authoring.add_file(new, "07-extra.md", new.revision)
    authoring.delete_file(new, "06-speaking-up.md", new.revision)
    statuses = {d.path: d.status for d in history.diff(
        history.version_texts(v2), new.files, "v2", "draft")}
    assert statuses["07-extra.md"] == "added" and statuses["06-speaking-up.md"] == "removed"


def test_diff_of_a_file_without_a_final_newline_keeps_lines_apart():
    lines = history.diff({"a.md": "one\ntwo"}, {"a.md": "one\nthree"}, "v1", "v2")[0].lines
    assert lines[-2:] == ["-two", "+three"]


def test_images_from_other_sites_are_a_warning_at_their_line(draft):
    text = draft.files["01-our-code.md"] + "\n![Org chart](https://cdn.example/chart.png)\n"
    authoring.save_file(draft, "01-our-code.md", text, draft.revision)
    [problem] = source_problems(draft)
    assert (problem.path, problem.line, problem.severity) == (
        f"{SLUG}/01-our-code.md", text.count("\n"), "warning")
    assert "media store" in problem.message
    digest = "ab" * 32
    authoring.save_file(draft, "01-our-code.md", text.replace(
        "https://cdn.example/chart.png", f"/media/{digest}.png"), draft.revision)
    assert source_problems(draft) == []


def test_raw_html_is_a_warning_as_content_check_gives_it(draft):
    text = draft.files["01-our-code.md"] + "\n<div onclick=x>hi</div>\n"
    authoring.save_file(draft, "01-our-code.md", text, draft.revision)
    [problem] = source_problems(draft)
    assert (problem.path, problem.line, problem.severity) == (
        f"{SLUG}/01-our-code.md", text.count("\n"), "warning")
    assert "raw HTML" in problem.message
