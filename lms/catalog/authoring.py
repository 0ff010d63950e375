"""Trainers' drafts: open a course for editing, save files (optimistic locking), check, publish
a new immutable version, and roll back to an old one.

A draft is one working copy per course (``CourseDraft``: file name -> text). It is checked
exactly as the sync checks a folder (``lms.catalog.services.check_files``), and publishing
stores it the same way (``store_course``), so a course behaves the same whether it came from Git
or from the browser.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select, update
from sqlalchemy.exc import DataError, IntegrityError

from courses.loader import SLUG, content_hash
from courses.models import Course, CourseVersion
from courses.services import published_version
from lms.catalog.check import raw_html
from lms.catalog.models import CourseDraft
from lms.catalog.services import check_files, store_course
from lms.content import Problem
from lms.db import db, utcnow
from lms.errors import UserError, lazy_ngettext
from lms.errors import lazy_gettext as _l
from lms.frontmatter import normalise_newlines, split_front_matter

# course.md, 01-name.md, quiz.md, and their translations (01-name.zh-Hans.md).
SAFE_NAME = re.compile(
    r"(?P<base>course|quiz|\d{2,}-[a-z0-9][a-z0-9-]*)"
    r"(?:\.(?P<locale>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?\.md")
NAME_RULE = _l("use course.md, quiz.md, a module NN-name.md (two or more digits, then "
               "lower-case letters, digits and hyphens), or a translation such as "
               "01-name.zh-Hans.md")
MAX_FILES = 200
MAX_BYTES = 5 * 1024 * 1024  # the whole course, as UTF-8

STARTER_COURSE = """---
title: "{title}"
kind: "training"
pass_mark: "80%"
max_attempts: 3
estimated_minutes: 20
recurrence: "once"
---
What this course is about, in a few sentences.
"""
STARTER_MODULE = "# {title}\n\nWrite the module here.\n"
STARTER_QUIZ = """---
shuffle_questions: true
shuffle_options: true
---

## A first question {#first-question}

Ask something the modules teach.

- [x] The right answer.
  > Why it is right.
- [ ] A wrong answer.
  > Why it is wrong.

> [!EXPLANATION]
> The rule, in a sentence or two.
"""


class AuthoringError(UserError):
    """A trainer's action that cannot be done; the message says why, in plain words."""


class StaleDraft(AuthoringError):
    """The draft was saved by someone else (or another tab) since this editor loaded it."""


class PublishRefused(AuthoringError):
    """The draft has errors; ``problems`` lists each with its file and line."""

    def __init__(self, problems: list[Problem]):
        super().__init__(lazy_ngettext("The draft has %(num)s error; fix it and publish again.",
                                       "The draft has %(num)s errors; fix them and publish "
                                       "again.", len(problems)))
        self.problems = problems


def is_quiz_source(name: str) -> bool:
    """quiz.md (not a translation of it)."""
    match = SAFE_NAME.fullmatch(name)
    return bool(match) and match.group("base") == "quiz" and not match.group("locale")


def name_problem(name: str) -> str | None:
    """Why a file name cannot be used in a course, or None if it can."""
    if not SAFE_NAME.fullmatch(name):
        return _l("%(name)s is not a course file name: %(rule)s", name=repr(name),
                  rule=NAME_RULE)
    return None


def draft_for(slug: str) -> CourseDraft | None:
    return db.session.scalar(select(CourseDraft).where(CourseDraft.slug == slug))


def course_for(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def draft_bytes(draft: CourseDraft) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in draft.files.items()}


def _starter_files(slug: str) -> dict[str, str]:
    title = slug.replace("-", " ").capitalize()
    return {"course.md": STARTER_COURSE.format(title=title),
            "01-introduction.md": STARTER_MODULE.format(title="Introduction"),
            "quiz.md": STARTER_QUIZ}


def open_draft(slug: str, editor_id: int | None) -> CourseDraft:
    """The course's draft: the existing one, or a new one holding the published version's files
    (a course that does not exist yet starts from a small working example). Files whose names
    are not course files, or that are not UTF-8, are not part of a draft."""
    draft = draft_for(slug)
    if draft is not None:
        return draft
    if not SLUG.match(slug):
        raise AuthoringError(_l("A course's name is lower-case letters, digits and hyphens, "
                                "such as data-protection."))
    course = course_for(slug)
    base = None
    if course is None:
        files = _starter_files(slug)
    else:
        base = published_version(course.id) or (course.versions[-1] if course.versions else None)
        files = {}
        for file in base.files if base else ():
            try:
                text = file.content.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if SAFE_NAME.fullmatch(file.path):
                files[file.path] = text
    draft = CourseDraft(slug=slug, base_version_id=base.id if base else None, files=files,
                        updated_by_id=editor_id, updated_at=utcnow(), revision=1)
    try:
        with db.session.begin_nested():
            db.session.add(draft)
    except IntegrityError:  # another trainer opened it at the same moment: use theirs
        existing = draft_for(slug)
        if existing is None:
            raise
        return existing
    return draft


def _check_limits(files: dict[str, str]) -> None:
    if len(files) > MAX_FILES:
        raise AuthoringError(_l("A course has at most %(num)s files.", num=MAX_FILES))
    size = sum(len(text.encode("utf-8")) for text in files.values())
    if size > MAX_BYTES:
        raise AuthoringError(_l("The course is %(size)s KB; keep it under %(limit)s MB.",
                                size=size // 1024, limit=MAX_BYTES // (1024 * 1024)))


def replace_files(draft: CourseDraft, files: dict[str, str], revision: int,
                  editor_id: int | None = None) -> CourseDraft:
    """Store a new set of files in the draft if it is still at ``revision`` (one conditional
    UPDATE, so of two concurrent saves exactly one wins); otherwise raise StaleDraft."""
    _check_limits(files)
    won = db.session.execute(
        update(CourseDraft)
        .where(CourseDraft.id == draft.id, CourseDraft.revision == revision)
        .values(files=dict(files), revision=revision + 1, updated_by_id=editor_id,
                updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.expire(draft)
        raise StaleDraft(_l("Someone saved this draft after you opened it, so your change was "
                            "not saved. Copy your text, reload the page and make the change "
                            "again."))
    db.session.refresh(draft)
    return draft


def save_file(draft: CourseDraft, name: str, text: str, revision: int,
              editor_id: int | None = None) -> CourseDraft:
    """Save one file's text (newlines as ``\\n``, as browsers send ``\\r\\n``)."""
    if name not in draft.files:
        raise AuthoringError(_l("The draft has no file %(name)s.", name=repr(name)))
    return replace_files(draft, {**draft.files, name: normalise_newlines(text)}, revision,
                         editor_id)


def _translation_starter(files: dict[str, str], base: str) -> str:
    """A translation starts as a copy of its source (course.md: the title and introduction
    only, since the settings are not translated)."""
    source = files[f"{base}.md"]
    if base != "course":
        return source
    meta, intro, _, _ = split_front_matter("course.md", source)
    title = str(meta.get("title") or "").replace('"', "'")
    return f'---\ntitle: "{title}"\n---\n{intro.lstrip()}'


def add_file(draft: CourseDraft, name: str, revision: int,
             editor_id: int | None = None) -> CourseDraft:
    """Add a file with a starting text: a module or quiz example, or a copy of the source for a
    translation."""
    problem = name_problem(name)
    if problem:
        raise AuthoringError(problem)
    if name in draft.files:
        raise AuthoringError(_l("The draft already has %(name)s.", name=name))
    match = SAFE_NAME.fullmatch(name)
    base, locale = match.group("base"), match.group("locale")
    if locale:
        if f"{base}.md" not in draft.files:
            raise AuthoringError(_l("%(name)s would translate %(source)s, which the draft does "
                                    "not have.", name=name, source=f"{base}.md"))
        text = _translation_starter(draft.files, base)
    elif base == "course":
        text = STARTER_COURSE.format(title=draft.slug)
    elif base == "quiz":
        text = STARTER_QUIZ
    else:
        title = base.split("-", 1)[1].replace("-", " ").capitalize()
        text = STARTER_MODULE.format(title=title)
    return replace_files(draft, {**draft.files, name: text}, revision, editor_id)


def delete_file(draft: CourseDraft, name: str, revision: int,
                editor_id: int | None = None) -> CourseDraft:
    if name not in draft.files:
        raise AuthoringError(_l("The draft has no file %(name)s.", name=repr(name)))
    if name == "course.md":
        raise AuthoringError(_l("course.md holds the course's settings and cannot be deleted."))
    files = {k: v for k, v in draft.files.items() if k != name}
    return replace_files(draft, files, revision, editor_id)


def _problems(slug: str, files: dict[str, bytes]) -> list[Problem]:
    """The sync's problems, plus the raw-HTML warnings ``content check`` gives."""
    problems = check_files(slug, files)[2]
    for name in sorted(files):
        if SAFE_NAME.fullmatch(name):
            text = normalise_newlines(files[name].decode("utf-8", "replace"))
            _, body, first_line, _ = split_front_matter(name, text)
            problems.extend(raw_html(f"{slug}/{name}", body, first_line))
    return problems


def check_draft(draft: CourseDraft) -> list[Problem]:
    """Every problem in the draft, as the sync and ``content check`` report them (errors are
    exactly the sync's; paths are ``slug/file``)."""
    return _problems(draft.slug, draft_bytes(draft))


def check_edit(draft: CourseDraft, name: str, text: str) -> list[Problem]:
    """The draft's problems as they would be with ``name`` holding ``text`` (for the live
    preview: cross-file checks, such as a translation against its source, still apply)."""
    files = draft_bytes(draft)
    files[name] = normalise_newlines(text).encode("utf-8")
    return _problems(draft.slug, files)


def _lock_course(slug: str) -> Course | None:
    """The course row, locked until the commit (PostgreSQL; SQLite already serialises writers
    with BEGIN IMMEDIATE), so that publishing and rolling back never interleave."""
    return db.session.scalar(select(Course).where(Course.slug == slug).with_for_update())


def publish_draft(draft: CourseDraft, revision: int | None = None) -> CourseVersion:
    """Publish the draft as a new immutable version (the current one is retired; enrolments
    keep the version they started) and delete the draft. Refused with every error if the draft
    has any. A draft whose files are exactly an old version's publishes that version again."""
    locked = db.session.scalar(
        select(CourseDraft.id).where(CourseDraft.id == draft.id).with_for_update())
    if locked is None:
        raise StaleDraft(_l("The draft was published or discarded meanwhile."))
    db.session.refresh(draft)
    if revision is not None and draft.revision != revision:
        raise StaleDraft(_l("The draft changed after you loaded this page; check it and "
                            "publish again."))
    files = draft_bytes(draft)
    spec, quiz, problems = check_files(draft.slug, files)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise PublishRefused(errors)
    course = _lock_course(draft.slug)
    same = None
    if course is not None:
        same = db.session.scalar(select(CourseVersion).where(
            CourseVersion.course_id == course.id,
            CourseVersion.content_hash == content_hash(files)))
    if same is not None and same.status == "published":
        raise AuthoringError(_l("Nothing to publish: the draft is the same as v%(num)s, which "
                                "is published. Discard the draft or change it.",
                                num=same.number))
    if same is not None:
        version = rollback(course, same)
    else:
        try:
            with db.session.begin_nested():
                version, _ = store_course(spec, quiz)
        except (DataError, IntegrityError) as exc:
            # The checks should catch whatever the database refuses; if one is missed, the
            # trainer gets a message instead of an error page (as the sync reports it).
            raise AuthoringError(_l("The database refused this course: %(reason)s",
                                    reason=str(exc.orig))) from exc
    db.session.execute(delete(CourseDraft).where(CourseDraft.id == draft.id))
    db.session.expunge(draft)
    db.session.flush()
    return version


def discard_draft(draft: CourseDraft) -> None:
    db.session.delete(draft)
    db.session.flush()


def rollback(course: Course, version: CourseVersion) -> CourseVersion:
    """Publish an old version again: it becomes the published one and the current one is
    retired. Nothing is copied; learners who start from now on get this version."""
    if version.course_id != course.id:
        raise AuthoringError(_l("That version belongs to another course."))
    _lock_course(course.slug)
    if version.status == "published":
        raise AuthoringError(_l("v%(num)s is already the published version.",
                                num=version.number))

    current = published_version(course.id)
    if current is not None:
        current.status = "retired"
    version.status = "published"
    version.published_at = utcnow()
    db.session.flush()
    return version
