"""The SCIM discovery documents (RFC 7643 §5-7): what this server supports, described exactly,
so a client (and scim2-tester) only sends what is kept. Attributes not listed here are
accepted on input where they help (name parts compose the display name) but not stored."""

from __future__ import annotations

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
MAX_RESULTS = 200


def _attr(name: str, kind: str = "string", *, required: bool = False, mutability: str =
          "readWrite", uniqueness: str = "none", multi: bool = False, returned: str = "default",
          sub: list | None = None, case_exact: bool = False, description: str = "",
          refs: list | None = None) -> dict:
    out = {"name": name, "type": kind, "multiValued": multi, "description": description,
           "required": required, "mutability": mutability, "returned": returned,
           "uniqueness": uniqueness}
    if kind in ("string", "reference"):
        out["caseExact"] = case_exact
    if sub is not None:
        out["subAttributes"] = sub
    if refs is not None:
        out["referenceTypes"] = refs
    return out


def _meta(resource_type: str, location: str) -> dict:
    return {"resourceType": resource_type, "location": location}


def user_schema(base: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER, "name": "User", "description": "An employee",
        "attributes": [
            _attr("userName", required=True, uniqueness="server",
                  description="The employee number: the key HR systems and Guardrail share."),
            _attr("externalId", case_exact=True,
                  description="The HR system's own id for the person."),
            _attr("displayName", required=True, description="The name shown everywhere."),
            _attr("title", description="Job title."),
            _attr("active", "boolean", required=True,
                  description="False for people who have left."),
            _attr("emails", "complex", multi=True, required=True, sub=[
                _attr("value", required=True, description="The work e-mail (unique)."),
            ], description="The work e-mail; the primary (or first) one given is kept."),
        ],
        "meta": _meta("Schema", f"{base}/Schemas/{USER}"),
    }


def enterprise_schema(base: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE, "name": "EnterpriseUser", "description": "Enterprise User",
        "attributes": [
            _attr("department", description="Department name (created if new)."),
            _attr("manager", "complex", sub=[
                _attr("value", description="The manager's SCIM id."),
                _attr("$ref", "reference", refs=["User"]),
            ], description="The person's manager (a loop is refused)."),
        ],
        "meta": _meta("Schema", f"{base}/Schemas/{ENTERPRISE}"),
    }


def resource_type(base: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "description": "Employees",
        "schema": USER,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": False}],
        "meta": _meta("ResourceType", f"{base}/ResourceTypes/User"),
    }


def service_provider_config(base: str) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": f"{base.rsplit('/scim', 1)[0]}/docs/identity",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token", "primary": True,
            "description": "Authorization: Bearer <LMS_SCIM_TOKEN>"}],
        "meta": _meta("ServiceProviderConfig", f"{base}/ServiceProviderConfig"),
    }
