"""The benchmark code keeps working (tiny sizes; nothing about speed is asserted here)."""

import json


def test_content_check_benchmark_runs(runner):
    result = runner.invoke(args=["bench", "run", "--only", "content-check", "--json",
                                 "--size", "5", "--runs", "1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["name"] == "content check, 5 quizzes"
    assert data["ours_seconds"] > 0 and data["floor_seconds"] > 0 and data["ratio"] > 0
