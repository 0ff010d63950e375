"""Quiz translations keep the source's structure; learners see their language."""

from pathlib import Path

from sqlalchemy import select

from courses.models import Course
from lms.catalog.services import sync_catalog
from lms.db import db
from quizzes.parser import parse_quiz
from quizzes.translations import parse_quiz_translation
from tests import helpers

SOURCE = """## Gifts {#gifts}

A supplier offers you a gift.

- [x] Decline
  > Right.
- [ ] Accept
  > No.

> [!EXPLANATION]
> Decline gifts during tenders.

## Drinks {#drinks type=true-false}

You may refuse a drink.

- [x] True
  > Yes.
- [ ] False
  > You may.

> [!EXPLANATION]
> Nobody may pressure you.
"""

TRANSLATION = """## 礼品 {#gifts}

供应商送你礼物。

- [ ] 拒绝
  > 对。
- [ ] 接受
  > 不对。

> [!EXPLANATION]
> 招标期间拒绝礼品。

## 饮酒 {#drinks type=true-false}

你可以拒绝喝酒。

- [ ] 对
  > 是的。
- [ ] 错
  > 你可以。

> [!EXPLANATION]
> 任何人不得强迫你。
"""


def test_translation_text_is_taken_but_not_its_answer_marks():
    source, _ = parse_quiz("quiz.md", SOURCE)
    texts, problems = parse_quiz_translation("quiz.zh-Hans.md", TRANSLATION, source)
    assert problems == []
    assert texts["gifts"]["title"] == "礼品"
    assert texts["gifts"]["options"][0] == {"text_md": "拒绝", "feedback_md": "对。"}
    assert "correct" not in str(texts)


def test_translation_structure_must_match_the_source():
    source, _ = parse_quiz("quiz.md", SOURCE)
    drifted = TRANSLATION.replace("- [ ] 接受\n  > 不对。\n", "").replace("{#drinks", "{#drink")
    _, problems = parse_quiz_translation("quiz.zh-Hans.md", drifted, source)
    messages = [str(p) for p in problems]
    assert any("'gifts' has 1 options but the source has 2" in m for m in messages)
    assert any("'drink' is not in the source" in m for m in messages)
    assert any("'drinks' of the source is missing" in m for m in messages)


def _course(folder: Path) -> None:
    folder.mkdir()
    (folder / "course.md").write_text(
        '---\ntitle: "Gifts"\nkind: "training"\npass_mark: "50%"\nrecurrence: "once"\n---\n'
        "Intro.\n")
    (folder / "course.zh-Hans.md").write_text('---\ntitle: "礼品"\n---\n简介。\n')
    (folder / "01-gifts.md").write_text("# Gifts\n\nDecline gifts.\n")
    (folder / "01-gifts.zh-Hans.md").write_text("# 礼品\n\n拒绝礼品。\n")
    (folder / "quiz.md").write_text(SOURCE)
    (folder / "quiz.zh-Hans.md").write_text(TRANSLATION)


def test_learners_see_their_language_and_others_the_source(tmp_path, app, client,
                                                          make_employee, make_assignment, login):
    _course(tmp_path / "gifts")
    assert not sync_catalog(tmp_path).failed
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "gifts"))
    chinese = make_employee("王芳", email="wang@example.com", locale="zh-Hans")
    english = make_employee("Tom Byrne", email="tom@example.com", locale="en")
    for person, expected in ((chinese, ("礼品", "拒绝礼品。", "供应商送你礼物")),
                             (english, ("Gifts", "Decline gifts.", "A supplier offers you"))):
        assignment = make_assignment(person, course)
        other = app.test_client()
        login(other, person.email)
        assert expected[0] in other.get("/training").text
        enrollment = helpers.start(other, assignment)
        assert expected[1] in other.get(f"/learn/{enrollment.id}/modules/1").text
        helpers.read_all_modules(other, enrollment)
        attempt = helpers.open_attempt(other, enrollment)
        page = other.get(f"/quiz/attempts/{attempt.id}").text
        assert expected[2] in page
        # The key is the source's, whatever the translation's [ ] marks say.
        response = other.post(f"/quiz/attempts/{attempt.id}",
                              data=helpers.answers(attempt, right=True))
        assert "100%" in other.get(response.location).text
