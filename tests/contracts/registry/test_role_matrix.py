"""Every role tried on every mutating function (simulated with eth_call on one rich state).

A role listed as allowed must succeed; every other role must be refused with an
authorisation error (wrong kind, wrong city, not the holder / counterparty, not a
manager, unknown account), never with a state error and never succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.contracts.registry.conftest import DEFAULT_NOTICE, Kind, Ledger, h
from tests.contracts.registry.merkle import StandardMerkleTree
from tests.contracts.reverts import decode_custom_error

ROLES = [
    "admin",
    "registrar",
    "holder",
    "competent",
    "data_admin",
    "finance",
    "operator",
    "merchant",
    "exchange",
    "bank",
    "auditor",
    "xm_registrar",
    "xm_holder",
    "xm_bank",
    "xm_operator",
    "stranger",
]
ORG_ROLES = [r for r in ROLES if r not in ("admin", "stranger")]
AUTH_ERRORS = {
    "NotConsortiumAdmin",
    "NotOrgOfKind",
    "KindNotAllowed",
    "NotOrgManager",
    "WrongCity",
    "NotHolder",
    "NotCounterparty",
    "AccountNotLive",
    "SelfRecognition",
}
ZERO = b"\x00" * 32

Args = Callable[[str], tuple[Any, ...]]


def _state(led: Ledger) -> dict[str, Any]:
    s: dict[str, Any] = {}
    s["A"] = led.to_notice("A")
    s["B"] = led.to_notice("B")
    s["I"] = led.to_notice("I")
    led.travel(DEFAULT_NOTICE)
    r = led.tx("registrar", "issueCertificate", s["A"])
    s["C"] = led.event(r, "CertificateIssued")["certificateId"]
    led.tx("registrar", "issueCertificate", s["B"])
    s["N"] = led.to_notice("N")
    r = led.tx("merchant", "lodgeObjection", s["N"], h("obj"))
    s["OBJ"] = led.event(r, "ObjectionLodged")["objectionId"]
    s["R"] = led.register("R")
    s["D"] = led.register("D")
    led.tx("registrar", "recordDispute", s["D"], h("dispute"))
    led.tx("holder", "requestDisposal", s["D"], h("dispose"))
    r = led.tx("holder", "applyForPaidUse", s["A"], h("scope1"), led.orgs["operator"])
    s["APP"] = led.event(r, "PaidUseApplied")["applicationId"]
    r = led.tx("holder", "applyForPaidUse", s["A"], h("scope2"), led.orgs["operator"])
    s["APP2"] = led.event(r, "PaidUseApplied")["applicationId"]
    led.tx("competent", "reviewPaidUse", s["APP2"], True, ZERO)
    led.tx("data_admin", "reviewPaidUse", s["APP2"], True, ZERO)
    r = led.tx("holder", "requestPledge", s["A"], led.orgs["bank"], 5, h("pr"))
    s["PR"] = led.event(r, "PledgeRequested")["financingId"]
    r = led.tx("holder", "requestPledge", s["B"], led.orgs["bank"], 5, h("pb"))
    s["PB"] = led.event(r, "PledgeRequested")["financingId"]
    led.tx("bank", "confirmPledge", s["PB"])
    led.tx("xm_registrar", "recognise", s["C"])
    led.tx("exchange", "recognise", s["C"])
    led.tx("xm_registrar", "proposeAgreement", led.orgs["registrar"])
    r = led.tx("admin", "admitRegistrar", 420100, h("wuhan"), led.addr("spare1"))
    s["WH"] = led.event(r, "OrgAdmitted")["orgId"]
    led.tx("holder", "addSigningAccount", led.orgs["holder"], led.addr("spare2"), 0)
    tree = StandardMerkleTree(
        [(h("bc0"), h("bm0"), 1), (h("bc1"), h("bm1"), 2)], ["bytes32", "bytes32", "uint32"]
    )
    r = led.tx("holder", "registerResourceBatch", tree.root, 2, h("manifest"))
    s["BATCH"] = led.event(r, "ResourceBatchRegistered")["batchId"]
    s["TREE"] = tree
    return s


def _cases(led: Ledger, s: dict[str, Any]) -> list[tuple[str, Args, set[str]]]:
    o = led.orgs
    fresh = "0x" + "77" * 20
    registrars = {"registrar", "xm_registrar"}
    return [
        ("admitRegistrar", lambda _r: (110000, h("beijing"), fresh), {"admin"}),
        ("admitOrg", lambda _r: (int(Kind.MERCHANT), h("m-new"), fresh), registrars),
        ("setOrgActive", lambda _r: (o["holder"], False), {"registrar"}),
        ("addSigningAccount", lambda _r: (o["holder"], fresh, 0), {"holder", "registrar"}),
        ("removeSigningAccount", lambda _r: (led.addr("spare2"),), {"holder", "registrar"}),
        ("setRegistrarTerms", lambda _r: (86400, 86400 * 365), registrars),
        ("registerResource", lambda _r: (h("cat-new"), h("meta-new"), 9), {"holder", "xm_holder"}),
        ("registerResourceBatch", lambda _r: (h("root-new"), 3, h("m")), {"holder", "xm_holder"}),
        (
            "materialiseResource",
            lambda _r: (s["BATCH"], *s["TREE"].values[0], s["TREE"].proof(0)),
            {"holder"},
        ),
        ("recordValuation", lambda _r: (s["R"], 10, 1, h("v")), {"registrar"}),
        ("recordCompliance", lambda _r: (s["R"], True, h("c")), {"registrar"}),
        ("lodgeObjection", lambda _r: (s["N"], h("another")), set(ORG_ROLES)),
        ("resolveObjection", lambda _r: (s["OBJ"], False, h("res")), {"registrar"}),
        ("recordDispute", lambda _r: (s["N"], h("d")), {"registrar"}),
        ("resolveDispute", lambda _r: (s["D"], h("settled")), {"registrar"}),
        ("issueCertificate", lambda _r: (s["I"],), {"registrar"}),
        ("amendCertificate", lambda _r: (s["C"], 1, h("meta-v2")), {"registrar"}),
        ("renewCertificate", lambda _r: (s["C"],), {"registrar"}),
        ("revokeCertificate", lambda _r: (s["C"], 5), {"registrar"}),
        ("recognise", lambda _r: (s["C"],), set()),  # both recognisers already did
        ("withdrawRecognition", lambda _r: (s["C"],), {"xm_registrar", "exchange"}),
        ("proposeAgreement", lambda _r: (s["WH"],), registrars),
        ("acceptAgreement", lambda _r: (o["xm_registrar"],), {"registrar"}),
        (
            "withdrawAgreement",
            lambda r: (o["registrar"] if r == "xm_registrar" else o["xm_registrar"],),
            registrars,
        ),
        ("applyForPaidUse", lambda _r: (s["A"], h("scope3"), o["operator"]), {"holder"}),
        ("reviewPaidUse", lambda _r: (s["APP"], True, ZERO), {"competent", "data_admin"}),
        ("decidePaidUse", lambda _r: (s["APP2"], True, ZERO), {"finance"}),
        ("requestPledge", lambda _r: (s["A"], o["bank"], 7, h("p")), {"holder"}),
        ("confirmPledge", lambda _r: (s["PR"],), {"bank"}),
        ("releasePledge", lambda _r: (s["PB"],), {"bank"}),
        ("recordCreditLine", lambda _r: (s["A"], 9, h("line")), {"bank"}),
        ("recordEquityContribution", lambda _r: (s["A"], 9, h("co")), {"holder"}),
        ("requestDisposal", lambda _r: (s["A"], h("end")), {"holder"}),
        ("confirmDisposal", lambda _r: (s["D"],), {"registrar"}),
    ]


def _outcome(led: Ledger, role: str, fn: str, args: tuple[Any, ...]) -> str:
    sender = led.admin if role == "admin" else led.addr(role)
    try:
        getattr(led.reg.functions, fn)(*args).call({"from": sender})
    except Exception as exc:  # a revert; decode it
        name, _ = decode_custom_error(exc, led.abi)
        return name
    return "ok"


def test_role_matrix_every_role_on_every_mutating_function(led: Ledger) -> None:
    s = _state(led)
    cases = _cases(led, s)
    mutating = {
        e["name"]
        for e in led.abi
        if e["type"] == "function" and e["stateMutability"] not in ("view", "pure")
    }
    assert mutating == {name for name, _, _ in cases}, "matrix must cover every mutating function"
    problems: list[str] = []
    for fn, args, allowed in cases:
        for role in ROLES:
            got = _outcome(led, role, fn, args(role))
            if role in allowed and got != "ok":
                problems.append(f"{fn} by {role}: expected success, got {got}")
            if (
                role not in allowed
                and got not in AUTH_ERRORS
                and not (fn == "recognise" and got == "AlreadyRecognised")
            ):
                problems.append(f"{fn} by {role}: expected an authorisation error, got {got}")
    assert not problems, "\n".join(problems)


def test_role_matrix_readers_only_read(led: Ledger) -> None:
    """Auditors hold no write permission except lodging objections (any admitted org)."""
    for fn, _args, allowed in _cases(led, {}):
        if "auditor" in allowed:
            assert fn == "lodgeObjection"
