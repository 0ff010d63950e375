"""Role checks for views. Learners' own records are checked where they are loaded
(``courses.access``); these guard whole areas (trainer, HR, admin)."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Signed in and holding one of the roles; anyone else gets 403."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
