"""Custody of signing keys: encrypted keystores (eth-keyfile) under ``var/keys``.

The passphrase comes from ``LEDGER_KEYSTORE_PASSPHRASE``, a file named by
``LEDGER_KEYSTORE_PASSPHRASE_FILE``, or (local and memory modes only) a random secret
generated once into ``var/secrets/keystore-passphrase`` with mode 0600. Keys are never
logged, returned by the API or written unencrypted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keyfile.keyfile import create_keyfile_json, decode_keyfile_json

from chain.settings import LedgerSettings

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
# scrypt work factor: strong enough for keys at rest, quick enough for a gateway start.
SCRYPT_N = 2**14


class KeystoreError(RuntimeError):
    """A keystore is missing, or its passphrase is wrong or unavailable."""


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def passphrase(settings: LedgerSettings) -> str:
    if settings.keystore_passphrase is not None:
        return settings.keystore_passphrase.get_secret_value()
    if settings.keystore_passphrase_file is not None:
        return settings.keystore_passphrase_file.read_text().strip()
    if settings.chain == "rpc":
        raise KeystoreError(
            "set LEDGER_KEYSTORE_PASSPHRASE or LEDGER_KEYSTORE_PASSPHRASE_FILE for rpc mode"
        )
    secret_file = settings.var_dir / "secrets" / "keystore-passphrase"
    if not secret_file.exists():
        _write_private(secret_file, secrets.token_urlsafe(32))
    return secret_file.read_text().strip()


class KeyStore:
    """Named encrypted keystores in one folder; decrypted keys are cached in memory."""

    def __init__(self, folder: Path, secret: str) -> None:
        self.folder = folder
        self._secret = secret
        self._cache: dict[str, LocalAccount] = {}

    @classmethod
    def from_settings(cls, settings: LedgerSettings) -> KeyStore:
        return cls(settings.keys_dir, passphrase(settings))

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise KeystoreError(f"invalid key name {name!r}")
        return self.folder / f"{name}.json"

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def create(self, name: str) -> LocalAccount:
        path = self._path(name)
        if path.exists():
            raise KeystoreError(f"key {name!r} exists already")
        account: LocalAccount = Account.create()
        keyfile = create_keyfile_json(
            bytes(account.key), self._secret.encode(), kdf="scrypt", iterations=SCRYPT_N
        )
        _write_private(path, json.dumps(keyfile))
        self._cache[name] = account
        return account

    def load(self, name: str) -> LocalAccount:
        if name in self._cache:
            return self._cache[name]
        path = self._path(name)
        if not path.exists():
            raise KeystoreError(f"no key named {name!r}")
        try:
            keyfile = json.loads(path.read_text())
            key = decode_keyfile_json(keyfile, self._secret.encode())
        except ValueError as exc:
            raise KeystoreError(f"cannot decrypt key {name!r}: wrong passphrase") from exc
        account: LocalAccount = Account.from_key(key)
        self._cache[name] = account
        return account

    def get_or_create(self, name: str) -> LocalAccount:
        return self.load(name) if self.exists(name) else self.create(name)

    def address(self, name: str) -> str:
        data = json.loads(self._path(name).read_text())
        return "0x" + str(data["address"]).removeprefix("0x")

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.json"))
