"""Well-known locations inside the repository and the local state folder."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
TOOLCHAIN_DIR = Path(__file__).resolve().parent / "toolchain"
SOLC_SHIM = TOOLCHAIN_DIR / "solc"
NODE_MODULES = REPO_ROOT / "node_modules"
LOCALNODE_TOML = REPO_ROOT / "localnode.toml"
DEFAULT_VAR_DIR = REPO_ROOT / "var"
