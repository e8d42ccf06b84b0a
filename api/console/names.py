"""Names instead of ids: an asset by the title and catalogue code its holder typed, an
organisation by its name. Loaded once per page from the gateway's own records (through
:mod:`chain.service`), on first use."""

from __future__ import annotations

from functools import cached_property

from chain.runtime import LedgerRuntime
from chain.service import asset_documents


def short(value: object) -> str:
    """A long id as people can read it: the first 8 and the last 4 characters."""
    text = str(value or "")
    return text if len(text) <= 14 else f"{text[:8]}…{text[-4:]}"


class Names:
    def __init__(self, runtime: LedgerRuntime) -> None:
        self.runtime = runtime

    @cached_property
    def _assets(self) -> dict[str, tuple[str, str]]:
        return asset_documents.labels(self.runtime)

    @cached_property
    def _orgs(self) -> dict[str, str]:
        return {o.org_id: o.name for o in self.runtime.accounts.list_orgs()}

    def title(self, asset_id: str) -> str:
        return self._assets.get(str(asset_id).lower(), ("", ""))[1]

    def code(self, asset_id: str) -> str:
        return self._assets.get(str(asset_id).lower(), ("", ""))[0]

    def asset(self, asset_id: str) -> str:
        """「title」 (catalogue code), or whichever of them exists, or the short id."""
        code, title = self._assets.get(str(asset_id).lower(), ("", ""))
        if title and code:
            return f"{title}（{code}）"
        return title or code or short(asset_id)

    def org(self, org_id: str) -> str:
        return self._orgs.get(str(org_id).lower(), short(org_id))

    def search(self, text: str) -> list[str]:
        """Asset ids whose title or code contains ``text``, and org ids whose name does."""
        needle = text.strip().lower()
        if not needle:
            return []
        orgs = [org_id for org_id, name in self._orgs.items() if needle in name.lower()]
        return asset_documents.search(self.runtime, needle) + orgs
