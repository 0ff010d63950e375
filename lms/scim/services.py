"""Provisioning employees from the HR system (SCIM 2.0 Users), with the import's rules:
unique keys, managers that exist and close no loop, leavers deactivated (their sessions ended,
their records kept), and the assignment sync asked for after every change.

Services take plain values, flush, never commit; every failure is a ScimError with the HTTP
status and SCIM error type the view returns.
"""

from __future__ import annotations

import copy
import re

from sqlalchemy import and_, func, or_, select

from lms.compliance.requests import request_sync
from lms.db import db, utcnow
from lms.people.models import Department, Employee
from lms.people.org import would_loop
from lms.people.services import deactivate
from lms.scim.resources import ScimError, UserValues, from_scim, to_scim
from lms.scim.schemas import ENTERPRISE, MAX_RESULTS, USER


def visible():
    """People SCIM can see: everyone not deleted through provisioning."""
    return Employee.removed_at.is_(None)


def get_user(user_id: str) -> Employee:
    if not user_id.isdecimal() or len(user_id) > 12:
        raise ScimError(404, f"No user {user_id[:40]!r}.")
    person = db.session.scalar(select(Employee).where(Employee.id == int(user_id), visible()))
    if person is None:
        raise ScimError(404, f"No user {user_id!r}.")
    return person


def _department_id(name: str | None) -> int | None:
    if name is None:
        return None
    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department.id


def _check_unique(values: UserValues, person: Employee | None) -> None:
    clash = db.session.scalar(select(Employee).where(
        or_(Employee.employee_number == values.employee_number,
            Employee.email == values.email),
        Employee.id != (person.id if person else -1)).limit(1))
    if clash is not None:
        what = ("userName" if clash.employee_number == values.employee_number
                else "emails.value")
        raise ScimError(409, f"Another user already has this {what}.", "uniqueness")


def _apply(person: Employee, values: UserValues) -> None:
    if values.manager_id is not None:
        manager = db.session.scalar(select(Employee).where(
            Employee.id == values.manager_id, visible()))
        if manager is None:
            raise ScimError(400, f"manager {values.manager_id} does not exist.", "invalidValue")
        if person.id is not None and would_loop(person.id, values.manager_id):
            raise ScimError(400, "This manager would close a loop (someone managing "
                            "themselves through others).", "invalidValue")
    was_active = person.active if person.id is not None else True
    person.employee_number, person.full_name = values.employee_number, values.full_name
    person.email, person.job_title = values.email, values.job_title
    person.external_id = values.external_id
    person.department_id = _department_id(values.department)
    person.manager_id = values.manager_id
    if values.locale:
        person.locale = values.locale
    person.updated_at = utcnow()
    if values.active:
        person.active = True
    elif was_active or person.id is None:
        person.active = False
        if person.id is not None:
            deactivate(person)  # every session ends at once; records stay
    db.session.flush()
    request_sync()


def create_user(resource: dict) -> Employee:
    values = from_scim(resource)
    _check_unique(values, None)
    person = Employee(employee_number=values.employee_number, full_name=values.full_name,
                      email=values.email, active=True)
    db.session.add(person)
    _apply(person, values)
    return person


def replace_user(person: Employee, resource: dict) -> Employee:
    values = from_scim(resource)
    _check_unique(values, person)
    _apply(person, values)
    return person


def delete_user(person: Employee) -> None:
    """Deleted for provisioning: deactivated and hidden from SCIM; the training record stays."""
    if person.active:
        deactivate(person)
    person.removed_at = utcnow()
    for report in db.session.scalars(select(Employee).where(Employee.manager_id == person.id)):
        report.manager_id = None  # nobody reports to someone who is gone
    db.session.flush()
    request_sync()


# PATCH (RFC 7644 §3.5.2): applied to the resource as SCIM sees it, then saved as a replace,
# so PATCH and PUT share every check.
_FILTERED = re.compile(r'^(\w+)\[(\w+)\s+eq\s+"([^"]*)"\](?:\.(\w+))?$', re.IGNORECASE)


def _split(path: str) -> tuple[dict | None, list[str]]:
    """(the extension key or None, the attribute path in it)."""
    if path.startswith(ENTERPRISE):
        rest = path[len(ENTERPRISE):].lstrip(":")
        return ENTERPRISE, [p for p in rest.split(".") if p]
    if path.startswith(USER):
        path = path[len(USER):].lstrip(":")
    return None, [p for p in path.split(".") if p]


def _container(resource: dict, extension: str | None) -> dict:
    if extension is None:
        return resource
    return resource.setdefault(extension, {})


def _key(container: dict, name: str) -> str:
    """Attribute names are case-insensitive (RFC 7643 §2.1)."""
    return next((k for k in container if k.lower() == name.lower()), name)


def _patch_one(resource: dict, op: str, path: str | None, value) -> None:
    if not path:
        if op == "remove" or not isinstance(value, dict):
            raise ScimError(400, "An operation without a path needs an object value.",
                            "invalidValue")
        for key, item in value.items():
            if key in (ENTERPRISE,) and isinstance(item, dict):
                for sub, sub_value in item.items():
                    _patch_one(resource, op, f"{ENTERPRISE}:{sub}", sub_value)
            else:
                _patch_one(resource, op, key, item)
        return
    filtered = _FILTERED.match(path)
    if filtered:
        attribute, field, wanted, sub = filtered.groups()
        items = resource.get(_key(resource, attribute)) or []
        matches = [i for i in items if str(i.get(field, "")).lower() == wanted.lower()]
        if not matches and op != "add":
            raise ScimError(400, f"Nothing in {attribute} matches the path {path!r}.",
                            "noTarget")
        if op == "remove":
            resource[_key(resource, attribute)] = [i for i in items if i not in matches]
        else:
            for item in matches or [{field: wanted}]:
                if sub:
                    item[sub] = value
                elif isinstance(value, dict):
                    item.update(value)
            if not matches:
                items.append({field: wanted, **({sub: value} if sub else value)})
                resource[_key(resource, attribute)] = items
        return
    extension, parts = _split(path)
    if extension and not parts:  # the whole extension
        if op == "remove":
            resource.pop(extension, None)
        elif isinstance(value, dict):
            resource.setdefault(extension, {}).update(value)
        else:
            raise ScimError(400, "The extension's value must be an object.", "invalidValue")
        return
    if not parts:
        raise ScimError(400, f"The path {path!r} names no attribute.", "invalidPath")
    container = _container(resource, extension)
    for part in parts[:-1]:
        container = container.setdefault(_key(container, part), {})
        if not isinstance(container, dict):
            raise ScimError(400, f"The path {path!r} does not lead to an object.",
                            "invalidPath")
    last = _key(container, parts[-1])
    if op == "remove":
        container.pop(last, None)
    elif op == "add" and isinstance(container.get(last), list) and isinstance(value, list):
        container[last] = container[last] + [v for v in value if v not in container[last]]
    else:
        container[last] = value


def patch_user(person: Employee, body: dict, base: str) -> Employee:
    from lms.scim.schemas import PATCH

    if not isinstance(body, dict) or PATCH not in (body.get("schemas") or []):
        raise ScimError(400, f"A PATCH body names the schema {PATCH}.", "invalidSyntax")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    resource = copy.deepcopy(to_scim(person, base))
    resource.pop("meta", None)
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown op {operation.get('op')!r}.", "invalidSyntax")
        path = operation.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "path must be a string.", "invalidPath")
        if op == "remove" and not path:
            raise ScimError(400, "remove needs a path.", "noTarget")
        _patch_one(resource, op, path, operation.get("value"))
    manager = (resource.get(ENTERPRISE) or {}).get("manager")
    if isinstance(manager, dict) and not manager.get("value"):
        resource[ENTERPRISE].pop("manager")  # only read-only parts left: no manager
    return replace_user(person, resource)


# Filters (RFC 7644 §3.4.2.2): comparisons on the attributes that are kept, joined by "and".
_COMPARISON = re.compile(
    r'^\s*([\w.:$]+)\s+(eq|ne|co|sw|ew|pr)(?:\s+(?:"((?:[^"\\]|\\.)*)"|(true|false)))?\s*$',
    re.IGNORECASE)
_COLUMNS = {
    "username": Employee.employee_number, "externalid": Employee.external_id,
    "displayname": Employee.full_name, "emails.value": Employee.email, "emails": Employee.email,
    "title": Employee.job_title, "id": Employee.id, "active": Employee.active,
}


def _condition(text: str):
    match = _COMPARISON.match(text)
    if not match:
        raise ScimError(400, f"Cannot read the filter {text.strip()[:100]!r}.", "invalidFilter")
    attribute, op, quoted, boolean = match.groups()
    name = attribute.lower().removeprefix(USER.lower() + ":")
    column = _COLUMNS.get(name)
    if column is None:
        raise ScimError(400, f"Filtering on {attribute!r} is not supported.", "invalidFilter")
    op = op.lower()
    if op == "pr":
        return column.is_not(None)
    if boolean is not None or column is Employee.active:
        if column is not Employee.active or op not in ("eq", "ne") or boolean is None:
            raise ScimError(400, "Compare active with eq true or eq false.", "invalidFilter")
        return column.is_(boolean.lower() == "true") if op == "eq" else \
            column.is_not(boolean.lower() == "true")
    value = (quoted or "").replace('\\"', '"')
    if column is Employee.id:
        if not value.isdecimal():
            return Employee.id == -1
        return Employee.id == int(value) if op == "eq" else Employee.id != int(value)
    if name != "externalid":  # externalId is case-exact; the rest are not (RFC 7643)
        column, value = func.lower(column), value.lower()
    folded = column
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"eq": folded == value, "ne": folded != value,
            "co": folded.like(f"%{escaped}%", escape="\\"),
            "sw": folded.like(f"{escaped}%", escape="\\"),
            "ew": folded.like(f"%{escaped}", escape="\\")}[op]


def parse_filter(text: str | None):
    if not text:
        return None
    if re.search(r"\bor\b|\bnot\b|\[", text, re.IGNORECASE):
        raise ScimError(400, "Only comparisons joined by 'and' are supported.", "invalidFilter")
    return and_(*(_condition(part) for part in re.split(r"\s+and\s+", text,
                                                         flags=re.IGNORECASE)))


def list_users(filter_text: str | None, start_index: int, count: int
               ) -> tuple[list[Employee], int]:
    condition = parse_filter(filter_text)
    query = select(Employee).where(visible())
    if condition is not None:
        query = query.where(condition)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    count = max(0, min(count, MAX_RESULTS))
    people = db.session.scalars(query.order_by(Employee.id).offset(max(start_index, 1) - 1)
                                .limit(count)).all() if count else []
    return list(people), total
