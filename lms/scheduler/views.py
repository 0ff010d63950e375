"""The admin's view of the periodic jobs: each job, its last run, recent runs, the outbox."""

from __future__ import annotations

from flask import Blueprint, render_template

from lms.auth.access import role_required
from lms.db import utcnow

bp = Blueprint("scheduler", __name__, url_prefix="/admin")


@bp.get("/jobs")
@role_required("admin")
def jobs():
    """Read-only: jobs and schedules, the latest 100 runs, the outbox's backlog."""
    from lms.notifications.delivery import pending_summary
    from lms.scheduler import registry
    from lms.scheduler.lease import current
    from lms.scheduler.runner import last_runs, recent_runs

    job_list = registry.jobs()
    last = last_runs([job.id for job in job_list])
    rows = [{"job": job, "last": last.get(job.id), "lease": current(job.id)} for job in job_list]
    return render_template("admin/jobs.html", rows=rows, runs=recent_runs(100),
                           outbox=pending_summary(), now=utcnow())
