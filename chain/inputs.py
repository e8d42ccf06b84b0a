"""The one base of every request body: JSON types taken as they are, unknown members refused.

Amounts, codes and counts are JSON integers, never strings, floats or booleans; flags are
JSON booleans; a member the schema does not name is a 422 (a typo never passes silently).
Request schemas of the gateway, the CLI and the console subclass :class:`RequestModel`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, ValidationError

from chain.errors import ValidationFailed


class RequestModel(BaseModel):
    """A request body validated strictly (``strict=True``, ``extra="forbid"``)."""

    model_config = ConfigDict(strict=True, extra="forbid")


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a JSON integer")
    return value


def int_code(enum: type[IntEnum]) -> Any:
    """A code field of ``enum``: a JSON integer naming one of its members (strict mode
    alone would want the enum object itself)."""
    return Annotated[enum, Strict(False), BeforeValidator(_json_integer)]


def validation_failed(exc: ValidationError) -> ValidationFailed:
    """A request model's validation error as the ledger's 422, naming every field."""
    errors: list[dict[str, Any]] = []
    sentences: list[str] = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        errors.append({"loc": ["body", *loc], "msg": error["msg"], "type": error["type"]})
        sentences.append(f"{'.'.join(loc)}: {error['msg']}")
    return ValidationFailed(f"the input is not valid: {', '.join(sentences[:5])}", errors=errors)
