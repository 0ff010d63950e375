"""Imports every model module so that the metadata (migrations, create_all) sees every table."""

from certificates import models as certificates_models  # noqa: F401
from courses import models as courses_models  # noqa: F401
from lms.api import models as api_models  # noqa: F401
from lms.audit import models as audit_models  # noqa: F401
from lms.auth import models as auth_models  # noqa: F401
from lms.catalog import models as catalog_models  # noqa: F401
from lms.compliance import models as compliance_models  # noqa: F401
from lms.dashboard import models as dashboard_models  # noqa: F401
from lms.hr import models as hr_models  # noqa: F401
from lms.notifications import models as notifications_models  # noqa: F401
from lms.org import models as org_models  # noqa: F401
from lms.people import models as people_models  # noqa: F401
from lms.reports import models as reports_models  # noqa: F401
from lms.scheduler import models as scheduler_models  # noqa: F401
from quizzes import models as quizzes_models  # noqa: F401
