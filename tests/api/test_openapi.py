"""The OpenAPI document is valid and describes exactly the API the app serves."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis

from lms.api.openapi import PREFIX, document
from lms.api.params import ASSIGNMENT_FILTERS, CERTIFICATE_FILTERS


def _served(client) -> dict:
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def test_the_document_is_valid_openapi_3_1(app, client):
    raw = _served(client)
    assert raw == document() and raw["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_wsgi(f"{PREFIX}/openapi.json", app)
    schema.validate()  # against the OpenAPI 3.1 meta-schema; raises if invalid
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert {f"GET {PREFIX}/{name}" for name in (
        "assignments", "completions", "certificates", "roster")} <= labels
    # The check is real: a broken document fails it.
    broken = document()
    broken["paths"][f"{PREFIX}/roster"]["get"]["responses"]["200"] = {"content": 1}
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()
    assert raw["components"]["securitySchemes"]["bearer"] == {
        **raw["components"]["securitySchemes"]["bearer"], "type": "http", "scheme": "bearer"}


def test_every_api_route_is_documented_and_every_documented_route_exists(app, client):
    raw = _served(client)
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == PREFIX or rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in raw["paths"].items() for method in item}
    assert routes == documented
    assert all(method == "get" for _, method in routes), "the API is read-only"


def test_the_documented_parameters_are_the_parsed_ones(client):
    raw = _served(client)
    expected = {"assignments": ASSIGNMENT_FILTERS, "completions": ASSIGNMENT_FILTERS,
                "roster": ASSIGNMENT_FILTERS, "certificates": CERTIFICATE_FILTERS}
    for name, filters in expected.items():
        params = raw["paths"][f"{PREFIX}/{name}"]["get"]["parameters"]
        assert [p["name"] for p in params] == [f.name for f in filters] + ["limit", "cursor"]
        responses = raw["paths"][f"{PREFIX}/{name}"]["get"]["responses"]
        assert set(responses) == {"200", "400", "401", "403", "503"}


def test_the_document_needs_no_token_and_holds_no_data(client):
    raw = _served(client)
    assert raw["paths"][f"{PREFIX}/openapi.json"]["get"]["security"] == []
    assert "@" not in str(raw)
