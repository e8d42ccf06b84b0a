"""The receipt tracker: a daemon thread that calls ``TxPipeline.poll_once`` in a loop."""

from __future__ import annotations

import logging
import threading

from chain.txpipe.pipeline import TxPipeline

log = logging.getLogger("ledger.txpipe")


class ReceiptTracker:
    """Polls receipts every ``interval`` seconds until stopped (start/stop are idempotent)."""

    def __init__(self, pipeline: TxPipeline, interval: float = 0.5) -> None:
        self.pipeline = pipeline
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.polls = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="receipt-tracker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.pipeline.poll_once()
            except Exception:  # keep tracking; the next poll retries
                log.exception("receipt tracker poll failed")
            self.polls += 1
            self._stop.wait(self.interval)
