"""The quiz Markdown format: what a valid quiz parses to, and every error with its line."""

from __future__ import annotations

from decimal import Decimal
from textwrap import dedent

import pytest

from lms.content import ContentError, Problem
from quizzes.parser import parse_quiz

EXPLANATION = "\n> [!EXPLANATION]\n> Because that is the rule.\n"


def quiz(text: str) -> str:
    return dedent(text).lstrip("\n")


def parse(text: str, path: str = "course/quiz.md"):
    return parse_quiz(path, quiz(text))


def errors(text: str) -> list[tuple[int, str]]:
    _, problems = parse(text)
    return [(p.line, p.message) for p in problems if p.severity == "error"]


def only_error(text: str) -> tuple[int, str]:
    found = errors(text)
    assert len(found) == 1, found
    return found[0]


def simple(heading: str = "## Title {#q1}", options: str = "- [x] Right\n- [ ] Wrong\n",
           after: str = EXPLANATION) -> str:
    return f"{heading}\n\nWhat do you do?\n\n{options}{after}"


# -- valid quizzes ----------------------------------------------------------------------------

FULL = quiz("""
    ---
    shuffle_questions: false
    shuffle_options: true
    points_default: 2
    pass_mark: "75%"
    ---

    ## Concert tickets during a tender {#gifts-tender}

    A supplier that is bidding in a tender offers you two tickets.

    What do you do?

    - [ ] Accept, because the tickets are for a personal evening.
      > The timing is what matters.
    - [x] Decline politely and record the offer.
      > Right. Declining protects you.
      > It also protects the tender.
    - [ ] Accept, but give the tickets
      to a colleague who is not on the panel.
      > Passing the gift on does not remove the conflict.

    > [!EXPLANATION]
    > During a tender, accept nothing of value from any bidder.
    >
    > Record every offer.

    > [!HINT]
    > Think about how it looks.

    ## Hosting a client banquet {#host-duties type=multiple scoring=partial points=3.5}

    Which of these are your duties as host?

    - [x] Offer non-alcoholic drinks {weight=50%}
      > Yes.
    - [x] Make sure guests get home safely {weight=50.25%}
      > Yes.
    - [ ] Make sure every guest finishes a toast {weight=-100%}
      > No: nobody has to drink.

    > [!EXPLANATION]
    > A host looks after guests; nobody is pressed to drink.

    # Everyday judgement calls {#everyday pick=1}

    ## Reporting anonymously {#speakup-anonymous type=true-false}

    You may report a concern without giving your name.

    - [x] True
      > Right.
    - [ ] False
      > The web portal accepts anonymous reports.

    > [!EXPLANATION]
    > Anonymous reports are accepted and followed up.

    ## A favour for the nephew {#nephew-job type=multiple scoring=all-or-nothing}

    Which are conflicts of interest?

    * [X] Hiring a relative without declaring it
    * [x] Scoring a friend's bid
    * [ ] Declaring a relationship and stepping back

    > [!EXPLANATION]
    > Declare and step back.
""")


def test_a_full_quiz_parses_without_problems():
    spec, problems = parse_quiz("course/quiz.md", FULL)
    assert problems == []
    assert spec.shuffle_questions is False
    assert spec.shuffle_options is True
    assert spec.points_default == Decimal(2)
    assert spec.pass_mark_percent == 75
    assert spec.pass_mark_points is None
    assert [q.key for q in spec.questions] == [
        "gifts-tender", "host-duties", "speakup-anonymous", "nephew-job"]


def test_question_attributes_and_defaults():
    spec, _ = parse_quiz("course/quiz.md", FULL)
    tender, host, anonymous, nephew = spec.questions
    assert (tender.type, tender.scoring, tender.points, tender.pool) == (
        "single", "all-or-nothing", Decimal(2), None)
    assert tender.title == "Concert tickets during a tender"
    assert tender.line == 8
    assert [q.line for q in spec.questions] == [8, 31, 47, 59]
    assert (host.type, host.scoring, host.points) == ("multiple", "partial", Decimal("3.5"))
    assert host.title == "Hosting a client banquet"
    assert (anonymous.type, anonymous.points, anonymous.pool) == (
        "true-false", Decimal(2), "everyday")
    assert (nephew.type, nephew.scoring, nephew.pool) == ("multiple", "all-or-nothing", "everyday")


def test_prompt_options_feedback_explanation_and_hint():
    spec, _ = parse_quiz("course/quiz.md", FULL)
    tender = spec.questions[0]
    assert tender.prompt == ("A supplier that is bidding in a tender offers you two tickets.\n\n"
                             "What do you do?")
    assert [o.correct for o in tender.options] == [False, True, False]
    assert tender.options[0].text == "Accept, because the tickets are for a personal evening."
    assert tender.options[0].feedback == "The timing is what matters."
    assert tender.options[1].feedback == ("Right. Declining protects you.\n"
                                          "It also protects the tender.")
    # An option's text may go on over several (indented) lines.
    assert tender.options[2].text == ("Accept, but give the tickets\n"
                                      "to a colleague who is not on the panel.")
    assert tender.options[2].feedback == "Passing the gift on does not remove the conflict."
    assert [o.line for o in tender.options] == [14, 16, 19]
    assert tender.explanation == ("During a tender, accept nothing of value from any bidder.\n\n"
                                  "Record every offer.")
    assert tender.hint == "Think about how it looks."
    assert spec.questions[1].hint == ""


def test_weights_and_bullet_styles():
    spec, _ = parse_quiz("course/quiz.md", FULL)
    host, nephew = spec.questions[1], spec.questions[3]
    assert [o.weight for o in host.options] == [Decimal(50), Decimal("50.25"), Decimal(-100)]
    # The weight is not part of the text the learner sees.
    assert [o.text for o in host.options] == [
        "Offer non-alcoholic drinks", "Make sure guests get home safely",
        "Make sure every guest finishes a toast"]
    assert [o.weight for o in spec.questions[0].options] == [None, None, None]
    assert [o.correct for o in nephew.options] == [True, True, False]  # "* [X]" works too


def test_pools():
    spec, _ = parse_quiz("course/quiz.md", FULL)
    assert len(spec.pools) == 1
    pool = spec.pools[0]
    assert (pool.key, pool.title, pool.pick, pool.line) == ("everyday", "Everyday judgement calls",
                                                            1, 45)
    assert [q.pool for q in spec.questions] == [None, None, "everyday", "everyday"]


def test_defaults_without_front_matter():
    spec, problems = parse(simple())
    assert problems == []
    assert spec.shuffle_questions is True
    assert spec.shuffle_options is True
    assert spec.points_default == Decimal(1)
    assert spec.pass_mark_percent is None
    assert spec.pass_mark_points is None
    assert spec.questions[0].points == Decimal(1)
    assert spec.questions[0].line == 1


@pytest.mark.parametrize(("value", "percent", "points"), [
    ('"80%"', 80, None), ('"100%"', 100, None), ('"0%"', 0, None), ('" 90 % "', 90, None),
    ("8", None, Decimal(8)), ("0", None, Decimal(0)),
])
def test_pass_mark_as_percentage_or_points(value, percent, points):
    spec, problems = parse(f"---\npass_mark: {value}\n---\n" + simple())
    assert problems == []
    assert (spec.pass_mark_percent, spec.pass_mark_points) == (percent, points)


@pytest.mark.parametrize(("value", "expected"), [("1", Decimal(1)), ("2.5", Decimal("2.5")),
                                                 ("0.25", Decimal("0.25"))])
def test_points_default_applies_to_questions_without_points(value, expected):
    spec, problems = parse(f"---\npoints_default: {value}\n---\n" + simple()
                           + "\n" + simple("## Other {#q2 points=4}"))
    assert problems == []
    assert spec.points_default == expected
    assert [q.points for q in spec.questions] == [expected, Decimal(4)]


def test_windows_line_endings_and_byte_order_mark_are_read_like_unix_text():
    text = "\ufeff---\nshuffle_options: false\n---\n" + simple()
    spec, problems = parse_quiz("q.md", text.replace("\n", "\r\n"))
    assert problems == []
    assert spec.shuffle_options is False
    assert spec.questions[0].options[0].text == "Right"
    assert spec.questions[0].explanation == "Because that is the rule."


def test_feedback_lazy_continuation_and_multi_paragraph_feedback():
    spec, problems = parse(simple(options=(
        "- [x] Right\n  > First line of feedback\n  still the same paragraph\n  >\n  > Second.\n"
        "- [ ] Wrong\n")))
    assert problems == []
    assert spec.questions[0].options[0].text == "Right"
    assert spec.questions[0].options[0].feedback == ("First line of feedback\n"
                                                     "still the same paragraph\n\nSecond.")


def test_explanation_text_on_the_marker_line_and_case_insensitive_marker():
    spec, problems = parse(simple(after="\n> [!explanation] Short and sweet.\n> More.\n"))
    assert problems == []
    assert spec.questions[0].explanation == "Short and sweet.\nMore."


def test_headings_and_code_inside_the_prompt():
    spec, problems = parse("""
        ## Title {#q1}

        ### A sub-heading is part of the prompt

        ```
        ## not a question
        - [x] not an option
        ```

        - [x] Right
        - [ ] Wrong

        > [!EXPLANATION]
        > E.
    """)
    assert problems == []
    assert len(spec.questions) == 1
    assert "## not a question" in spec.questions[0].prompt
    assert "### A sub-heading" in spec.questions[0].prompt
    assert [o.text for o in spec.questions[0].options] == ["Right", "Wrong"]


# -- Problem --------------------------------------------------------------------------------

def test_problem_str_is_file_line_column_severity_message():
    problem = Problem("code-of-conduct/quiz.md", 12, 3, "something is wrong")
    assert str(problem) == "code-of-conduct/quiz.md:12:3: error: something is wrong"
    warning = Problem("a/b.md", 1, 1, "careful", "warning")
    assert str(warning) == "a/b.md:1:1: warning: careful"


def test_parser_problems_carry_the_path_and_format():
    _, problems = parse(simple("## Title"), path="ethics/quiz.md")
    assert [str(p) for p in problems] == [
        "ethics/quiz.md:1:1: error: question has no id: add {#some-id} at the end of the heading"]


def test_content_error_carries_every_problem():
    problems = [Problem("a.md", 1, 1, "one"), Problem("a.md", 2, 1, "two")]
    error = ContentError(problems)
    assert error.problems == problems
    assert str(error) == "a.md:1:1: error: one\na.md:2:1: error: two"


# -- errors, each with its line -------------------------------------------------------------

def test_two_correct_options_on_a_single_choice_question():
    line, message = only_error("""
        ## Intro {#intro}

        Prompt.

        - [x] A
        - [ ] B

        > [!EXPLANATION]
        > E.

        ## Gifts {#gifts}

        Prompt.

        - [x] A
        - [x] B

        > [!EXPLANATION]
        > E.
    """)
    assert line == 16  # the extra [x], where the fix is
    assert message == ("question 'gifts': a single-choice question needs exactly one [x] option, "
                       "found 2")


def test_no_correct_option():
    assert only_error(simple(options="- [ ] A\n- [ ] B\n")) == (
        1, "question 'q1': a single-choice question needs exactly one [x] option, found 0")
    assert only_error(simple("## T {#q1 type=multiple}", options="- [ ] A\n- [ ] B\n")) == (
        1, "question 'q1': a multiple-choice question needs at least one [x] option")


@pytest.mark.parametrize("options", ["- [x] True\n", "- [x] True\n- [ ] False\n- [ ] Maybe\n"])
def test_true_false_needs_exactly_two_options(options):
    count = options.count("- [")
    assert only_error(simple("## T {#tf type=true-false}", options=options)) == (
        1, f"question 'tf': a true-false question needs exactly two options, found {count}")


def test_true_false_needs_exactly_one_correct_option():
    text = simple("## T {#tf type=true-false}", options="- [x] True\n- [x] False\n")
    assert only_error(text) == (
        6, "question 'tf': a true-false question needs exactly one [x] option, found 2")


def test_missing_id():
    _, problems = parse_quiz("q.md", "\n\n" + simple("## A heading without id"))
    assert [(p.line, p.message) for p in problems] == [
        (3, "question has no id: add {#some-id} at the end of the heading")]


@pytest.mark.parametrize("ident", ["Upper", "a$b", "-leading", "x" * 101, "dot.ted", "é"])
def test_bad_ids(ident):
    line, message = only_error(simple("## T {#" + ident + "}"))
    assert line == 1
    assert "must be lower-case letters, digits, - or _" in message


def test_duplicate_id():
    assert only_error(simple("## One {#same}") + "\n" + simple("## Two {#same}")) == (
        11, "duplicate question id 'same'")


def test_missing_title():
    assert only_error(simple("## {#q1}")) == (1, "the question heading has no title")


def test_overlong_title():
    line, message = only_error(simple("## " + "x" * 501 + " {#q1}"))
    assert line == 1
    assert message.startswith("the question title is 501 characters long")


def test_untagged_blockquote_after_options():
    assert only_error("""
        ## T {#q1}

        Prompt.

        - [x] A
        - [ ] B

        > Just a quote, not feedback.

        > [!EXPLANATION]
        > E.
    """) == (8, "a blockquote after the options must start with > [!EXPLANATION] or > [!HINT]; "
                "indent it by two spaces to make it an option's feedback")


def test_text_after_options():
    assert only_error(simple(after="\nSome stray text.\n" + EXPLANATION)) == (
        8, "text after the options must be inside a [!EXPLANATION] or [!HINT] block")


def test_text_after_the_explanation():
    assert only_error(simple(after=EXPLANATION + "\nAn afterthought.\n")) == (
        11, "text after the options must be inside a [!EXPLANATION] or [!HINT] block")


def test_unindented_text_right_after_the_explanation():
    assert only_error(simple(after=EXPLANATION + "Glued on.\n")) == (
        10, "text after the options must be inside a [!EXPLANATION] or [!HINT] block")


def test_options_after_explanation():
    assert only_error(simple(after=EXPLANATION + "\n- [ ] Late option\n")) == (
        11, "options must come before the [!EXPLANATION] and [!HINT] blocks")


def test_options_after_hint():
    assert only_error(simple(after=EXPLANATION + "\n> [!HINT]\n> H.\n- [ ] Late option\n")) == (
        13, "options must come before the [!EXPLANATION] and [!HINT] blocks")


def test_second_explanation_block():
    line, message = only_error(simple(after=EXPLANATION + "\n> [!EXPLANATION]\n> Again.\n"))
    assert line == 11
    assert message.startswith("question 'q1' has a second [!EXPLANATION] block")


def test_missing_explanation_is_a_warning():
    # A warning, not an error: quizzes imported from Moodle rarely have one, and must still load.
    _, problems = parse_quiz("quiz.md", simple(after=""))
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (1, "warning", "question 'q1' has no [!EXPLANATION] block; add one: it teaches the rule "
                       "after the attempt")]


def test_question_without_options():
    assert only_error("## T {#q1}\n\nJust a prompt.\n" + EXPLANATION) == (
        1, "question 'q1' has no options (write them as - [x] / - [ ])")


def test_option_without_text():
    assert only_error(simple(options="- [x] Right\n- [ ] {weight=10%}\n")) == (
        6, "option has no text")


def test_quiz_without_questions():
    assert errors("---\nshuffle_options: true\n---\n") == [
        (4, "the quiz has no questions (start one with ## Title {#id})")]
    assert errors("") == [(1, "the quiz has no questions (start one with ## Title {#id})")]


def test_text_before_the_first_question_is_a_warning():
    _, problems = parse("Welcome to the quiz!\n\n" + simple())
    assert [(p.line, p.severity) for p in problems] == [(1, "warning")]
    assert problems[0].message.startswith("text outside a question is not shown to learners")


def test_unknown_type():
    assert only_error(simple("## T {#q1 type=essay}")) == (
        1, "unknown question type 'essay' (use single, multiple, true-false)")


def test_unknown_scoring():
    assert only_error(simple("## T {#q1 type=multiple scoring=most}")) == (
        1, "unknown scoring 'most' (use all-or-nothing, partial)")


def test_unknown_attribute():
    assert only_error(simple("## T {#q1 colour=red}")) == (
        1, "unknown question attribute 'colour'")


@pytest.mark.parametrize(("attributes", "token"), [
    ("points", "points"),  # no value
    ("points=1 points=2", "points=2"),  # given twice: which one counts?
    ("=2", "=2"),
    ("#q2", "#q2"),  # a second id
])
def test_attributes_that_cannot_be_read(attributes, token):
    assert only_error(simple("## T {#q1 " + attributes + "}")) == (
        1, f"cannot read attribute {token!r} (write key=value, once each)")


@pytest.mark.parametrize("value", ["0", "-1", "abc", "NaN", "Infinity", "1e3", "1.005",
                                   "1000000", "", "1_0", "+2"])
def test_bad_points(value):
    assert only_error(simple("## T {#q1 points=" + value + "}")) == (
        1, f"points must be a number more than 0 (at most 999999.99, two decimals), got {value!r}")


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("0.5", "0.5"),
                                                 ("999999.99", "999999.99")])
def test_good_points(value, expected):
    spec, problems = parse(simple("## T {#q1 points=" + value + "}"))
    assert problems == []
    assert spec.questions[0].points == Decimal(expected)


@pytest.mark.parametrize("weight", ["101", "-100.5", "12.345"])
def test_bad_weights(weight):
    assert only_error(simple(options="- [x] Right\n- [ ] Wrong {weight=" + weight + "%}\n")) == (
        6, "an option weight must be between -100% and 100%, with at most two decimals")


@pytest.mark.parametrize("written", ["{weight=25}", "{weight = 25%}", "{Weight=25%}",
                                     "{weight=25%} trailing"])
def test_misspelt_weights_are_not_left_in_the_text(written):
    assert only_error(simple(options=f"- [x] Right\n- [ ] Wrong {written}\n")) == (
        6, "write an option's weight as {weight=25%} at the very end of the option")


def test_weight_at_the_end_of_a_multi_line_option():
    spec, problems = parse(simple("## T {#q1 type=multiple scoring=partial}", options=(
        "- [x] Offer soft drinks\n  and tea {weight=60%}\n  > Yes.\n- [x] B\n- [ ] C\n")))
    assert problems == []
    option = spec.questions[0].options[0]
    assert (option.text, option.weight, option.feedback) == (
        "Offer soft drinks\nand tea", Decimal(60), "Yes.")


def test_an_option_has_one_weight():
    assert only_error(simple("## T {#q1 type=multiple scoring=partial}", options=(
        "- [x] A {weight=10%}\n  more {weight=20%}\n- [ ] B\n"))) == (
        6, "an option has one {weight=N%}, at the end of its text")


def test_weights_on_an_all_or_nothing_question_are_a_warning():
    _, problems = parse(simple("## T {#q1 type=multiple}",
                               options="- [x] A {weight=50%}\n- [x] B\n- [ ] C\n"))
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (5, "warning", "question 'q1': option weights only count with scoring=partial")]


# -- pools -------------------------------------------------------------------------------------

def test_pool_pick_larger_than_pool():
    assert only_error("# Pool {#p pick=3}\n\n" + simple() + "\n" + simple("## Two {#q2}")) == (
        1, "pool 'p' picks 3 of only 2 questions")


def test_empty_pool():
    assert only_error(simple() + "\n# Empty pool {#empty pick=1}\n") == (
        11, "pool 'empty' has no questions")


def test_pool_without_id_or_pick():
    message = "a level-1 heading starts a question pool and needs {#pool-id pick=N}"
    assert only_error(simple() + "\n# Part two\n") == (11, message)
    assert only_error(simple() + "\n# Part two {#part-two}\n") == (11, message)


@pytest.mark.parametrize("pick", ["0", "-1", "two", "1.5", ""])
def test_bad_pick(pick):
    assert errors("# Pool {#p pick=" + pick + "}\n\n" + simple())[0] == (
        1, f"pick must be a whole number of at least 1, got {pick!r}")


def test_unknown_pool_attribute_and_duplicate_pool():
    assert errors("# Pool {#p pick=1 weight=2}\n\n" + simple() + "\n# Again {#p pick=1}\n\n"
                  + simple("## Two {#q2}")) == [
        (1, "unknown pool attribute 'weight'"),
        (13, "duplicate pool id 'p'"),
    ]


def test_pool_questions_may_not_reuse_ids_of_other_questions():
    assert only_error(simple() + "\n# Pool {#p pick=1}\n\n" + simple()) == (
        13, "duplicate question id 'q1'")


# -- front matter ------------------------------------------------------------------------------

@pytest.mark.parametrize(("line", "message"), [
    ('shuffle_options: "yes"',
     "shuffle_options has the wrong type (str: 'yes'); write true or false"),
    ("shuffle_questions: 1",
     "shuffle_questions has the wrong type (int: 1); write true or false"),
    ("points_default: no",
     "points_default has the wrong type (bool: False); write a number such as 1 or 2.5"),
    ('points_default: "2"',
     "points_default has the wrong type (str: '2'); write a number such as 1 or 2.5"),
    ("pass_mark: 80.5",
     "pass_mark has the wrong type (float: 80.5); write a percentage in quotes such as \"80%\", "
     "or a whole number of points"),
    ("pass_mark: yes",
     "pass_mark has the wrong type (bool: True); write a percentage in quotes such as \"80%\", "
     "or a whole number of points"),
    ("title: 2025.10", "title has the wrong type (float: 2025.1); put text in double quotes"),
])
def test_front_matter_values_of_the_wrong_type(line, message):
    assert errors(f'---\nlanguage: "en"\n{line}\n---\n' + simple()) == [(3, message)]


@pytest.mark.parametrize(("value", "message"), [
    ("0", "points_default must be a number more than 0 (at most 999999.99, two decimals), got 0"),
    ("-1", "points_default must be a number more than 0 (at most 999999.99, two decimals), got -1"),
    (".inf", "points_default must be a number more than 0 (at most 999999.99, two decimals), "
             "got inf"),
    (".nan", "points_default must be a number more than 0 (at most 999999.99, two decimals), "
             "got nan"),
    ("0.125", "points_default must be a number more than 0 (at most 999999.99, two decimals), "
              "got 0.125"),
])
def test_bad_points_default(value, message):
    assert errors(f"---\npoints_default: {value}\n---\n" + simple()) == [(2, message)]


@pytest.mark.parametrize(("value", "message"), [
    ('"101%"', "pass_mark must be a percentage like \"80%\" or points, got '101%'"),
    ('"80"', "pass_mark must be a percentage like \"80%\" or points, got '80'"),
    ('"eighty"', "pass_mark must be a percentage like \"80%\" or points, got 'eighty'"),
    ("-3", "pass_mark in points must not be negative, got -3"),
])
def test_bad_pass_mark(value, message):
    assert errors(f"---\n\npass_mark: {value}\n---\n" + simple()) == [(3, message)]


def test_unknown_front_matter_key():
    assert errors("---\nshuffle: true\n---\n" + simple()) == [
        (2, "unknown front matter key 'shuffle' (known: shuffle_questions, shuffle_options, "
            "points_default, pass_mark, title, language, source_version)")]


def test_duplicate_front_matter_key():
    assert errors("---\nshuffle_options: true\nshuffle_options: false\n---\n" + simple()) == [
        (3, "front matter key 'shuffle_options' is given twice (first on line 2)")]


@pytest.mark.parametrize(("front", "line", "column", "fragment"), [
    ("shuffle_options: true\npoints_default: [1", 3, 19, "expected ',' or ']'"),
    ("title: a\n  nested: b", 3, 9, "mapping values are not allowed here"),
    ("\ttitle: x", 2, 1, "found character '\\t' that cannot start any token"),
    ("date: 2025-13-45", 2, 7, "month must be in 1..12"),
    ("n: !!int twelve", 2, 4, "invalid literal for int()"),
    ("x: !!python/object/apply:os.system ['true']", 2, 4, "could not determine a constructor"),
    ("a: b\n" + "[" * 2000, 3, 1, ""),
    ("a: " + "[" * 600 + "]" * 600, 2, 1, ""),  # too deeply nested: recursion
    ("title: a\x01b", 2, 9, "character #x0001 is not allowed"),
])
def test_yaml_errors_are_reported_with_their_line(front, line, column, fragment):
    found = errors(f"---\n{front}\n---\n" + simple())
    assert len(found) == 1, found
    assert found[0][0] == line
    assert found[0][1].startswith("front matter is not valid YAML: ")
    assert fragment in found[0][1]
    _, problems = parse(f"---\n{front}\n---\n" + simple())
    if fragment:
        assert problems[0].column == column


def test_front_matter_that_is_not_a_mapping():
    assert errors("---\n- a list\n---\n" + simple()) == [
        (2, "front matter must be a list of `key: value` lines")]


def test_front_matter_that_never_ends():
    found = errors("---\nshuffle_options: true\n\n" + simple())
    assert found[0] == (1, "front matter starts with --- but never ends (add a line with --- "
                           "after it)")


def test_line_numbers_after_front_matter_count_the_front_matter():
    text = "---\nshuffle_options: true\npoints_default: 1\n---\n\n" + simple(
        options="- [x] A\n- [x] B\n")
    assert errors(text) == [
        (11, "question 'q1': a single-choice question needs exactly one [x] option, found 2")]


def test_every_problem_is_reported_at_once():
    found = errors("""
        ---
        shuffle_options: "no"
        ---

        ## One {#one type=essay}

        P.

        - [x] A

        > [!EXPLANATION]
        > E.

        ## Two {#one}

        P.

        - [ ] A
        - [ ] B

        > [!EXPLANATION]
        > E.
    """)
    assert [line for line, _ in found] == [2, 5, 14, 14]
