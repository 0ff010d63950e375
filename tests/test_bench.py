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
    ("overdue-sweep-daily", "overdue sweep, a day later, 300 employees"),
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
    assert data["detail"]["overdue" if benchmark.startswith("overdue") else "assignments"] > 0
    if benchmark == "overdue-sweep-daily":  # yesterday's sweep queued most of the messages
        assert data["detail"]["yesterday_reminded"] > data["detail"]["reminded"]


HISTORY_BENCHMARKS = {  # --only name: (result name starts with, a detail key it reports)
    "roster-csv": ("roster CSV, 300 employees", "rows"),
    "roster-xlsx": ("roster XLSX, 300 employees", "rows"),
    "import-noop": ("HR import, no changes, 300 employees", "unchanged"),
    "import-new": ("HR import, all new, 300 employees", "added"),
    "team-50k": ("team page, ", "people_below"),
    "pdf-first": ("certificate PDF first render, 300 employees", "pdf_bytes"),
    "pdf-cached": ("certificate PDF, cached under load, 300 employees", "p99_ms"),
    "pages-load": ("under load, 300 employees", "p99_ms"),
}


def test_benchmarks_on_history_run(app, runner):
    # All in one run: the company and its history are seeded once for all of them.
    only = [arg for name in HISTORY_BENCHMARKS for arg in ("--only", name)]
    result = runner.invoke(args=["bench", "run", *only, "--json", "--size", "300", "--runs", "1",
                                 "--seconds", "0.3", "--database-url",
                                 app.config["SQLALCHEMY_DATABASE_URI"]])
    assert result.exit_code == 0, result.output
    results = [json.loads(line) for line in result.output.strip().splitlines()
               if line.startswith("{")]
    # Five pages and two references under load, and one result for each other benchmark.
    assert len(results) == len(HISTORY_BENCHMARKS) - 1 + 5 + 2
    for name, (title, key) in HISTORY_BENCHMARKS.items():
        found = [r for r in results if title in r["name"]]
        assert found, (name, [r["name"] for r in results])
        for data in found:
            assert data["ours_seconds"] > 0 and data["floor_seconds"] > 0, data
            assert data["ratio"] > 0 and key in data["detail"], data
    load = [r for r in results if "under load" in r["name"]]
    assert all(r["detail"]["errors"] == 0 and r["detail"]["requests"] > 0 for r in load)
    references = {r["detail"]["url"]: r for r in load if r["target_ratio"] is None}
    assert references.keys() == {"/_bench/signed-in", "/_bench/layout"}
    assert all(r["meets_target"] is None for r in references.values())
    assert all(r["meets_target"] is not None for r in load if r not in references.values())
    roster = next(r for r in results if r["name"].startswith("roster CSV"))
    assert roster["detail"]["rows"] > 0 and roster["peak_mb"] > 0
    imported = next(r for r in results if r["name"].startswith("HR import, all new"))
    assert imported["detail"]["added"] == imported["detail"]["rows"] > 0


def test_reference_endpoints_only_in_the_benchmark_server(app):
    """bench/probes.py adds its two routes to the app the load benchmark serves; the app
    itself never has them. Signed out, they send the visitor to sign in, as every page does."""
    from bench.probes import create_app as create_probe_app

    assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/_bench")]
    assert app.test_client().get("/_bench/signed-in").status_code == 404
    probed = create_probe_app({key: value for key, value in app.config.items()
                               if key.startswith(("LMS_", "SQLALCHEMY_"))
                               or key in ("SECRET_KEY", "TESTING")})
    for url in ("/_bench/signed-in", "/_bench/layout"):
        response = probed.test_client().get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_seed_command_refuses_sqlite_beyond_demo_size(app, tmp_path):
    from lms import create_app

    # An app of its own on a SQLite file, whichever database the suite runs on.
    config = {key: value for key, value in app.config.items()
              if key.startswith("LMS_") or key in ("SECRET_KEY", "TESTING")}
    sqlite_app = create_app({**config, "SQLALCHEMY_DATABASE_URI":
                             f"sqlite:///{tmp_path / 'seed.sqlite3'}"})
    # Pushed here: the command would otherwise run in the suite's app context already pushed.
    with sqlite_app.app_context():
        result = sqlite_app.test_cli_runner().invoke(
            args=["bench", "seed", "--employees", "250000"])
    assert result.exit_code != 0
    assert "needs PostgreSQL" in result.output


def test_seed_command_refuses_a_database_with_people(runner, make_employee):
    make_employee()
    result = runner.invoke(args=["bench", "seed", "--employees", "50"])
    assert result.exit_code != 0
    assert "already holds 1 employee record(s)" in result.output
