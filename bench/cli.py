"""``flask --app lms bench run [--only NAME] [--json]``"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask.cli import AppGroup

bench_cli = AppGroup("bench", help="Benchmarks, each against its floor in the same run.")

BENCHMARKS = ("content-check",)


@bench_cli.command("run")
@click.option("--only", type=click.Choice(BENCHMARKS), help="Run one benchmark.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per benchmark.")
@click.option("--size", default=500, show_default=True, help="Files for content-check.")
@click.option("--runs", default=5, show_default=True, help="Measured runs after the warm-up.")
def run_command(only: str | None, as_json: bool, size: int, runs: int) -> None:
    """Run the benchmarks and print our median, the floor's, their ratio and the target."""
    from bench import content_check

    results = []
    with tempfile.TemporaryDirectory() as workdir:
        if only in (None, "content-check"):
            results.append(content_check.run(Path(workdir), count=size, runs=runs))
    for result in results:
        click.echo(json.dumps(result.as_dict()) if as_json else result.line())
