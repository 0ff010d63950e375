"""The languages people have, read by walking the locale index."""

from __future__ import annotations

from lms.db import db
from lms.people.services import people_locales


def test_each_language_once_in_order(app, make_employee):
    assert people_locales() == []
    for n, locale in enumerate(("zh-Hans", "en", "zh-CN", "en", "zh-Hans", "fr")):
        make_employee(f"Person {n}", locale=locale)
    db.session.commit()
    assert people_locales() == ["en", "fr", "zh-CN", "zh-Hans"]
