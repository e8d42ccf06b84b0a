"""Settings for the ledger, read from the environment with the prefix ``LEDGER_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import DEFAULT_VAR_DIR, LOCALNODE_TOML

ChainMode = Literal["memory", "local", "rpc"]


class LedgerSettings(BaseSettings):
    """Every knob of the chain layer and the gateway; defaults run locally."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    chain: ChainMode = "local"
    rpc_url: str | None = None
    chain_id: int | None = None
    poa: bool = False
    localnode_config: Path = LOCALNODE_TOML
    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str | None = None
    confirmations: int = 0
    host: str = "127.0.0.1"
    port: int = 8000
    bootstrap_token: SecretStr | None = None
    keystore_passphrase: SecretStr | None = None
    keystore_passphrase_file: Path | None = None
    settlement_token: str | None = None
    redeploy: bool = False
    max_in_flight_per_account: Annotated[int, Field(ge=1)] = 1024
    max_concurrent_submits: Annotated[int, Field(ge=1)] = 2
    #: Answer a write once journaled and send it from a background thread (a node over
    #: HTTP; the in-process chain always sends first). Off by default: a 202 waits until
    #: the node took the transaction, which also keeps a client from outrunning the chain.
    send_in_background: bool = False
    receipt_timeout_seconds: Annotated[float, Field(gt=0)] = 120.0
    #: Largest request body a route accepts unless it has its own limit (api/limits.py).
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    indexer_enabled: bool = True
    #: Run the indexer in a process of its own (chain modes local and rpc), supervised by
    #: the gateway, so its work does not take the interpreter from the requests. Off by
    #: default (a thread of the gateway; always so on the in-process memory chain): on two
    #: cores the process competes with the node for the second one, and the measurements
    #: so far do not show it pays (bench/results/write_path_notes.md).
    indexer_process: bool = False
    indexer_poll_seconds: float = 1.0
    indexer_batch_size: int = 500
    #: Shortest notice window the OrgDirectory allows, fixed at deployment. Unset: 1 second
    #: in the memory and local modes (a development chain), 5 days (the production floor)
    #: on an RPC chain. At most 5 days.
    notice_floor_seconds: Annotated[int, Field(ge=1, le=5 * 86_400)] | None = None
    #: Delay before a treasury or payout account change takes effect, fixed at deployment.
    #: Unset: 1 second in the memory and local modes, 2 days on an RPC chain.
    account_change_delay_seconds: Annotated[int, Field(ge=1)] | None = None
    #: Failed API-key attempts allowed per minute, per client address and per key prefix,
    #: once the burst is spent (api/auth.py, chain/throttle.py); more answer 429.
    auth_failures_per_minute: Annotated[float, Field(gt=0)] = 10.0
    #: Failed API-key attempts allowed at once before the per-minute rate applies.
    auth_failure_burst: Annotated[int, Field(ge=1)] = 20
    #: Where the attempt counters live: ``database`` (shared by every gateway process on
    #: the same database) or ``memory`` (this process only).
    auth_throttle_store: Literal["database", "memory"] = "database"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'ledger.db'}"

    @property
    def development_chain(self) -> bool:
        return self.chain in ("memory", "local")

    @property
    def effective_notice_floor(self) -> int:
        if self.notice_floor_seconds is not None:
            return self.notice_floor_seconds
        return 1 if self.development_chain else 5 * 86_400

    @property
    def effective_account_change_delay(self) -> int:
        if self.account_change_delay_seconds is not None:
            return self.account_change_delay_seconds
        return 1 if self.development_chain else 2 * 86_400

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"

    @property
    def deployments_dir(self) -> Path:
        return self.var_dir / "deployments"


@lru_cache(maxsize=1)
def get_settings() -> LedgerSettings:
    return LedgerSettings()
