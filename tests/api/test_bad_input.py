"""Bad input the OpenAPI fuzzing found answering 500: each now gets a 4xx problem+json
naming the field (tests/api/test_openapi_contract.py keeps fuzzing for more)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from chain.commitments import MAX_DOCUMENT_DEPTH, check_document
from tests.api.conftest import Gateway

ID = "0x" + "11" * 32
BIG = 2**64  # beyond the store's signed 64-bit integers
JSON = {"content-type": "application/json"}


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def assert_problem(response: Any, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == "validation-failed"
    assert field in body["detail"] and "Traceback" not in response.text
    assert any(field in ".".join(e["loc"]) for e in body["errors"]), body["errors"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/assets", {"city": BIG}, "city"),
        ("/v1/certificates", {"city": BIG}, "city"),
        ("/v1/audit/events", {"from_block": BIG}, "from_block"),
        ("/v1/audit/events", {"to_block": BIG}, "to_block"),
        ("/v1/audit/events", {"since": BIG}, "since"),
        ("/v1/audit/events", {"until": BIG}, "until"),
        ("/v1/audit/export", {"since": BIG}, "since"),
        ("/v1/audit/export", {"from_block": BIG}, "from_block"),
    ],
)
def test_query_numbers_beyond_the_store_are_422(
    gateway: Gateway, path: str, params: dict[str, int], field: str
) -> None:
    response = gateway.client.get(path, params=params, headers=gateway.auth(gateway.admin_key))
    assert_problem(response, 422, field)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/v1/audit/events", "1.2.not-a-number"),  # event cursors end in the row id
        ("/v1/audit/events", f"{BIG}.0.1"),
        ("/v1/assets", f"{BIG}.0.{ID}"),
        ("/v1/certificates", f"1.{BIG}.{ID}"),
        ("/v1/assets", f"-1.0.{ID}"),
    ],
)
def test_forged_cursors_are_422(gateway: Gateway, path: str, raw: str) -> None:
    response = gateway.client.get(
        path, params={"cursor": cursor(raw)}, headers=gateway.auth(gateway.admin_key)
    )
    assert_problem(response, 422, "cursor")


@pytest.mark.parametrize("path", ["/v1/assets", "/v1/certificates"])
@pytest.mark.parametrize("text", ["9" * 66, "²", "٣"])
def test_numeric_looking_search_text_is_just_text(gateway: Gateway, path: str, text: str) -> None:
    response = gateway.client.get(path, params={"q": text}, headers=gateway.auth(gateway.admin_key))
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


NESTED = '{"a":' * (MAX_DOCUMENT_DEPTH + 1) + "1" + "}" * (MAX_DOCUMENT_DEPTH + 1)
BAD_DOCUMENTS = {
    "nan": ('{"a":NaN}', "finite"),
    "infinity": ('{"a":-Infinity}', "finite"),
    "overflowing float": ('{"a":1e400}', "finite"),
    "lone surrogate": ('{"a":"\\ud800"}', "Unicode"),
    "surrogate key": ('{"\\udfff":1}', "Unicode"),
    "too deep": (NESTED, "nested deeper"),
}


@pytest.mark.parametrize("name", BAD_DOCUMENTS)
def test_asset_metadata_that_canonical_json_cannot_hold_is_422(gateway: Gateway, name: str) -> None:
    """A holder's registration got as far as committing to the metadata: 500 before."""
    holder = gateway.user(gateway.org(f"bad-input-{name}", "holder"))
    document, words = BAD_DOCUMENTS[name]
    body = f'{{"catalogue_code":"c-{name}","domain_code":1,"metadata":{document}}}'
    response = gateway.client.post(
        "/v1/assets", content=body, headers={**gateway.auth(holder), **JSON}
    )
    assert_problem(response, 422, "metadata")
    assert words in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "template", "field"),
    [
        ("/v1/assets/batches",
         '{"items":[{"catalogue_code":"c","domain_code":1,"metadata":{}}],"manifest":DOC}',
         "manifest"),
        ("/v1/assets/batches",
         '{"items":[{"catalogue_code":"c","domain_code":1,"metadata":DOC}]}', "metadata"),
        (f"/v1/assets/{ID}/applications", f'{{"operator_org_id":"{ID}","scope":DOC}}', "scope"),
        (f"/v1/certificates/{ID}/amendment", '{"kind":"change","metadata":DOC}', "metadata"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("name", ["nan", "lone surrogate", "too deep"])
def test_every_committed_document_is_checked(
    gateway: Gateway, path: str, template: str, field: str, name: str
) -> None:
    document, words = BAD_DOCUMENTS[name]
    response = gateway.client.post(
        path, content=template.replace("DOC", document),
        headers={**gateway.auth(gateway.admin_key), **JSON},
    )  # fmt: skip
    assert_problem(response, 422, field)
    assert words in response.json()["detail"]


def test_check_document_passes_what_canonical_json_holds() -> None:
    document = {"a": [1, 2.5, None, True, "é 漢"], "b": {"c": -0.0}}
    assert check_document(document) is document
    deepest: Any = 1
    for _ in range(MAX_DOCUMENT_DEPTH):
        deepest = [deepest]
    assert check_document({"x": deepest[0]}) == {"x": deepest[0]}
    with pytest.raises(ValueError, match="nested deeper"):
        check_document({"x": deepest})


def test_text_with_nul_character_is_refused_by_the_store_alike_on_every_database(
    tmp_path: Path,
) -> None:
    from sqlalchemy import text

    from chain.db import make_engine
    from chain.errors import ValidationFailed

    engine = make_engine(f"sqlite:///{tmp_path / 'nul.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("select :x"), {"x": "plain"}).scalar() == "plain"
        with pytest.raises(ValidationFailed, match="NUL"):
            connection.execute(text("select :x"), {"x": "a\x00b"})


def test_batched_inserts_are_checked_for_nul_text_whatever_shape_their_parameters_take(
    tmp_path: Path,
) -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

    from chain.db import make_engine
    from chain.errors import ValidationFailed

    engine = make_engine(f"sqlite:///{tmp_path / 'batch.db'}")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
    table.metadata.create_all(engine)
    rows = [{"id": number, "name": f"row {number}"} for number in range(1, 6)]
    with engine.begin() as connection:
        inserted = connection.execute(insert(table).returning(table.c.id), rows)
        assert [row.id for row in inserted] == [1, 2, 3, 4, 5]
        connection.execute(insert(table), [{"id": 9, "name": "x"}])
    with engine.connect() as connection:
        assert connection.execute(select(table.c.name).order_by(table.c.id)).scalars().all() == [
            "row 1",
            "row 2",
            "row 3",
            "row 4",
            "row 5",
            "x",
        ]
        with pytest.raises(ValidationFailed, match="NUL"):
            bad = [{"id": 20, "name": "ok"}, {"id": 21, "name": "a\x00"}]
            connection.execute(insert(table).returning(table.c.id), bad)
