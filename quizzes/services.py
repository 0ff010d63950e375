"""Quiz rules: storing a parsed quiz, starting attempts, grading submissions once."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from courses.models import CourseVersion, Enrollment
from courses.services import CourseRuleError, complete_enrollment, fail_enrollment, quiz_blocker
from lms.db import db, utcnow
from lms.errors import lazy_gettext as _l
from quizzes.models import Option, Pool, Question, Quiz, QuizAttempt
from quizzes.parser import QuizSpec
from quizzes.types import QUESTION_TYPES

GRACE = timedelta(seconds=60)  # network and clock slack after a time limit ends


class BadSubmission(Exception):
    """The submitted form does not match the attempt (tampered or replayed): nothing changes."""


def store_quiz(version: CourseVersion, spec: QuizSpec) -> Quiz:
    """Store a parsed quiz for a course version (the course's pass mark applies unless the quiz
    says otherwise)."""
    if spec.pass_mark_percent is not None:
        version.pass_mark_percent = spec.pass_mark_percent
    quiz = Quiz(version_id=version.id, shuffle_questions=spec.shuffle_questions,
                shuffle_options=spec.shuffle_options, pass_mark_points=spec.pass_mark_points)
    pools = {p.key: Pool(key=p.key, title=p.title, pick=p.pick, position=i)
             for i, p in enumerate(spec.pools, start=1)}
    quiz.pools = list(pools.values())
    quiz.questions = [
        Question(
            key=q.key, position=i, type=q.type, scoring=q.scoring, points=q.points, title=q.title,
            prompt_md=q.prompt, explanation_md=q.explanation, hint_md=q.hint,
            translations={locale: texts[q.key] for locale, texts in spec.translations.items()
                          if q.key in texts},
            pool=pools.get(q.pool) if q.pool else None,
            options=[Option(position=j, text_md=o.text, correct=o.correct, weight=o.weight,
                            feedback_md=o.feedback) for j, o in enumerate(q.options, start=1)],
        )
        for i, q in enumerate(spec.questions, start=1)
    ]
    db.session.add(quiz)
    db.session.flush()
    return quiz


def quiz_for_version(version_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.version_id == version_id))


def attempts_used(enrollment_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(QuizAttempt).where(
            QuizAttempt.enrollment_id == enrollment_id, QuizAttempt.status == "submitted"
        )
    )


def attempts_left(enrollment: Enrollment) -> int:
    return max(0, enrollment.version.max_attempts - attempts_used(enrollment.id))


def open_attempt(enrollment_id: int) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.enrollment_id == enrollment_id, QuizAttempt.status == "open"
        )
    )


def draw_layout(quiz: Quiz, rng: random.Random) -> list[dict]:
    """Pick the questions for one attempt (all unpooled ones, N from each pool) and the order of
    questions and options; stored with the attempt so grading sees exactly what was shown."""
    chosen = [q for q in quiz.questions if q.pool_id is None]
    for pool in quiz.pools:
        members = [q for q in quiz.questions if q.pool_id == pool.id]
        chosen.extend(sorted(rng.sample(members, min(pool.pick, len(members))),
                             key=lambda q: q.position))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    layout = []
    for question in chosen:
        options = [o.id for o in question.options]
        if quiz.shuffle_options and question.type != "true-false":
            rng.shuffle(options)
        layout.append({"q": question.id, "o": options})
    return layout


def start_attempt(enrollment: Enrollment, rng: random.Random | None = None) -> QuizAttempt:
    """The learner's open attempt, or a new one if they may start another."""
    existing = open_attempt(enrollment.id)
    if existing is not None:
        return existing
    blocker = quiz_blocker(enrollment)
    if blocker:
        raise CourseRuleError(blocker)
    quiz = quiz_for_version(enrollment.course_version_id)
    if quiz is None:
        raise CourseRuleError(_l("This course has no quiz."))
    used = db.session.scalar(
        select(func.count()).select_from(QuizAttempt)
        .where(QuizAttempt.enrollment_id == enrollment.id)
    )
    if used >= enrollment.version.max_attempts:
        raise CourseRuleError(_l("You have used all your attempts at this quiz."))
    now = utcnow()
    limit = enrollment.version.time_limit_minutes
    attempt = QuizAttempt(
        enrollment_id=enrollment.id, quiz_id=quiz.id, number=used + 1, status="open",
        started_at=now, deadline_at=now + timedelta(minutes=limit) if limit else None,
        layout=draw_layout(quiz, rng or secrets.SystemRandom()),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Two tabs started at once: the other one won; use its attempt.
        existing = open_attempt(enrollment.id)
        if existing is None:
            raise
        return existing
    return attempt


@dataclass(frozen=True)
class ShownQuestion:
    index: int
    question: Question
    options: list[Option]  # in the order this attempt shows them


def shown_questions(attempt: QuizAttempt) -> list[ShownQuestion]:
    """The attempt's questions and options as shown, loaded in two queries."""
    question_ids = [item["q"] for item in attempt.layout]
    questions = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(question_ids)))}
    options = {o.id: o for o in db.session.scalars(
        select(Option).where(Option.question_id.in_(question_ids)))}
    return [
        ShownQuestion(index, questions[item["q"]], [options[o] for o in item["o"]])
        for index, item in enumerate(attempt.layout)
    ]


def parse_answers(attempt: QuizAttempt, form: dict[str, list[str]]) -> dict[int, list[int]]:
    """Map the form (``q<index>`` -> shown option positions) to chosen option ids, refusing
    anything that does not belong to this attempt."""
    shown = shown_questions(attempt)
    allowed = {f"q{s.index}" for s in shown}
    unknown = [name for name in form if name.startswith("q") and name not in allowed]
    if unknown:
        raise BadSubmission(f"answer for a question that is not in this attempt: {unknown[0]}")
    answers: dict[int, list[int]] = {}
    for item in shown:
        values = form.get(f"q{item.index}", [])
        qtype = QUESTION_TYPES[item.question.type]
        if len(values) > 1 and not qtype.multiple_answers:
            raise BadSubmission("several answers to a single-answer question")
        chosen = []
        for value in values:
            if not value.isdigit() or not 0 <= int(value) < len(item.options):
                raise BadSubmission("an answer that is not one of the question's options")
            chosen.append(item.options[int(value)].id)
        if len(set(chosen)) != len(chosen):
            raise BadSubmission("the same option twice")
        answers[item.question.id] = chosen
    return answers


def grade(
    attempt: QuizAttempt, answers: dict[int, list[int]]
) -> tuple[list[dict], Decimal, Decimal]:
    """Grade the chosen options; returns per-question results, points earned and possible."""
    results, earned_total, max_total = [], Decimal(0), Decimal(0)
    for item in shown_questions(attempt):
        question = item.question
        canonical = question.options  # authoring order, which graders index into
        position = {o.id: i for i, o in enumerate(canonical)}
        chosen_ids = answers.get(question.id, [])
        result = QUESTION_TYPES[question.type].grade(
            canonical, {position[o] for o in chosen_ids}, question.scoring
        )
        earned = (question.points * result.fraction).quantize(Decimal("0.01"), ROUND_HALF_UP)
        earned_total += earned
        max_total += question.points
        results.append({"q": question.id, "chosen": chosen_ids, "earned": str(earned),
                        "points": str(question.points), "correct": result.correct})
    return results, earned_total, max_total


def submit_attempt(attempt_id: int, form: dict[str, list[str]]) -> tuple[QuizAttempt, bool]:
    """Grade an attempt once. Returns (attempt, graded_now). A second submission of the same
    attempt (double click, replay, a concurrent request) gets the first result and changes
    nothing; a form that does not match the attempt raises BadSubmission."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt.status == "submitted":
        return attempt, False
    answers = parse_answers(attempt, form)
    now = utcnow()
    late = attempt.deadline_at is not None and now > attempt.deadline_at + GRACE
    if late:
        answers = {}  # the time ran out: answers sent afterwards do not count
    results, earned, maximum = grade(attempt, answers)
    percent = int((earned * 100 / maximum).to_integral_value(ROUND_HALF_UP)) if maximum else 0
    if attempt.quiz.pass_mark_points is not None:
        passed = earned >= attempt.quiz.pass_mark_points
    else:
        passed = percent >= attempt.enrollment.version.pass_mark_percent
    # The status check in the UPDATE makes grading happen exactly once, whichever of several
    # concurrent requests gets here first; the others see rowcount 0 and read its result.
    won = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == "open")
        .values(status="submitted", submitted_at=now,
                answers={str(k): v for k, v in answers.items()}, results=results,
                score_points=earned, max_points=maximum, score_percent=percent, passed=passed)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if won != 1:
        return attempt, False
    enrollment = attempt.enrollment
    if passed:
        complete_enrollment(enrollment, percent)
    elif attempts_left(enrollment) == 0:
        fail_enrollment(enrollment)
    return attempt, True


class CannotExtend(Exception):
    """The attempt has no extension left, is submitted, or its time has already run out."""


def extension_minutes(time_limit_minutes: int) -> int:
    """Each extension adds half the time limit, rounded up to a whole minute."""
    return -(-time_limit_minutes // 2)


def extensions_left(attempt: QuizAttempt) -> int:
    if attempt.deadline_at is None or attempt.status != "open":
        return 0
    return max(attempt.enrollment.version.time_extensions - attempt.extensions_used, 0)


def extend_attempt(attempt_id: int, now=None) -> QuizAttempt:
    """Move an open attempt's deadline by one extension, where the course allows it. The UPDATE
    only applies to the attempt as it was read (same number of extensions used, so the same
    deadline): two clicks or two tabs cannot take more extensions than allowed, and an attempt
    whose time has run out cannot be revived."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    now = now or utcnow()
    if extensions_left(attempt) == 0 or now > attempt.deadline_at + GRACE:
        raise CannotExtend
    step = timedelta(minutes=extension_minutes(attempt.enrollment.version.time_limit_minutes))
    moved = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == "open",
               QuizAttempt.extensions_used == attempt.extensions_used)
        .values(deadline_at=attempt.deadline_at + step,
                extensions_used=attempt.extensions_used + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    if moved != 1:
        raise CannotExtend
    return attempt


def best_attempt(enrollment_id: int) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.enrollment_id == enrollment_id, QuizAttempt.status == "submitted"
        ).order_by(QuizAttempt.score_percent.desc(), QuizAttempt.number).limit(1)
    )
