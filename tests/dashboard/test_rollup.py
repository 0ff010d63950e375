"""The dashboard's rollup: the figures read from it are the figures computed from the
assignments (the hand-made organisation with waived, closed, paused and expired assignments,
and three years of the benchmark's seeded history), for every filter HR can choose; the
scheduler's job refreshes it when due; the page says when it was computed."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.audit.services import record
from lms.clock import org_zone
from lms.compliance.models import Assignment
from lms.dashboard.models import DashboardFigure, DashboardRollup
from lms.dashboard.rollup import REFRESH_EVERY, refresh_figures
from lms.dashboard.services import DashboardFilters, course_cycles, dashboard
from lms.db import db
from lms.scheduler.runner import run_job
from tests.conftest import PASSWORD
from tests.dashboard.conftest import TODAY, frozen


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=org_zone())


def every_filter() -> list[DashboardFilters]:
    """What HR can choose: nothing, each course (current cycle and each of its cycles), each
    cycle label across courses, and a cycle the course does not have."""
    catalog = course_cycles()
    chosen = [DashboardFilters()]
    for course_id in sorted({c.course_id for c in catalog}):
        chosen.append(DashboardFilters(course_id=course_id))
        chosen += [DashboardFilters(course_id=course_id, cycle=c.cycle)
                   for c in catalog if c.course_id == course_id]
        chosen.append(DashboardFilters(course_id=course_id, cycle="no-such-cycle"))
    chosen += [DashboardFilters(cycle=label) for label in sorted({c.cycle for c in catalog})]
    return chosen


def assert_rollup_equals_live(today: date) -> int:
    """Refresh for ``today``, then compare every figure for every filter; the number of
    filters compared."""
    refresh_figures(noon(today))
    db.session.commit()
    filters = every_filter()
    for chosen in filters:
        live = dashboard(chosen, today, live=True)
        stored = dashboard(chosen, today, live=False)
        assert stored.computed_at == noon(today) and live.computed_at is None
        assert stored.version is not None and live.version is None
        assert stored.computed_for == today and live.computed_for is None
        assert dataclasses.replace(stored, computed_at=None, computed_for=None,
                                   version=None) == live, chosen
    return len(filters)


def test_rollup_equals_live_on_the_hand_made_organisation(org):
    # Waived (not counted), closed (not counted, but its cycle listed), paused (owed), expired
    # (done), overdue, "not recorded" department and location, completion across midnight.
    assert assert_rollup_equals_live(TODAY) == 11
    d = dashboard(DashboardFilters(), TODAY)
    assert (d.total.completed, d.total.total, d.total.overdue) == (4, 8, 2)
    assert d.computed_at is not None


def test_a_cycle_of_only_closed_assignments_is_still_listed(catalog, person, assignment):
    someone = person("Closed Person")
    assignment(someone, catalog["code-of-conduct"], "2024", "closed",
               due_on=date(2024, 12, 31), assigned_on=date(2024, 1, 1))
    assignment(someone, catalog["code-of-conduct"], "2026", "waived")
    assert_rollup_equals_live(TODAY)
    d = dashboard(DashboardFilters(), TODAY)
    assert {c.cycle for c in d.catalog} == {"2024", "2026"} and d.total.total == 0
    assert db.session.scalar(select(func.count()).select_from(DashboardFigure)) == 2


def test_rollup_equals_live_on_seeded_history(app):
    from bench.dataset import TODAY as SEEDED_ON
    from bench.dataset import seed_company

    seed_company(150, years=3)
    db.session.commit()
    # On the seed's day, a month later (more overdue) and in the middle of its last cycle.
    for day in (SEEDED_ON, SEEDED_ON + timedelta(days=30), SEEDED_ON - timedelta(days=120)):
        assert assert_rollup_equals_live(day) > 10
    statuses = set(db.session.scalars(select(func.distinct(Assignment.status))))
    assert {"completed", "waived", "paused", "assigned", "in_progress"} <= statuses


def test_the_page_reads_the_rollup_and_says_when(app, hr, org):
    with frozen():
        before = hr.get("/hr/dashboard").get_data(as_text=True)
    assert 'id="figures-as-of"' not in before  # no rollup yet: computed on the spot
    refresh_figures(noon(TODAY))
    db.session.commit()
    with frozen():
        after = hr.get("/hr/dashboard").get_data(as_text=True)
    assert 'id="figures-as-of"' in after

    def figures(page: str) -> str:  # the summary and every chart, with its table
        return page[page.index('<dl class="summary-figures"'):page.index("/hr/esg")]

    assert figures(before) == figures(after)


def test_the_figures_are_those_of_the_day_they_were_computed_for(org):
    refresh_figures(noon(date(2026, 2, 15)))  # before f1 (due 1 March) was overdue
    db.session.commit()
    d = dashboard(DashboardFilters(), TODAY)
    assert d.total.overdue == 1  # only s1's harassment course (due 1 February)
    assert d.weeks[-1].ends_on == date(2026, 2, 15)


def test_the_job_refreshes_through_the_scheduler_when_due(org):
    now = noon(TODAY)
    first = run_job("dashboard-figures", now)
    assert first["error"] is None and first["counts"]["refreshed"] == 1
    assert first["counts"]["groups"] > 0
    assert db.session.scalar(select(DashboardRollup.computed_at)) == now
    # Fresh: nothing to do; a run for the same slot is refused by the lease.
    assert run_job("dashboard-figures", now + timedelta(minutes=1))["counts"] == {
        "refreshed": 0}
    assert run_job("dashboard-figures", now + timedelta(minutes=1),
                   slot=now)["counts"]["refreshed"] == 0
    assert "skipped" in run_job("dashboard-figures", now + timedelta(minutes=1), slot=now)
    # An HR import since the refresh: at the next run, and only then.
    with time_machine.travel(now + timedelta(seconds=90), tick=False):
        record("import", actor_text="test", detail={})
        db.session.commit()
    assert run_job("dashboard-figures",
                   now + timedelta(minutes=2))["counts"]["refreshed"] == 1
    assert run_job("dashboard-figures",
                   now + timedelta(minutes=3))["counts"]["refreshed"] == 0
    # Older than REFRESH_EVERY, and the next day (overdue moves with the date).
    assert run_job("dashboard-figures", now + timedelta(minutes=2) + REFRESH_EVERY
                   )["counts"]["refreshed"] == 1
    later = run_job("dashboard-figures", noon(TODAY + timedelta(days=1)) - timedelta(hours=11))
    assert later["counts"]["refreshed"] == 1
    assert db.session.scalar(select(DashboardRollup.computed_for)) == TODAY + timedelta(days=1)


def test_the_sync_jobs_refresh_the_figures(org):
    now = noon(TODAY)
    result = run_job("assignment-sync", now)
    assert result["error"] is None
    assert db.session.scalar(select(DashboardRollup.computed_at)) == now


@pytest.mark.parametrize("live", [True, False])
def test_without_a_rollup(org, live):
    if live:
        assert dashboard(DashboardFilters(), TODAY, live=True).computed_at is None
    else:
        with pytest.raises(LookupError):
            dashboard(DashboardFilters(), TODAY, live=False)


def test_the_charts_follow_the_rollup_and_the_readers_language(app, hr, org, make_employee):
    url = f"/hr/dashboard?course={org['a']}"
    refresh_figures(noon(TODAY))
    db.session.commit()
    with frozen():
        first = hr.get(url).get_data(as_text=True)
    assert "50.0% (3/6)" in first  # course A 2026
    # A completion after the refresh: not shown until the next refresh, then shown.
    open_one = db.session.scalar(select(Assignment).where(
        Assignment.course_id == org["a"], Assignment.cycle == "2026",
        Assignment.status == "in_progress"))
    open_one.status, open_one.completed_at = "completed", noon(TODAY)
    db.session.commit()
    with frozen():
        assert hr.get(url).get_data(as_text=True) == first
    refresh_figures(noon(TODAY) + timedelta(minutes=5))
    db.session.commit()
    with frozen():
        second = hr.get(url).get_data(as_text=True)
    assert "66.7% (4/6)" in second and "50.0% (3/6)" not in second
    # Another reader's language: its own charts, not the cached English ones.
    make_employee("李静", email="li.hr@example.com", roles=("hr",), locale="zh-Hans")
    chinese = app.test_client()
    with frozen():
        assert chinese.post("/login", data={"email": "li.hr@example.com",
                                            "password": PASSWORD}).status_code == 302
        page = chinese.get(url).get_data(as_text=True)
    assert "按周期统计的完成情况" in page and "Completion by cycle" not in page
