"""The ledger's errors: one root, specific children, and contract reverts decoded by name.

Every failure the chain layer reports to its callers is a :class:`LedgerError`. Each
class carries a stable ``code`` (what clients branch on; the API puts it in the
problem+json ``code`` and ``type``), an HTTP ``status`` hint and a human ``title``.
The ``detail`` names the offending values; it never carries a stack trace or a secret.

Contract reverts become :class:`ContractRevert` whose ``code`` is the contract's custom
error name (``CertificateRevoked``) and whose ``args`` are the decoded arguments.
:func:`decode_revert` decodes custom errors from any of the given ABIs, ``Error(string)``
and ``Panic(uint256)``. The HTTP status of a revert comes from the one error table,
``chain.bindings.errors.ERROR_TABLE`` (see :func:`revert_status`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, cast

from eth_abi.abi import decode
from eth_utils.abi import function_abi_to_4byte_selector
from eth_utils.conversions import to_bytes

AbiEntry = Mapping[str, Any]

ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

PANIC_REASONS: dict[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


class LedgerError(Exception):
    """Root of every error the ledger reports; ``code`` is stable, ``detail`` human."""

    code: ClassVar[str] = "ledger-error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Ledger error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        #: extra problem members (JSON-serialisable) the API adds to the body
        self.extra: dict[str, Any] = extra

    @property
    def error_code(self) -> str:
        """The code of this instance (a revert's code is its error name)."""
        return self.code

    @property
    def http_status(self) -> int:
        return self.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.error_code!r}, {self.detail!r})"


class NotAuthenticated(LedgerError):
    code = "not-authenticated"
    status = 401
    title = "Missing or invalid API key"


class NotAuthorised(LedgerError):
    code = "not-authorised"
    status = 403
    title = "Not allowed for this organisation or role"


class NotFound(LedgerError):
    code = "not-found"
    status = 404
    title = "Not found"


class IllegalTransition(LedgerError):
    code = "illegal-transition"
    status = 409
    title = "Not allowed in the current state"


class DisposalNotRequested(IllegalTransition):
    """Confirming a disposal the holder has not requested."""

    code = "disposal-not-requested"
    title = "No disposal was requested for this asset"


class Conflict(LedgerError):
    code = "conflict"
    status = 409
    title = "Conflicts with existing data"


class SigningKeyElsewhere(Conflict):
    """A write as an external organisation: another gateway holds its signing key."""

    code = "signing-key-elsewhere"
    title = "This gateway does not hold the organisation's signing key"


class StaleSigner(Conflict):
    """A write signed with a key that is no longer its organisation's (rotated by another
    gateway process meanwhile): nothing was journaled; submitting again uses the new key."""

    code = "signer-changed"
    title = "The organisation's signing key changed during the write"


class SelfRevocation(Conflict):
    """An admin revoking its own key: refused, so no one locks out the last admin by
    accident (rotate the key instead, or have another admin revoke it)."""

    code = "self-revocation"
    title = "A user does not revoke its own key"


class IdempotencyConflict(Conflict):
    code = "idempotency-conflict"
    title = "Idempotency key reused with another request"


class ValidationFailed(LedgerError):
    code = "validation-failed"
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, errors: Sequence[Mapping[str, Any]] = (), **extra: Any):
        super().__init__(detail, **extra)
        #: ``[{"loc": [...], "msg": str, "type": str}, ...]`` like pydantic's errors
        self.errors: list[dict[str, Any]] = [dict(e) for e in errors]


class Backpressure(LedgerError):
    code = "backpressure"
    status = 429
    title = "Too many transactions in flight"

    def __init__(self, detail: str, retry_after: int = 2, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))


class ChainUnavailable(LedgerError):
    code = "chain-unavailable"
    status = 503
    title = "The chain does not answer"

    def __init__(self, detail: str, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))


class StoreUnavailable(LedgerError):
    """The gateway's database cannot be reached or refuses writes (read-only, full):
    nothing was signed; retry after ``retry_after`` seconds."""

    code = "store-unavailable"
    status = 503
    title = "The gateway's database is unavailable"

    def __init__(self, detail: str, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = max(1, int(retry_after))


class RendererUnavailable(LedgerError):
    """A document cannot be rendered on this gateway (no embeddable font, say): a fault of
    the installation, not of the chain or the request; the detail names what to install."""

    code = "renderer-unavailable"
    status = 503
    title = "The document renderer is not available on this gateway"


class KeystoreUnavailable(LedgerError):
    code = "keystore-unavailable"
    status = 503
    title = "A signing key cannot be unlocked"


class OperationFailed(LedgerError):
    """A journaled transaction reverted or was dropped (reported by ``wait``)."""

    code = "operation-failed"
    status = 409
    title = "The transaction did not succeed"


# -- contract reverts ---------------------------------------------------------------

_STATUS_BY_NAME: dict[str, int] = {}


def register_revert_status(name: str, status: int) -> None:
    """Pin the HTTP status of an error name outside the contracts' table (test probes)."""
    _STATUS_BY_NAME[name] = status


def revert_status(name: str) -> int:
    """HTTP status of a revert: from the one error table (``chain.bindings.errors``), else
    a pinned status, else 422."""
    from chain.bindings.errors import ERROR_TABLE, status_of

    if name in ERROR_TABLE:
        return status_of(name)
    return _STATUS_BY_NAME.get(name, 422)


def jsonable(value: Any) -> Any:
    """ABI values as JSON: bytes as 0x hex, tuples as lists, big ints kept exact."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


class ContractRevert(LedgerError):
    """The contract refused the call; ``error_code`` is its custom error's name."""

    code = "contract-revert"
    status = 422
    title = "The contract refused the call"

    def __init__(
        self,
        name: str,
        args: Mapping[str, Any] | None = None,
        *,
        detail: str | None = None,
        selector: str | None = None,
        raw: bytes = b"",
    ) -> None:
        self.name = name
        #: decoded arguments by parameter name (``arg0``... when unnamed), JSON-ready
        self.args_by_name: dict[str, Any] = {k: jsonable(v) for k, v in (args or {}).items()}
        self.selector = selector
        self.raw = raw
        if detail is None:
            shown = ", ".join(f"{k}={v}" for k, v in self.args_by_name.items())
            detail = f"the contract reverted with {name}({shown})"
            if name == "AssetNotUsable" and "part" in self.args_by_name:
                from chain.bindings.enums import Usability, usability_words

                part = int(self.args_by_name["part"])
                detail = (
                    f"asset {self.args_by_name.get('assetId')} is not usable: "
                    f"{usability_words(part)} ({Usability.name_of(part)})"
                )
        super().__init__(detail)

    @property
    def error_code(self) -> str:
        return self.name

    @property
    def http_status(self) -> int:
        return revert_status(self.name)

    @property
    def contract_error(self) -> dict[str, Any]:
        """``{"name": ..., "args": {...}}`` as the API shows it."""
        return {"name": self.name, "args": self.args_by_name}


def abi_type(param: Mapping[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def error_selectors(abis: Iterable[Iterable[AbiEntry]]) -> dict[bytes, AbiEntry]:
    """4-byte selector -> custom error ABI entry over several ABIs."""
    found: dict[bytes, AbiEntry] = {}
    for abi in abis:
        for entry in abi:
            if entry.get("type") == "error":
                found.setdefault(function_abi_to_4byte_selector(cast(Any, dict(entry))), entry)
    return found


def _as_abi_list(abi_list: Iterable[Any]) -> list[list[AbiEntry]]:
    """Accept one ABI (list of entries) or several ABIs (list of lists)."""
    items = list(abi_list)
    if items and isinstance(items[0], Mapping):
        return [items]
    return [list(a) for a in items]


def decode_revert(abi_list: Iterable[Any], revert_data: bytes | str | None) -> ContractRevert:
    """Decode revert data into a :class:`ContractRevert`.

    ``abi_list`` is one ABI or a list of ABIs whose custom errors may match. Handles
    custom errors, ``Error(string)``, ``Panic(uint256)``, empty data and unknown selectors.
    """
    data = _to_bytes(revert_data)
    if len(data) < 4:
        return ContractRevert("Reverted", detail="the contract reverted without a reason", raw=data)
    selector, body = data[:4], data[4:]
    try:
        if selector == ERROR_STRING_SELECTOR:
            (reason,) = decode(["string"], body)
            return ContractRevert(
                "Error",
                {"reason": reason},
                detail=f"the contract reverted: {reason}",
                selector="0x" + selector.hex(),
                raw=data,
            )
        if selector == PANIC_SELECTOR:
            (code,) = decode(["uint256"], body)
            why = PANIC_REASONS.get(int(code), "unknown panic")
            return ContractRevert(
                "Panic",
                {"code": int(code)},
                detail=f"the contract panicked: {why} (0x{code:02x})",
                selector="0x" + selector.hex(),
                raw=data,
            )
        entry = error_selectors(_as_abi_list(abi_list)).get(selector)
        if entry is not None:
            inputs = list(entry.get("inputs", []))
            values = decode([abi_type(p) for p in inputs], body)
            named = {
                (p.get("name") or f"arg{i}"): v
                for i, (p, v) in enumerate(zip(inputs, values, strict=True))
            }
            return ContractRevert(
                str(entry["name"]), named, selector="0x" + selector.hex(), raw=data
            )
    except Exception:  # malformed revert data: report it as unknown, never crash
        pass
    return ContractRevert(
        "UnknownError",
        {"selector": "0x" + selector.hex(), "data": "0x" + data.hex()},
        detail=f"the contract reverted with an unknown error 0x{selector.hex()}",
        selector="0x" + selector.hex(),
        raw=data,
    )


def _to_bytes(value: bytes | str | None) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    text = value.strip()
    if not text or text == "0x":
        return b""
    try:
        return to_bytes(hexstr=text)
    except ValueError:
        return b""


def revert_data_of(exc: BaseException) -> bytes | None:
    """The raw revert data carried by a web3 exception, or None when it carries none."""
    data: Any = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if data is None and exc.args:
        for arg in exc.args:
            if isinstance(arg, dict) and isinstance(arg.get("data"), str):
                data = arg["data"]
            elif isinstance(arg, str) and re.fullmatch(r"0x[0-9a-fA-F]*", arg):
                data = arg
    if data is None:
        return None
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str):
        match = re.search(r"0x[0-9a-fA-F]*", data)
        return _to_bytes(match.group(0)) if match else None
    return None


def revert_from_exception(exc: BaseException, abi_list: Iterable[Any]) -> ContractRevert:
    """A web3 revert exception (ContractLogicError and its kin) as a ContractRevert."""
    data = revert_data_of(exc)
    if data:
        return decode_revert(abi_list, data)
    message = str(getattr(exc, "message", None) or exc)
    message = message.removeprefix("execution reverted: ").removeprefix("execution reverted")
    if message.startswith(("b'", 'b"')):  # eth-tester puts the revert bytes' repr here
        try:
            raw = ast.literal_eval(message)
        except (ValueError, SyntaxError):
            raw = None
        if isinstance(raw, bytes):
            return decode_revert(abi_list, raw)
    if message.strip():
        return ContractRevert(
            "Error", {"reason": message.strip()}, detail=f"the contract reverted: {message.strip()}"
        )
    return decode_revert(abi_list, b"")
