"""The roster query, the org subtree and the spreadsheet writers everything else builds on."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from lms.db import db
from lms.people.models import Employee
from lms.people.org import in_subtree, subtree_ids
from lms.reports.roster import COLUMNS, RosterFilters, roster_count, roster_rows
from lms.reports.spreadsheet import csv_chunks, neutralise, write_xlsx

TODAY = date(2026, 6, 1)


@pytest.fixture
def tree(make_employee):
    """ceo > vp > (lead > dev, ops); a second branch other > x."""
    ceo = make_employee("CEO")
    vp = make_employee("VP", manager=ceo)
    lead = make_employee("Lead", manager=vp)
    dev = make_employee("Dev", manager=lead)
    ops = make_employee("Ops", manager=vp)
    other = make_employee("Other")
    x = make_employee("X", manager=other)
    return {p.full_name: p for p in (ceo, vp, lead, dev, ops, other, x)}


def _ids(manager, direct=False) -> set[int]:
    return set(db.session.scalars(subtree_ids(manager.id, direct)))


def test_a_subtree_is_everyone_below(tree):
    t = {name: p.id for name, p in tree.items()}
    assert _ids(tree["CEO"]) == {t["VP"], t["Lead"], t["Dev"], t["Ops"]}
    assert _ids(tree["VP"], direct=True) == {t["Lead"], t["Ops"]}
    assert _ids(tree["Dev"]) == set()
    assert in_subtree(t["CEO"], t["Dev"]) and not in_subtree(t["CEO"], t["X"])


def test_a_loop_in_hr_data_ends_the_recursion(tree):
    db.session.get(Employee, tree["CEO"].id).manager_id = tree["Dev"].id
    db.session.commit()
    assert tree["CEO"].id not in _ids(tree["CEO"])
    assert len(_ids(tree["CEO"])) == 4


def test_the_roster_filters_and_computes_overdue(tree, make_assignment, catalog):
    conduct, selfdef = catalog["code-of-conduct"], catalog["self-defense-basics"]
    late = make_assignment(tree["Dev"], conduct, due_on=date(2026, 5, 1))
    make_assignment(tree["Ops"], conduct, due_on=date(2026, 12, 31))
    make_assignment(tree["X"], selfdef, due_on=date(2026, 12, 31))
    rows = list(roster_rows(RosterFilters(), TODAY))
    assert len(rows) == 3 and len(rows[0]) == len(COLUMNS)
    by_name = {row[1]: row for row in rows}
    assert by_name["Dev"][9] == "overdue" and by_name["Ops"][9] == "assigned"
    assert by_name["Dev"][5] == "Lead" and by_name["Dev"][6].startswith("Business Code of Conduct")
    under_vp = RosterFilters(manager_id=tree["VP"].id)
    assert {r[1] for r in roster_rows(under_vp, TODAY)} == {"Dev", "Ops"}
    assert roster_count(RosterFilters(statuses=("overdue",)), TODAY) == 1
    assert roster_count(RosterFilters(course_id=selfdef.id), TODAY) == 1
    assert roster_count(RosterFilters(due_to=date(2026, 5, 31)), TODAY) == 1
    assert by_name["Dev"][10] == late.due_on
    filters = RosterFilters(manager_id=3, statuses=("overdue",), due_from=date(2026, 1, 1))
    assert RosterFilters.from_dict(filters.as_dict()) == filters


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formulas_are_neutralised_in_csv(value):
    assert neutralise(value) == "'" + value
    text = "".join(csv_chunks(["Name"], [[value]], bom=True))
    assert text.startswith("\ufeffName\r\n")
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [["Name"], ["'" + value]]


def test_xlsx_text_is_always_a_string_and_exact(tmp_path):
    path = tmp_path / "r.xlsx"
    rows = [["=HYPERLINK(\"http://x\")", 5, date(2026, 1, 2), None, "李娜"]]
    assert write_xlsx(path, ["a", "b", "c", "d", "e"], rows) == 1
    sheet = openpyxl.load_workbook(path).active
    cells = next(sheet.iter_rows(min_row=2))
    assert cells[0].data_type == "s" and cells[0].value == "=HYPERLINK(\"http://x\")"
    assert cells[0].quotePrefix  # Excel keeps it text even when the cell is edited
    assert cells[1].value == 5 and cells[2].value.date() == date(2026, 1, 2)
    assert cells[4].value == "李娜"


def test_a_new_manager_that_would_close_a_loop_is_spotted(tree):
    from lms.people.org import would_loop

    t = {name: p.id for name, p in tree.items()}
    assert would_loop(t["CEO"], t["Dev"]) and would_loop(t["VP"], t["VP"])
    assert not would_loop(t["Dev"], t["Ops"]) and not would_loop(t["X"], None)
