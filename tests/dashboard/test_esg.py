"""The ESG training summary: exact figures on a hand-made organisation, small-group suppression
with the complementary rule, the CSV and PDF downloads (audited), and untrusted names."""

from __future__ import annotations

import csv
import io
import logging
import re
import subprocess
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.dashboard.esg import SMALL, WITHHELD, esg_report, suppress
from lms.reports.spreadsheet import neutralise
from tests.conftest import SHARED
from tests.dashboard.conftest import Tags, at

YEAR = 2025


@pytest.fixture
def company(catalog, person, assignment, learned):
    """2025, 21 people in the headcount:

    Engineering (6, Shanghai; F F F M M M):
      completions in 2025: e1 3600 s (two modules), e2 5400 s, e3 0 s -> 3 of 6, 9000 s
      assignments due in 2025: e1, e2 completed in 2025; e3 completed only in January 2026;
      e4 overdue; e5 one waived (not counted) and one expired (done); e6 closed only
      -> 5 people, 5 due, 3 done
    Support (8, Hangzhou; F F F F M M - -): each completes a course (900 s) and the one
      assignment due -> 8 of 8, 7200 s, 8 of 8 done
    Legal (2, Hangzhou, no gender): nothing.   Ops (5, no location, no gender): o1 3600 s.
    Not counted: x1 hired in 2026, x2 gone since 2024, and work outside 2025.
    """
    conduct, harassment = catalog["code-of-conduct"], catalog["harassment-prevention"]
    safety = catalog["self-defense-basics"]
    due = date(2025, 12, 31)

    def done_in(day):
        return at(day)

    e = [person(f"E{n}", "Engineering", "Shanghai", gender=g)
         for n, g in enumerate(("female", "female", "female", "male", "male", "male"), 1)]
    learned(e[0], conduct, done_in(date(2025, 3, 1)), (1800, 1800))
    learned(e[1], conduct, done_in(date(2025, 4, 1)), (5400,))
    learned(e[2], safety, done_in(date(2025, 12, 31)), ())
    learned(e[3], conduct, done_in(date(2024, 6, 1)), (7200,))  # 2024: not counted
    learned(e[5], conduct, None, (7200,), status="failed")  # never completed
    learned(e[0], safety, done_in(date(2026, 1, 2)), (7200,))  # 2026: not counted
    assignment(e[0], conduct, "2025", "completed", due, done_in(date(2025, 3, 1)))
    assignment(e[1], conduct, "2025", "completed", due, done_in(date(2025, 4, 1)))
    assignment(e[2], conduct, "2025", "completed", due, done_in(date(2026, 1, 10)))
    assignment(e[3], conduct, "2025", "assigned", date(2025, 6, 30))
    assignment(e[4], conduct, "2025", "waived", due)
    assignment(e[4], harassment, "2025", "expired", due, done_in(date(2025, 6, 1)))
    assignment(e[5], conduct, "2025", "closed", due)
    assignment(e[0], conduct, "2026", "assigned", date(2026, 12, 31))  # due 2026
    assignment(e[1], conduct, "2024", "completed", date(2024, 12, 31),
               done_in(date(2024, 5, 1)))  # due 2024
    genders = ("female",) * 4 + ("male",) * 2 + (None, None)
    for n, g in enumerate(genders, 1):
        p = person(f"P{n}", "Support", "Hangzhou", gender=g)
        learned(p, conduct, done_in(date(2025, 9, n)), (900,))
        assignment(p, conduct, "2025", "completed", due, done_in(date(2025, 9, n)))
    for n in (1, 2):
        person(f"L{n}", "Legal", "Hangzhou")
    ops = [person(f"O{n}", "Ops", None) for n in range(1, 6)]
    learned(ops[0], safety, done_in(date(2025, 2, 2)), (3600,))
    x1 = person("X1", "Engineering", "Shanghai", hire_date=date(2026, 2, 1))
    assignment(x1, conduct, "2025", "assigned", due)
    x2 = person("X2", "Engineering", "Shanghai", hire_date=date(2020, 1, 1),
                leave_date=date(2024, 12, 31), active=False)
    learned(x2, conduct, done_in(date(2025, 1, 5)), (3600,))


def _rows(groups) -> dict:
    return {g.label: (g.headcount, g.participation, g.hours_per_employee, g.people_due,
                      g.completion_rate, g.hidden, g.rate_hidden) for g in groups}


def test_the_figures(company):
    report = esg_report(YEAR)
    t = report.total
    assert (t.headcount, t.participants, t.seconds, t.people_due, t.due, t.done) == (
        21, 12, 19800, 13, 13, 11)
    assert (t.participation, t.hours_per_employee, t.completion_rate) == (57.1, 0.26, 84.6)
    assert _rows(report.groups["department"]) == {
        "Engineering": (6, 50.0, 0.42, 5, 60.0, None, None),
        "Legal": (2, 0.0, 0.0, 0, None, SMALL, SMALL),  # even "nobody due" is hidden
        "Ops": (5, 20.0, 0.2, 0, None, WITHHELD, None),
        "Support": (8, 100.0, 0.25, 8, 100.0, None, None),
    }
    assert _rows(report.groups["location"]) == {
        "Hangzhou": (10, 80.0, 0.2, 8, 100.0, None, None),
        "Shanghai": (6, 50.0, 0.42, 5, 60.0, None, None),
        None: (5, 20.0, 0.2, 0, None, None, None),
    }
    genders = _rows(report.groups["gender"])
    assert genders["female"] == (7, 100.0, 0.5, 7, 85.7, None, None)
    # Rates: male (4 people due) and not recorded (2) are both small; together 6 >= 5.
    assert genders["male"] == (5, 40.0, 0.1, 4, 75.0, None, SMALL)
    assert genders[None] == (9, 33.3, 0.17, 2, 100.0, None, SMALL)


@pytest.mark.parametrize("populations,marks", [
    ([10, 20], [None, None]),
    ([10, 3, 8], [None, SMALL, WITHHELD]),  # one hidden: the smallest other one goes too
    ([10, 3, 3], [None, SMALL, SMALL]),  # two hidden, 6 people between them: enough
    ([10, 2, 2, 9], [None, SMALL, SMALL, WITHHELD]),  # 2 + 2 < 5: one more
    ([0, 7, 2], [None, WITHHELD, SMALL]),  # an empty population has nothing to hide
    ([3], [SMALL]),
    ([1, 1, 1], [SMALL, SMALL, SMALL]),
])
def test_suppression_rule(populations, marks):
    assert suppress(populations) == marks


def test_no_shown_figures_give_a_hidden_group_away(company):
    """Total minus the shown groups leaves only a combination of hidden groups holding at least
    5 people, in every table and for both populations."""
    report = esg_report(YEAR)
    for groups in report.groups.values():
        for population, mark in (("headcount", "hidden"), ("people_due", "rate_hidden")):
            # A hidden cell of nobody (a small group's "0 due") hides nothing to add up.
            hidden = [g for g in groups if getattr(g, mark) and getattr(g, population)]
            if hidden:
                assert len(hidden) >= 2
                assert sum(getattr(g, population) for g in hidden) >= 5


def test_no_gender_data_means_no_gender_table(person):
    for n in range(6):
        person(f"N{n}", "Sales", "Hangzhou")
    assert esg_report(YEAR).groups["gender"] == []


def test_the_page(hr_client, company):
    text = hr_client.get(f"/hr/esg?year={YEAR}").text
    assert "ESG training summary, 2025" in text
    assert "84.6%" in text and "57.1%" in text and "0.26" in text
    assert "&lt;5" in text and WITHHELD in text
    assert '<caption class="visually-hidden">By department, 2025</caption>' in text
    assert 'href="/hr/esg.csv?year=2025"' in text and 'href="/hr/esg.pdf?year=2025"' in text


@pytest.mark.parametrize("query", ["", "?year=1999", "?year=9999", "?year=abc",
                                   "?year=2025%27--"])
def test_odd_years_fall_back_to_the_last_full_year(hr_client, query):
    from lms.clock import today

    response = hr_client.get(f"/hr/esg{query}")
    assert response.status_code == 200
    assert f"ESG training summary, {today().year - 1}" in response.text


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_download_is_audited(hr_client, company):
    response = hr_client.get(f"/hr/esg.csv?year={YEAR}")
    rows = _csv(response)
    assert 'filename="esg-training-2025.csv"' in response.headers["Content-Disposition"]
    assert rows[0][:3] == ["Dimension", "Group", "Headcount"]
    assert rows[1] == ["Organisation", "All employees", "21", "57.1", "0.26", "13", "84.6"]
    by_group = {(r[0], r[1]): r[2:] for r in rows[2:]}
    assert by_group[("Department", "Legal")] == [SMALL] * 5
    assert by_group[("Department", "Ops")] == [WITHHELD] * 3 + ["0", ""]
    assert by_group[("Gender", "male")] == ["5", "40.0", "0.1", SMALL, SMALL]
    assert by_group[("Location", "Not recorded")] == ["5", "20.0", "0.2", "0", ""]
    entry = _audit()
    assert (entry.target_type, entry.target_id, entry.detail["format"]) == ("esg", "2025",
                                                                            "csv")
    assert entry.actor.startswith("Hr Person")


def _audit() -> AuditEvent:
    from lms.db import db

    db.session.expire_all()
    entries = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert len(entries) == 1
    return entries[0]


def _pdf_text(data: bytes) -> tuple[list, str]:
    assert data.startswith(b"%PDF-")
    pages = PdfReader(io.BytesIO(data)).pages
    return pages, "\n".join(page.extract_text() for page in pages)


def test_pdf_download_is_audited_and_readable(hr_client, company, person, tmp_path):
    for n in range(5):
        person(f"C{n}", "人力资源部（上海）", "杭州滨江园区")
    response = hr_client.get(f"/hr/esg.pdf?year={YEAR}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages, text = _pdf_text(response.data)
    assert len(pages) <= 2
    width, height = (float(v) for v in pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait
    for expected in ("ESG training summary, 2025", "人力资源部（上海）", "杭州滨江园区",
                     "84.6%", "46.2%", SMALL, WITHHELD, "How these figures are made"):
        assert expected in text, expected
    entry = _audit()
    assert (entry.target_id, entry.detail["format"]) == ("2025", "pdf")
    # The first page as an image: mostly white paper with some ink, not blank.
    path = tmp_path / "esg.pdf"
    path.write_bytes(response.data)
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = image.point(lambda value: 255 if value < 128 else 0).histogram()[255]
    assert 0.005 < dark / (image.width * image.height) < 0.3


def _xss_payloads(limit: int = 25) -> list[str]:
    lines = []
    for path in sorted((SHARED / "corpora" / "xss").glob("*.txt")):
        lines += [line.strip() for line in path.read_text(errors="replace").splitlines()]
    unique = list(dict.fromkeys(line for line in lines if 0 < len(line) <= 120))
    step = max(1, len(unique) // limit)
    return unique[::step][:limit]


def _csv_payloads(limit: int = 25) -> list[str]:
    lines = []
    for path in sorted((SHARED / "corpora" / "csv-injection").glob("*.txt")):
        lines += [line.strip() for line in path.read_text(errors="replace").splitlines()]
    return list(dict.fromkeys(line for line in lines if 0 < len(line) <= 200))[:limit]


def test_untrusted_department_names_on_the_page_in_csv_and_pdf(hr_client, person, caplog):
    names = _xss_payloads() + _csv_payloads()
    names = list(dict.fromkeys(names))
    for n, name in enumerate(names):
        person(f"U{n}", name, None, hire_date=date(2024, 1, 1))
    page = hr_client.get(f"/hr/esg?year={YEAR}").text
    tags = Tags()
    tags.feed(page)
    assert not {"script", "iframe", "img", "svg", "object"} & tags.tags
    assert not [a for a in tags.attributes if a.startswith("on")]
    assert all(h.startswith(("/", "#")) for h in tags.hrefs)
    assert "&lt;script&gt;" in page or "&lt;/script&gt;" in page

    rows = _csv(hr_client.get(f"/hr/esg.csv?year={YEAR}"))
    departments = [r[1] for r in rows if r[0] == "Department"]
    assert sorted(departments) == sorted(neutralise(name) for name in names)
    assert any(d.startswith("'=") for d in departments)
    assert not any(d.startswith(("=", "+", "-", "@")) for d in departments)

    with caplog.at_level(logging.WARNING):
        response = hr_client.get(f"/hr/esg.pdf?year={YEAR}")
    assert "refused" not in caplog.text  # names are text: nothing in them is fetched
    _, text = _pdf_text(response.data)
    flat = re.sub(r"\s+", "", text)
    missing = [name for name in _xss_payloads() if re.sub(r"\s+", "", name) not in flat]
    assert missing == []
