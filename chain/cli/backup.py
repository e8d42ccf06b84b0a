"""``ledger backup DIR`` and ``ledger restore DIR``: local operator commands on this
host's ``LEDGER_VAR_DIR`` and ``LEDGER_DATABASE_URL`` (they never call the gateway).

    ledger backup DIR [--include-secrets] [--database-format native|jsonl]
    ledger restore DIR [--force] [--check]

Exit codes: 0 done, 2 refused (the message says why: a non-empty folder or target, a
backup that does not match its manifest, another chain).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chain import backup
from chain.settings import LedgerSettings


def _node_head(settings: LedgerSettings) -> int:
    """The node's head block over JSON-RPC (local or rpc mode), within 3 seconds."""
    import urllib.request

    from chain.cli.operator import node_config

    url = settings.rpc_url if settings.chain == "rpc" else node_config(settings).url
    if not url:
        raise RuntimeError("no node URL")
    request = urllib.request.Request(
        url,
        data=json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=3) as response:
        return int(json.loads(response.read())["result"], 16)


def _summary(manifest: dict[str, Any]) -> str:
    database = manifest["database"]
    return (
        f"chain {manifest['chain_id']}, head block {manifest['head_block']} "
        f"({manifest['head_block_source']}), {len(manifest['files'])} files, database as "
        f"{database['kind']}, {manifest['pending_operations']} operations not yet mined, "
        f"product {manifest['product_version']}"
    )


def cmd_backup(args: argparse.Namespace) -> int:
    settings = LedgerSettings()
    head = None if settings.chain == "memory" else (lambda: _node_head(settings))
    try:
        manifest = backup.create_backup(
            settings,
            Path(args.dir),
            include_secrets=args.include_secrets,
            database_format=args.database_format,
            head_block=head,
        )
    except backup.BackupError as exc:
        print(f"backup refused: {exc}", file=sys.stderr)
        return 2
    print(f"backup written to {args.dir}: {_summary(manifest)}")
    if not args.include_secrets:
        print("  keystore passphrase not included: keep it apart from the backup "
              "(LEDGER_KEYSTORE_PASSPHRASE / _FILE)")  # fmt: skip
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    settings = LedgerSettings()
    try:
        if args.check:
            manifest = backup.verify_backup(Path(args.dir))
            print(f"backup in {args.dir} matches its manifest: {_summary(manifest)}")
            return 0
        manifest = backup.restore_backup(settings, Path(args.dir), force=args.force)
    except backup.BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.dir} into {settings.var_dir}: {_summary(manifest)}")
    print("  start the gateway: it re-sends every journaled transaction the chain lacks")
    return 0


def add_commands(sub: Any, commands: dict[str, Any]) -> None:
    made = sub.add_parser("backup", help="back up the database, keystores and deployment "
                          "records into a new folder")  # fmt: skip
    made.add_argument("dir", help="an empty or new folder")
    made.add_argument("--include-secrets", action="store_true",
                      help="also copy var/secrets (the generated keystore passphrase)")  # fmt: skip
    made.add_argument("--database-format", choices=["native", "jsonl"], default="native",
                      help="native: a SQLite file for SQLite, JSON lines otherwise")  # fmt: skip
    commands["backup"] = cmd_backup
    restore = sub.add_parser("restore", help="restore a backup into this host's var dir "
                             "and database")  # fmt: skip
    restore.add_argument("dir", help="a folder written by `ledger backup`")
    restore.add_argument("--force", action="store_true",
                         help="replace the state the target holds already")  # fmt: skip
    restore.add_argument("--check", action="store_true",
                         help="only verify the backup against its manifest")  # fmt: skip
    commands["restore"] = cmd_restore
