"""SCIM 2.0 endpoints for the HR system (RFC 7644): /scim/v2/Users and discovery.

Bearer token authentication (LMS_SCIM_TOKEN; the process keeps only its hash and compares in
constant time). No cookies, so no CSRF; every answer is application/scim+json, errors in the
SCIM error format. One commit per request.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from flask import Blueprint, Response, abort, current_app, request, url_for

from lms.db import db
from lms.extensions import csrf
from lms.scim import schemas, services
from lms.scim.resources import ScimError, to_scim
from lms.web import ERROR_RENDERERS

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
csrf.exempt(bp)
MEDIA = "application/scim+json"


def _base() -> str:
    return url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0]


def _json(payload: dict, status: int = 200, **headers) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status, mimetype=MEDIA,
                    headers=headers)


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    body = {"schemas": [schemas.ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if status == 401 else {}
    return _json(body, status, **headers)


@bp.before_request
def _authenticate():
    expected = current_app.config.get("LMS_SCIM_TOKEN_HASH", "")
    if not expected:
        abort(404)  # provisioning is off
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    given = hashlib.sha256(token.encode()).hexdigest()
    if not token or not hmac.compare_digest(given, expected):
        return _error(401, "A valid bearer token is required.")
    return None


@bp.errorhandler(ScimError)
def _scim_error(error: ScimError):
    db.session.rollback()
    return _error(error.status, error.detail, error.scim_type)


def _http_error(error):
    return _error(error.code or 500, error.description or "Error.")


ERROR_RENDERERS["/scim/"] = _http_error


def _body() -> dict:
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise ScimError(400, "The body is not JSON.", "invalidSyntax") from None


def _int_param(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ScimError(400, f"{name} must be a whole number.", "invalidValue") from None


def _names(value) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _project(resource: dict, attributes: list[str], excluded: list[str]) -> dict:
    """Honour ``attributes`` / ``excludedAttributes`` (RFC 7644 §3.9); id and schemas stay."""
    def normalise(name: str) -> tuple[str | None, str]:
        for urn in (schemas.ENTERPRISE, schemas.USER):
            if name.lower().startswith(urn.lower()):
                rest = name[len(urn):].lstrip(":")
                return (urn if urn == schemas.ENTERPRISE else None), rest
        return None, name

    def matches(key: str, sub: str | None, names: list[str]) -> bool:
        for name in names:
            extension, path = normalise(name)
            head = path.partition(".")[0]
            if extension == schemas.ENTERPRISE:
                if key == schemas.ENTERPRISE and (not path or sub is None or
                                                  head.lower() == sub.lower()):
                    return True
            elif head.lower() == key.lower():
                return True
        return False

    always = {"id", "schemas"}
    out = {}
    for key, value in resource.items():
        if attributes:
            if key in always or matches(key, None, attributes):
                out[key] = value
            elif key == schemas.ENTERPRISE and isinstance(value, dict):
                kept = {k: v for k, v in value.items() if matches(key, k, attributes)}
                if kept:
                    out[key] = kept
        else:
            if key not in always and matches(key, None, excluded) and \
                    key != schemas.ENTERPRISE:
                continue
            if key == schemas.ENTERPRISE and isinstance(value, dict):
                value = {k: v for k, v in value.items() if not matches(key, k, excluded)}
            out[key] = value
    return out


def _render(person, attributes=(), excluded=()) -> dict:
    return _project(to_scim(person, _base()), list(attributes), list(excluded))


@bp.get("/ServiceProviderConfig")
def service_provider_config():
    return _json(schemas.service_provider_config(_base()))


@bp.get("/ResourceTypes")
def resource_types():
    items = [schemas.resource_type(_base())]
    return _json({"schemas": [schemas.LIST], "totalResults": 1, "startIndex": 1,
                  "itemsPerPage": 1, "Resources": items})


@bp.get("/ResourceTypes/<name>")
def resource_type(name: str):
    if name != "User":
        raise ScimError(404, f"No resource type {name[:40]!r}.")
    return _json(schemas.resource_type(_base()))


def _schema_documents() -> list[dict]:
    return [schemas.user_schema(_base()), schemas.enterprise_schema(_base())]


@bp.get("/Schemas")
def schema_list():
    items = _schema_documents()
    return _json({"schemas": [schemas.LIST], "totalResults": len(items), "startIndex": 1,
                  "itemsPerPage": len(items), "Resources": items})


@bp.get("/Schemas/<path:schema_id>")
def schema_one(schema_id: str):
    for document in _schema_documents():
        if document["id"] == schema_id:
            return _json(document)
    raise ScimError(404, f"No schema {schema_id[:100]!r}.")


def _list(params) -> Response:
    start = max(1, _int_param(params.get("startIndex"), "startIndex", 1))
    count = _int_param(params.get("count"), "count", schemas.MAX_RESULTS)
    people, total = services.list_users(params.get("filter"), start, count)
    attributes = _names(params.get("attributes"))
    excluded = _names(params.get("excludedAttributes"))
    return _json({"schemas": [schemas.LIST], "totalResults": total, "startIndex": start,
                  "itemsPerPage": len(people),
                  "Resources": [_render(p, attributes, excluded) for p in people]})


@bp.get("/Users")
def list_users():
    return _list(request.args)


@bp.post("/.search")
@bp.post("/Users/.search")
def search_users():
    body = _body()
    if not isinstance(body, dict) or schemas.SEARCH not in (body.get("schemas") or []):
        raise ScimError(400, f"A search body names the schema {schemas.SEARCH}.",
                        "invalidSyntax")
    return _list(body)


@bp.post("/Users")
def create_user():
    person = services.create_user(_body())
    db.session.commit()
    resource = _render(person)
    return _json(resource, 201, Location=resource["meta"]["location"])


@bp.get("/Users/<user_id>")
def get_user(user_id: str):
    person = services.get_user(user_id)
    return _json(_render(person, _names(request.args.get("attributes")),
                         _names(request.args.get("excludedAttributes"))))


@bp.put("/Users/<user_id>")
def replace_user(user_id: str):
    person = services.replace_user(services.get_user(user_id), _body())
    db.session.commit()
    return _json(_render(person))


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str):
    person = services.patch_user(services.get_user(user_id), _body(), _base())
    db.session.commit()
    return _json(_render(person))


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str):
    services.delete_user(services.get_user(user_id))
    db.session.commit()
    return Response(status=204)
