"""The organisation settings that content and pages may use, with what each one means.

Course Markdown refers to them as ``{{ org.<key> }}``; a name not listed here is a content error
at check time, so a typo never reaches a learner as a blank.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str
    kind: str = "text"  # text | phone | email | url


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("name", "Company name"),
    SettingSpec("hotline", "Speak-up hotline", "phone"),
    SettingSpec("hotline_hours", "When the hotline is staffed"),
    SettingSpec("report_email", "Speak-up e-mail", "email"),
    SettingSpec("report_web", "Web reporting portal (anonymous reports possible)", "url"),
    SettingSpec("investigation_team", "Team that investigates conduct complaints"),
    SettingSpec("investigation_email", "Investigation team e-mail", "email"),
    SettingSpec("ethics_committee", "Ethics and compliance committee"),
    SettingSpec("appeals", "Appeals route"),
    SettingSpec("appeals_email", "Appeals e-mail", "email"),
    SettingSpec("counselling_line", "Confidential counselling line", "phone"),
    SettingSpec("legal_support_line", "Legal support line", "phone"),
    SettingSpec("hr_contact", "HR contact e-mail", "email"),
    SettingSpec("gift_limit", "Largest gift value that may be accepted"),
    SettingSpec("security_line", "Corporate security (24 hours)", "phone"),
    SettingSpec("emergency_number", "Emergency numbers"),
)

KEYS = frozenset(spec.key for spec in SETTINGS)
