"""The organisation settings that content and pages may use, with what each one means.

Course Markdown refers to them as ``{{ org.<key> }}``; a name not listed here is a content error
at check time, so a typo never reaches a learner as a blank. Each setting has a default value
(the source language's) and may have a value per offered language (see services.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

KINDS = ("text", "phone", "email", "url")


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: LazyString | str
    kind: str = "text"  # text | phone | email | url
    hint: LazyString | str | None = None


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("name", _l("Company name")),
    SettingSpec("hotline", _l("Speak-up hotline"), "phone"),
    SettingSpec("hotline_hours", _l("When the hotline is staffed")),
    SettingSpec("report_email", _l("Speak-up e-mail"), "email"),
    SettingSpec("report_web", _l("Web reporting portal (anonymous reports possible)"), "url"),
    SettingSpec("investigation_team", _l("Team that investigates conduct complaints")),
    SettingSpec("investigation_email", _l("Investigation team e-mail"), "email"),
    SettingSpec("ethics_committee", _l("Ethics and compliance committee")),
    SettingSpec("appeals", _l("Appeals route"), hint=_l(
        "Read inside sentences such as \u201cYou can appeal to \u2026\u201d: in English, "
        "start with \u201cthe\u201d where the name needs it.")),
    SettingSpec("appeals_email", _l("Appeals e-mail"), "email"),
    SettingSpec("counselling_line", _l("Confidential counselling line"), "phone"),
    SettingSpec("legal_support_line", _l("Legal support line"), "phone"),
    SettingSpec("hr_contact", _l("HR contact e-mail"), "email"),
    SettingSpec("gift_limit", _l("Largest gift value that may be accepted"),
                hint=_l("An amount with its currency, as readers should see it.")),
    SettingSpec("security_line", _l("Corporate security (24 hours)"), "phone"),
    SettingSpec("emergency_number", _l("Emergency numbers")),
)

KEYS = frozenset(spec.key for spec in SETTINGS)
BY_KEY = {spec.key: spec for spec in SETTINGS}
