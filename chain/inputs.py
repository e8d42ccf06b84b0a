"""The one base of every request body: JSON types taken as they are, unknown members refused.

Amounts, codes and counts are JSON integers, never strings, floats or booleans; flags are
JSON booleans; a member the schema does not name is a 422 (a typo never passes silently).
Request schemas of the gateway, the CLI and the console subclass :class:`RequestModel`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict


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
