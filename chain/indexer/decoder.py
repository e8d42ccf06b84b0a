"""Decode raw ``eth_getLogs`` results without web3.

web3's ``process_log`` decodes ~3,600 events/s here; decoding the raw JSON-RPC result
with a precomputed ``(address, topic0) -> event`` map does tens of thousands per second.
Decoded arguments are JSON values: bytes as ``0x`` hex, addresses checksummed, structs as
objects keyed by component name, integers as integers.

Each event's layout is compiled once into readers that slice the ABI encoding's 32-byte
words straight into those JSON values (integers, booleans, addresses, fixed bytes, bytes,
strings, arrays and tuples); eth_abi's generic decoder and the normalisation pass after it
cost most of an event's time. Anything a reader does not accept as well-formed (padding
that is not zero, an offset or length outside the data, a type it does not know, text
that is not UTF-8) goes to eth_abi, which decodes it or raises as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from sha3 import keccak_256

Normaliser = Callable[[Any], Any]
JSONRecord = dict[str, Any]


@dataclass(frozen=True)
class ContractSpec:
    """One contract the indexer follows."""

    name: str
    address: str
    abi: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class DecodedLog:
    contract: str
    address: str
    event: str
    args: JSONRecord
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical type string of an ABI parameter (tuples expanded)."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def event_signature(event: Mapping[str, Any]) -> str:
    return f"{event['name']}({','.join(abi_type(i) for i in event['inputs'])})"


def event_topic(event: Mapping[str, Any]) -> str:
    return "0x" + keccak(text=event_signature(event)).hex()


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex()


def _identity(value: Any) -> Any:
    return value


_HEX = frozenset("0123456789abcdef")
#: EIP-55 masks: 0x20 where a digest nibble is 8 or more, and where a character is a letter
_HIGH_NIBBLE = bytes(0x20 if chr(b) in "89abcdef" else 0 for b in range(256))
_LETTER = bytes(0x20 if chr(b) in "abcdef" else 0 for b in range(256))
#: checksummed addresses by their 40 lowercase hex digits (a ledger reuses its accounts)
_CHECKSUMMED: dict[str, str] = {}
_CHECKSUMMED_MAX = 65_536


def _checksummed(low: str) -> str:
    """``0x`` + the EIP-55 form of 40 lowercase hex digits: one keccak, and the letters
    whose digest nibble is 8 or more turned upper case with one XOR of the whole text."""
    found = _CHECKSUMMED.get(low)
    if found is None:
        text = low.encode()
        digest = keccak_256(text).hexdigest()[:40].encode()
        flip = int.from_bytes(digest.translate(_HIGH_NIBBLE), "big") & int.from_bytes(
            text.translate(_LETTER), "big"
        )
        found = "0x" + (int.from_bytes(text, "big") ^ flip).to_bytes(40, "big").decode()
        if len(_CHECKSUMMED) >= _CHECKSUMMED_MAX:
            _CHECKSUMMED.clear()
        _CHECKSUMMED[low] = found
    return found


def _address(value: Any) -> str:
    """Checksummed (EIP-55); a lowercase ``0x`` address directly, anything else through
    eth_utils."""
    if isinstance(value, str) and len(value) == 42 and value[:2] == "0x":
        low = value[2:]
        if low in _CHECKSUMMED or _HEX.issuperset(low):
            return _checksummed(low)
    return str(to_checksum_address(value))


def normaliser(param: Mapping[str, Any]) -> Normaliser:
    """A function turning eth_abi's value for ``param`` into a JSON value."""
    kind = str(param["type"])
    if kind.endswith("]"):
        inner = dict(param)
        inner["type"] = kind[: kind.rindex("[")]
        item = normaliser(inner)
        return lambda values: [item(v) for v in values]
    if kind == "tuple":
        names = [str(c["name"]) for c in param["components"]]
        parts = [normaliser(c) for c in param["components"]]
        pairs = list(zip(names, parts, strict=True))
        return lambda values: {n: f(v) for (n, f), v in zip(pairs, values, strict=True)}
    if kind == "address":
        return _address
    if kind.startswith("bytes"):
        return _hex
    return _identity


class _Irregular(Exception):
    """Data a word reader does not take: decoded (or refused) by eth_abi instead."""


Reader = Callable[[bytes, int], Any]


@dataclass(frozen=True)
class _Layout:
    """How to read one ABI type at an offset: dynamic or its static size, and the reader."""

    dynamic: bool
    size: int  # bytes in the head when static
    read: Reader


def _word_int(buf: bytes, pos: int) -> int:
    end = pos + 32
    if pos < 0 or end > len(buf):
        raise _Irregular
    return int.from_bytes(buf[pos:end], "big")


def _offset(buf: bytes, pos: int) -> int:
    value = _word_int(buf, pos)
    if value > len(buf):
        raise _Irregular
    return value


def _uint(bits: int) -> Reader:
    limit = 1 << bits

    def read(buf: bytes, pos: int) -> int:
        value = _word_int(buf, pos)
        if value >= limit:
            raise _Irregular
        return value

    return read


def _int(bits: int) -> Reader:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)

    def read(buf: bytes, pos: int) -> int:
        end = pos + 32
        if pos < 0 or end > len(buf):
            raise _Irregular
        value = int.from_bytes(buf[pos:end], "big", signed=True)
        if not low <= value < high:
            raise _Irregular
        return value

    return read


def _read_bool(buf: bytes, pos: int) -> bool:
    value = _word_int(buf, pos)
    if value > 1:
        raise _Irregular
    return value == 1


def _read_address(buf: bytes, pos: int) -> str:
    end = pos + 32
    if pos < 0 or end > len(buf) or any(buf[pos : pos + 12]):
        raise _Irregular
    return _checksummed(buf[pos + 12 : end].hex())


def _fixed_bytes(size: int) -> Reader:
    def read(buf: bytes, pos: int) -> str:
        end = pos + 32
        if pos < 0 or end > len(buf) or any(buf[pos + size : end]):
            raise _Irregular
        return "0x" + buf[pos : pos + size].hex()

    return read


def _dynamic_bytes(buf: bytes, pos: int) -> bytes:
    length = _word_int(buf, pos)
    start = pos + 32
    end = start + length
    padded = start + (length + 31) // 32 * 32
    if padded > len(buf) or any(buf[end:padded]):
        raise _Irregular
    return buf[start:end]


def _read_bytes(buf: bytes, pos: int) -> str:
    return "0x" + _dynamic_bytes(buf, pos).hex()


def _read_string(buf: bytes, pos: int) -> str:
    try:
        return _dynamic_bytes(buf, pos).decode("utf-8")
    except UnicodeDecodeError:
        raise _Irregular from None


def _tuple_layout(names: Sequence[str], parts: Sequence[_Layout]) -> _Layout:
    """A tuple (also an event's data): heads in order, dynamic parts by offset."""
    heads: list[tuple[str, _Layout, int]] = []
    at = 0
    for name, part in zip(names, parts, strict=True):
        heads.append((name, part, at))
        at += 32 if part.dynamic else part.size
    dynamic = any(part.dynamic for part in parts)

    def read(buf: bytes, pos: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, part, head in heads:
            if part.dynamic:
                out[name] = part.read(buf, pos + _offset(buf, pos + head))
            else:
                out[name] = part.read(buf, pos + head)
        return out

    return _Layout(dynamic, 0 if dynamic else at, read)


def _items(item: _Layout, buf: bytes, start: int, count: int) -> list[Any]:
    if count * 32 > len(buf):
        raise _Irregular
    if item.dynamic:
        return [item.read(buf, start + _offset(buf, start + 32 * n)) for n in range(count)]
    return [item.read(buf, start + item.size * n) for n in range(count)]


def _layout(kind: str, components: Sequence[Mapping[str, Any]] | None = None) -> _Layout | None:
    """The word reader of ABI type ``kind``; None for a type read by eth_abi."""
    if kind.endswith("]"):
        item = _layout(kind[: kind.rindex("[")], components)
        if item is None:
            return None
        count_text = kind[kind.rindex("[") + 1 : -1]
        if not count_text:  # T[]: a length word, then the items

            def read_list(buf: bytes, pos: int) -> list[Any]:
                return _items(item, buf, pos + 32, _word_int(buf, pos))

            return _Layout(True, 0, read_list)
        count = int(count_text)

        def read_fixed(buf: bytes, pos: int) -> list[Any]:
            return _items(item, buf, pos, count)

        return _Layout(item.dynamic, 0 if item.dynamic else item.size * count, read_fixed)
    if kind == "tuple":
        if components is None:
            return None
        parts = [_layout(str(c["type"]), c.get("components")) for c in components]
        if any(part is None for part in parts):
            return None
        names = [str(c["name"]) for c in components]
        return _tuple_layout(names, [part for part in parts if part is not None])
    if kind == "address":
        return _Layout(False, 32, _read_address)
    if kind == "bool":
        return _Layout(False, 32, _read_bool)
    if kind == "bytes":
        return _Layout(True, 0, _read_bytes)
    if kind == "string":
        return _Layout(True, 0, _read_string)
    for prefix, make in (("uint", _uint), ("int", _int)):
        if kind.startswith(prefix) and kind[len(prefix) :].isdigit():
            return _Layout(False, 32, make(int(kind[len(prefix) :])))
    if kind.startswith("bytes") and kind[5:].isdigit() and 1 <= int(kind[5:]) <= 32:
        return _Layout(False, 32, _fixed_bytes(int(kind[5:])))
    return None


def _is_dynamic(param: Mapping[str, Any]) -> bool:
    kind = str(param["type"])
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("tuple")


@dataclass(frozen=True)
class _EventDecoder:
    contract: str
    name: str
    indexed: tuple[tuple[str, str, Normaliser | None], ...]  # name, type, None = keep hash
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    data_norms: tuple[Normaliser, ...]
    order: tuple[str, ...]
    #: word readers: per indexed value (None: kept as its topic), and of the data
    fast_indexed: tuple[Reader | None, ...] | None = None
    fast_data: Reader | None = None

    def decode(self, topics: Sequence[str], data: str) -> JSONRecord:
        if self.fast_indexed is not None and self.fast_data is not None:
            try:
                return self._decode_words(topics, data)
            except (_Irregular, ValueError):
                pass  # eth_abi decodes it, or raises what it raises
        return self.decode_with_eth_abi(topics, data)

    def _decode_words(self, topics: Sequence[str], data: str) -> JSONRecord:
        assert self.fast_indexed is not None and self.fast_data is not None
        values: dict[str, Any] = self.fast_data(bytes.fromhex(data[2:]), 0)
        if len(topics) != len(self.indexed) + 1:
            raise _Irregular
        for (name, _kind, _norm), read, topic in zip(
            self.indexed, self.fast_indexed, topics[1:], strict=True
        ):
            values[name] = topic if read is None else read(bytes.fromhex(topic[2:]), 0)
        return {name: values[name] for name in self.order}

    def decode_with_eth_abi(self, topics: Sequence[str], data: str) -> JSONRecord:
        """The same record through eth_abi's decoder and the normalisers."""
        values: dict[str, Any] = {}
        for (name, kind, norm), topic in zip(self.indexed, topics[1:], strict=True):
            if norm is None:
                values[name] = topic
            else:
                values[name] = norm(abi_decode([kind], bytes.fromhex(topic[2:]))[0])
        if self.data_types:
            decoded = abi_decode(list(self.data_types), bytes.fromhex(data[2:]))
            for name, norm, value in zip(self.data_names, self.data_norms, decoded, strict=True):
                values[name] = norm(value)
        return {name: values[name] for name in self.order}


def _event_decoder(contract: str, event: Mapping[str, Any]) -> _EventDecoder:
    indexed: list[tuple[str, str, Normaliser | None]] = []
    names: list[str] = []
    types: list[str] = []
    norms: list[Normaliser] = []
    for param in event["inputs"]:
        if param.get("indexed"):
            norm = None if _is_dynamic(param) else normaliser(param)
            indexed.append((str(param["name"]), abi_type(param), norm))
        else:
            names.append(str(param["name"]))
            types.append(abi_type(param))
            norms.append(normaliser(param))
    fast_indexed: list[Reader | None] = []
    for param in event["inputs"]:
        if param.get("indexed"):
            found = None if _is_dynamic(param) else _layout(str(param["type"]), None)
            fast_indexed.append(None if found is None else found.read)
    data = [p for p in event["inputs"] if not p.get("indexed")]
    parts = [_layout(str(p["type"]), p.get("components")) for p in data]
    complete = all(part is not None for part in parts) and all(
        read is not None or _is_dynamic(p)
        for read, p in zip(fast_indexed, [q for q in event["inputs"] if q.get("indexed")],
                           strict=True)
    )  # fmt: skip
    fast_data = (
        _tuple_layout(names, [part for part in parts if part is not None]).read
        if complete
        else None
    )
    return _EventDecoder(
        contract=contract,
        name=str(event["name"]),
        indexed=tuple(indexed),
        data_names=tuple(names),
        data_types=tuple(types),
        data_norms=tuple(norms),
        order=tuple(str(p["name"]) for p in event["inputs"]),
        fast_indexed=tuple(fast_indexed) if complete else None,
        fast_data=fast_data,
    )


def word_reader(event: Mapping[str, Any]) -> Callable[[Sequence[str], str], JSONRecord] | None:
    """Reads one event's log straight from its words (``topics``, ``data`` as ``0x`` hex)
    into the indexer's JSON record; None when the readers do not know every parameter.
    The reader raises on a log it does not accept as well-formed."""
    decoder = _event_decoder("", event)
    return decoder._decode_words if decoder.fast_data is not None else None


class UnknownLog(LookupError):
    """A log whose address and topic0 match no event of the followed contracts."""


class LogDecoder:
    """Decodes raw logs of a fixed set of contracts: ``(address, topic0) -> event``."""

    def __init__(self, contracts: Iterable[ContractSpec], *, words: bool = True) -> None:
        """``words=False``: every event through eth_abi's decoder (the benchmarks'
        baseline)."""
        self.contracts = tuple(contracts)
        self.words = words
        self._by_key: dict[tuple[str, str], _EventDecoder] = {}
        for spec in self.contracts:
            address = spec.address.lower()
            for item in spec.abi:
                if item.get("type") != "event" or item.get("anonymous"):
                    continue
                self._by_key[(address, event_topic(item))] = _event_decoder(spec.name, item)

    @property
    def addresses(self) -> list[str]:
        return [str(to_checksum_address(c.address)) for c in self.contracts]

    def event_names(self) -> set[str]:
        return {d.name for d in self._by_key.values()}

    def decode(self, log: Mapping[str, Any]) -> DecodedLog | None:
        """Decode one raw JSON-RPC log (hex strings); None for logs of unknown events."""
        topics: Sequence[str] = log["topics"]
        if not topics:
            return None
        decoder = self._by_key.get((str(log["address"]).lower(), str(topics[0]).lower()))
        if decoder is None:
            return None
        data = str(log["data"])
        return DecodedLog(
            contract=decoder.contract,
            address=_address(str(log["address"]).lower()),
            event=decoder.name,
            args=decoder.decode(topics, data)
            if self.words
            else decoder.decode_with_eth_abi(topics, data),
            block_number=int(log["blockNumber"], 16),
            block_hash=str(log["blockHash"]).lower(),
            tx_hash=str(log["transactionHash"]).lower(),
            log_index=int(log["logIndex"], 16),
        )

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedLog]:
        out: list[DecodedLog] = []
        for log in logs:
            if log.get("removed"):
                continue
            decoded = self.decode(log)
            if decoded is not None:
                out.append(decoded)
        return out
