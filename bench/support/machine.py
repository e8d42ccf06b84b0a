"""What every benchmark records about the machine and where it writes its results.

``BENCH_RESULTS_DIR`` sends the result files elsewhere (``make bench BENCH_QUICK=1`` uses a
temporary folder so that a smoke run never overwrites the committed results);
``BENCH_QUICK=1`` asks each benchmark for its short settings.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent.parent
COMMITTED_RESULTS = BENCH_DIR / "results"


def results_dir() -> Path:
    """Where result JSON goes: ``$BENCH_RESULTS_DIR`` or ``bench/results``."""
    chosen = os.environ.get("BENCH_RESULTS_DIR")
    folder = Path(chosen) if chosen else COMMITTED_RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def quick() -> bool:
    """``BENCH_QUICK=1``: a smoke run with short settings."""
    return os.environ.get("BENCH_QUICK", "") not in ("", "0")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python and the load average now (call :func:`finish` at the end)."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average_before": list(os.getloadavg()),
        "python_loop_s_before": python_loop_seconds(),
        "quick": quick(),
    }


def finish(info: dict[str, Any]) -> dict[str, Any]:
    """``info`` with the load average and the machine's speed at the end of the run."""
    info["load_average_after"] = list(os.getloadavg())
    info["python_loop_s_after"] = python_loop_seconds()
    return info


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """A process's peak resident set (``VmHWM``), in MB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def python_loop_seconds(rounds: int = 5_000_000) -> float:
    """Seconds one core takes for a fixed pure-Python loop: how fast this machine runs
    Python right now. The same VM moved by a quarter between runs of the same code, so
    the write benchmark records this before and after each of its runs."""
    import time

    started = time.perf_counter()
    total = 0
    for i in range(rounds):
        total += i
    assert total == rounds * (rounds - 1) // 2
    return time.perf_counter() - started


@dataclass(frozen=True)
class Layout:
    """Which cores the gateway and the node run on during a benchmark.

    ``shared`` (the default): both on every core, so each block's mining takes a core the
    gateway may be answering on. ``split`` (two cores or more): the node on the last core
    this process may use, the gateway on the others, as when the node is a machine of its
    own. The benchmark's clients stay on every core in both.
    """

    name: str
    gateway_cpus: tuple[int, ...] = ()
    node_cpus: tuple[int, ...] = ()

    @classmethod
    def choose(cls, name: str) -> Layout:
        cpus = sorted(os.sched_getaffinity(0))
        if name == "shared" or len(cpus) < 2:
            return cls("shared")
        if name != "split":
            raise ValueError(f"unknown layout {name!r} (split or shared)")
        return cls("split", tuple(cpus[:-1]), (cpus[-1],))

    def pin_gateway(self, pid: int) -> None:
        if self.gateway_cpus:
            pin(pid, self.gateway_cpus)

    def pin_node(self, pid: int) -> None:
        if self.node_cpus:
            pin(pid, self.node_cpus)

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "gateway_cpus": list(self.gateway_cpus),
                "node_cpus": list(self.node_cpus)}  # fmt: skip


def pin(pid: int, cpus: Iterable[int]) -> None:
    """Every thread of process ``pid`` and of the processes it started on ``cpus`` (the
    threads and processes they start later inherit it from the thread that starts them)."""
    chosen = set(cpus)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), chosen)
            children = (task / "children").read_text().split()
        except (ProcessLookupError, FileNotFoundError):  # a thread that ended meanwhile
            continue
        for child in children:
            pin(int(child), chosen)
    if os.sched_getaffinity(pid) != chosen:
        raise RuntimeError(f"process {pid} is not on cores {sorted(chosen)}")
