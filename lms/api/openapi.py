"""The OpenAPI 3.1 description of /api/v1, built from the same parameter definitions the views
parse with, so the document and the API cannot drift apart on parameters; the response schemas
are strict (no undeclared properties), so a field added to a listing without being described
here fails the schemathesis run."""

from __future__ import annotations

from lms.api.params import ASSIGNMENT_FILTERS, CERTIFICATE_FILTERS, CURSOR, LIMIT, Param
from lms.api.services import SCOPES
from lms.reports.roster import COLUMNS, STATUSES

PREFIX = "/api/v1"


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


_DATE = {"type": "string", "format": "date"}
_DATE_OR_NULL = _nullable("string", format="date")
_TIMESTAMP_OR_NULL = _nullable("string", format="date-time")
_TEXT_OR_NULL = _nullable("string")
_SCORE = _nullable("integer", minimum=0, maximum=100)


def _object(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": sorted(properties),
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


ASSIGNMENT = _object({
    "id": {"type": "integer"}, "employee_number": {"type": "string"},
    "name": {"type": "string"}, "email": {"type": "string"}, "department": _TEXT_OR_NULL,
    "location": _TEXT_OR_NULL, "manager": _TEXT_OR_NULL,
    "course": {"type": "string", "description": "Course slug."},
    "course_title": _TEXT_OR_NULL, "cycle": {"type": "string"},
    "status": {"type": "string", "enum": list(STATUSES)},
    "assigned_on": _DATE, "due_on": _DATE, "completed_at": _TIMESTAMP_OR_NULL,
    "completed_on": {**_DATE_OR_NULL, "description": "The company-local completion date."},
    "version": {**_TEXT_OR_NULL, "description": "The course version taken, as v<n> (<hash>)."},
    "score": _SCORE, "certificate_code": _TEXT_OR_NULL,
}, "One person's assignment of one course for one cycle.")

COMPLETION = _object({
    "assignment_id": {"type": "integer"}, "employee_number": {"type": "string"},
    "name": {"type": "string"}, "course": {"type": "string"}, "course_title": _TEXT_OR_NULL,
    "cycle": {"type": "string"}, "status": {"type": "string", "enum": list(STATUSES)},
    "completed_at": {"type": "string", "format": "date-time"}, "completed_on": _DATE,
    "version": _TEXT_OR_NULL, "score": _SCORE, "certificate_code": _TEXT_OR_NULL,
}, "A completed assignment (its status may since have become expired or closed).")

_ROSTER_TYPES = {"employee_number": {"type": "string"}, "name": {"type": "string"},
                 "email": {"type": "string"}, "cycle": {"type": "string"},
                 "status": {"type": "string", "enum": list(STATUSES)}, "due_on": _DATE,
                 "completed_on": _DATE_OR_NULL, "score": _SCORE}
ROSTER_ROW = _object({
    **{key: {**_ROSTER_TYPES.get(key, _TEXT_OR_NULL), "title": title} for key, title in COLUMNS},
    "assignment_id": {"type": "integer"},
}, "A row of the compliance roster, under the roster export's column keys.")

CERTIFICATE = _object({
    "code": {"type": "string"}, "holder": {"type": "string"},
    "employee_number": {"type": "string", "description": "As on the certificate."},
    "course": {"type": "string"}, "course_title": {"type": "string"},
    "version": {"type": "string"}, "score": _SCORE, "completed_on": _DATE,
    "expires_on": _DATE_OR_NULL, "issued_at": {"type": "string", "format": "date-time"},
    "revoked_at": _TIMESTAMP_OR_NULL,
    "status": {"type": "string", "enum": ["valid", "expired", "revoked"]},
}, "A certificate as issued (a snapshot that never changes), with its status today.")

ERROR = _object({"error": _object({
    "code": {"type": "string", "description": "Machine-readable, e.g. bad_parameter."},
    "message": {"type": "string"},
})})

_AUTH_HEADER = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                     "description": "Bearer, with the error per RFC 6750."}}


def _error(description: str, headers: dict | None = None) -> dict:
    response = {"description": description, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    if headers:
        response["headers"] = headers
    return response


def _parameter(param: Param) -> dict:
    spec = {"name": param.name, "in": "query", "required": False,
            "description": param.description, "schema": param.schema()}
    if param.kind == "enum_list":
        spec.update(style="form", explode=True)
    return spec


def _listing(summary: str, description: str, item: str, scope: str,
             filters: tuple[Param, ...]) -> dict:
    page = {"type": "object", "required": ["data", "next_cursor"], "additionalProperties": False,
            "properties": {
                "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
                "next_cursor": {"type": ["string", "null"],
                                "description": "Pass as `cursor` for the next page; null on "
                                               "the last page."}}}
    return {"get": {
        "operationId": item[0].lower() + item[1:] + "List", "summary": summary,
        "description": description, "security": [{"bearer": [scope]}],
        "parameters": [_parameter(p) for p in (*filters, LIMIT, CURSOR)],
        "responses": {
            "200": {"description": "One page, in id order.",
                    "content": {"application/json": {"schema": page}}},
            "400": _error("A parameter is unknown or malformed (bad date, cursor or limit)."),
            "401": _error("No token, or an unknown, revoked or expired one.", _AUTH_HEADER),
            "403": _error(f"The token lacks the {scope} scope.", _AUTH_HEADER),
            "503": _error("The database is unavailable; retry later."),
        }}}


def document() -> dict:
    """The OpenAPI document (a fresh dict; the caller may serialise it)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Guardrail API", "version": "1.0.0",
                 "description": "Read-only access to compliance training records for HR and BI "
                                "systems. Authenticate with `Authorization: Bearer <token>`; "
                                "tokens are created by admins with scopes "
                                f"{', '.join(SCOPES)}. Lists are paged by an opaque cursor."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            f"{PREFIX}/assignments": _listing(
                "Assignments", "Every assignment with the person, course and outcome.",
                "Assignment", "assignments:read", ASSIGNMENT_FILTERS),
            f"{PREFIX}/completions": _listing(
                "Completions", "Completed assignments with completion time, score and "
                "certificate.", "Completion", "assignments:read", ASSIGNMENT_FILTERS),
            f"{PREFIX}/certificates": _listing(
                "Certificates", "Issued certificates.", "Certificate", "certificates:read",
                CERTIFICATE_FILTERS),
            f"{PREFIX}/roster": _listing(
                "Roster", "The compliance roster, as in the roster export.", "RosterRow",
                "roster:read", ASSIGNMENT_FILTERS),
            f"{PREFIX}/openapi.json": {"get": {
                "operationId": "openapi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document.", "content": {
                    "application/json": {"schema": {"type": "object",
                                                    "required": ["openapi", "paths"]}}}}}}},
        },
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "An API token (grd_…) created by an admin under Admin → API "
                               "tokens."}},
            "schemas": {"Assignment": ASSIGNMENT, "Completion": COMPLETION,
                        "RosterRow": ROSTER_ROW, "Certificate": CERTIFICATE, "Error": ERROR},
        },
    }
