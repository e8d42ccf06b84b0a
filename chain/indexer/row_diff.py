"""Differences between a stored row and the row the chain implies, as report entries.

Every entry names the table, the row's key, the field and both values: ``store`` is what
the store holds, ``chain`` what the chain's events imply. A missing row has only
``chain`` (the whole expected row), an extra row only ``store`` (the whole stored row).
Values compare strictly: ``1`` and ``true`` differ, as JSON tells them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

Difference = dict[str, Any]
Change = Literal["changed", "missing", "extra"]
_ABSENT = object()


def key_id(key: Mapping[str, Any]) -> str:
    """The key as one string, parts joined by ``/`` (``0xab…``, ``1234/5``, ``0xcd…/2``)."""
    return "/".join(str(v) for v in key.values())


def _entry(
    change: Change, table: str, key: Mapping[str, Any], field: str | None, store: Any, chain: Any
) -> Difference:
    return {
        "kind": "row", "change": change, "table": table, "key": dict(key), "id": key_id(key),
        "field": field, "store": store, "chain": chain,
    }  # fmt: skip


def missing(table: str, key: Mapping[str, Any], expected: Mapping[str, Any]) -> Difference:
    return _entry("missing", table, key, None, None, dict(expected))


def extra(table: str, key: Mapping[str, Any], stored: Mapping[str, Any]) -> Difference:
    return _entry("extra", table, key, None, dict(stored), None)


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: same type (bool is not int) and same value, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _nested(path: str, stored: Any, expected: Any) -> Iterable[tuple[str, Any, Any]]:
    """(dotted path, stored, expected) of every leaf that differs; objects are walked."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        for name in sorted(stored.keys() | expected.keys()):
            a = stored.get(name, _ABSENT)
            b = expected.get(name, _ABSENT)
            if a is _ABSENT or b is _ABSENT:
                yield f"{path}.{name}", None if a is _ABSENT else a, None if b is _ABSENT else b
            else:
                yield from _nested(f"{path}.{name}", a, b)
    elif not same(stored, expected):
        yield path, stored, expected


def changed(
    table: str,
    key: Mapping[str, Any],
    stored: Mapping[str, Any],
    expected: Mapping[str, Any],
    fields: Iterable[str],
) -> list[Difference]:
    """One entry per differing field (inside JSON objects, per differing member)."""
    out: list[Difference] = []
    for name in fields:
        for path, a, b in _nested(name, stored.get(name), expected.get(name)):
            out.append(_entry("changed", table, key, path, a, b))
    return out
