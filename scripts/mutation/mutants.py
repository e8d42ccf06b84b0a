"""Source-level mutants of a Solidity file: one small change each, on code only (comments
and string literals are left alone).

Operators (the name recorded with every mutant):

- ``ror``: relational swaps ``<`` <-> ``<=``, ``>`` <-> ``>=`` (the boundary), ``==`` <-> ``!=``
- ``aor``: arithmetic ``+`` <-> ``-`` and ``+=`` <-> ``-=``
- ``lor``: ``&&`` <-> ``||``
- ``bool``: ``true`` <-> ``false``
- ``revert``: a ``revert Error(...)`` statement (and so an if-revert check) becomes ``{}``
- ``emit``: an ``emit Event(...)`` statement becomes ``{}``
- ``store``: an assignment, increment or ``delete`` of contract storage (a private state
  variable, named ``_x``, or a ``storage`` pointer) becomes ``{}``
- ``check``: a call statement to an access or state check (``_only*``, ``_require*``,
  ``_check*``) becomes ``{}``
- ``role``: the organisation kind a caller check demands is swapped for another kind
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    id: str
    contract: str
    path: str
    operator: str
    line: int
    start: int
    end: int
    original: str
    replacement: str

    def apply(self, source: str) -> str:
        assert source[self.start : self.end] == self.original, "source changed under the mutant"
        return source[: self.start] + self.replacement + source[self.end :]

    def describe(self) -> str:
        before = " ".join(self.original.split())
        if len(before) > 70:
            before = before[:67] + "..."
        return f"{self.operator}: `{before}` -> `{self.replacement}`"


ROR = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
AOR = {"+": "-", "-": "+", "+=": "-=", "-=": "+="}
LOR = {"&&": "||", "||": "&&"}
OPERATOR_TOKEN = re.compile(r"<<=|>>=|<<|>>|<=|>=|==|!=|=>|\+\+|--|\+=|-=|&&|\|\||<|>|\+|-")
KIND = re.compile(r"ILedgerDirectory\.OrgKind\.(\w+)")
ROLE_CALL = re.compile(r"\b(_actorOf|_actorIn|_actorOfKind)\(\s*$")
CHECK_CALL = re.compile(r"(?<![\w.])(_only\w*|_require\w*|_check\w*)\(")


def code_mask(source: str) -> list[bool]:
    """True where a character is code (not inside a comment or a string literal)."""
    mask = [True] * len(source)
    i, n = 0, len(source)
    while i < n:
        two = source[i : i + 2]
        if two == "//":
            j = source.find("\n", i)
            j = n if j < 0 else j
            for k in range(i, j):
                mask[k] = False
            i = j
        elif two == "/*":
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
            for k in range(i, j):
                mask[k] = False
            i = j
        elif source[i] == '"':
            j = i + 1
            while j < n and source[j] != '"':
                j += 2 if source[j] == "\\" else 1
            for k in range(i, min(j + 1, n)):
                mask[k] = False
            i = j + 1
        else:
            i += 1
    return mask


def _statement_end(source: str, start: int, mask: list[bool]) -> int:
    """Index just after the ``;`` closing the statement that starts at ``start``."""
    depth = 0
    i = start
    while i < len(source):
        if mask[i]:
            c = source[i]
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            elif c == ";" and depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"no statement end after offset {start}")


def _line_of(source: str, offset: int) -> int:
    return source.count("\n", 0, offset) + 1


def _storage_names(source: str) -> set[str]:
    return set(re.findall(r"[\w)](?:\[\])?\s+storage\s+(\w+)", source))


def _body_start(source: str) -> int:
    """Offset of the first function or constructor (state declarations come before)."""
    m = re.search(r"^\s*(constructor|function)\b", source, re.M)
    return m.start() if m else 0


def generate(path: str, contract: str, source: str) -> list[Mutant]:
    """Every mutant of one source file, in source order, with stable ids."""
    mask = code_mask(source)
    body = _body_start(source)
    found: list[tuple[str, int, int, str]] = []

    def add(operator: str, start: int, end: int, replacement: str) -> None:
        if start >= body and all(mask[start:end]):
            found.append((operator, start, end, replacement))

    for m in OPERATOR_TOKEN.finditer(source):
        tok = m.group()
        if tok in ROR:
            add("ror", m.start(), m.end(), ROR[tok])
        elif tok in LOR:
            add("lor", m.start(), m.end(), LOR[tok])
        elif tok in AOR:
            if tok in "+-":
                before = source[: m.start()].rstrip()
                # binary only: after an operand, not after an operator, "(" or ","
                if (
                    not before
                    or not re.search(r"[\w)\]]$", before)
                    or re.search(r"\b(return|revert|emit)$", before)
                ):
                    continue
            add("aor", m.start(), m.end(), AOR[tok])

    for m in re.finditer(r"\b(true|false)\b", source):
        add("bool", m.start(), m.end(), "false" if m.group() == "true" else "true")

    for m in re.finditer(r"\b(revert|emit)\s+\w", source):
        if not mask[m.start()]:
            continue
        end = _statement_end(source, m.start(), mask)
        add(m.group(1), m.start(), end, "{}")

    storage = _storage_names(source)
    immutables = set(re.findall(r"\bimmutable\s+(_\w+)", source))
    target = r"(?:_\w+|" + "|".join(sorted(storage)) + r")" if storage else r"_\w+"
    assign = re.compile(
        r"(?:(?:\+\+|--)"
        + target
        + r"\b[\w.\[\]()]*|delete\s+"
        + target
        + r"\b[^;]*|"
        + target
        + r"\b(?:\[[^\]]*\]|\.\w+)*\s*(?:=(?!=)|\+=|-=|\|=|\+\+|--))"
    )
    for m in assign.finditer(source):
        start = m.start()
        if not mask[start]:
            continue
        prev = source[:start].rstrip()
        # a statement start: after ; { } ) (an if without braces) or "else"
        if not (prev.endswith((";", "{", "}", ")")) or re.search(r"\belse$", prev)):
            continue
        if re.search(r"\b(?:storage|memory|calldata)\s*$", prev) or re.search(
            r"\b(?:for|uint\w*|bytes\w*|bool|address)\s*\($", prev
        ):
            continue
        line_start = source.rfind("\n", 0, start) + 1
        if re.match(r"\s*for\s*\(", source[line_start:start]):
            continue
        end = _statement_end(source, start, mask)
        bare = re.match(r"(\w+)\s*=(?!=)", source[start:end])
        if bare and (bare.group(1) in storage or bare.group(1) in immutables):
            continue  # a storage pointer (re)bound, or an immutable the compiler requires
        add("store", start, end, "{}")

    for m in CHECK_CALL.finditer(source):
        start = m.start()
        if not mask[start]:
            continue
        prev = source[:start].rstrip()
        if not prev.endswith((";", "{", "}")):
            continue  # only call statements; a check whose value is used stays
        end = _statement_end(source, start, mask)
        add("check", start, end, "{}")

    for m in KIND.finditer(source):
        window = source[max(0, m.start() - 40) : m.start()]
        if not ROLE_CALL.search(window):
            continue
        kind = m.group(1)
        other = "Holder" if kind == "Registrar" else "Registrar"
        add("role", m.start(1), m.end(1), other)

    mutants = []
    seen: set[tuple[int, int, str]] = set()
    occurrences: dict[str, int] = {}
    for operator, start, end, replacement in sorted(found, key=lambda f: (f[1], f[2], f[0])):
        if (start, end, replacement) in seen:
            continue
        seen.add((start, end, replacement))
        original = source[start:end]
        line = _line_of(source, start)
        # id: the change and the code before it on its line, and which occurrence of that
        # it is in the file; stable while that line is unchanged, wherever else one edits
        line_text = " ".join(source[source.rfind("\n", 0, start) + 1 : start].split())
        key = f"{path}|{operator}|{line_text}|{original}|{replacement}"
        n = occurrences.get(key, 0)
        occurrences[key] = n + 1
        digest = hashlib.sha256(f"{key}|{n}".encode()).hexdigest()[:10]
        mutants.append(
            Mutant(
                id=f"{contract}-{digest}",
                contract=contract,
                path=path,
                operator=operator,
                line=line,
                start=start,
                end=end,
                original=original,
                replacement=replacement,
            )
        )
    return mutants
