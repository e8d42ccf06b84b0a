"""Load the committed contract artifacts (never compiles at run time)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chain.paths import ARTIFACTS_DIR


class ArtifactMissing(LookupError):
    """No artifact with that contract name; run ``make contracts``."""


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str

    @property
    def code_size(self) -> int:
        return (len(self.deployed_bytecode) - 2) // 2


@lru_cache(maxsize=64)
def load(name: str) -> Artifact:
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.exists():
        raise ArtifactMissing(f"no artifact for {name}; run `make contracts`")
    data = json.loads(path.read_text())
    return Artifact(
        name=name,
        abi=data["abi"],
        bytecode=data["bytecode"],
        deployed_bytecode=data["deployedBytecode"],
    )


def manifest() -> dict[str, Any]:
    path = ARTIFACTS_DIR / "manifest.json"
    if not path.exists():
        raise ArtifactMissing("no artifact manifest; run `make contracts`")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
