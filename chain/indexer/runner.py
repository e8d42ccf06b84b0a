"""Run the indexer: a background thread for the gateway, or a loop for ``indexer run``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from chain.artifacts import load
from chain.background import BackgroundLoop
from chain.deploy import Deployment
from chain.indexer.core import Indexer
from chain.indexer.decoder import ContractSpec

log = logging.getLogger(__name__)

#: The v2 contracts with events (the CertificateVerifier only has views).
FOLLOWED_CONTRACTS = ("OrgDirectory", "AssetRegistryV2", "UseAndFinance", "RevenueSplitV2")


def deployment_specs(
    deployment: Deployment, names: Sequence[str] = FOLLOWED_CONTRACTS
) -> list[ContractSpec]:
    """The contracts of a deployment the indexer follows, with their artifacts' ABIs."""
    return [
        ContractSpec(name=name, address=deployment.address(name), abi=load(name).abi)
        for name in names
        if name in deployment.contracts
    ]


def indexer_for_deployment(
    w3: Web3,
    factory: sessionmaker[Session],
    deployment: Deployment,
    *,
    confirmations: int = 0,
    batch_size: int = 500,
) -> Indexer:
    """An indexer over the ledger contracts from the deployment block."""
    return Indexer(
        w3,
        factory,
        deployment_specs(deployment),
        start_block=deployment.deployment_block,
        chain_id=deployment.chain_id,
        batch_size=batch_size,
        confirmations=confirmations,
    )


class IndexerRunner(BackgroundLoop):
    """Steps the indexer in a background thread until ``stop()``.

    Sleeps ``poll_interval`` when caught up; on errors (node down, database busy) it
    records the error in the indexer's status and backs off, never giving up.
    """

    thread_name = "ledger-indexer"

    def __init__(
        self, indexer: Indexer, poll_interval: float = 1.0, max_backoff: float = 30.0
    ) -> None:
        super().__init__()
        self.indexer = indexer
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._indexed: int | None = None

    def stop(self, timeout: float | None = None) -> None:
        self.stop_soon()
        super().stop(timeout)

    def stop_soon(self) -> None:
        """Make the loop end after its current step (from a signal handler too)."""
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Step at once if idle (a write waits to read what it wrote)."""
        self._wake.set()

    @property
    def indexed_block(self) -> int | None:
        """The last block the store holds, as of the loop's last step."""
        with self._progress:
            return self._indexed

    def wait_indexed(self, block: int, timeout: float) -> bool:
        """Wait until the store holds ``block`` (read your writes); False after ``timeout``
        or when the loop is not running. Wakes an idle loop to step at once."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self._indexed is None or self._indexed < block:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.running:
                    return False
                self._wake.set()
                self._progress.wait(min(remaining, max(self.poll_interval, 0.01)))
            return True

    def _advanced(self) -> None:
        number, _ = self.indexer.checkpoint()
        with self._progress:
            self._indexed = number
            self._progress.notify_all()

    def run(self) -> None:
        """The loop (blocks): step, sleep when idle, back off on errors."""
        backoff = self.poll_interval
        while not self._stop.is_set():
            try:
                result = self.indexer.step()
            except Exception as exc:  # the loop must survive any transient failure
                message = f"{type(exc).__name__}: {exc}"
                with self.indexer.stats.lock:
                    self.indexer.stats.last_error = message
                log.warning("indexer step failed: %s", message)
                self._stop.wait(backoff)
                backoff = min(self.max_backoff, backoff * 2 if backoff > 0 else 0.5)
                continue
            backoff = self.poll_interval
            with self.indexer.stats.lock:
                self.indexer.stats.last_error = None
            if not result.idle or self._indexed is None:
                self._advanced()
            if result.idle:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def status(self) -> dict[str, Any]:
        status = self.indexer.status()
        status["start_block"] = self.indexer.start_block
        status["running"] = self.running
        status["checked_at"] = time.time()
        return status
