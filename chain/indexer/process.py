"""The gateway's indexer in a process of its own, supervised by a thread of the gateway.

In a thread of the gateway, the indexer's Python work (decoding a block's logs, building
its rows) takes the gateway's one interpreter lock from the threads answering requests:
a request that arrives while a block is indexed waits for it in slices of 5 ms. In a
process of its own (``python -m chain.indexer run``) it runs on the other core. The
supervisor gives the gateway the thread runner's face (:meth:`status`,
:attr:`indexed_block`, :meth:`wait_indexed`) from the store's checkpoint row. It starts
the process again when it exits (backing off up to ``max_backoff``) and stops it with
the gateway. Its stdin is a pipe the gateway holds: a byte wakes it to step at once (a
write waits to read what it wrote), and the pipe's end (the gateway gone, however it
ended) stops it.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from chain.background import BackgroundLoop
from chain.deploy import Deployment
from chain.indexer.core import lag_behind, stream_id
from chain.indexer.decoder import ContractSpec
from chain.indexer.models import Checkpoint
from chain.indexer.runner import deployment_specs
from chain.settings import LedgerSettings

log = logging.getLogger(__name__)

#: seconds between two reads of the checkpoint while a write waits to be indexed
WAIT_POLL = 0.02


def indexer_command(
    rpc_url: str,
    database_url: str,
    specs: Sequence[ContractSpec],
    start_block: int,
    *,
    confirmations: int,
    batch_size: int,
    poll_interval: float,
) -> list[str]:
    """``python -m chain.indexer run`` for these contracts (each with its artifact)."""
    return [
        sys.executable, "-m", "chain.indexer", "run",
        f"--rpc-url={rpc_url}", f"--database-url={database_url}",
        *(f"--contract={spec.name}={spec.address}@{spec.name}" for spec in specs),
        f"--start-block={start_block}",
        f"--confirmations={confirmations}", f"--batch-size={batch_size}",
        f"--poll={poll_interval}", "--follow-stdin",
    ]  # fmt: skip


def indexer_process(
    settings: LedgerSettings,
    deployment: Deployment,
    rpc_url: str,
    store: sessionmaker[Session],
    head: Callable[[], int],
) -> IndexerProcess:
    """The supervised indexer process of a gateway: the deployment's followed contracts
    (:func:`~chain.indexer.runner.deployment_specs`, the same stream as the thread's)."""
    specs = deployment_specs(deployment)
    command = indexer_command(
        rpc_url, settings.resolved_database_url, specs, deployment.deployment_block,
        confirmations=settings.confirmations, batch_size=settings.indexer_batch_size,
        poll_interval=settings.indexer_poll_seconds,
    )  # fmt: skip
    return IndexerProcess(
        command, store, stream=stream_id(deployment.chain_id, specs),
        chain_id=deployment.chain_id, start_block=deployment.deployment_block,
        confirmations=settings.confirmations, head=head,
    )  # fmt: skip


class IndexerProcess(BackgroundLoop):
    """Runs the indexer's command as a child process until ``stop()``."""

    thread_name = "ledger-indexer-supervisor"

    def __init__(
        self,
        command: list[str],
        store: sessionmaker[Session],
        *,
        stream: str,
        chain_id: int,
        start_block: int,
        confirmations: int,
        head: Callable[[], int],
        max_backoff: float = 30.0,
    ) -> None:
        super().__init__()
        self.command = command
        self.store = store
        self.stream = stream
        self.chain_id = chain_id
        self.start_block = start_block
        self.confirmations = confirmations
        self.head = head
        self.max_backoff = max_backoff
        self.child: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._indexed: int | None = None
        self._spawned_at = 0.0

    # -- the supervisor ------------------------------------------------------------------

    def run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            child = self.child
            if child is None:
                self._spawn()
                continue
            code = child.poll()
            if code is None:
                self._stop.wait(0.5)
                continue
            if time.monotonic() - self._spawned_at > self.max_backoff:
                backoff = 0.5  # it ran a while: not a crash loop, start again soon
            with self._lock:
                self.last_error = f"the indexer process exited with {code}"
                self.child = None
            if child.stdin is not None:
                child.stdin.close()
            log.warning("%s; starting it again in %.1f s", self.last_error, backoff)
            if self._stop.wait(backoff):
                break
            backoff = min(self.max_backoff, backoff * 2)
            self.restarts += 1

    def start(self) -> None:
        """Start the process now (a write answered right after start can wait for it),
        then the supervisor."""
        if self.running:
            return
        with self._lock:
            spawn = self.child is None
        if spawn:
            self._spawn()
        super().start()

    def _spawn(self) -> None:
        # its stdin is a pipe this process holds: a byte wakes it, the pipe's end (this
        # process gone, however it ended) stops it
        child = subprocess.Popen(self.command, stdin=subprocess.PIPE)
        self._spawned_at = time.monotonic()
        with self._lock:
            self.child = child
        log.info("indexer process %d started", child.pid)

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        super().stop(timeout)
        with self._lock:
            child, self.child = self.child, None
        if child is not None and child.stdin is not None:
            child.stdin.close()  # the end of its stdin: it stops after its current step
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _wake_child(self) -> None:
        with self._lock:
            child = self.child
            if child is None or child.stdin is None:
                return
            try:
                child.stdin.write(b"w")
                child.stdin.flush()
            except OSError:  # it just exited: the supervisor starts it again
                pass

    @property
    def pid(self) -> int | None:
        with self._lock:
            child = self.child
        return child.pid if child is not None and child.poll() is None else None

    # -- the runner's face ---------------------------------------------------------------

    def _checkpoint(self) -> tuple[int | None, str | None, int, int]:
        with self.store() as session:
            row = session.execute(
                select(
                    Checkpoint.block_number, Checkpoint.block_hash, Checkpoint.events,
                    Checkpoint.reorgs,
                ).where(Checkpoint.stream == self.stream)
            ).first()  # fmt: skip
        if row is None:
            return None, None, 0, 0
        number = int(row[0])
        indexed = number if number >= self.start_block else None
        with self._lock:
            self._indexed = indexed
        return indexed, row[1], int(row[2]), int(row[3])

    @property
    def indexed_block(self) -> int | None:
        """The last block the store holds, as of the last read of its checkpoint."""
        with self._lock:
            return self._indexed

    def wait_indexed(self, block: int, timeout: float) -> bool:
        """Wait until the store holds ``block``; False after ``timeout`` or when no
        indexer process runs. Wakes an idle process to step at once (a byte on its stdin)."""
        deadline = time.monotonic() + timeout
        woken = False
        while True:
            indexed = self._checkpoint()[0]
            if indexed is not None and indexed >= block:
                return True
            pid = self.pid
            if pid is None or time.monotonic() >= deadline:
                return False
            if not woken:
                self._wake_child()
                woken = True
            time.sleep(min(WAIT_POLL, max(0.0, deadline - time.monotonic())))

    def status(self) -> dict[str, Any]:
        indexed, block_hash, events, reorgs = self._checkpoint()
        try:
            head: int | None = int(self.head())
        except Exception:  # the node is down: no lag to tell
            head = None
        lag = lag_behind(head, self.confirmations, indexed, self.start_block)
        with self._lock:
            last_error = self.last_error
        return {
            "chain_id": self.chain_id,
            "stream": self.stream,
            "head": head,
            "indexed_block": indexed,
            "indexed_hash": block_hash,
            "start_block": self.start_block,
            "confirmations": self.confirmations,
            "lag": lag,
            "events_indexed": events,
            "reorgs": reorgs,
            "last_error": last_error,
            "process": self.pid,
            "restarts": self.restarts,
            "running": self.running and self.pid is not None,
            "checked_at": time.time(),
        }
