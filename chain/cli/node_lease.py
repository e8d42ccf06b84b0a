"""The local node for the time of one ``ledger run``: who started it decides who stops it.

- No node running: ``ledger run`` starts one, records its pid in ``anvil.run`` beside the
  pid file, and stops it on Ctrl-C.
- A node left running by an earlier ``ledger run`` that crashed (``anvil.run`` holds the
  running node's pid): ``ledger run`` adopts it, says so with its pid, and stops it on
  Ctrl-C as if it had started it.
- A node started otherwise (``ledger node start``): ``ledger run`` uses it, says so, and
  leaves it running when it ends (``ledger node stop`` stops it).
"""

from __future__ import annotations

from dataclasses import dataclass

from chain import localnode
from chain.localnode import LocalNodeConfig


@dataclass(frozen=True)
class NodeLease:
    config: LocalNodeConfig
    pid: int
    owned: bool  # stopped when the run ends


def _running_pid(config: LocalNodeConfig) -> int | None:
    pid = localnode.recorded_pid(config)
    if pid is not None and localnode.rpc_chain_id(config.url) == config.chain_id:
        return pid
    return None


def _run_pid(config: LocalNodeConfig) -> int | None:
    try:
        return int(config.run_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def acquire(config: LocalNodeConfig) -> NodeLease:
    """Start the node, or take the one already running; print which."""
    where = f"{config.url} (chain id {config.chain_id}"
    pid = _running_pid(config)
    if pid is None:
        pid = localnode.start(config)
        config.run_file.write_text(str(pid))
        print(f"local node started at {where}, pid {pid}); Ctrl-C stops it", flush=True)
        return NodeLease(config, pid, owned=True)
    if _run_pid(config) == pid:
        print(f"adopted the local node at {where}, pid {pid}) left running by an earlier "
              "`ledger run` that did not stop; Ctrl-C stops it", flush=True)  # fmt: skip
        return NodeLease(config, pid, owned=True)
    print(f"using the local node at {where}, pid {pid}) started by `ledger node start`; "
          "it keeps running when this `ledger run` ends (`ledger node stop` stops it)",
          flush=True)  # fmt: skip
    return NodeLease(config, pid, owned=False)


def release(lease: NodeLease) -> None:
    """Stop the node if this run owns it; otherwise say that it is left running."""
    if lease.owned:
        if localnode.stop(lease.config):
            print(f"local node stopped (pid {lease.pid}; state kept in "
                  f"{lease.config.state_file.parent})", flush=True)  # fmt: skip
        else:
            print(f"local node (pid {lease.pid}) was stopped already", flush=True)
    else:
        print(f"local node left running (pid {lease.pid}): this `ledger run` did not start it",
              flush=True)  # fmt: skip
