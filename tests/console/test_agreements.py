"""``GET /v1/agreements`` reads the registrars' agreements from the indexed store, not
from the directory's logs on every call, and still answers what the chain holds now: a
proposal, signature or withdrawal mined after the store's last block shows in the next
request (the logs of the blocks not yet indexed are laid over the stored rows).

Three registrars (Qingdao, Jinan, Xiamen) hold one agreement of each status: Qingdao
proposed to Jinan (proposed), Xiamen proposed to Qingdao and Qingdao signed (active),
Jinan proposed to Xiamen and withdrew (withdrawn)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select, update

from chain.accounts import Principal
from chain.indexer.models import AgreementRow, Checkpoint
from chain.service import certificates, orgs
from chain.service.common import DIRECTORY, agreement_id_for
from chain.txpipe import MINED, Operation
from tests.console.conftest import BOOTSTRAP, ConsoleWorld

JINAN, XIAMEN = 370100, 350200


@dataclass
class Agreements:
    world: ConsoleWorld
    registrars: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def who(self, label: str) -> Principal:
        key = self.keys.get(label) or self.world.cast.keys[label]
        principal = self.world.runtime.accounts.authenticate(key)
        assert principal is not None
        return principal

    def mined(self, op: Operation) -> None:
        done = self.world.runtime.txpipe.wait(op.id, 30)
        assert done.state == MINED, (done.error_code, done.error_detail)

    def propose(self, proposer: str, partner: str) -> str:
        body = certificates.AgreementIn(partner_org_id=self.registrars[partner])
        made = certificates.propose_agreement(self.world.runtime, self.who(proposer), body)
        self.mined(made.operation)
        return made.resource_id

    def on_chain(self, label: str) -> list[tuple[str, str, str, str, int]]:
        """What the directory's ``agreement`` view says of every agreement made here
        (those ``label`` is a party to, for a registrar), in the order they were made."""
        runtime = self.world.runtime
        directory = runtime.contract(DIRECTORY)
        principal = self.who(label)
        found = []
        for agreement_id in self.ids.values():
            raw = directory.functions.agreement(bytes.fromhex(agreement_id[2:])).call()
            proposer, partner, updated_at, status = raw
            row = ("0x" + proposer.hex(), "0x" + partner.hex(), updated_at, status)
            if principal.org_kind == "registrar" and principal.org_id not in row[:2]:
                continue
            names = ("None", "Proposed", "Active", "Withdrawn")
            found.append((agreement_id, row[0], row[1], names[row[3]], row[2]))
        return found


def _rows(listed: list[Any]) -> list[tuple[str, str, str, str, int]]:
    return [
        (a["agreement_id"], a["proposer_org_id"], a["partner_org_id"], a["status"],
         a["updated_at"]) if isinstance(a, dict) else
        (a.agreement_id, a.proposer_org_id, a.partner_org_id, a.status, a.updated_at)
        for a in listed
    ]  # fmt: skip


@pytest.fixture(scope="module")
def agreements(console: ConsoleWorld) -> Agreements:
    runtime = console.runtime
    made = Agreements(console)
    made.registrars["registrar"] = console.cast.orgs["registrar"]
    boot = runtime.accounts.authenticate(BOOTSTRAP)
    assert boot is not None
    for label, name, city in (("jn-registrar", "济南市数据资产登记评价中心", JINAN),
                              ("xm-registrar", "厦门市数据资产登记评价中心", XIAMEN)):  # fmt: skip
        org = orgs.create_org(runtime, boot, orgs.OrgCreate(name=name, kind="registrar",
                                                            city_code=city))  # fmt: skip
        made.mined(org.operation)
        made.registrars[label] = org.resource_id
        _, made.keys[label] = runtime.accounts.create_user(org.resource_id, "经办人", "writer")
    made.ids["proposed"] = made.propose("registrar", "jn-registrar")
    made.ids["active"] = made.propose("xm-registrar", "registrar")
    made.mined(certificates.accept_agreement(runtime, made.who("registrar"),
                                             made.ids["active"]))  # fmt: skip
    made.ids["withdrawn"] = made.propose("jn-registrar", "xm-registrar")
    made.mined(certificates.withdraw_agreement(runtime, made.who("jn-registrar"),
                                               made.ids["withdrawn"]))  # fmt: skip
    console.indexed()
    return made


def test_the_list_from_the_store_is_the_chains(
    agreements: Agreements, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = agreements.world
    runtime = world.runtime
    qingdao, xiamen = agreements.registrars["registrar"], agreements.registrars["xm-registrar"]
    ids = agreements.ids
    assert ids["active"] == agreement_id_for(xiamen, qingdao)
    expected = {
        "registrar": [ids["proposed"], ids["active"]],
        "xm-registrar": [ids["active"], ids["withdrawn"]],
        "auditor": [ids["proposed"], ids["active"], ids["withdrawn"]],
    }
    statuses = {a: s for s, a in ids.items()}
    # caught up, the store answers alone: no log is read from the chain
    world.indexed()

    def no_logs(*_: Any, **__: Any) -> Any:
        raise AssertionError("the agreements were read from the chain's logs")

    monkeypatch.setattr(runtime.w3.eth, "get_logs", no_logs)
    for label, wanted in expected.items():
        chain = agreements.on_chain(label)
        assert [a[0] for a in chain] == wanted, label
        assert [a[3] for a in chain] == [statuses[a].capitalize() for a in wanted]
        listed = certificates.list_agreements(runtime, agreements.who(label))
        assert _rows(listed) == chain, label
        key = agreements.keys.get(label) or world.cast.keys[label]
        answer = world.client.get("/v1/agreements", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200 and _rows(answer.json()) == chain, label
    with runtime.sessions() as session:
        stored = {r.agreement_id: r.status for r in session.scalars(select(AgreementRow))}
    assert stored == {a: s for s, a in ids.items()}


def test_a_change_the_store_has_not_indexed_shows_at_once(agreements: Agreements) -> None:
    """With the indexer stopped (as on a gateway whose store is behind the chain), a
    withdrawal and a signature mined since show in the next answer; the store still has
    the old status until its indexer runs again."""
    world = agreements.world
    runtime = world.runtime
    ids = agreements.ids
    runner = world.app.state.indexer
    runner.stop()
    stale: dict[str, str] = {}
    try:
        agreements.mined(certificates.withdraw_agreement(runtime, agreements.who("xm-registrar"),
                                                         ids["active"]))  # fmt: skip
        agreements.mined(certificates.accept_agreement(runtime, agreements.who("jn-registrar"),
                                                       ids["proposed"]))  # fmt: skip
        with runtime.sessions() as session:
            stale.update((r.agreement_id, r.status) for r in session.scalars(select(AgreementRow)))
        assert stale[ids["active"]] == "active" and stale[ids["proposed"]] == "proposed"
        for label in ("registrar", "xm-registrar", "auditor", "jn-registrar"):
            chain = agreements.on_chain(label)
            listed = _rows(certificates.list_agreements(runtime, agreements.who(label)))
            assert listed == chain, label
        auditor = dict((a[0], a[3]) for a in agreements.on_chain("auditor"))
        assert auditor == {ids["proposed"]: "Active", ids["active"]: "Withdrawn",
                           ids["withdrawn"]: "Withdrawn"}  # fmt: skip
        # a store indexed to a block the chain no longer has is not trusted: every log is
        with runtime.sessions.begin() as session:
            session.execute(update(Checkpoint).values(block_hash="0x" + "ee" * 32))
            session.execute(update(AgreementRow).values(status="none"))
        for label in ("registrar", "auditor"):
            listed = _rows(certificates.list_agreements(runtime, agreements.who(label)))
            assert listed == agreements.on_chain(label), label
    finally:
        with runtime.sessions.begin() as session:
            cp = session.scalars(select(Checkpoint)).one()
            cp.block_hash = "0x" + bytes(runtime.w3.eth.get_block(cp.block_number)["hash"]).hex()
            for row in session.scalars(select(AgreementRow)):
                row.status = stale[row.agreement_id]
        runner.start()
    world.indexed()
    with runtime.sessions() as session:
        stored = {r.agreement_id: r.status for r in session.scalars(select(AgreementRow))}
    assert stored == {ids["proposed"]: "active", ids["active"]: "withdrawn",
                      ids["withdrawn"]: "withdrawn"}  # fmt: skip
