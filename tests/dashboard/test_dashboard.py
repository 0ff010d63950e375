"""HR's dashboard: exact figures on a small organisation, the default cycle, drill-down links
that select the same people on the roster, charts with text alternatives and tables, access,
escaping, and a fixed number of statements whatever the head count."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from lms.dashboard.charts import GROUP_BARS
from lms.dashboard.links import roster_url
from lms.dashboard.services import DashboardFilters, Figure, dashboard
from lms.db import db
from lms.reports.filters import parse_roster_args
from lms.reports.roster import roster_count
from tests.conftest import PASSWORD, SHARED
from tests.dashboard.conftest import TODAY, at, frozen


def _figures(rows: list[Figure]) -> dict:
    return {f.label if not isinstance(f.key, tuple) else f.key: (f.completed, f.total,
                                                                 f.percent, f.overdue)
            for f in rows}


def test_default_is_each_courses_current_cycle(org):
    d = dashboard(DashboardFilters(), TODAY)
    assert d.current == {org["a"]: "2026", org["b"]: "once"}
    assert _figures(d.by_course) == {(org["a"], "2026"): (3, 6, 50.0, 1),
                                     (org["b"], "once"): (1, 2, 50.0, 1)}
    assert _figures(d.by_department) == {"Finance": (1, 2, 50.0, 1), "Sales": (3, 5, 60.0, 1),
                                         None: (0, 1, 0.0, 0)}
    # Lowest completion first, "not recorded" last among equals.
    assert [f.label for f in d.by_department] == [None, "Finance", "Sales"]
    assert (d.total.completed, d.total.total, d.total.overdue) == (4, 8, 2)


def test_one_course_and_cycle(org):
    d = dashboard(DashboardFilters(course_id=org["a"]), TODAY)
    assert d.scope.pairs == ((org["a"], "2026"),)
    # The course's cycles side by side, latest first.
    assert [f.key for f in d.by_course] == [(org["a"], "2026"), (org["a"], "2025")]
    assert _figures(d.by_course)[(org["a"], "2025")] == (1, 1, 100.0, 0)  # closed: not counted
    assert _figures(d.by_department) == {"Sales": (2, 3, 66.7, 0), "Finance": (1, 2, 50.0, 1),
                                         None: (0, 1, 0.0, 0)}
    assert _figures(d.by_location) == {"Hangzhou": (2, 2, 100.0, 0),
                                       "Shanghai": (1, 3, 33.3, 1), None: (0, 1, 0.0, 0)}
    old = dashboard(DashboardFilters(course_id=org["a"], cycle="2025"), TODAY)
    assert _figures(old.by_department) == {"Sales": (1, 1, 100.0, 0)}


def test_an_older_cycle_than_the_chart_shows_still_has_its_figures(org, monkeypatch):
    monkeypatch.setattr("lms.dashboard.services.MAX_CYCLES_SHOWN", 1)
    d = dashboard(DashboardFilters(course_id=org["a"], cycle="2025"), TODAY)
    assert [f.key for f in d.by_course] == [(org["a"], "2026"), (org["a"], "2025")]
    assert _figures(d.by_department) == {"Sales": (1, 1, 100.0, 0)}


def test_a_cycle_that_began_this_week_is_one_column(catalog, person, assignment):
    someone = person("New Person")
    assignment(someone, catalog["code-of-conduct"], "once", "completed",
               completed=at(TODAY), assigned_on=TODAY)
    weeks = dashboard(DashboardFilters(), TODAY).weeks
    assert [(w.starts_on, w.ends_on, w.cumulative) for w in weeks] == [
        (TODAY - timedelta(days=TODAY.weekday()), TODAY, 1)]


def test_cumulative_completions_per_week_in_the_company_time_zone(org):
    weeks = dashboard(DashboardFilters(course_id=org["a"]), TODAY).weeks
    assert weeks[0].starts_on == date(2026, 1, 5) and weeks[0].ends_on == date(2026, 1, 11)
    assert [w.cumulative for w in weeks[:5]] == [1, 1, 2, 2, 3]
    assert weeks[-1].cumulative == 3 and weeks[-1].ends_on == TODAY
    assert len(weeks) == 24  # 5 January to 15 June
    # A past cycle ends with its last completion or due date, not today.
    old = dashboard(DashboardFilters(course_id=org["a"], cycle="2025"), TODAY).weeks
    assert old[-1].ends_on == date(2025, 12, 31) and old[-1].cumulative == 1


def test_a_cycle_across_courses_and_an_unknown_cycle(org):
    d = dashboard(DashboardFilters(cycle="once"), TODAY)
    assert d.scope.cycle_only == "once" and _figures(d.by_department) == {
        "Sales": (1, 2, 50.0, 1)}
    unknown = dashboard(DashboardFilters(course_id=org["a"], cycle="once"), TODAY)
    assert unknown.unknown_cycle == "once" and unknown.scope.pairs == ((org["a"], "2026"),)


def test_roster_url_spells_the_roster_parameters():
    url = roster_url(course=3, cycle="2026 Q1&x", department=7, location=9,
                     statuses=("completed", "expired"), completed_to=date(2026, 1, 11))
    path, query = url.split("?")
    assert path == "/hr/roster"
    assert parse_qs(query) == {"course": ["3"], "cycle": ["2026 Q1&x"], "department": ["7"],
                               "location": ["9"], "status": ["completed", "expired"],
                               "completed_to": ["2026-01-11"]}
    assert roster_url() == "/hr/roster"


def test_the_roster_path_is_routed(app):
    endpoint, _ = app.url_map.bind("localhost").match("/hr/roster")
    assert endpoint


class Page(HTMLParser):
    """Links inside the data tables (with their text), the SVGs, tables and captions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[list[str]] = []  # [href, text] of links in table cells
        self.svg_links: list[str] = []
        self.svgs: list[dict] = []
        self.tables = 0
        self.captions = 0
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.hrefs: list[str] = []
        self.in_link = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        self.attributes.update(attrs)
        if "href" in attrs:
            self.hrefs.append(attrs["href"] or "")
        if tag == "svg":
            self.svgs.append({**attrs, "children": []})
        elif self.svgs and "svg" in self.stack:
            self.svgs[-1]["children"].append((tag, attrs))
            if tag == "a":
                self.svg_links.append(attrs["href"])
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "a" and "table" in self.stack and attrs.get("href", "").startswith(
                "/hr/roster"):
            self.links.append([attrs["href"], ""])
            self.in_link = True
        if tag not in ("rect", "line", "br", "input", "meta", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "a":
            self.in_link = False
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.in_link and self.links:
            self.links[-1][1] += data


def _page(client, query: str = "") -> Page:
    with frozen():
        response = client.get(f"/hr/dashboard{query}")
    assert response.status_code == 200, response.text[:500]
    parser = Page()
    parser.feed(response.text)
    return parser


def _roster_count(href: str) -> int:
    parsed = parse_roster_args(MultiDict(parse_qsl(urlsplit(href).query)))
    assert parsed.ok, (href, parsed.errors)
    return roster_count(parsed.filters, TODAY)


@pytest.mark.parametrize("which", ["course", "cycle"])
def test_every_drill_down_link_selects_the_people_counted(hr, org, which):
    query = f"?course={org['a']}" if which == "course" else "?cycle=once"
    page = _page(hr, query)
    numbered = [(href, text.split()[0].replace(",", "")) for href, text in page.links
                if text.split()[0].replace(",", "").isdigit()]
    assert len(numbered) > 20
    for href, number in numbered:
        assert _roster_count(href) == int(number), href
    # Every bar in the pictures links somewhere the table links too.
    assert set(page.svg_links) <= {href for href, _ in page.links}


def test_drill_down_links_carry_the_filters(hr, org):
    page = _page(hr, f"?course={org['a']}")
    hrefs = {href for href, _ in page.links}
    base = f"course={org['a']}&cycle=2026"
    assert (f"/hr/roster?{base}&department={org['Finance']}&status=overdue") in hrefs
    assert (f"/hr/roster?{base}&location={org['Hangzhou']}&status=completed&status=expired"
            ) in hrefs
    assert f"/hr/roster?course={org['a']}&cycle=2025&status=overdue" in hrefs
    weekly = [h for h in hrefs if "completed_to=2026-01-11" in h]
    assert weekly == [f"/hr/roster?{base}&status=completed&status=expired"
                      "&completed_to=2026-01-11"]
    assert _roster_count(weekly[0]) == 1


def test_mixed_cycles_say_their_links_are_wider(hr, org):
    with frozen():
        text = hr.get("/hr/dashboard").text
    assert "links from these bars list every cycle" in text
    with frozen():
        text = hr.get(f"/hr/dashboard?course={org['a']}").text
    assert "links from these bars list every cycle" not in text
    assert "no department on record" in text  # N One's bar has no roster filter


def test_each_chart_is_an_svg_with_text_alternatives_and_a_table(hr, org):
    page = _page(hr, f"?course={org['a']}")
    assert len(page.svgs) == 5
    for svg in page.svgs:
        # a group (not an image: an image may not hold the bars' mouse links), named by its
        # title and description
        assert svg["role"] == "group"
        title_id, desc_id = svg["aria-labelledby"].split()
        ids = {attrs.get("id") for _, attrs in svg["children"]}
        assert {title_id, desc_id} <= ids
        assert {"title", "desc", "text"} <= {tag for tag, _ in svg["children"]}
    assert page.tables == 5 and page.captions == 5
    assert "script" not in page.tags and "style" not in page.attributes


def test_filters_have_labels_and_the_page_works_with_an_empty_database(hr):
    with frozen():
        response = hr.get("/hr/dashboard")
    assert response.status_code == 200
    assert '<label for="f-course">' in response.text and '<label for="f-cycle">' in response.text
    assert "No assignments with these filters." in response.text


@pytest.mark.parametrize("query", ["?course=abc", "?course=999999", "?cycle=" + "x" * 300,
                                   "?course=1%27%20OR%201=1--", "?cycle=%3Cscript%3E"])
def test_odd_filter_values_are_harmless(hr, org, query):
    with frozen():
        response = hr.get(f"/hr/dashboard{query}")
    assert response.status_code == 200
    assert "<script>" not in response.text


@pytest.mark.parametrize("role,status", [(None, 302), ((), 403), (("trainer",), 403),
                                         (("hr",), 200), (("admin",), 200)])
def test_only_hr_and_admins(app, make_employee, role, status):
    client = app.test_client()
    if role is not None:
        make_employee("Someone", email="someone@example.com", roles=role)
        client.post("/login", data={"email": "someone@example.com", "password": PASSWORD})
    for url in ("/hr/dashboard", "/hr/esg?year=2025", "/hr/esg.csv?year=2025",
                "/hr/esg.pdf?year=2025"):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert "/login" in response.location


def _xss_payloads(limit: int = 60) -> list[str]:
    lines = []
    for path in sorted((SHARED / "corpora" / "xss").glob("*.txt")):
        lines += [line.strip() for line in path.read_text(errors="replace").splitlines()]
    unique = list(dict.fromkeys(line for line in lines if 0 < len(line) <= 200))
    step = max(1, len(unique) // limit)
    return unique[::step][:limit]


def test_xss_department_names_are_escaped(hr, catalog, person, assignment):
    payloads = _xss_payloads()
    for n, payload in enumerate(payloads):
        employee = person(f"X {n}", payload, payload[::-1][:200])
        assignment(employee, catalog["code-of-conduct"], "2026", "assigned")
    with frozen():
        text = hr.get("/hr/dashboard").text
    page = Page()
    page.feed(text)
    assert "script" not in page.tags and "iframe" not in page.tags and "img" not in page.tags
    assert not [a for a in page.attributes if a.startswith("on")]
    assert all(h.startswith(("/", "#")) for h in page.hrefs), [
        h for h in page.hrefs if not h.startswith(("/", "#"))]
    assert "&lt;script&gt;" in text or "&lt;/script&gt;" in text


def test_the_page_is_a_fixed_number_of_statements(app, hr, catalog, person, assignment):
    engine = None
    with app.app_context():
        engine = db.engine
    made = [0]

    def statements_for(total: int) -> int:
        for n in range(made[0], total):
            employee = person(f"Q {n}", f"Dept {n % 7}", f"Loc {n % 3}")
            status = ("completed", "assigned", "in_progress")[n % 3]
            assignment(employee, catalog["code-of-conduct"], "2026", status,
                       due_on=TODAY + timedelta(days=(n % 5) - 2),
                       completed=at(date(2026, 1, 5) + timedelta(days=n))
                       if status == "completed" else None)
        made[0] = total
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            with frozen():
                assert hr.get("/hr/dashboard").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_for(10) == statements_for(100)


def _get(client, url: str) -> tuple[str, Page]:
    with frozen():
        response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    parser = Page()
    parser.feed(response.text)
    return response.text, parser


def test_the_lowest_departments_are_charted_and_every_one_is_listed(hr, catalog, person,
                                                                    assignment):
    course = catalog["code-of-conduct"]
    count = GROUP_BARS + 2
    for n in range(count):
        # Five departments at 0 %, the rest at 100 %: the chart keeps the five and the lowest
        # of the rest by name.
        employee = person(f"P {n}", f"Dept {n:02}", "Hangzhou")
        assignment(employee, course, "2026", "assigned" if n < 5 else "completed",
                   completed=None if n < 5 else at(date(2026, 2, 2)))
    text, page = _get(hr, f"/hr/dashboard?course={course.id}")
    summary = f"The {GROUP_BARS} departments with the lowest completion, of {count}."
    assert summary in text
    every = f"/hr/dashboard/departments?course={course.id}"
    assert f'<a href="{every}">All {count} departments</a>' in text
    charted = [f"Dept {n:02}" for n in range(GROUP_BARS)]
    assert all(name in text for name in charted)
    assert f"Dept {count - 1}" not in text and f"Dept {count - 2}" not in text
    chart = next(svg for svg in page.svgs if svg["aria-labelledby"].startswith("by-department"))
    bars = [attrs for tag, attrs in chart["children"] if attrs.get("class") == "chart-bar"]
    assert len(bars) == GROUP_BARS
    # One location: nothing left out, so no link.
    assert "/hr/dashboard/locations" not in text

    text, listing = _get(hr, every)
    assert summary not in text and "Back to the dashboard" in text
    rows = re.findall(r'<th scope="row"><a href="[^"]*">(Dept \d+)</a></th>', text)
    assert rows == [f"Dept {n:02}" for n in range(count)]
    numbered = [(href, label.split()[0]) for href, label in listing.links
                if label.split()[0].isdigit()]
    assert len(numbered) == 3 * count  # completed, assigned and overdue per department
    for href, number in numbered:
        assert _roster_count(href) == int(number), href
    # The filters apply, and clearing them stays on this page.
    assert f'<option value="{course.id}" selected>' in text
    assert '<a class="button" href="/hr/dashboard/departments">' in text

    text, _ = _get(hr, "/hr/dashboard/locations")
    assert re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th>', text) == ["Hangzhou"]
    with frozen():
        assert hr.get("/hr/dashboard/teams").status_code == 404
