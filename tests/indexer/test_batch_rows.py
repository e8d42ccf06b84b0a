"""The batch's rows: found up front, keys it could not look for asked on their own, changed
rows written back exactly (on SQLite, and on PostgreSQL when LEDGER_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from chain.indexer.batch import BatchRows
from chain.indexer.models import PaymentRow, ScheduleRow, SigningKeyRow

ADDRESS = "0x" + "ab" * 20
ODD = "0x" + "c," * 20  # 42 characters with commas: no address, but a key nonetheless


def _key(account: str) -> SigningKeyRow:
    return SigningKeyRow(account=account, org_id="0x" + "11" * 32, valid_from=1, valid_until=0,
                         compromised_at=0, state="live", first_block=1, first_log_index=0,
                         updated_block=1, updated_log_index=0)  # fmt: skip


def test_prefetch_finds_rows_and_asks_for_keys_it_could_not_look_for(
    store: sessionmaker[Session],
) -> None:
    factory = store
    with factory() as session, session.begin():
        session.query(SigningKeyRow).filter(SigningKeyRow.account.in_([ADDRESS, ODD])).delete()
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
        session.query(SigningKeyRow).filter(SigningKeyRow.account.in_([ADDRESS, ODD])).delete()


def _payment(payment_id: str, amount: int, ref: str) -> dict[str, Any]:
    hash_ = "0x" + "22" * 32
    return {"payment_id": payment_id, "asset_id": hash_, "settlement": "onchain",
            "payer": ADDRESS, "payer_org_id": hash_, "operator_org_id": hash_, "city": 7,
            "amount": amount, "operator_share": amount // 3, "treasury_share": amount - amount // 3,
            "schedule_version": 1, "external_ref": ref, "remitted": True,
            "remittance_ref": None, "tx_hash": hash_, "first_block": 1, "first_log_index": 0,
            "updated_block": 1, "updated_log_index": 0}  # fmt: skip


def test_upserted_rows_read_back_exactly_and_nul_text_is_refused(
    store: sessionmaker[Session],
) -> None:
    factory = store
    payment = "0x" + "ee" * 32
    big = 2**200 + 12345  # beyond 64 bits: NUMERIC(78) / decimal text
    with factory() as session, session.begin():
        session.query(PaymentRow).filter(PaymentRow.payment_id == payment).delete()
        session.query(ScheduleRow).filter(ScheduleRow.asset_id == payment).delete()
    with factory() as session, session.begin():  # new rows: inserted
        rows = BatchRows(session)
        rows.prefetch([{"paymentId": payment}])
        assert rows.get(PaymentRow, payment) is None
        rows.add(rows.new_row(PaymentRow, _payment(payment, big, "0x" + "33" * 32)))
        schedule = rows.new_row(ScheduleRow, {
            "asset_id": payment, "version": 2, "lower_bounds": [str(big), "0"],
            "operator_bps": [100, 9000], "finance_org_id": payment, "effective_block": 3,
            "first_block": 1, "first_log_index": 0, "updated_block": 1,
            "updated_log_index": 0})  # fmt: skip
        rows.add(schedule)
        assert rows.write() == 2
    with factory() as session, session.begin():  # loaded rows changed: updated
        rows = BatchRows(session)
        rows.prefetch([{"paymentId": payment}])
        row = rows.get(PaymentRow, payment)
        assert (row.amount, row.remittance_ref) == (big, None)
        row.remittance_ref = "0x" + "44" * 32
        assert rows.get(ScheduleRow, (payment, 2)).lower_bounds == [str(big), "0"]
        assert rows.write() == 1  # the schedule is unchanged: not written
    with factory() as session:
        stored = session.get(PaymentRow, payment)
        schedule_row = session.get(ScheduleRow, (payment, 2))
        assert stored is not None and schedule_row is not None
        assert (stored.amount, stored.treasury_share) == (big, big - big // 3)
        assert stored.remittance_ref == "0x" + "44" * 32 and stored.remitted is True
        assert (schedule_row.lower_bounds, schedule_row.operator_bps) == (
            [str(big), "0"],
            [100, 9000],
        )
    with factory() as session, session.begin():
        rows = BatchRows(session)
        rows.prefetch([])
        rows.add(rows.new_row(PaymentRow, _payment("0x" + "ef" * 32, 1, "0x\x00")))
        with pytest.raises(ValueError, match="NUL character in external_ref"):
            rows.write()
        session.rollback()
    with factory() as session, session.begin():
        assert session.get(PaymentRow, "0x" + "ef" * 32) is None
        session.query(PaymentRow).filter(PaymentRow.payment_id == payment).delete()
        session.query(ScheduleRow).filter(ScheduleRow.asset_id == payment).delete()
