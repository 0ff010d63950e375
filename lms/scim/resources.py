"""Employees as SCIM Users and back: the mapping, and the checks on what comes in.

userName is the employee number (the key HR systems and Guardrail share); the work e-mail is
the primary (or first) of ``emails``; displayName (else name.formatted, else given and family
names) is the full name; the enterprise extension carries the department (by name) and the
manager (by SCIM id).
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from lms.people.importer import compose_name
from lms.people.models import Employee
from lms.scim.schemas import ENTERPRISE, USER


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type


@dataclass
class UserValues:
    employee_number: str
    full_name: str
    email: str
    active: bool
    job_title: str | None
    external_id: str | None
    department: str | None
    manager_id: int | None
    locale: str | None


def location(base: str, employee: Employee) -> str:
    return f"{base}/Users/{employee.id}"


def to_scim(employee: Employee, base: str) -> dict:
    resource = {
        "schemas": [USER, ENTERPRISE],
        "id": str(employee.id),
        "userName": employee.employee_number,
        "displayName": employee.full_name,
        "active": bool(employee.active),
        "emails": [{"value": employee.email}],
        ENTERPRISE: {},
        "meta": {"resourceType": "User", "location": location(base, employee),
                 "created": employee.created_at.isoformat(),
                 "lastModified": (employee.updated_at or employee.created_at).isoformat()},
    }
    if employee.external_id:
        resource["externalId"] = employee.external_id
    if employee.job_title:
        resource["title"] = employee.job_title
    if employee.department is not None:
        resource[ENTERPRISE]["department"] = employee.department.name
    if employee.manager is not None and employee.manager.removed_at is None:
        resource[ENTERPRISE]["manager"] = {
            "value": str(employee.manager.id), "$ref": location(base, employee.manager)}
    if not resource[ENTERPRISE]:
        del resource[ENTERPRISE]
        resource["schemas"] = [USER]
    return resource


def _text(value, name: str, limit: int, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ScimError(400, f"{name} is required.", "invalidValue")
        return None
    if not isinstance(value, str):
        raise ScimError(400, f"{name} must be a string.", "invalidValue")
    value = value.strip()
    if len(value) > limit:
        raise ScimError(400, f"{name} is longer than {limit} characters.", "invalidValue")
    if any(ch in value for ch in "\r\n\x00"):
        raise ScimError(400, f"{name} must be on one line.", "invalidValue")
    return value or None


def _email(resource: dict) -> str:
    emails = resource.get("emails") or []
    if not isinstance(emails, list) or not all(isinstance(e, dict) for e in emails):
        raise ScimError(400, "emails must be a list of objects.", "invalidValue")
    chosen = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
    if chosen is None and isinstance(resource.get("userName"), str) and \
            "@" in resource["userName"]:
        chosen = {"value": resource["userName"]}
    if chosen is None:
        raise ScimError(400, "A work e-mail (emails) is required.", "invalidValue")
    address = _text(chosen.get("value"), "emails.value", 320, required=True)
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ScimError(400, f"emails.value is not an e-mail address: {exc}",
                        "invalidValue") from None


def _name(resource: dict) -> str:
    name = resource.get("name") if isinstance(resource.get("name"), dict) else {}
    full = resource.get("displayName") or name.get("formatted") or compose_name(
        name.get("givenName"), name.get("familyName"))
    return _text(full or resource.get("userName"), "displayName", 300, required=True)


def from_scim(resource: dict) -> UserValues:
    """What a User resource asks for, checked (raises ScimError 400 with the reason)."""
    if not isinstance(resource, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    schemas = resource.get("schemas")
    if not isinstance(schemas, list) or USER not in schemas:
        raise ScimError(400, f"schemas must include {USER}.", "invalidValue")
    enterprise = resource.get(ENTERPRISE) or {}
    if not isinstance(enterprise, dict):
        raise ScimError(400, "The enterprise extension must be an object.", "invalidValue")
    active = resource.get("active", True)
    if not isinstance(active, bool):
        raise ScimError(400, "active must be true or false.", "invalidValue")
    manager = enterprise.get("manager")
    manager_id = None
    if isinstance(manager, dict) and manager.get("value") not in (None, ""):
        raw = str(manager["value"])
        if not raw.isdecimal() or len(raw) > 12:
            raise ScimError(400, f"manager.value {raw[:40]!r} is not a user id.",
                            "invalidValue")
        manager_id = int(raw)
    elif isinstance(manager, str) and manager:
        if not manager.isdecimal():
            raise ScimError(400, "manager must be a user id.", "invalidValue")
        manager_id = int(manager)
    locale = resource.get("preferredLanguage") or resource.get("locale")
    if not (isinstance(locale, str) and 2 <= len(locale) <= 16
            and locale.replace("-", "").replace("_", "").isalnum()):
        locale = None
    return UserValues(
        employee_number=_text(resource.get("userName"), "userName", 64, required=True),
        full_name=_name(resource), email=_email(resource), active=active,
        job_title=_text(resource.get("title"), "title", 200),
        external_id=_text(resource.get("externalId"), "externalId", 255),
        department=_text(enterprise.get("department"), "department", 200),
        manager_id=manager_id, locale=locale.replace("_", "-") if locale else None)
