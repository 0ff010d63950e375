"""The HR import's checks: every problem kind with its row and column, header rules,
encodings, JSON, name composition and hostile strings. Dry runs only (nothing applied)."""

from __future__ import annotations

import json

import pytest
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from lms.config import PROJECT_ROOT
from lms.db import db
from lms.people.importer import (
    _COMPARED,
    FIELDS,
    EmailChecker,
    ImportFileError,
    Person,
    _Bad,
    compose_name,
    parse_locale,
    read_file,
)
from lms.people.models import Employee
from tests.conftest import SHARED
from tests.people.conftest import HEADER, csv_bytes, json_bytes, person


def found(plan) -> set[tuple]:
    return {(p.row, p.column, p.code) for p in plan.problems}


def test_a_clean_file_has_no_problems(do_import):
    plan = do_import(csv_bytes([person("E1"), person("E2", manager_employee_number="E1")]),
                     apply=False).plan
    assert plan.problems == []
    assert plan.summary()["added"] == 2
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 0


def test_every_error_kind_names_its_row_and_column(do_import, make_employee):
    make_employee("Stored Person", email="taken@example.com", employee_number="S1")
    rows = [
        person("E1"),                                                     # line 2
        person("", "No Number", email="nonum@example.com"),               # 3
        person("E3"), person("E3", "Twin", email="e3b@example.com"),      # 4, 5
        person("E6", manager_employee_number="NOPE"),                     # 6
        person("E7", manager_employee_number="E7"),                       # 7
        person("E8", hire_date="2024-13-01"),                             # 8
        person("E9", hire_date="2024-05-01", leave_date="2024-04-30"),    # 9
        person("E10", email="not-an-email"),                              # 10
        person("E11", email="E1@example.com"),                            # 11 (same as line 2)
        person("E12", "x" * 301),                                         # 12
        person("E13", job_title="Boss\x1b[31m"),                          # 13
        person("E14", locale="english please"),                           # 14
        person("E15", department="d" * 201),                              # 15
        person("E16", email="Taken@Example.com"),                         # 16
        person("E17", hire_date="15/01/2024"),                            # 17
        person("E18", full_name="   "),                                   # 18
        person("E19", email=""),                                          # 19
    ]
    result = do_import(csv_bytes(rows))
    plan = result.plan
    assert not result.applied
    expected = {
        (3, "employee_number", "missing_key"),
        (4, "employee_number", "duplicate_key"), (5, "employee_number", "duplicate_key"),
        (6, "manager_employee_number", "unknown_manager"),
        (7, "manager_employee_number", "self_manager"),
        (8, "hire_date", "bad_date"), (17, "hire_date", "bad_date"),
        (9, "leave_date", "leave_before_hire"),
        (10, "email", "bad_email"),
        (2, "email", "duplicate_email"), (11, "email", "duplicate_email"),
        (12, "full_name", "too_long"), (15, "department", "too_long"),
        (13, "job_title", "control_characters"),
        (14, "locale", "bad_locale"),
        (16, "email", "email_taken"),
        (18, "full_name", "missing_name"),
        (19, "email", "missing_email"),
    }
    assert found(plan) == expected
    assert all(p.level == "error" for p in plan.problems)
    by_row = {(p.row, p.code): p.message for p in plan.problems}
    assert "line 5" in by_row[(4, "duplicate_key")] and "line 4" in by_row[(5, "duplicate_key")]
    assert "S1" in by_row[(16, "email_taken")]
    assert "NOPE" in by_row[(6, "unknown_manager")]
    assert "301" in by_row[(12, "too_long")] and "300" in by_row[(12, "too_long")]
    assert "YYYY-MM-DD" in by_row[(17, "bad_date")]
    # Only the good row would change; nothing was written.
    assert [p.number for p in plan.adds] == []
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 1


def test_the_command_line_report_names_row_and_column(runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([person("E1"), person("E2", email="nope")]))
    result = runner.invoke(args=["people", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3, email: error:" in result.output
    assert "“nope” is not a valid e-mail address" in result.output


def test_a_manager_loop_through_the_file_reports_everyone_in_it_once(do_import):
    rows = [person("A", manager_employee_number="B"), person("B", manager_employee_number="C"),
            person("C", manager_employee_number="A"), person("D", manager_employee_number="A")]
    plan = do_import(csv_bytes(rows), apply=False).plan
    loops = [p for p in plan.problems if p.code == "manager_loop"]
    assert sorted((p.row, p.column) for p in loops) == [
        (2, "manager_employee_number"), (3, "manager_employee_number"),
        (4, "manager_employee_number")]
    assert "A → B → C → A" in loops[0].message
    assert not plan.ok


def test_a_loop_through_the_file_and_the_database_is_found(do_import, make_employee):
    top = make_employee("Top Stored", employee_number="X1")
    make_employee("Middle Stored", employee_number="X2", manager=top)
    # X1 is not in the file; the file puts X1 under Y, and Y under X2, who reports to X1.
    rows = [person("Y", manager_employee_number="X2"),
            person("X1", "Top Stored", email="person1@example.com",
                   manager_employee_number="Y")]
    plan = do_import(csv_bytes(rows), apply=False).plan
    loops = [p for p in plan.problems if p.code == "manager_loop"]
    assert {p.row for p in loops} == {2, 3}
    assert "X2" in loops[0].message  # the stored person in the loop is named
    # The same file without the loop is fine.
    rows[1]["manager_employee_number"] = ""
    assert do_import(csv_bytes(rows), apply=False).plan.ok


def test_a_manager_may_be_defined_later_in_the_file_or_stored(do_import, make_employee):
    make_employee("Stored Boss", employee_number="B0")
    rows = [person("E1", manager_employee_number="E2"), person("E2", manager_employee_number="B0")]
    plan = do_import(csv_bytes(rows), apply=False).plan
    assert plan.ok, [p.message for p in plan.problems]
    assert {number for number, _name in plan.new_managers} == {"E2", "B0"}


def test_header_rules(do_import):
    plan = do_import(csv_bytes([["E1", "a@example.com"]], header=("Employee Number", "e-mail")),
                     apply=False).plan
    assert {(p.row, p.column, p.code) for p in plan.problems} == {
        (1, "email", "missing_column"), (1, "full_name", "missing_name_column"),
        (1, "e_mail", "unknown_column")}
    plan = do_import(csv_bytes([["E1", "a@example.com", "A", "B"]],
                               header=("EMPLOYEE_NUMBER", "Email", "Full Name", "full-name")),
                     apply=False).plan
    assert (1, "full_name", "duplicate_column") in found(plan)


def test_an_unknown_column_is_a_warning_not_an_error(do_import):
    header = (*HEADER, "Favourite colour")
    row = [person("E1").get(c, "") for c in HEADER] + ["blue"]
    result = do_import(csv_bytes([row], header=header))
    assert result.applied
    assert [(p.level, p.code, p.params["value"]) for p in result.plan.problems] == [
        ("warning", "unknown_column", "favourite_colour")]


def test_a_row_with_the_wrong_number_of_cells(do_import):
    data = csv_bytes([person("E1")]) + b"E2,only two\r\n"
    assert (3, None, "cell_count") in found(do_import(data, apply=False).plan)


def test_an_empty_file_and_a_header_without_rows(do_import):
    with pytest.raises(ImportFileError, match=r"people\.csv is empty"):
        do_import(b"", apply=False)
    plan = do_import(csv_bytes([]), apply=False).plan
    assert [p.code for p in plan.problems] == ["no_rows"]


def test_utf8_with_a_byte_order_mark(do_import):
    result = do_import(csv_bytes([person("E1", "Zoë Ångström")], bom=True))
    assert result.plan.problems == [] and result.applied
    assert db.session.scalar(select(Employee.full_name)) == "Zoë Ångström"


@pytest.mark.parametrize(("data", "message"), [
    ("employee_number,full_name,email\nE1,José,jose@example.com\n".encode("latin-1"),
     "people.csv, line 2: byte 0xE9 is not UTF-8"),
    ("employee_number,full_name,email\nE1,王芳,w@example.com\n".encode("gbk"),
     "people.csv, line 2: byte 0xCD is not UTF-8"),
    ("employee_number,full_name,email\n".encode("utf-16"), "people.csv is saved as UTF-16"),
])
def test_other_encodings_are_refused_naming_file_and_line(do_import, data, message):
    with pytest.raises(ImportFileError) as caught:
        do_import(data, apply=False)
    assert message in str(caught.value)


def test_json_input(do_import):
    records = [
        {"Employee_Number": 1001, "given_name": "Anna", "family_name": "Berg",
         "email": "anna@example.com", "department": None},
        {"employee_number": "1002", "given_name": "小明", "family_name": "王",
         "email": "xm@example.com", "manager_employee_number": 1001},
    ]
    result = do_import(json_bytes(records), name="people.json")
    assert result.plan.problems == [] and result.applied
    names = dict(db.session.execute(select(Employee.employee_number, Employee.full_name)).all())
    assert names == {"1001": "Anna Berg", "1002": "王小明"}


def test_json_problems_count_records(do_import):
    records = [{"employee_number": "E1", "full_name": "A", "email": "a@example.com"},
               "not an object",
               {"employee_number": True, "full_name": "B", "email": "b@example.com"},
               {"employee_number": "E4", "full_name": "C", "email": "bad"}]
    plan = do_import(json_bytes(records), name="p.json", apply=False).plan
    assert found(plan) == {(2, None, "not_an_object"), (3, "employee_number", "not_text"),
                           (4, "email", "bad_email")}
    assert plan.where(4) == "record 4"
    with pytest.raises(ImportFileError, match=r"p.json, line 1: not valid JSON"):
        do_import(b"[{", name="p.json", apply=False)
    with pytest.raises(ImportFileError, match="must be a list of records"):
        do_import(b'{"a": 1}', name="p.json", apply=False)


def test_a_lone_surrogate_in_json_is_refused_not_stored(do_import):
    data = b'[{"employee_number": "E1", "full_name": "A\\ud800B", "email": "a@example.com"}]'
    assert found(do_import(data, name="p.json", apply=False).plan) == {
        (1, "full_name", "control_characters")}


@pytest.mark.parametrize(("given", "family", "full"), [
    ("Anna", "Berg", "Anna Berg"), ("小明", "王", "王小明"), ("太郎", "山田", "山田太郎"),
    ("민준", "김", "김민준"), ("Wei", "张", "Wei 张"), ("Anna", None, "Anna"),
    (None, "王", "王"), (None, None, None)])
def test_composing_a_full_name(given, family, full):
    assert compose_name(given, family) == full


@pytest.mark.parametrize(("tag", "normal"), [
    ("en", "en"), ("zh-Hans", "zh-Hans"), ("zh_hans", "zh-Hans"), ("EN-gb", "en-GB"),
    ("es-419", "es-419"), ("", None)])
def test_locales(tag, normal):
    assert parse_locale(tag) == normal


def test_the_email_shortcut_agrees_with_email_validator():
    addresses = [
        "a@example.com", "A.B+c@Example.COM", "a..b@example.com", ".a@example.com",
        "a.@example.com", "a@b@example.com", "user@localhost", "x@example", "ok@sub.example.org",
        "o'brien@example.com", "a" * 64 + "@example.com", "a" * 65 + "@example.com",
        "a" * 240 + "@example.com", "üñí@example.com", "user@bücher.de", "user@xn--bcher-kva.de",
        "user@-bad.com", "user@example..com", "us er@example.com", "\"quoted\"@example.com",
        "postmaster@example.com", "user@[127.0.0.1]", "user@example.com.", "user@123.com",
        "user@test", "user@example.invalid", "user@EXAMPLE.com",
    ]
    checker = EmailChecker()
    for address in addresses * 2:  # the second round takes the cached-domain shortcut
        try:
            expected = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            expected = None
        try:
            got = checker(address)
        except _Bad:
            got = None
        assert got == expected, address


def test_the_compared_fields_are_a_slice_of_person():
    assert set(Person._fields[_COMPARED]) == set(FIELDS)


def _naughty() -> list[str]:
    return json.loads((SHARED / "corpora" / "naughty-strings" / "blns.json").read_text("utf-8"))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_naughty_strings_round_trip_exactly_or_are_reported(do_import, fmt):
    strings = _naughty()
    rows = [person(f"N{i}", full_name=text, department=text, job_title=text, gender=text[:32])
            for i, text in enumerate(strings)]
    data = csv_bytes(rows) if fmt == "csv" else json_bytes(rows)
    name = f"naughty.{fmt}"
    plan = do_import(data, name=name, apply=False).plan  # must not crash
    allowed = {"control_characters", "too_long", "missing_name", "department_case"}
    assert {p.code for p in plan.problems} <= allowed
    bad = {p.row for p in plan.problems if p.level == "error"}
    first = 2 if fmt == "csv" else 1  # CSV counts lines (header = 1), JSON records
    good = [row for i, row in enumerate(rows) if i + first not in bad]
    assert len(good) > 400
    data = csv_bytes(good) if fmt == "csv" else json_bytes(good)
    result = do_import(data, name=name)
    assert result.applied, [p.message for p in result.plan.errors][:5]
    stored = {number: (full_name, job_title) for number, full_name, job_title in
              db.session.execute(select(Employee.employee_number, Employee.full_name,
                                        Employee.job_title))}
    for row in good:
        assert stored[row["employee_number"]] == (row["full_name"].strip(),
                                                  row["job_title"].strip() or None)
    # Importing them again changes nothing: every value compared equal.
    again = do_import(data, name=name, apply=False).plan
    assert again.summary()["updated"] == 0 and again.summary()["unchanged"] == len(good)


def test_read_file_guesses_the_format_from_the_name():
    assert read_file(b"[]", "x.JSON").fmt == "json"
    assert read_file(b"employee_number\n", "x.txt").fmt == "csv"


def test_the_examples_in_the_guide_import_cleanly(do_import):
    guide = (PROJECT_ROOT / "docs" / "hr-import.md").read_text("utf-8")
    example = guide.split("```csv\n")[1].split("```")[0].encode()
    result = do_import(example)
    assert result.applied and result.plan.problems == []
    names = dict(db.session.execute(select(Employee.employee_number, Employee.full_name)).all())
    assert names["1002"] == "王小明" and names["1005"] == "Grace O'Neil"
    assert [p.number for _row, p, _why in result.plan.deactivations] == []  # added inactive
    assert not db.session.scalar(select(Employee.active).where(
        Employee.employee_number == "1004"))
    records = guide.split("```json\n")[1].split("```")[0].encode()
    plan = do_import(records, name="example.json", apply=False).plan
    assert plan.problems == [] and plan.summary()["updated"] == 0


def test_line_endings_and_quoted_cells(do_import):
    old_mac = b'employee_number,full_name,email\rE1,"Berg, Anna",a@example.com\rE2,B,b@ex'
    result = do_import(old_mac + b"ample.com")
    assert result.applied and result.plan.problems == []
    assert db.session.scalar(select(Employee.full_name).where(
        Employee.employee_number == "E1")) == "Berg, Anna"
    # A line break inside a quoted cell: refused, and the next row keeps its own line number.
    data = (b'employee_number,full_name,email\r\nE3,"Two\r\nLines",c@example.com\r\n'
            b"E4,D,nope\r\n")
    assert found(do_import(data, apply=False).plan) == {(2, "full_name", "control_characters"),
                                                       (4, "email", "bad_email")}
