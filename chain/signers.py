"""Which key signs for an organisation: remembered per process, never used stale.

The organisation's row names its signing key (``key_name``, ``signer_address``); it
changes only when the key is rotated or another key is imported
(:meth:`chain.accounts.AccountStore.set_signer`). A write looks the signer up in memory:

- a change through this process's store bumps ``AccountStore.signer_generation``, and an
  entry remembered under an older generation is read again from the database;
- a change made by another gateway process on the same database is caught where it
  matters: the journal transaction that takes the nonce reads the organisations' current
  signers (:class:`SignerStillCurrent`, a journal guard: one query per burst) and
  refuses a write whose signer is no longer the organisation's with :class:`StaleSigner`;
  the runtime then forgets the entry and submits once more with the key the row names.
  A simulation refused by the chain (the old key removed there already) is checked the
  same way before the refusal is answered.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from typing import cast

from eth_account.signers.local import LocalAccount
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from chain.accounts import AccountStore, Organisation, normalise_org_id
from chain.errors import KeystoreUnavailable, SigningKeyElsewhere, StaleSigner
from chain.keys import KeyStore, KeystoreError
from chain.txpipe.guards import JournalGuard

_ORGS: Table = Organisation.__table__  # type: ignore[assignment]
#: the organisations' current signing addresses (built once, run once per journal burst)
_SIGNERS = select(_ORGS.c.org_id, _ORGS.c.signer_address).where(
    _ORGS.c.org_id.in_(bindparam("ids", expanding=True))
)


def current_signers(session: Session, org_ids: Collection[str]) -> dict[str, str]:
    """The signing address each organisation's row names now (in ``session``'s
    transaction), by organisation id."""
    rows = session.execute(_SIGNERS, {"ids": sorted(set(org_ids))})
    return {str(org_id): str(address) for org_id, address in rows}


class SignerStillCurrent(JournalGuard):
    """A write signed by a key remembered in memory: its signer must still be the one the
    organisation's row names when the write is journaled (:class:`StaleSigner` otherwise;
    one query for a burst)."""

    def __init__(self, org_id: str, signer_address: str) -> None:
        self.org_id = normalise_org_id(org_id)
        self.signer_address = signer_address

    @classmethod
    def refusals(
        cls, session: Session, guards: Sequence[JournalGuard]
    ) -> list[BaseException | None]:
        mine = [cast(SignerStillCurrent, guard) for guard in guards]
        current = current_signers(session, {guard.org_id for guard in mine})
        return [
            None
            if current.get(guard.org_id, "").lower() == guard.signer_address.lower()
            else StaleSigner(
                f"the signing key of organisation {guard.org_id} changed from "
                f"{guard.signer_address} to {current.get(guard.org_id)}; nothing was journaled",
                org_id=guard.org_id,
            )
            for guard in mine
        ]


class OrgSigners:
    """The unlocked signing account of each organisation this gateway signs for."""

    def __init__(self, accounts: AccountStore, keystore: KeyStore) -> None:
        self.accounts = accounts
        self.keystore = keystore
        #: organisation id -> (the store's signer generation when read, its account)
        self._memo: dict[str, tuple[int, LocalAccount]] = {}
        self._guard = threading.Lock()

    def signer(self, org_id: str) -> LocalAccount:
        """The organisation's current signing account; :class:`SigningKeyElsewhere` when
        another gateway holds its key, :class:`KeystoreUnavailable` when it cannot be
        unlocked, ``NotFound`` for an unknown organisation."""
        key = normalise_org_id(org_id)
        generation = self.accounts.signer_generation
        remembered = self._memo.get(key)
        if remembered is not None and remembered[0] == generation:
            return remembered[1]
        org = self.accounts.get_org(key)
        if org.key_name is None:
            raise SigningKeyElsewhere(
                f"this gateway does not hold the signing key of organisation {org.org_id} "
                f"(signer {org.signer_address}): it was admitted with a key held by another "
                "gateway, which signs for it",
                org_id=org.org_id,
                signer_address=org.signer_address,
            )
        try:
            account = self.keystore.load(org.key_name)
        except KeystoreError as exc:
            raise KeystoreUnavailable(
                f"the signing key of organisation {org.org_id} cannot be unlocked"
            ) from exc
        with self._guard:
            self._memo[key] = (generation, account)
        return account

    def changed(self, org_id: str, account: LocalAccount) -> bool:
        """Whether the organisation's row names another signer than ``account`` now (a
        refused simulation with a remembered key: rotated by another process?)."""
        with self.accounts.sessions() as session:
            current = current_signers(session, [normalise_org_id(org_id)])
        return current.get(normalise_org_id(org_id), "").lower() != account.address.lower()

    def forget(self, org_id: str) -> None:
        """Read the organisation's signer from the database on its next write."""
        with self._guard:
            self._memo.pop(normalise_org_id(org_id), None)
