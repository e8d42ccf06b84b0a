"""The write bench's layout of gateway and node on the cores (bench/support/machine.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bench.support.machine import Layout, pin


def test_shared_pins_nothing_and_split_gives_the_node_the_last_core() -> None:
    assert Layout.choose("shared") == Layout("shared")
    cpus = sorted(os.sched_getaffinity(0))
    split = Layout.choose("split")
    if len(cpus) < 2:  # nothing to split: both stay on the one core
        assert split == Layout("shared")
        return
    assert split.node_cpus == (cpus[-1],)
    assert split.gateway_cpus == tuple(cpus[:-1])
    assert split.record() == {"name": "split", "gateway_cpus": cpus[:-1], "node_cpus": [cpus[-1]]}
    with pytest.raises(ValueError, match="unknown layout"):
        Layout.choose("spread")


def test_pin_moves_every_thread_and_child_of_a_process() -> None:
    cpu = sorted(os.sched_getaffinity(0))[0]
    # a parent with a second thread and a child process of its own
    code = (
        "import subprocess, sys, threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        pin(parent.pid, [cpu])
        tasks = [int(t) for t in os.listdir(f"/proc/{parent.pid}/task")]
        assert len(tasks) >= 2
        assert all(os.sched_getaffinity(t) == {cpu} for t in tasks)
        assert os.sched_getaffinity(child) == {cpu}
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()
