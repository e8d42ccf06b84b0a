"""The problems a client reads while the chain node or the database is unavailable."""

from __future__ import annotations

import psycopg
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError

from api.errors import install_error_handlers


def _app() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/node-down")
    def node_down() -> None:
        raise requests.ConnectionError("Connection refused")

    @app.get("/db-down")
    def db_down() -> None:
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))

    @app.get("/db-read-only")
    def db_read_only() -> None:
        orig = psycopg.errors.ReadOnlySqlTransaction("cannot execute UPDATE")
        raise InternalError("UPDATE account_nonces", {}, orig)

    @app.get("/db-bug")
    def db_bug() -> None:
        raise IntegrityError("INSERT", {}, psycopg.IntegrityError("duplicate key"))

    return TestClient(app, raise_server_exceptions=False)


def test_a_read_while_the_node_is_down_answers_chain_unavailable_with_retry_after() -> None:
    response = _app().get("/node-down")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "chain-unavailable" and body["retry_after"] == 5
    assert body["type"].endswith("/chain-unavailable") and body["instance"] == "/node-down"
    assert body["detail"] == "the chain node does not answer: ConnectionError"


def test_a_database_down_or_read_only_answers_store_unavailable_with_retry_after() -> None:
    client = _app()
    for path, why in (("/db-down", "does not answer"), ("/db-read-only", "refuses writes")):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["code"] == "store-unavailable" and body["retry_after"] == 5
        assert why in body["detail"] and "nothing was signed" in body["detail"]
        assert "psycopg" not in response.text and "UPDATE" not in response.text


def test_a_database_error_that_is_not_a_fault_of_the_store_stays_an_internal_error() -> None:
    response = _app().get("/db-bug")
    assert response.status_code == 500
    assert response.json()["code"] == "internal-error"
    assert "duplicate key" not in response.text
