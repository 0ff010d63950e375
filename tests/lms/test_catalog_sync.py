"""Syncing course folders into the database, through the service and the ``content sync`` CLI."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from courses.models import Course, CourseVersion, Enrollment, Module
from courses.services import start_enrollment
from lms.catalog.services import sync_catalog
from lms.db import db
from quizzes.models import Option, Pool, Question, Quiz

SHIPPED = Path(__file__).resolve().parents[2] / "courses" / "content"
SLUGS = ["code-of-conduct", "harassment-prevention", "manager-track", "professional-track",
         "self-defense-basics", "self-defense-class"]


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the shipped catalog that a test may change."""
    root = tmp_path / "content"
    shutil.copytree(SHIPPED, root)
    return root


def versions() -> dict[str, list[tuple[int, int, str]]]:
    """{slug: [(version id, number, status), ...]} for every course in the database."""
    rows = db.session.execute(
        sa.select(Course.slug, CourseVersion.id, CourseVersion.number, CourseVersion.status)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .order_by(Course.slug, CourseVersion.number)
    ).all()
    out: dict[str, list[tuple[int, int, str]]] = {}
    for slug, version_id, number, status in rows:
        out.setdefault(slug, []).append((version_id, number, status))
    return out


def published(slug: str) -> CourseVersion:
    return db.session.scalar(
        sa.select(CourseVersion).join(Course).where(Course.slug == slug,
                                                    CourseVersion.status == "published"))


def counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Course, CourseVersion, Module, Quiz, Pool, Question, Option)}


# -- the shipped catalog ------------------------------------------------------------------------

def test_syncing_the_shipped_catalog_loads_every_course(app):
    report = sync_catalog(SHIPPED)
    db.session.commit()
    assert report.failed == {}
    assert report.warnings == []
    assert sorted(report.created) == [f"{slug} v1" for slug in SLUGS]
    assert report.unchanged == []

    assert {slug: [(n, s) for _, n, s in rows] for slug, rows in versions().items()} == {
        slug: [(1, "published")] for slug in SLUGS}
    for slug in SLUGS:
        version = published(slug)
        assert version.title
        assert len(version.content_hash) == 64
        assert version.kind in ("certification", "training")
        assert 0 < version.pass_mark_percent <= 100
        assert version.max_attempts >= 1
        assert version.intro_md
        assert len(version.modules) >= (2 if version.in_person else 3)
        assert [m.position for m in version.modules] == list(range(1, len(version.modules) + 1))
        for module in version.modules:
            assert module.title and not module.title.startswith("#")
            assert len(module.body_md.split()) > 200, (slug, module.title)
        quiz = db.session.scalar(sa.select(Quiz).where(Quiz.version_id == version.id))
        assert quiz is not None
        assert len(quiz.questions) >= 8
        types = {q.type for q in quiz.questions}
        assert {"multiple", "true-false"} <= types, slug
        for question in quiz.questions:
            assert question.explanation_md.strip(), (slug, question.key)
            assert question.prompt_md.strip(), (slug, question.key)
            assert question.points > 0
            assert len(question.options) >= 2
            assert any(o.correct for o in question.options)
            assert all(o.text_md.strip() for o in question.options)
            assert all(o.feedback_md.strip() for o in question.options), (slug, question.key)
        # At least 8 questions are asked in every attempt.
        unpooled = sum(1 for q in quiz.questions if q.pool_id is None)
        assert unpooled + sum(p.pick for p in quiz.pools) >= 8


def test_stored_quiz_matches_the_markdown(app):
    sync_catalog(SHIPPED)
    db.session.commit()
    version = published("code-of-conduct")
    assert version.title == "Business Code of Conduct: annual certification"
    assert (version.kind, version.pass_mark_percent, version.max_attempts, version.recurrence,
            version.validity_months) == ("certification", 80, 3, "annual", 12)
    assert version.attestation_text.startswith("I confirm that I have read and understood")
    assert version.modules[0].slug == "our-code"
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.version_id == version.id))
    assert (quiz.shuffle_questions, quiz.shuffle_options) == (True, True)
    first = quiz.questions[0]
    assert (first.key, first.position, first.type, first.scoring, first.points) == (
        "coi-cousin-tender", 1, "single", "all-or-nothing", Decimal(1))
    assert first.title == "A cousin among the bidders"
    assert [o.correct for o in first.options] == [False, True, False, False]
    assert first.options[1].feedback_md.startswith("Right. Declaring early")
    assert first.explanation_md.startswith("A conflict of interest is about")
    banquet = next(q for q in quiz.questions if q.key == "drinking-host-duties")
    assert (banquet.type, banquet.scoring) == ("multiple", "partial")
    [pool] = quiz.pools
    assert (pool.key, pool.pick) == ("everyday-judgement", 2)
    assert sorted(q.key for q in quiz.questions if q.pool_id == pool.id) == [
        "gifts-register-entries", "partners-nephew-job", "speakup-anonymous"]


def test_syncing_twice_changes_nothing(app):
    sync_catalog(SHIPPED)
    db.session.commit()
    before, before_counts = versions(), counts()
    report = sync_catalog(SHIPPED)
    db.session.commit()
    assert report.created == []
    assert report.failed == {}
    assert sorted(report.unchanged) == [f"{slug} v1" for slug in SLUGS]
    assert versions() == before
    assert counts() == before_counts


# -- versions ------------------------------------------------------------------------------------

def test_changing_one_file_creates_v2_and_enrollments_keep_v1(app, content, make_employee):
    sync_catalog(content)
    db.session.commit()
    v1 = published("manager-track")
    learner = make_employee("Li Na")
    enrollment = start_enrollment(learner.id, v1.id)
    db.session.commit()
    others = {slug: rows for slug, rows in versions().items() if slug != "manager-track"}
    module = sorted((content / "manager-track").glob("02-*.md"))[0]
    module.write_text(module.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                      encoding="utf-8")

    report = sync_catalog(content)
    db.session.commit()
    assert report.created == ["manager-track v2"]
    assert sorted(report.unchanged) == [f"{s} v1" for s in SLUGS if s != "manager-track"]
    rows = versions()["manager-track"]
    assert [(number, status) for _, number, status in rows] == [(1, "retired"), (2, "published")]
    assert rows[0][0] == v1.id
    v2 = published("manager-track")
    assert v2.id != v1.id
    assert v2.content_hash != v1.content_hash
    assert v2.modules[1].body_md.endswith("One more sentence.")
    assert not v1.modules[1].body_md.endswith("One more sentence.")
    # The new version has its own quiz; the old one keeps its own.
    quizzes = db.session.scalars(sa.select(Quiz.version_id).where(
        Quiz.version_id.in_([v1.id, v2.id]))).all()
    assert sorted(quizzes) == sorted([v1.id, v2.id])
    # The learner goes on with the version they started.
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).course_version_id == v1.id
    # Nothing else moved.
    assert {slug: r for slug, r in versions().items() if slug != "manager-track"} == others


def test_changing_only_the_quiz_makes_a_new_version_with_the_new_quiz(app, content):
    sync_catalog(content)
    db.session.commit()
    quiz_md = content / "self-defense-basics" / "quiz.md"
    text = quiz_md.read_text(encoding="utf-8")
    quiz_md.write_text(text.replace("{#sd-late-car-park}", "{#sd-late-car-park points=3}"),
                       encoding="utf-8")
    report = sync_catalog(content)
    db.session.commit()
    assert report.created == ["self-defense-basics v2"]
    version = published("self-defense-basics")
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.version_id == version.id))
    assert quiz.questions[0].key == "sd-late-car-park"
    assert quiz.questions[0].points == Decimal(3)


def test_a_quiz_pass_mark_overrides_the_course_pass_mark(app, content):
    quiz_md = content / "manager-track" / "quiz.md"
    quiz_md.write_text('---\npass_mark: "90%"\n' + quiz_md.read_text(encoding="utf-8")[4:],
                       encoding="utf-8")
    report = sync_catalog(content)
    assert report.failed == {}
    assert published("manager-track").pass_mark_percent == 90


# -- broken courses ------------------------------------------------------------------------------

def break_quiz(content: Path, slug: str = "harassment-prevention") -> tuple[str, int]:
    """Mark a second option correct on the first (single-choice) question; returns the shown
    path and the line of the extra [x]."""
    quiz_md = content / slug / "quiz.md"
    lines = quiz_md.read_text(encoding="utf-8").split("\n")
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    wrong = next(i for i in range(heading, len(lines)) if lines[i].startswith("- [ ]"))
    lines[wrong] = lines[wrong].replace("- [ ]", "- [x]", 1)
    quiz_md.write_text("\n".join(lines), encoding="utf-8")
    end = next((i for i in range(heading + 1, len(lines)) if lines[i].startswith("## ")),
               len(lines))
    marked = [i for i in range(heading, end) if lines[i].startswith("- [x]")]
    return f"{slug}/quiz.md", marked[1] + 1  # the parser points at the extra [x]


def test_a_broken_course_loads_nothing_and_the_others_load(app, content):
    path, line = break_quiz(content)
    report = sync_catalog(content)
    db.session.commit()
    assert list(report.failed) == ["harassment-prevention"]
    [problem] = report.failed["harassment-prevention"]
    assert (problem.path, problem.line, problem.severity) == (path, line, "error")
    assert "needs exactly one [x] option, found 2" in problem.message
    assert sorted(report.created) == [f"{s} v1" for s in SLUGS if s != "harassment-prevention"]
    assert sorted(versions()) == [s for s in SLUGS if s != "harassment-prevention"]
    course = sa.select(Course).where(Course.slug == "harassment-prevention")
    assert db.session.scalar(course) is None


def test_a_broken_change_keeps_the_published_version(app, content):
    sync_catalog(content)
    db.session.commit()
    before = versions()
    (content / "code-of-conduct" / "01-our-code.md").write_text("No title line\n",
                                                                encoding="utf-8")
    report = sync_catalog(content)
    db.session.commit()
    assert [str(p) for p in report.failed["code-of-conduct"]] == [
        "code-of-conduct/01-our-code.md:1:1: error: a module must start with its title as "
        "'# Title' on the first line"]
    assert versions() == before


def test_a_folder_without_course_md_is_a_warning(app, content):
    (content / "draft-course").mkdir()
    (content / "draft-course" / "Course.md").write_text("---\n---\n", encoding="utf-8")
    report = sync_catalog(content)
    assert [str(p) for p in report.warnings] == [
        "draft-course:1:1: warning: folder has no course.md, so it is not loaded as a course"]
    assert report.failed == {}
    assert len(report.created) == len(SLUGS)


# -- the CLI ---------------------------------------------------------------------------------

def test_cli_sync_loads_and_then_reports_unchanged(app, runner, content):
    db.session.commit()
    result = runner.invoke(args=["content", "sync", str(content)])
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == [f"new version: {s} v1" for s in SLUGS]
    assert result.stderr == ""
    result = runner.invoke(args=["content", "sync", str(content)])
    assert result.exit_code == 0, result.output
    assert sorted(result.stdout.splitlines()) == [f"unchanged:   {s} v1" for s in SLUGS]
    assert sorted(versions()) == SLUGS


def test_cli_sync_without_path_uses_the_shipped_catalog(app, runner):
    db.session.commit()
    result = runner.invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(SLUGS)


def test_cli_sync_exits_1_and_prints_the_problem(app, runner, content):
    path, line = break_quiz(content, "professional-track")
    db.session.commit()
    result = runner.invoke(args=["content", "sync", str(content)])
    assert result.exit_code == 1
    assert "NOT LOADED: professional-track (fix these and run the sync again)" in result.stderr
    assert f"  {path}:{line}:1: error: question " in result.stderr
    assert f"{path}:{line}:" in result.output
    # The other courses were loaded and committed.
    assert sorted(result.stdout.splitlines()) == [
        f"new version: {s} v1" for s in SLUGS if s != "professional-track"]
    db.session.expire_all()
    assert sorted(versions()) == [s for s in SLUGS if s != "professional-track"]


def test_cli_sync_of_a_folder_without_courses_fails(app, runner, tmp_path):
    db.session.commit()
    result = runner.invoke(args=["content", "sync", str(tmp_path)])
    assert result.exit_code == 1
    assert "no course folders (with a course.md) in" in result.stderr


def test_cli_sync_of_a_missing_folder_fails(app, runner, tmp_path):
    result = runner.invoke(args=["content", "sync", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize(("file", "old", "new", "where"), [
    ("01-awareness.md", None, "# " + "Long title " * 40 + "\n\nBody.\n", "01-awareness.md:1:1"),
    ("quiz.md", "## A stranger near your car late at night {#sd-late-car-park}",
     "## " + "x" * 600 + " {#sd-late-car-park}", "quiz.md:7:1"),
    ("quiz.md", "{#sd-late-car-park}", "{#sd-late-car-park points=12345678}", "quiz.md:7:1"),
    ("course.md", "max_attempts: 3", "max_attempts: 3000000000", "course.md:6:1"),
])
def test_values_the_database_cannot_store_are_reported_not_crashed_on(app, content, file, old,
                                                                      new, where):
    path = content / "self-defense-basics" / file
    text = path.read_text(encoding="utf-8")
    path.write_text(new if old is None else text.replace(old, new, 1), encoding="utf-8")
    report = sync_catalog(content)
    db.session.commit()
    assert list(report.failed) == ["self-defense-basics"]
    assert [str(p).split(": error:")[0] for p in report.failed["self-defense-basics"]] == [
        f"self-defense-basics/{where}"]
    assert len(report.created) == len(SLUGS) - 1
