"""The organisation's signer is remembered per process; a rotated or compromised key
signs nothing after the change, whether this process or another one changed it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from chain.txpipe import Operation
from tests.workflows.world import RegistryWorld


def _signers_since(w: RegistryWorld, org_id: str, seen: set[str]) -> list[str]:
    """The signers of the organisation's operations journaled after ``seen``."""
    with w.runtime.sessions() as session:
        ops = session.scalars(select(Operation).where(Operation.org_id == org_id)).all()
    return [op.signer for op in ops if op.id not in seen]


def _operation_ids(w: RegistryWorld) -> set[str]:
    with w.runtime.sessions() as session:
        return set(session.scalars(select(Operation.id)))


def _holder_admin(w: RegistryWorld) -> str:
    if "holder_admin" not in w.keys:
        _, w.keys["holder_admin"] = w.runtime.accounts.create_user(
            w.orgs["holder"], "holder admin", "admin"
        )
    return "holder_admin"


def test_rotated_and_compromised_key_signs_nothing_after_the_change(w: RegistryWorld) -> None:
    holder = w.orgs["holder"]
    admin = _holder_admin(w)
    w.new_asset()  # the holder's signer is remembered now
    old = w.runtime.signer_for_org(holder).address
    assert old == w.runtime.accounts.get_org(holder).signer_address
    rotation = w.ok("POST", f"/v1/orgs/{holder}/keys/rotation", admin)
    new = rotation.headers["Ledger-New-Signer"]
    assert new != old and w.runtime.accounts.get_org(holder).signer_address == new
    compromised = w.ok("POST", f"/v1/keys/{old}/compromise", admin, {})
    assert compromised.json()["signer"] == old  # the key marks itself (this gateway holds it)
    assert w.events(compromised, "SigningKeyCompromised")[0]["account"] == old.lower()
    seen = _operation_ids(w)
    asset_id = w.new_asset()
    assert w.asset(asset_id)["holderOrgId"] == holder
    assert _signers_since(w, holder, seen) == [new]
    assert w.runtime.signer_for_org(holder).address == new


def test_key_changed_by_another_process_is_not_used(
    w: RegistryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process remembers the key the row named before another gateway process on
    the same database rotated it (emulated: the rotation's generation bump undone)."""
    holder = w.orgs["holder"]
    admin = _holder_admin(w)
    w.new_asset()
    old = w.runtime.signer_for_org(holder).address
    generation = w.runtime.accounts.signer_generation
    rotation = w.ok("POST", f"/v1/orgs/{holder}/keys/rotation", admin)
    new = rotation.headers["Ledger-New-Signer"]
    monkeypatch.setattr(w.runtime.accounts, "signer_generation", generation)
    assert w.runtime.signers._memo[holder][1].address == old  # stale in memory
    seen = _operation_ids(w)
    asset_id = w.new_asset()
    assert w.asset(asset_id)["holderOrgId"] == holder
    assert _signers_since(w, holder, seen) == [new]
    assert w.runtime.signer_for_org(holder).address == new


def test_remembered_key_checked_in_the_journal_transaction(
    w: RegistryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A remembered key that the chain still accepts (the other process has not removed
    it yet) but the organisation's row no longer names is refused where the nonce is
    taken; the write goes out signed by the row's key."""
    holder = w.orgs["holder"]
    admin = _holder_admin(w)
    w.new_asset()
    old = w.runtime.signer_for_org(holder)
    generation = w.runtime.accounts.signer_generation
    rotation = w.ok("POST", f"/v1/orgs/{holder}/keys/rotation", admin)
    new = rotation.headers["Ledger-New-Signer"]
    monkeypatch.setattr(w.runtime.accounts, "signer_generation", generation)
    # the chain would still take the old key: only the journal's check stands in the way
    monkeypatch.setattr(w.runtime.txpipe, "_simulate", lambda call, abis: 500_000)
    seen = _operation_ids(w)
    nonce_before = w.runtime.txpipe.rpc.nonce(old.address, "pending")
    asset_id = w.new_asset()
    assert w.asset(asset_id)["holderOrgId"] == holder
    assert _signers_since(w, holder, seen) == [new]
    assert w.runtime.txpipe.rpc.nonce(old.address, "pending") == nonce_before
