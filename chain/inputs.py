"""The one base of every request body: JSON types taken as they are, unknown members refused.

Amounts, codes and counts are JSON integers, never strings, floats or booleans; flags are
JSON booleans; a member the schema does not name is a 422 (a typo never passes silently).
Request schemas of the gateway, the CLI and the console subclass :class:`RequestModel`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    """A request body validated strictly (``strict=True``, ``extra="forbid"``)."""

    model_config = ConfigDict(strict=True, extra="forbid")
