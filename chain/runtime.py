"""The running ledger: settings, chain, key custody, deployment, database and write path.

``LedgerRuntime.start(settings)`` connects, unlocks the admin key, deploys (or finds) the
contracts, migrates the database and builds the :class:`TxPipeline` and
:class:`AccountStore`. The gateway's lifespan then calls :meth:`LedgerRuntime.open`
(consortium org, bootstrap admin, reconcile, receipt tracker) and :meth:`close`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.contract import Contract

from chain.accounts import AccountStore, Organisation, org_key_name
from chain.artifacts import load
from chain.bindings.contracts import (
    DIRECTORY,
    REGISTRY,
    SPLIT,
    TEST_TOKEN,
    USE_AND_FINANCE,
    VERIFIER,
)
from chain.clients import ChainHandle, connect
from chain.db import make_engine, session_factory
from chain.deploy import Deployment, ensure_deployed
from chain.errors import ContractRevert, KeystoreUnavailable, NotFound, StaleSigner
from chain.index_store import index_engine, move_index_tables
from chain.keys import KeyStore, KeystoreError
from chain.reader import ChainReader
from chain.settings import LedgerSettings
from chain.signers import OrgSigners, SignerStillCurrent
from chain.txpipe import Operation, ReceiptTracker, TxPipeline
from chain.txpipe.guards import JournalGuard
from chain.txpipe.journal import JournalRows

ADMIN_KEY = "consortium-admin"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger("ledger.runtime")


MODEL_MODULES = (
    "chain.accounts",
    "chain.txpipe.models",
    "chain.indexer.models",
    "chain.service.asset_documents",
    "chain.throttle",
)


def migrate_database(engine: Engine) -> None:
    """``alembic upgrade head`` on this engine: every table comes from a revision. On a
    SQLite file the indexer's tables then move to the index file beside it
    (:mod:`chain.index_store`)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    moved = move_index_tables(engine)
    if moved:
        log.info("moved %d indexer tables into the index file", len(moved))


@dataclass
class LedgerRuntime:
    settings: LedgerSettings
    handle: ChainHandle
    keystore: KeyStore
    admin: LocalAccount
    deployment: Deployment
    engine: Engine
    sessions: sessionmaker[Session]
    #: the indexer writes the index through these: the index file's own on a SQLite file
    #: (its writer lock is not the journal's), the gateway database's otherwise
    index_engine: Engine
    index_sessions: sessionmaker[Session]
    txpipe: TxPipeline
    accounts: AccountStore
    tracker: ReceiptTracker
    opened: bool = field(default=False)
    #: contract handles, built once per deployed contract
    _contracts: dict[str, Contract] = field(default_factory=dict, repr=False)
    #: per contract: the ABIs of the other deployed contracts (errors raised inside them)
    _other_abis: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    #: the read routes' head-keyed, batched eth_call reader (built on first use)
    _reader: ChainReader | None = field(default=None, repr=False)
    #: the organisations' signing accounts (built on first use)
    _signers: OrgSigners | None = field(default=None, repr=False)

    @classmethod
    def start(cls, settings: LedgerSettings, *, deploy: bool = True) -> LedgerRuntime:
        """Connect, unlock the admin key, make sure the contracts are deployed (unless
        ``deploy`` is False) and prepare the database."""
        handle = connect(settings)
        keystore = KeyStore.from_settings(settings)
        admin = keystore.get_or_create(ADMIN_KEY)
        if deploy:
            folder = None if settings.chain == "memory" else settings.deployments_dir
            deployment = ensure_deployed(
                handle,
                admin,
                folder,
                redeploy=settings.redeploy,
                settlement_token=settings.settlement_token,
                notice_floor=settings.effective_notice_floor,
                account_change_delay=settings.effective_account_change_delay,
            )
        else:
            deployment = Deployment(handle.chain_id, admin.address, "", time.time(), {})
        return cls.assemble(settings, handle, keystore, admin, deployment)

    @classmethod
    def assemble(
        cls,
        settings: LedgerSettings,
        handle: ChainHandle,
        keystore: KeyStore,
        admin: LocalAccount,
        deployment: Deployment,
        *,
        tracker_interval: float = 0.5,
    ) -> LedgerRuntime:
        """Build the runtime around an existing chain connection (tests, tools)."""
        # the receipt tracker checkpoints a SQLite store's WAL (no commit pays for it)
        engine = make_engine(settings.resolved_database_url, background_checkpoints=True)
        migrate_database(engine)
        sessions = session_factory(engine)
        indexes = index_engine(engine)
        txpipe = TxPipeline(
            handle,
            sessions,
            max_in_flight_per_account=settings.max_in_flight_per_account,
            max_concurrent_submits=settings.max_concurrent_submits,
            confirmations=settings.confirmations,
            send_in_background=settings.send_in_background and handle.tester is None,
        )
        return cls(
            settings=settings,
            handle=handle,
            keystore=keystore,
            admin=admin,
            deployment=deployment,
            engine=engine,
            sessions=sessions,
            index_engine=indexes,
            index_sessions=sessions if indexes is engine else session_factory(indexes),
            txpipe=txpipe,
            accounts=AccountStore(sessions),
            tracker=ReceiptTracker(txpipe, interval=tracker_interval),
        )

    # -- lifecycle ------------------------------------------------------------------

    def open(self, *, print_bootstrap_key: bool = True) -> str | None:
        """Consortium org, bootstrap admin, reconcile the outbox, start the tracker.

        Returns the bootstrap admin key when one was generated on this call.
        """
        self.accounts.ensure_consortium(ADMIN_KEY, self.admin.address)
        token = self.settings.bootstrap_token
        secret_file = self.settings.var_dir / "secrets" / "bootstrap-admin-key"
        generated = self.accounts.bootstrap_admin(
            token.get_secret_value() if token is not None else None, secret_file
        )
        if generated is not None and print_bootstrap_key:
            print(  # the one time this key is shown (it is also in the 0600 file)
                f"bootstrap admin API key (shown once, also in {secret_file}):\n{generated}",
                flush=True,
            )
        try:
            self.txpipe.reconcile()
        except Exception:  # the tracker keeps trying; a slow chain must not block start
            log.exception("reconciling the outbox failed; the receipt tracker will retry")
        self.tracker.start()
        self.opened = True
        return generated

    def close(self) -> None:
        self.txpipe.flush()  # what is left is sent by ``reconcile`` on the next start
        self.tracker.stop()
        self.opened = False

    # -- chain access -----------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        return self.handle.w3

    def contract(self, name: str) -> Contract:
        """The handle of a deployed contract (built once, then cached)."""
        cached = self._contracts.get(name)
        if cached is not None:
            return cached
        if name not in self.deployment.contracts:
            raise NotFound(f"contract {name} is not deployed on chain {self.handle.chain_id}")
        address = Web3.to_checksum_address(self.deployment.address(name))
        handle = self.w3.eth.contract(address=address, abi=load(name).abi)
        self._contracts[name] = handle
        return handle

    @property
    def reader(self) -> ChainReader:
        """Head-keyed, batched chain reads (one per runtime, shared by every request)."""
        if self._reader is None:
            self._reader = ChainReader(self.w3)
        return self._reader

    def address(self, name: str) -> str:
        """The checksummed address of a deployed contract."""
        return str(self.contract(name).address)

    @property
    def directory(self) -> Contract:
        return self.contract(DIRECTORY)

    @property
    def registry(self) -> Contract:
        return self.contract(REGISTRY)

    @property
    def use_and_finance(self) -> Contract:
        return self.contract(USE_AND_FINANCE)

    @property
    def split(self) -> Contract:
        return self.contract(SPLIT)

    @property
    def verifier(self) -> Contract:
        return self.contract(VERIFIER)

    @property
    def token(self) -> Contract:
        return self.contract(TEST_TOKEN)

    def settlement_token(self) -> Contract:
        """The split's settlement token (the test token's ABI covers ERC-20), built once."""
        key = "settlement-token"
        cached = self._contracts.get(key)
        if cached is None:
            address = self.split.functions.settlementToken().call()
            cached = self.w3.eth.contract(
                address=Web3.to_checksum_address(address), abi=load(TEST_TOKEN).abi
            )
            self._contracts[key] = cached
        return cached

    @property
    def signers(self) -> OrgSigners:
        """The organisations' signing accounts, remembered (see :mod:`chain.signers`)."""
        if self._signers is None:
            self._signers = OrgSigners(self.accounts, self.keystore)
        return self._signers

    def signer_for_org(self, org_id: str) -> LocalAccount:
        """The unlocked signing account of an organisation known to this gateway."""
        return self.signers.signer(org_id)

    def provision_org(self, org_id: str, name: str, kind: str, city_code: int) -> Organisation:
        """Create an organisation's signing key (encrypted keystore) and its gateway row."""
        key_name = org_key_name(org_id)
        try:
            account = self.keystore.get_or_create(key_name)
        except KeystoreError as exc:
            raise KeystoreUnavailable(f"cannot create a signing key for {org_id}") from exc
        self.handle.fund(account.address)
        return self.accounts.create_org(org_id, name, kind, city_code, key_name, account.address)

    def submit(
        self,
        org_id: str,
        contract_name: str,
        function: str,
        args: list[Any],
        *,
        caller: str,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        signer: LocalAccount | None = None,
        journal_with: JournalRows | None = None,
        guard: JournalGuard | None = None,
    ) -> Operation:
        """Write to a deployed contract as an organisation (the service layer's shortcut).

        ``signer`` overrides the organisation's current key (a key being accepted, the
        deploying account bootstrapping registrars). Errors of any deployed contract
        decode (a call may revert inside another ledger contract). ``journal_with(op)``
        gives rows committed with the journaled operation, ``guard`` a condition checked
        when it is journaled (see :meth:`TxPipeline.submit`).
        """
        contract = self.contract(contract_name)
        others = self._other_abis.get(contract_name)
        if others is None:
            others = [load(name).abi for name in self.deployment.contracts if name != contract_name]
            self._other_abis[contract_name] = others
        for attempt in (1, 2):
            used = self.signer_for_org(org_id) if signer is None else signer
            try:
                return self.txpipe.submit(
                    used,
                    contract_name,
                    contract.address,
                    contract.abi,
                    function,
                    args,
                    caller=caller,
                    org_id=org_id,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    extra_error_abis=others,
                    journal_with=journal_with,
                    guards=[
                        *([SignerStillCurrent(org_id, used.address)] if signer is None else []),
                        *([guard] if guard is not None else []),
                    ],
                )
            except StaleSigner:  # rotated by another gateway process: read the row again
                self.signers.forget(org_id)
                if attempt == 2:
                    raise
            except ContractRevert:  # refused: with a key the organisation no longer has?
                if attempt == 2 or signer is not None or not self.signers.changed(org_id, used):
                    raise
                self.signers.forget(org_id)
        raise AssertionError("unreachable")

    def chain_info(self) -> dict[str, Any]:
        head = self.w3.eth.get_block("latest")
        contracts = self.deployment.contracts
        return {
            "chain_id": self.handle.chain_id,
            "mode": self.handle.mode,
            "head_block": int(head["number"]),
            "head_hash": "0x" + bytes(head["hash"]).hex() if head.get("hash") else None,
            "head_timestamp": int(head["timestamp"]),
            "deployment_block": self.deployment.deployment_block if contracts else None,
            "contracts": {
                name: {"address": c.address, "block": c.block, "tx": c.tx}
                for name, c in contracts.items()
            },
            "admin": self.deployment.admin,
            "artifact_digest": self.deployment.artifact_digest,
            "versions": dict(self.deployment.versions),
            "notice_floor": self.deployment.notice_floor,
            "account_change_delay": self.deployment.account_change_delay,
        }
