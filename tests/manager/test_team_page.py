"""The team page: direct reports or the whole subtree, overdue first, filters, paging counted
in the database, the summary, escaping, and a statement count that does not grow with the
team."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from markupsafe import escape

from lms.clock import today
from lms.db import db
from lms.manager.services import (
    TeamQuery,
    parse_query,
    summarise,
    whole_percentages,
)
from lms.people.models import Department, Location
from tests.conftest import SHARED
from tests.manager.conftest import add_reports


def _row_names(html: str) -> list[str]:
    """The people in the team table, in order."""
    table = html[html.index('<table class="data team-table">'):]
    return re.findall(r'<th scope="row">([^<]*)<br>', table)


def test_direct_reports_by_default_and_the_subtree_with_the_switch(org, as_user):
    client = as_user("boss@example.com")
    direct = client.get("/team").text
    assert _row_names(direct) == ["Lead Li", "Ops Ou", "Ops Ou"]
    assert "Show everyone below you" in direct and 'href="/team?direct=0"' in direct
    everyone = client.get("/team?direct=0").text
    assert _row_names(everyone) == ["Lead Li", "Dev Deng", "Ops Ou", "Ops Ou"]
    assert '<th scope="col">Manager</th>' in everyone
    assert "Show your direct reports only" in everyone
    # The filter form sends direct=0 (hidden) and direct=1 (the ticked box).
    assert _row_names(client.get("/team?direct=0&direct=1").text) == ["Lead Li", "Ops Ou",
                                                                      "Ops Ou"]


def test_overdue_first_then_by_due_date(org, as_user):
    html = as_user("boss@example.com").get("/team?direct=0").text
    table = html[html.index('<table class="data team-table">'):]
    statuses = re.findall(r'class="badge badge-([a-z_]+)"', table)
    assert statuses == ["overdue", "overdue", "completed", "not_started"]


def test_closed_assignments_only_when_asked_for(org, as_user):
    client = as_user("boss@example.com")
    assert "badge-closed" not in client.get("/team").text
    closed = client.get("/team?status=closed").text
    assert _row_names(closed) == ["Ops Ou"] and "badge-closed" in closed


def test_filters(org, as_user):
    client = as_user("boss@example.com")
    coc, harassment = org["courses"]["coc"], org["courses"]["harassment"]
    assert _row_names(client.get(f"/team?direct=0&course={coc}").text) == [
        "Lead Li", "Dev Deng", "Ops Ou"]
    assert _row_names(client.get(f"/team?course={harassment}").text) == ["Ops Ou"]
    assert _row_names(client.get("/team?direct=0&status=overdue").text) == ["Lead Li",
                                                                           "Dev Deng"]
    assert _row_names(client.get("/team?status=completed").text) == ["Ops Ou"]
    sales = db.session.scalar(sa.select(Department.id).where(Department.name == "Sales"))
    hangzhou = db.session.scalar(sa.select(Location.id).where(Location.name == "Hangzhou"))
    assert len(_row_names(client.get(f"/team?department={sales}").text)) == 3
    assert len(_row_names(client.get(f"/team?location={hangzhou}&direct=0").text)) == 4
    org["dev"].department_id = org["legal"]
    db.session.commit()
    # Legal is now in boss's subtree (dev works there): it is offered and it filters.
    page = client.get(f"/team?direct=0&department={org['legal']}").text
    assert _row_names(page) == ["Dev Deng"] and "Legal Secret Dept" in page
    assert "Dublin Hidden Office" not in page


@pytest.mark.parametrize("query", [
    "course=abc", "status=evil", "page=-1", "page=0", "page=99999999999", "page=%C2%B2",
    "course=%C2%B2", "department=1%27%20OR%201=1--", "location=1;DROP%20TABLE%20employees",
    "direct=maybe", "status=overdue%27--", "course=1e3", "department=-1",
])
def test_bad_parameters_are_ignored(org, as_user, query):
    response = as_user("boss@example.com").get(f"/team?{query}")
    assert response.status_code == 200
    assert "Lead Li" in response.text


def test_parse_query():
    assert parse_query({}) == TeamQuery()
    assert parse_query({"direct": ["0"]}).direct_only is False
    assert parse_query({"direct": ["0", "1"]}).direct_only is True
    assert parse_query({"course": ["12"], "status": ["overdue"], "page": ["3"]}) == TeamQuery(
        course_id=12, status="overdue", page=3)
    assert parse_query({"course": ["²"], "page": ["-2"], "status": ["nope"]}) == TeamQuery()
    assert TeamQuery(direct_only=False, course_id=4).args(page=2) == {
        "direct": "0", "course": "4", "page": "2"}


def test_paging_is_counted_in_the_database(org, as_user, catalog):
    add_reports(org["boss"], [f"Paged Person {n:03d}" for n in range(117)],
                catalog["manager-track"], "PG")
    client = as_user("boss@example.com")
    first = client.get("/team").text
    assert "Page 1 of 3" in first and "120 assignments" in first
    assert len(_row_names(first)) == 50
    third = client.get("/team?page=3").text
    assert "Page 3 of 3" in third and len(_row_names(third)) == 20
    assert "Ops Ou" in third  # not overdue: after every overdue row
    beyond = client.get("/team?page=40").text
    assert "Page 3 of 3" in beyond
    seen = _row_names(first) + _row_names(client.get("/team?page=2").text) + _row_names(third)
    assert len(seen) == 120
    assert sorted(n for n in seen if n.startswith("Paged")) == [
        f"Paged Person {n:03d}" for n in range(117)]
    # page links keep the filters
    filtered = client.get(f"/team?course={catalog['manager-track'].id}").text
    assert f'href="/team?direct=1&amp;course={catalog["manager-track"].id}&amp;page=2"' in filtered


def test_the_summary_counts_by_status(org, as_user):
    day = today()
    direct = summarise(TeamQuery().filters(org["boss"].id), day)
    assert direct.total == 3
    assert direct.counts == {"completed": 1, "in_progress": 0, "not_started": 1, "overdue": 1,
                             "waived_paused": 0, "expired": 0, "closed": 0}
    everyone = summarise(TeamQuery(direct_only=False).filters(org["boss"].id), day)
    assert everyone.counts["overdue"] == 2 and everyone.total == 4
    assert sum(everyone.percents.values()) == 100
    assert [s.key for s in everyone.segments] == ["completed", "not_started", "overdue"]
    assert everyone.segments[-1].x + everyone.segments[-1].width == pytest.approx(100)
    html = as_user("boss@example.com").get("/team?direct=0").text
    assert '<svg class="team-chart"' in html and 'role="img"' in html
    assert "Progress with these filters: Completed 1 (25%); Not started 1 (25%); " \
           "Overdue 2 (50%)" in html
    table = html[html.index('<table class="data team-summary-table">'):]
    assert re.search(r"Overdue</th>\s*<td class=\"num\">2</td>\s*<td class=\"num\">50%</td>",
                     table)
    assert 'fill="url(#tc-overdue)"' in html and 'id="tc-overdue"' in html


def test_paused_and_waived_share_a_bucket(org):
    from lms.compliance.models import Assignment

    db.session.get(Assignment, org["a"]["lead_late"]).status = "paused"
    db.session.get(Assignment, org["a"]["ops_open"]).status = "waived"
    db.session.commit()
    summary = summarise(TeamQuery().filters(org["boss"].id), today())
    assert summary.counts["waived_paused"] == 2 and summary.counts["overdue"] == 0


def test_whole_percentages_add_up_to_100():
    assert whole_percentages({"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert whole_percentages({"a": 0, "b": 0}) == {"a": 0, "b": 0}
    shares = whole_percentages({"a": 1, "b": 998, "c": 1})
    assert sum(shares.values()) == 100


def test_a_tiny_share_says_less_than_one_percent(app):
    from flask import render_template_string

    from lms.manager.services import BUCKETS, Segment, Summary

    counts = {**dict.fromkeys(BUCKETS, 0), "completed": 1, "not_started": 998, "overdue": 1}
    percents = whole_percentages(counts)
    segments = [Segment("completed", 1, 0, 0.0, 0.1), Segment("not_started", 998, 100, 0.1, 99.8),
                Segment("overdue", 1, 0, 99.9, 0.1)]
    with app.test_request_context():
        html = render_template_string(
            '{% from "manager/_summary.html" import summary_chart %}{{ summary_chart(s, "P") }}',
            s=Summary(1000, counts, percents, segments))
    assert "P: Completed 1 (&lt;1%); Not started 998 (100%); Overdue 1 (&lt;1%)" in html
    assert html.count("<text ") == 1  # only the wide segment carries its label inside


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src", "action", "xlink:href", "formaction"):
                self.urls.append(value or "")


PAGE_TAGS = {"html", "head", "meta", "title", "link", "body", "a", "span", "header", "div",
             "nav", "ul", "li", "form", "input", "button", "main", "h1", "h2", "p", "label",
             "select", "option", "section", "svg", "defs", "pattern", "rect", "circle", "g",
             "text", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "br",
             "footer"}


def _xss_names() -> list[str]:
    names = []
    for name in ("XSS_Injection_Intruders_xss_payloads_quick.txt",
                 "XSS_Injection_Intruders_XSS_Polyglots.txt"):
        text = (SHARED / "corpora" / "xss" / name).read_text(encoding="utf-8", errors="replace")
        names += [line for line in text.splitlines() if line.strip() and len(line) <= 300]
    return names


def test_names_from_the_xss_corpus_come_out_escaped(org, as_user, catalog):
    names = _xss_names()
    assert len(names) > 40
    add_reports(org["boss"], names, catalog["manager-track"], "XS")
    client = as_user("boss@example.com")
    pages = []
    for number in range(1, 1 + -(-(len(names) + 3) // 50)):
        pages.append(client.get(f"/team?page={number}").text)
    html = "".join(pages)
    for name in names:
        assert str(escape(name)) in html, name
    for page in pages:
        parser = _Tags()
        parser.feed(page)
        assert parser.tags <= PAGE_TAGS, parser.tags - PAGE_TAGS
        assert not any(a.startswith("on") for a in parser.attributes)
        assert not any("javascript" in url.lower() for url in parser.urls)


def _statements_for_the_page(app, client) -> int:
    with app.app_context():
        engine = db.engine
    count = 0

    def before(*_args, **_kw):
        nonlocal count
        count += 1

    client.get("/team?direct=0")  # warm-up: first-request work is not the page's
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        response = client.get("/team?direct=0")
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    assert response.status_code == 200
    return count


def test_the_page_issues_the_same_statements_for_10_or_200_reports(app, make_employee,
                                                                  catalog, as_user):
    small = make_employee("Small Boss", email="small@example.com")
    large = make_employee("Large Boss", email="large@example.com")
    small_ids = add_reports(small, [f"S {n}" for n in range(10)], catalog["manager-track"],
                            "SM")
    large_ids = add_reports(large, [f"L {n}" for n in range(200)], catalog["manager-track"],
                            "LG")
    # a few in every state, and a few already reminded today, in both teams
    from lms.compliance.models import Assignment
    from lms.manager.services import nudge

    for ids in (small_ids, large_ids):
        for assignment_id, status in zip(ids, ("completed", "waived", "paused", "in_progress"),
                                         strict=False):
            db.session.get(Assignment, assignment_id).status = status
    db.session.commit()
    for boss, ids in ((small, small_ids), (large, large_ids)):
        nudge(boss, ids[-1], today())
    db.session.commit()
    measured = {email: _statements_for_the_page(app, as_user(email))
                for email in ("small@example.com", "large@example.com")}
    assert measured["small@example.com"] == measured["large@example.com"], measured
    assert measured["small@example.com"] <= 12, measured


def test_course_titles_in_the_managers_language(org, as_user, catalog):
    from courses.models import CourseVersion

    version = db.session.scalar(sa.select(CourseVersion).where(
        CourseVersion.course_id == catalog["code-of-conduct"].id,
        CourseVersion.status == "published"))
    version.translations = {**(version.translations or {}),
                            "zh-Hans": {**(version.translations or {}).get("zh-Hans", {}),
                                        "title": "商业行为准则"}}
    org["boss"].locale = "zh-Hans"
    db.session.commit()
    html = as_user("boss@example.com").get("/team").text
    table = html[html.index('<table class="data team-table">'):]
    assert "商业行为准则" in table and "Business Code of Conduct" not in table
    assert '>商业行为准则</option>' in html
    # the CSV keeps the roster's (source) titles, like every other export
    csv_text = as_user("boss@example.com").get("/team/export.csv").text
    assert "Business Code of Conduct" in csv_text
