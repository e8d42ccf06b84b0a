"""``ledger keys export FILE``: the registrars' signing keys with their validity windows,
read from the chain's OrgDirectory at one block and signed by an exporting key, for
``ledger verify --offline-keys FILE`` on a machine with no network (:mod:`chain.keylist`).

    ledger keys export keys.json --rpc-url URL --registry 0x... --key-file exporter.key
        [--passphrase-file FILE] [--poa]

The exporting key is a file holding a hex private key, or an encrypted keystore (JSON,
eth-keyfile) whose passphrase is read from ``--passphrase-file`` or
``LEDGER_EXPORT_KEY_PASSPHRASE``. Its address is written into the list; give it to the
verifiers to pin (``--trust-exporter``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.middleware import ExtraDataToPOAMiddleware

from chain import keylist
from chain.documents import DocumentError, format_time

PASSPHRASE_ENV = "LEDGER_EXPORT_KEY_PASSPHRASE"


class KeyFileError(RuntimeError):
    """The exporting key cannot be read."""


def load_key(path: Path, passphrase_file: Path | None) -> LocalAccount:
    """The exporting account from a hex private key file or an encrypted keystore."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from exc
    try:
        if not text.startswith("{"):
            account: LocalAccount = Account.from_key(text)
            return account
        if passphrase_file is not None:
            passphrase = passphrase_file.read_text().strip()
        elif os.environ.get(PASSPHRASE_ENV):
            passphrase = os.environ[PASSPHRASE_ENV]
        else:
            raise KeyFileError(
                f"{path} is an encrypted keystore: give --passphrase-file or {PASSPHRASE_ENV}"
            )
        decrypted: LocalAccount = Account.from_key(Account.decrypt(text, passphrase))
        return decrypted
    except KeyFileError:
        raise
    except OSError as exc:
        raise KeyFileError(f"cannot read the passphrase file: {exc.strerror}") from exc
    except Exception as exc:  # a wrong passphrase or a malformed key: say which file
        raise KeyFileError(f"{path} holds no usable private key ({type(exc).__name__})") from exc


def cmd_keys(args: argparse.Namespace) -> int:
    try:
        account = load_key(Path(args.key_file), args.passphrase_file)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not Web3.is_address(args.registry):
        print(f"error: --registry {args.registry!r} is not an address", file=sys.stderr)
        return 2
    w3 = Web3(Web3.HTTPProvider(args.rpc_url, request_kwargs={"timeout": args.timeout}))
    if args.poa:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    try:
        exported = keylist.export(w3, args.registry, account)
    except DocumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the node does not answer
        print(f"error: the chain at {args.rpc_url} could not be read: {exc}", file=sys.stderr)
        return 2
    Path(args.file).write_text(exported.to_json())
    keys = sum(len(r.keys) for r in exported.registrars)
    print(
        f"exported {len(exported.registrars)} registrars and {keys} signing keys of chain "
        f"{exported.chainId} at block {exported.block} ({format_time(exported.exportedAt)}), "
        f"signed by {exported.exporter}, to {args.file}"
    )
    return 0


def add_command(sub: Any) -> None:
    keys = sub.add_parser("keys", help="export the registrars' signing keys for offline checks")
    action = keys.add_subparsers(dest="keys_action", required=True)
    export = action.add_parser("export", help="read, sign and write the registrars' key list")
    export.add_argument("file", help="where to write the signed key list (JSON)")
    export.add_argument("--rpc-url", required=True, help="Ethereum JSON-RPC endpoint")
    export.add_argument("--registry", required=True, help="AssetRegistryV2 contract address")
    export.add_argument(
        "--key-file", required=True,
        help="the exporting key: a hex private key or an encrypted keystore",
    )  # fmt: skip
    export.add_argument("--passphrase-file", type=Path, help="the keystore's passphrase")
    export.add_argument("--poa", action="store_true", help="the chain is a PoA/QBFT chain")
    export.add_argument("--timeout", type=float, default=30.0, help="RPC timeout in seconds")
