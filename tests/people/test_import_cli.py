"""``flask --app lms people import``: output, exit codes, --apply, --deactivate-missing."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.db import db
from lms.people.models import Employee
from tests.people.conftest import csv_bytes, json_bytes, person


def people() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Employee))


def write(tmp_path, data: bytes, name: str = "people.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_the_default_is_a_dry_run(runner, tmp_path):
    path = write(tmp_path, csv_bytes([person("E1"), person("E2", manager_employee_number="E1")]))
    result = runner.invoke(args=["people", "import", path])
    assert result.exit_code == 0, result.output
    assert "add             2" in result.output
    assert "new managers    1" in result.output
    assert "Dry run: nothing was changed" in result.output
    assert people() == 0


def test_apply(runner, tmp_path):
    path = write(tmp_path, csv_bytes([person("E1"), person("E2", manager_employee_number="E1")]))
    result = runner.invoke(args=["people", "import", path, "--apply"])
    assert result.exit_code == 0, result.output
    assert "Applied (sha256 " in result.output and "Requirement sync: created=0" in result.output
    assert people() == 2
    again = runner.invoke(args=["people", "import", path, "--apply"])
    assert "update          0" in again.output and "unchanged       2" in again.output


def test_problems_exit_1_and_apply_nothing(runner, tmp_path):
    path = write(tmp_path, csv_bytes([person("E1"), person("E1", email="x@example.com")]))
    result = runner.invoke(args=["people", "import", path, "--apply"])
    assert result.exit_code == 1
    assert "line 2, employee_number: error: Employee number E1 is also on line 3" in (
        result.output)
    assert "nothing was changed" in result.output
    assert people() == 0


def test_unreadable_files_and_bad_usage_exit_2(runner, tmp_path):
    path = write(tmp_path, "employee_number,full_name,email\nE1,Zoë,z@example.com\n".encode(
        "cp1252"), "legacy.csv")
    result = runner.invoke(args=["people", "import", path])
    assert result.exit_code == 2
    assert "legacy.csv, line 2: byte 0xEB is not UTF-8" in result.output
    assert runner.invoke(args=["people", "import", str(tmp_path / "none.csv")]).exit_code == 2
    assert runner.invoke(args=["people", "import", path, "--format", "xml"]).exit_code == 2
    assert runner.invoke(args=["people", "import"]).exit_code == 2


def test_json_by_option_and_by_name(runner, tmp_path):
    data = json_bytes([person("E1")])
    assert runner.invoke(args=["people", "import", write(tmp_path, data, "export.json")]
                         ).exit_code == 0
    path = write(tmp_path, data, "export.txt")
    assert runner.invoke(args=["people", "import", path]).exit_code == 1  # read as CSV
    assert runner.invoke(args=["people", "import", path, "--format", "json"]).exit_code == 0


def test_deactivate_missing(runner, tmp_path, make_employee):
    make_employee("Gone Person", employee_number="OLD1")
    path = write(tmp_path, csv_bytes([person("E1")]))
    result = runner.invoke(args=["people", "import", path, "--apply"])
    assert "deactivate      0" in result.output
    result = runner.invoke(args=["people", "import", path, "--apply", "--deactivate-missing"])
    assert "deactivate      1" in result.output and "OLD1  Gone Person" in result.output
    db.session.expire_all()
    assert not db.session.scalar(select(Employee.active).where(
        Employee.employee_number == "OLD1"))
