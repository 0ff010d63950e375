"""/api/v1: read-only JSON for HR and BI systems, authorised by bearer tokens only.

A browser session never authorises an API call (the views never look at the session or
``current_user``), which is also why the blueprint needs no CSRF protection: nothing here
changes state, and a cookie alone gets 401.
"""

from __future__ import annotations

import logging
from functools import wraps

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from lms.api import listings
from lms.api.openapi import PREFIX, document
from lms.api.params import (
    ASSIGNMENT_FILTERS,
    CERTIFICATE_FILTERS,
    CURSOR,
    DEFAULT_LIMIT,
    LIMIT,
    ParamError,
    decode_cursor,
    encode_cursor,
    parse,
)
from lms.api.services import authenticate, has_scope
from lms.clock import today
from lms.db import db, utcnow
from lms.extensions import csrf

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)
REALM = 'Bearer realm="guardrail"'


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(status: int, code: str, message: str, headers: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.headers)


@bp.errorhandler(ParamError)
def _bad_parameter(error: ParamError):
    return error_response(400, "bad_parameter", str(error))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    code = error.code or 500
    if code >= 500:
        log.error("%s on %s %s", code, request.method, request.path,
                  exc_info=getattr(error, "original_exception", None))
    name = (error.name or "error").lower().replace(" ", "_")
    headers = None
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers = {"Allow": ", ".join(error.valid_methods)}
    return error_response(code, name, error.description or error.name or "error", headers)


@bp.errorhandler(DBAPIError)
def _database_down(error: DBAPIError):
    db.session.rollback()
    log.error("database unavailable: %s", error)
    return error_response(503, "unavailable", "The database is unavailable; retry later.")


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _routing_error(error: HTTPException):
    """A path under /api/v1 that matches no route (or not with this method) never reaches a
    blueprint handler; answer it in JSON too. Everything else gets the site's own page."""
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        return _http_error(error)
    from lms.web import _error_page

    return _error_page(error)


@bp.after_request
def _no_store(response):
    # Personal data: no proxy or browser cache keeps it.
    response.headers["Cache-Control"] = "no-store"
    return response


def token_required(scope: str):
    """A live bearer token holding ``scope``: 401 without one, 403 without the scope."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization")
            now = utcnow()
            token = authenticate(header, now)
            if token is None:
                given = bool(header and header.strip())
                raise ApiError(
                    401, "unauthorized",
                    "The token is unknown, revoked or expired." if given else
                    "Send an API token: Authorization: Bearer <token>.",
                    {"WWW-Authenticate": f'{REALM}, error="invalid_token"' if given else REALM})
            if token.last_used_at == now:  # its use was recorded (at most once a minute)
                db.session.commit()
            if not has_scope(token, scope):
                raise ApiError(403, "insufficient_scope", f"This token lacks the {scope} scope.",
                               {"WWW-Authenticate":
                                f'{REALM}, error="insufficient_scope", scope="{scope}"'})
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _listing(name: str, filters, fetch):
    values = parse((*filters, LIMIT, CURSOR), request.args)
    after = decode_cursor(name, values.pop("cursor", None))
    limit = values.pop("limit", DEFAULT_LIMIT)
    page = fetch(values, after, limit)
    return jsonify({"data": page.rows, "next_cursor": encode_cursor(name, page.last_id)
                    if page.last_id is not None else None})


def _roster_fetch(page_function):
    def fetch(values: dict, after: int, limit: int):
        filters = listings.roster_filters(values)
        if filters is None:
            return listings.Page([], None)
        return page_function(filters, after, limit, today())

    return fetch


@bp.get("/assignments")
@token_required("assignments:read")
def assignments():
    return _listing("assignments", ASSIGNMENT_FILTERS,
                    _roster_fetch(listings.assignments_page))


@bp.get("/completions")
@token_required("assignments:read")
def completions():
    return _listing("completions", ASSIGNMENT_FILTERS,
                    _roster_fetch(listings.completions_page))


@bp.get("/roster")
@token_required("roster:read")
def roster():
    return _listing("roster", ASSIGNMENT_FILTERS, _roster_fetch(listings.roster_page))


@bp.get("/certificates")
@token_required("certificates:read")
def certificates():
    return _listing("certificates", CERTIFICATE_FILTERS,
                    lambda values, after, limit: listings.certificates_page(
                        values, after, limit, today()))


@bp.get("/openapi.json")
def openapi():
    """Public: the description of the API holds no data, and tools fetch it unauthenticated."""
    return jsonify(document())
