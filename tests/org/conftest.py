"""Organisation settings with Chinese values beside the English defaults, and an admin."""

from __future__ import annotations

import re

import pytest

from lms.db import db
from lms.demo.data import ORG_SETTINGS, ORG_SETTINGS_TRANSLATED
from lms.org.services import set_org_settings

ZH = ORG_SETTINGS_TRANSLATED["zh-Hans"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def bilingual(app) -> None:
    """The demo's settings: English defaults, Chinese values for the text settings."""
    set_org_settings(ORG_SETTINGS)
    set_org_settings(ZH, "zh-Hans")
    db.session.commit()


@pytest.fixture
def admin_client(app, make_employee, login):
    make_employee("Ada Admin", email="admin@example.com", roles=("admin",))
    client = app.test_client()
    login(client, "admin@example.com")
    return client


def csrf_token(page: str) -> str:
    return CSRF.search(page).group(1)
