"""SCIM 2.0 conformance, checked by scim2-tester (a third-party checker): discovery, create,
read, query with attributes, replace, PATCH add/replace/remove, delete."""

from __future__ import annotations

from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_tester import check_server
from scim2_tester.utils import Status

from tests.scim.conftest import TOKEN

PASSING = (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE)


def test_scim2_tester_finds_nothing_wrong(scim_app):
    client = WSGISCIMClient(scim_app, base_url="http://localhost/scim/v2",
                            headers={"Authorization": f"Bearer {TOKEN}"})
    results = check_server(client)
    failed = [f"{r.status.name} {r.title}: {r.reason}" for r in results
              if r.status not in PASSING]
    assert len(results) > 20
    assert failed == [], "\n".join(failed)
