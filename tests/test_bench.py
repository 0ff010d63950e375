"""The benchmark code keeps working (tiny sizes; nothing about speed is asserted here)."""

import json

import pytest


def test_content_check_benchmark_runs(runner):
    result = runner.invoke(args=["bench", "run", "--only", "content-check", "--json",
                                 "--size", "5", "--runs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["name"] == "content check, 5 quizzes"
    assert data["ours_seconds"] > 0 and data["floor_seconds"] > 0 and data["ratio"] > 0


@pytest.mark.parametrize(("benchmark", "name"), [
    ("sync", "sync from empty, 300 employees"),
    ("sync-noop", "sync with nothing to do, 300 employees"),
    ("overdue-sweep", "overdue sweep, 300 employees"),
])
def test_benchmarks_on_data_run(app, runner, benchmark, name):
    # A scratch database beside the test database: SQLite or PostgreSQL, as the suite runs.
    result = runner.invoke(args=["bench", "run", "--only", benchmark, "--json", "--size", "300",
                                 "--runs", "1", "--database-url",
                                 app.config["SQLALCHEMY_DATABASE_URI"]])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["name"] == name
    assert data["ours_seconds"] > 0 and data["floor_seconds"] > 0 and data["ratio"] > 0
    assert data["detail"]["assignments" if benchmark != "overdue-sweep" else "overdue"] > 0
