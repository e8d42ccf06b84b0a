"""Decode Solidity custom-error reverts into (name, args) and assert on them.

Generic: works for any contract ABI. ``expect_revert(fn, abi, "ErrorName", *args)``
calls ``fn`` (a transaction or an ``eth_call``) and fails unless it reverts with that
custom error and exactly those arguments (``...`` as an argument matches anything).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from eth_abi import decode
from eth_utils import function_abi_to_4byte_selector, to_bytes

AbiEntry = dict[str, Any]


def _type_string(param: AbiEntry) -> str:
    """The canonical ABI type of one parameter (tuples expanded)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_type_string(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def error_selectors(abi: Iterable[AbiEntry]) -> dict[bytes, AbiEntry]:
    """Map 4-byte selector -> error ABI entry for every custom error in ``abi``."""
    return {
        function_abi_to_4byte_selector(entry): entry
        for entry in abi
        if entry.get("type") == "error"
    }


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def revert_data(exc: BaseException) -> bytes:
    """The raw revert data carried by an exception (empty when there is none).

    Understands web3's ``ContractLogicError.data`` (hex string or dict) and eth-tester's
    ``TransactionFailed`` (raw bytes, possibly wrapped as ``"execution reverted: b'...'"``),
    following the exception chain.
    """
    chain = list(_exception_chain(exc))
    for err in chain:  # raw bytes first: exact, no parsing
        data: Any = getattr(err, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, bytes) and data:
            return data
        if isinstance(data, str) and data.startswith("0x") and len(data) > 2:
            return to_bytes(hexstr=data)
        for arg in err.args:
            if isinstance(arg, bytes) and len(arg) >= 4:
                return arg
    for err in chain:  # then messages such as "execution reverted: b'...'" or "0x..."
        for arg in err.args:
            if not isinstance(arg, str):
                continue
            text = arg.removeprefix("execution reverted: ").strip()
            if text.startswith("0x") and len(text) >= 10:
                return to_bytes(hexstr=text)
            if text.startswith(("b'", 'b"')):
                try:
                    value = ast.literal_eval(text)
                except (SyntaxError, ValueError):
                    continue
                if isinstance(value, bytes) and len(value) >= 4:
                    return value
    return b""


def decode_custom_error(exc: BaseException, abi: Iterable[AbiEntry]) -> tuple[str, tuple[Any, ...]]:
    """Return ``(error name, decoded args)`` for a custom-error revert.

    Raises ``ValueError`` when the revert is not one of the ABI's custom errors.
    """
    data = revert_data(exc)
    if len(data) < 4:
        raise ValueError(f"revert without custom-error data: {exc!r}")
    entry = error_selectors(abi).get(data[:4])
    if entry is None:
        raise ValueError(f"unknown error selector 0x{data[:4].hex()} in {exc!r}")
    types = [_type_string(p) for p in entry["inputs"]]
    return entry["name"], tuple(decode(types, data[4:]))


def _matches(expected: Sequence[Any], actual: Sequence[Any]) -> bool:
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual, strict=True):
        if want is ...:
            continue
        if isinstance(want, str) and isinstance(got, str):
            if want.lower() != got.lower():
                return False
        elif isinstance(want, bytes | bytearray) and isinstance(got, bytes):
            if bytes(want) != got:
                return False
        elif isinstance(want, tuple | list) and isinstance(got, tuple | list):
            if not _matches(want, got):
                return False
        elif want != got:
            return False
    return True


def expect_revert(
    call: Callable[[], Any], abi: Iterable[AbiEntry], name: str, *args: Any
) -> tuple[Any, ...]:
    """Run ``call``; assert it reverts with custom error ``name`` and ``args``.

    Enum arguments may be passed as ints (or IntEnum members). Returns the decoded args.
    """
    try:
        call()
    except Exception as exc:  # web3 and eth-tester raise different types
        if not revert_data(exc):
            raise
        got_name, got_args = decode_custom_error(exc, abi)
    else:
        raise AssertionError(f"expected revert {name}{args}, but the call succeeded")
    assert got_name == name, f"expected {name}{args}, got {got_name}{got_args}"
    if args:
        assert _matches(args, got_args), f"expected {name}{args}, got {got_name}{got_args}"
    return got_args
