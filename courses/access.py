"""Who may open which learning record. Learners see only their own; ids that are not theirs get
404, the same as ids that do not exist, so ids reveal nothing."""

from flask import abort
from flask_login import current_user

from courses.models import Enrollment
from lms.db import db


def own_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.employee_id != current_user.id:
        abort(404)
    return enrollment
