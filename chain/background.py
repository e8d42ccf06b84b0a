"""A loop in a daemon thread, started and stopped by the gateway (both idempotent)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class BackgroundLoop(ABC):
    """Runs :meth:`run` in a daemon thread named ``thread_name`` from ``start()`` until
    ``stop()``; ``run`` loops while ``_stop`` is not set and waits on it to sleep."""

    thread_name = "ledger-background"
    #: seconds ``stop()`` waits for the thread to end by default
    stop_timeout = 30.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.stop_timeout if timeout is None else timeout)
            self._thread = None

    @abstractmethod
    def run(self) -> None:
        """The loop (blocks until ``_stop`` is set)."""
