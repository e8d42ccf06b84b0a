"""The batch's prefetch: rows found up front, keys it could not look for asked on their own
(on SQLite here; the indexer suites run the same against PostgreSQL when configured)."""

from __future__ import annotations

import pytest

from chain.db import make_engine, session_factory
from chain.indexer.batch import BatchRows
from chain.indexer.models import SigningKeyRow, create_tables
from tests.indexer.conftest import POSTGRES_URL, postgres_database

ADDRESS = "0x" + "ab" * 20
ODD = "0x" + "c," * 20  # 42 characters with commas: no address, but a key nonetheless


def _key(account: str) -> SigningKeyRow:
    return SigningKeyRow(account=account, org_id="0x" + "11" * 32, valid_from=1, valid_until=0,
                         compromised_at=0, state="live", first_block=1, first_log_index=0,
                         updated_block=1, updated_log_index=0)  # fmt: skip


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_prefetch_finds_rows_and_asks_for_keys_it_could_not_look_for(store: str) -> None:
    if store == "postgresql" and POSTGRES_URL is None:
        pytest.skip("LEDGER_TEST_POSTGRES_URL is not set")
    url = "sqlite://" if store == "sqlite" else postgres_database("ledger_batch_rows")
    engine = make_engine(url)
    create_tables(engine)
    factory = session_factory(engine)
    try:
        with factory() as session, session.begin():
            session.query(SigningKeyRow).filter(
                SigningKeyRow.account.in_([ADDRESS, ODD])
            ).delete()
            session.add_all([_key(ADDRESS), _key(ODD)])
        with factory() as session, session.begin():
            rows = BatchRows(session)
            rows.prefetch([{"account": ADDRESS, "note": ODD, "other": "0x" + "cd" * 20}])
            assert rows.get(SigningKeyRow, ADDRESS).state == "live"  # loaded up front
            assert rows.fallbacks == 0
            assert rows.get(SigningKeyRow, "0x" + "cd" * 20) is None  # looked for: none
            assert rows.fallbacks == 0
            assert rows.get(SigningKeyRow, ODD).state == "live"  # asked on its own
            assert rows.fallbacks == 1
            session.query(SigningKeyRow).filter(
                SigningKeyRow.account.in_([ADDRESS, ODD])
            ).delete()
    finally:
        engine.dispose()
