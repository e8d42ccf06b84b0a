"""The gateway's OpenAPI contract, fuzzed: every operation, called with the bootstrap
admin key and inputs schemathesis generates from the schema (valid ones and ones that
break it), never answers a 5xx, and answers what the schema documents.

A few examples per operation run in the normal suite; ``-m deep`` runs many more.

One pytest test per operation (plain ``parametrize`` over ``get_all_operations``, each
running a Hypothesis test over ``APIOperation.as_strategy``) rather than schemathesis'
``@schema.parametrize``: with pytest 9 that gives every operation the same node id, and
xdist's ``--dist loadscope`` then runs only one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from api.main import create_app
from tests.api.conftest import BOOTSTRAP, settings_for

BASE_URL = "http://testserver"
AUTH = {"Authorization": f"Bearer {BOOTSTRAP}"}
CHECKS = [not_a_server_error, response_schema_conformance]
#: A JSON body that breaks the schema (a string or float for an integer, an unknown
#: member...) must be refused: the gateway never coerces a value into one the schema
#: allows. Query, path and header values are text on the wire, where a mutated type often
#: serialises to a value the schema allows ("true" is a valid event name), so the rule is
#: checked on bodies.
BODY_CHECKS = [*CHECKS, negative_data_rejection]
QUICK_EXAMPLES = 5
DEEP_EXAMPLES = 50

# The schema needs no running chain: create_app only connects in its lifespan.
SPEC = create_app(settings_for(Path("unused"))).openapi()
SCHEMA = schemathesis.openapi.from_dict(SPEC)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
# Requests mine instantly on the in-process chain but still take milliseconds each.
FUZZ = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The whole gateway on an in-process chain with the ledger contracts deployed."""
    settings = settings_for(
        tmp_path_factory.mktemp("contract"), bootstrap_token=BOOTSTRAP, indexer_enabled=False
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def cases(operation: Any) -> st.SearchStrategy[schemathesis.Case]:
    """Inputs that fit the operation's schema and inputs that break it."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def call_and_check(client: TestClient, case: schemathesis.Case) -> None:
    """Send ``case`` through the test client as the bootstrap admin and run the checks."""
    sent = case.as_transport_kwargs(base_url=BASE_URL, headers=AUTH)
    body = sent.get("data")
    response = client.request(
        sent["method"],
        sent["url"],
        params=sent.get("params"),
        headers=sent.get("headers"),
        json=sent.get("json"),
        content=body.encode() if isinstance(body, str) else body,
    )
    negative_body = case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
    case.validate_response(response, checks=BODY_CHECKS if negative_body else CHECKS)


def fuzz(client: TestClient, operation: Any, examples: int, *, derandomize: bool) -> None:
    @given(case=cases(operation))
    @settings(FUZZ, max_examples=examples, derandomize=derandomize)
    def run(case: schemathesis.Case) -> None:
        call_and_check(client, case)

    run()


def test_schema_covers_every_operation() -> None:
    operations = {(m.upper(), p) for p, item in SPEC["paths"].items() for m in item}
    assert len(OPERATIONS) == len(operations) >= 70
    assert ("POST", "/v1/assets") in operations and ("GET", "/v1/audit/export") in operations


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_contract_quick(client: TestClient, operation: Any) -> None:
    fuzz(client, operation, QUICK_EXAMPLES, derandomize=True)


@pytest.mark.deep
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_contract_deep(client: TestClient, operation: Any) -> None:
    fuzz(client, operation, DEEP_EXAMPLES, derandomize=False)
