"""Waivers: HR exempts a person from an assignment until a date, with a reason.

A waiver is a decision about one assignment; what happens when it ends is the sync's job
(sync.py): the assignment reopens if its cycle is still current, and a waiver reaching past a
later calendar cycle's deadline covers that cycle too. Waiving again changes the end date and
the reason; every change is an event on the assignment, so the record shows who decided what.
"""

from __future__ import annotations

from datetime import date, timedelta

from lms.compliance.models import Assignment, AssignmentEvent
from lms.db import db
from lms.errors import UserError
from lms.errors import lazy_gettext as _l

REASON_MAX = 2000
LONGEST_WAIVER = timedelta(days=5 * 366)
WAIVABLE = ("assigned", "in_progress", "paused", "waived")


class WaiverError(UserError, ValueError):
    pass


# Why an assignment in a status that cannot be waived is refused, one whole sentence per status
# so that each reads naturally in every language.
_NOT_WAIVABLE = {
    "completed": _l("A completed assignment cannot be waived."),
    "expired": _l("An expired assignment cannot be waived."),
    "closed": _l("A closed assignment cannot be waived."),
}


def waive(assignment_id: int, until: date | None, reason: str, by_id: int,
          today: date) -> Assignment:
    """Waive an open (or already waived) assignment until ``until`` (inclusive). Flushes."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        raise WaiverError(_l("No such assignment."))
    if assignment.status not in WAIVABLE:
        raise WaiverError(_NOT_WAIVABLE.get(assignment.status) or _l(
            "An assignment in status %(status)s cannot be waived.", status=assignment.status))
    reason = (reason or "").strip()
    if not reason:
        raise WaiverError(_l(
            "Give the reason for the waiver: it is part of the compliance record."))
    if len(reason) > REASON_MAX:
        raise WaiverError(_l("The reason can be at most %(num)s characters.", num=REASON_MAX))
    if until is None:
        raise WaiverError(_l("Give the date the waiver ends (YYYY-MM-DD)."))
    if until < today:
        raise WaiverError(_l("The waiver's end date is in the past: choose today or later."))
    if until > today + LONGEST_WAIVER:
        raise WaiverError(_l("A waiver can last at most five years; review it again then."))
    detail = {"until": until.isoformat(), "reason": reason, "by": by_id,
              "status_before": assignment.status}
    if assignment.waived_until is not None and assignment.status == "waived":
        detail["previous_until"] = assignment.waived_until.isoformat()
    assignment.status = "waived"
    assignment.waived_until = until
    assignment.waiver_reason = reason
    assignment.waived_by_id = by_id
    assignment.paused_on = None
    db.session.add(AssignmentEvent(assignment_id=assignment.id, kind="waived", detail=detail))
    db.session.flush()
    return assignment
