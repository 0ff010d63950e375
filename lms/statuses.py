"""The words and icons of the status badges (assignments, courses, certificates), for
templates/_macros/forms.html ``status_badge``. Lazy, so each badge translates only its own
label, in the reader's language, when it is shown (a team page shows fifty)."""

from __future__ import annotations

from lms.errors import lazy_gettext as _l

STATUS_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "completed": _l("Completed"),
    "overdue": _l("Overdue"),
    "waived": _l("Waived"),
    "failed": _l("Attempts used up"),
    "valid": _l("Valid"),
    "expired": _l("Expired"),
    "revoked": _l("Revoked"),
    "closed": _l("Closed"),
    "paused": _l("Paused (on leave)"),
    "assigned": _l("Assigned"),
}
# Never colour alone: each badge has a shape beside its word (hidden from screen readers).
STATUS_ICONS = {"completed": "✓", "valid": "✓", "overdue": "!", "failed": "!", "expired": "!",
                "revoked": "✕", "in_progress": "◐", "not_started": "○", "paused": "⏸",
                "waived": "–"}
