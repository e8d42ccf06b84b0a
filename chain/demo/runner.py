"""Seed the demo scenario on a running ledger through its gateway's HTTP API.

The runner is a client of the gateway like any other (``chain.cli.gateway``): the
consortium admin's key admits the registrars and creates one user per organisation,
and every later step is sent with that organisation's own key. Every write waits for
its block to be mined and indexed (``?wait=true``) and carries an ``Idempotency-Key``
(``demo-<step>``), so a run that stopped half-way resumes without sending anything
twice.

What was created (organisation ids, API keys, asset, certificate and payment ids) is
kept in a state file (``<LEDGER_VAR_DIR>/demo.json``, mode 0600: it holds API keys);
a run that finds the demo complete there says so, sends no write and prints the logins
and figures again. Figures are always read back from the chain through the gateway.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
from eth_utils.crypto import keccak

from chain.cli.gateway import Gateway, GatewayProblem
from chain.demo import scenario as s
from chain.documents import format_yuan

STATE_VERSION = 1
CONSORTIUM = "consortium"
HOME_BY_KIND = {
    "holder": "/console/holder", "registrar": "/console/registrar",
    "finance_dept": "/console/finance", "bank": "/console/bank",
    "auditor": "/console/auditor", "competent_dept": "/console/review",
    "data_administration": "/console/review",
}  # fmt: skip
#: how long the certificate step keeps trying while the chain's clock catches up with
#: the end of the notice window (a node mines its next block on its own schedule)
NOTICE_GRACE_SECONDS = 30.0


class DemoFailed(Exception):
    """A step of the demo was refused or did not end mined."""


def notice_floor(problem: dict[str, Any]) -> int | None:
    """The shortest notice window a ``TermsOutOfBounds`` refusal names (its ``bounds``
    argument: ``noticeMin`` first), or None when the problem names none."""
    error = problem.get("contract_error")
    if not isinstance(error, dict) or error.get("name") != "TermsOutOfBounds":
        return None
    args = error.get("args")
    bounds = args.get("bounds") if isinstance(args, dict) else None
    value = bounds.get("noticeMin") if isinstance(bounds, dict) else (
        bounds[0] if isinstance(bounds, list) and bounds else None
    )  # fmt: skip
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def commitment(label: str) -> str:
    """A stand-in 32-byte commitment of a document the demo does not write out."""
    return "0x" + keccak(text=f"data asset ledger demo: {label}").hex()


@dataclass
class DemoState:
    """What the demo created, kept between runs (holds API keys: mode 0600)."""

    version: int = STATE_VERSION
    api_url: str = ""
    chain_id: int = 0
    registry: str = ""
    complete: bool = False
    done: list[str] = field(default_factory=list)
    orgs: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> DemoState | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            return None
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(self), out, ensure_ascii=False, indent=1)
        os.replace(tmp, path)


class Demo:
    """One run of the demo against the gateway behind ``client``."""

    def __init__(self, client: httpx.Client, url: str, admin_key: str, state_path: Path,
                 *, notice_seconds: int | None = None, out: TextIO,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.client, self.url, self.admin_key = client, url.rstrip("/"), admin_key
        self.state_path, self.notice_seconds, self.out = state_path, notice_seconds, out
        self.sleep = sleep
        self.state = DemoState()
        self.writes = 0

    # -- transport ---------------------------------------------------------------------

    def gateway(self, label: str) -> Gateway:
        key = self.admin_key if label == CONSORTIUM else self.state.keys[label]
        return Gateway(self.client, self.url, key)

    def read(self, label: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.gateway(label).request("GET", path, params=params).json()

    def write(self, label: str, step: str, method: str, path: str,
              body: Any = None) -> httpx.Response:  # fmt: skip
        """A write as ``label``, mined and indexed, under ``Idempotency-Key: demo-<step>``."""
        gateway = self.gateway(label)
        try:
            response = gateway.request(
                method, path, body=body, params={"wait": "true", "wait_timeout": 120},
                headers={"Idempotency-Key": f"demo-{step}"},
            )  # fmt: skip
        except GatewayProblem as exc:
            raise DemoFailed(f"{step}: {method} {path} was refused: {exc.code}: {exc.detail}",
                             ) from exc  # fmt: skip
        op = response.json()
        deadline = time.monotonic() + 120
        while op.get("state") in ("pending", "sent") and time.monotonic() < deadline:
            self.sleep(0.5)
            op = gateway.request("GET", f"/v1/operations/{op['id']}").json()
        if op.get("state") != "mined":
            raise DemoFailed(f"{step}: {method} {path} ended {op.get('state')}: {op.get('error')}")
        self.writes += 1
        return response

    def step(self, name: str) -> bool:
        """True when step ``name`` still has to run (False when a previous run did it)."""
        return name not in self.state.done

    def finished(self, name: str) -> None:
        self.state.done.append(name)
        self.state.save(self.state_path)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- the run -------------------------------------------------------------------------

    def run(self) -> DemoState:
        chain = self.gateway(CONSORTIUM).request("GET", "/v1/chain", auth=False).json()
        registry = str(chain["contracts"]["AssetRegistryV2"]["address"])
        if self.notice_seconds is None:
            self.notice_seconds = (s.MEMORY_CHAIN_NOTICE_WINDOW_SECONDS
                                   if chain.get("mode") == "memory" else s.NOTICE_WINDOW_SECONDS)
        found = DemoState.load(self.state_path)
        if found is not None and (found.chain_id, found.registry.lower()) == (
            int(chain["chain_id"]), registry.lower(),
        ):  # fmt: skip
            self.state = found
        else:
            self.state = DemoState(api_url=self.url, chain_id=int(chain["chain_id"]),
                                   registry=registry)  # fmt: skip
            self._refuse_foreign_demo()
        if self.state.complete:
            self.say(f"The demo is already on the ledger at {self.url} (chain "
                     f"{self.state.chain_id}); nothing was changed.")  # fmt: skip
            return self.state
        started = time.monotonic()
        self.say(f"Seeding the demo on {self.url} (chain {self.state.chain_id}) ...")
        self._organisations()
        self._registration()
        self._resource_set()
        self._notice_and_certificates()
        self._recognition_and_paid_use()
        self._revenue()
        self._financing_and_disposal()
        self.state.complete = True
        self.state.save(self.state_path)
        self.say(f"Done: {self.writes} writes in {time.monotonic() - started:.0f} s.")
        return self.state

    def _refuse_foreign_demo(self) -> None:
        """No state here, yet the demo's registrar is on the ledger: seeded from another
        folder. Its keys are not here, so nothing can be resumed or printed."""
        qd = s.ORG_BY_LABEL["qd_registrar"]
        try:
            orgs = self.read(CONSORTIUM, "/v1/orgs")
        except GatewayProblem:
            return
        if any(o.get("name") == qd.name and o.get("kind") == "registrar" for o in orgs):
            raise DemoFailed(
                f"the demo is already on the ledger at {self.url}, seeded with another state "
                f"file than {self.state_path}; nothing was changed (its users' keys can be "
                "rotated with `ledger user rotate`)"
            )

    # -- organisations and users -------------------------------------------------------

    def _organisations(self) -> None:
        for org in s.ORGS:
            by = CONSORTIUM if org.admitted_by == "consortium" else org.admitted_by
            if self.step(f"org-{org.label}"):
                body: dict[str, Any] = {"name": org.name, "kind": org.kind}
                if org.kind == "registrar":
                    body["city_code"] = org.city
                response = self.write(by, f"org-{org.label}", "POST", "/v1/orgs", body)
                self.state.orgs[org.label] = response.headers["Ledger-Resource-Id"]
                self.finished(f"org-{org.label}")
            if self.step(f"user-{org.label}"):
                user = self.gateway(CONSORTIUM).request(
                    "POST", f"/v1/orgs/{self.state.orgs[org.label]}/users",
                    body={"name": f"{org.en} ({org.role})", "role": org.role},
                ).json()  # fmt: skip
                self.state.keys[org.label] = str(user["api_key"])
                self.finished(f"user-{org.label}")
            if org.label == "qd_registrar" and self.step("terms"):
                self._set_terms(self.state.orgs[org.label])
                self.finished("terms")
        self.say(f"  {len(s.ORGS)} organisations admitted, one user each; Qingdao's notice "
                 f"window is {self.notice_seconds} s")  # fmt: skip

    def _set_terms(self, registrar: str) -> None:
        """The short notice window, through the registrar's terms. A registry with a floor
        above it (``TermsOutOfBounds`` names the bounds) gets its floor when that is short
        enough to wait out; otherwise the demo stops and says so."""
        seconds = self.notice_seconds
        assert seconds is not None
        try:
            self._terms(registrar, seconds)
            return
        except DemoFailed as exc:
            cause = exc.__cause__
            floor = notice_floor(cause.body) if isinstance(cause, GatewayProblem) else None
            if floor is None or floor <= seconds or floor > s.MAX_NOTICE_WINDOW_SECONDS:
                raise DemoFailed(f"{exc}; pass a --notice-seconds the registry accepts") from exc
            self.say(f"  the registry's shortest notice window is {floor} s; the demo uses it")
        self.notice_seconds = floor
        self._terms(registrar, floor)

    def _terms(self, registrar: str, seconds: int) -> None:
        self.write("qd_registrar", f"terms-{seconds}", "PUT", f"/v1/orgs/{registrar}/terms",
                   {"notice_window_seconds": seconds,
                    "certificate_term_seconds": s.CERTIFICATE_TERM_SECONDS})  # fmt: skip

    # -- registration, valuation, compliance -------------------------------------------

    def _registration(self) -> None:
        for asset in s.ASSETS:
            name = f"register-{asset.label}"
            if self.step(name):
                extra: dict[str, object] = {}
                if asset is s.MAIN:
                    extra = {"categories": len(s.RESOURCE_SET_CATEGORIES),
                             "items": s.RESOURCE_SET_ITEMS}  # fmt: skip
                response = self.write(asset.holder, name, "POST", "/v1/assets", {
                    "catalogue_code": asset.catalogue_code, "domain_code": asset.domain_code,
                    "metadata": asset.metadata(**extra),
                })  # fmt: skip
                self.state.ids[asset.label] = response.headers["Ledger-Resource-Id"]
                self.finished(name)
        for asset in s.ASSETS:
            asset_id = self.state.ids[asset.label]
            if self.step(f"valuation-{asset.label}"):
                self.write("qd_registrar", f"valuation-{asset.label}", "POST",
                           f"/v1/assets/{asset_id}/valuation",
                           {"value_fen": asset.value_fen, "method_code": asset.method_code,
                            "report_hash": commitment(f"valuation report {asset.catalogue_code}")},
                           )  # fmt: skip
                self.finished(f"valuation-{asset.label}")
            if self.step(f"compliance-{asset.label}"):
                self.write("qd_registrar", f"compliance-{asset.label}", "POST",
                           f"/v1/assets/{asset_id}/compliance",
                           {"passed": True, "report_hash":
                            commitment(f"compliance report {asset.catalogue_code}")})  # fmt: skip
                self.finished(f"compliance-{asset.label}")
        self.say(f"  {len(s.ASSETS)} data assets registered, valued and reviewed; their public "
                 "notice is open")  # fmt: skip

    def _resource_set(self) -> None:
        """The resource set's 13 items, batch-registered while the notice runs."""
        if self.step("batch"):
            manifest = {"title": s.MAIN.en, "title_zh": s.MAIN.zh,
                        "asset_id": self.state.ids[s.MAIN.label],
                        "categories": [en for _, en, _ in s.RESOURCE_SET_CATEGORIES],
                        "items": s.RESOURCE_SET_ITEMS}  # fmt: skip
            response = self.write("transport", "batch", "POST", "/v1/assets/batches",
                                  {"items": s.batch_items(), "manifest": manifest})  # fmt: skip
            self.state.ids["batch"] = response.headers["Ledger-Resource-Id"]
            self.finished("batch")
        batch = self.state.ids["batch"]
        for index in range(s.RESOURCE_SET_ITEMS):
            name = f"item-{index}"
            if self.step(name):
                response = self.write("transport", name, "POST",
                                      f"/v1/assets/batches/{batch}/items", {"index": index})
                self.state.items.append(response.headers["Ledger-Resource-Id"])
                self.finished(name)
        self.say(f"  {s.RESOURCE_SET_ITEMS} resources of the {s.MAIN.en} batch-registered in "
                 f"{len(s.RESOURCE_SET_CATEGORIES)} categories")  # fmt: skip

    # -- notice, certificates ----------------------------------------------------------

    def _notice_and_certificates(self) -> None:
        # accounts are set while the notice runs
        if self.step("treasury-account"):
            finance = self.read("finance", f"/v1/orgs/{self.state.orgs['finance']}")
            self.write("finance", "treasury-account", "PUT",
                       f"/v1/cities/{s.QINGDAO}/treasury-account",
                       {"account": finance["signer_address"]})  # fmt: skip
            self.finished("treasury-account")
        if self.step("payout-account"):
            operator = self.read("operator", f"/v1/orgs/{self.state.orgs['operator']}")
            self.write("operator", "payout-account", "PUT",
                       f"/v1/orgs/{self.state.orgs['operator']}/payout-account",
                       {"account": operator["signer_address"]})  # fmt: skip
            self.finished("payout-account")
        pending = [a for a in s.ASSETS if self.step(f"certificate-{a.label}")]
        if pending:
            self._wait_out_notice(max(
                int(self.read("auditor", f"/v1/assets/{self.state.ids[a.label]}/onchain")
                    ["record"]["noticeEndsAt"])
                for a in pending
            ))  # fmt: skip
        if self.step("faucet"):  # the merchant's settlement tokens arrive
            self.write(CONSORTIUM, "faucet", "POST", "/v1/dev/faucet",
                       {"org_id": self.state.orgs["merchant"], "amount": s.MERCHANT_FUNDS})
            self.finished("faucet")
        for asset in pending:
            self.state.ids[f"certificate-{asset.label}"] = self._certify(asset)
            self.finished(f"certificate-{asset.label}")
        self.say(f"  {len(s.ASSETS)} certificates issued")

    def _chain_time(self) -> int:
        chain = self.gateway(CONSORTIUM).request("GET", "/v1/chain", auth=False).json()
        return int(chain["head_timestamp"])

    def _wait_out_notice(self, ends: int) -> None:
        """Wait until the chain's clock (its head block's time) reaches ``ends``. A node
        that mines on a schedule gets there by itself; one that mines only for
        transactions (the in-process chain) gets there through the demo's writes, so the
        wait gives up after the window's length plus a grace and lets the certificate
        step report it."""
        now = self._chain_time()
        if now >= ends:
            return
        self.say(f"  waiting out the rest of the public notice: {ends - now} s")
        give_up = time.monotonic() + (ends - now) + NOTICE_GRACE_SECONDS
        while now < ends and time.monotonic() < give_up:
            self.sleep(min(1.0, ends - now))
            now = self._chain_time()

    def _certify(self, asset: s.Asset) -> str:
        asset_id = self.state.ids[asset.label]
        deadline = time.monotonic() + NOTICE_GRACE_SECONDS
        while True:
            try:
                response = self.write("qd_registrar", f"certificate-{asset.label}", "POST",
                                      f"/v1/assets/{asset_id}/certificate")  # fmt: skip
                return str(response.headers["Ledger-Resource-Id"])
            except DemoFailed as exc:
                cause = exc.__cause__
                if not (isinstance(cause, GatewayProblem) and cause.code == "NoticeWindowOpen"):
                    raise
                if time.monotonic() >= deadline:
                    raise DemoFailed(
                        f"{exc}; the chain's clock did not reach the end of the notice window "
                        "(a chain that mines blocks only for transactions, like "
                        "LEDGER_CHAIN=memory, needs a --notice-seconds of a few seconds)"
                    ) from exc
                self.sleep(1.0)  # the chain's clock has not passed the window's end yet

    # -- recognition, paid use ---------------------------------------------------------

    def _recognition_and_paid_use(self) -> None:
        cert = self.state.ids[f"certificate-{s.MAIN.label}"]
        for label in ("xm_registrar", "sz_exchange"):
            if self.step(f"recognise-{label}"):
                self.write(label, f"recognise-{label}", "POST",
                           f"/v1/certificates/{cert}/recognitions")
                self.finished(f"recognise-{label}")
        asset_id = self.state.ids[s.MAIN.label]
        if self.step("application"):
            response = self.write("transport", "application", "POST",
                                  f"/v1/assets/{asset_id}/applications",
                                  {"operator_org_id": self.state.orgs["operator"],
                                   "scope": {"purpose": "traffic forecasting and route planning",
                                             "purpose_zh": "交通预测与线路规划"}})  # fmt: skip
            self.state.ids["application"] = response.headers["Ledger-Resource-Id"]
            self.finished("application")
        app = self.state.ids["application"]
        for label, path in (("competent", "reviews"), ("data_admin", "reviews"),
                            ("finance", "approval")):  # fmt: skip
            if self.step(f"{path}-{label}"):
                self.write(label, f"{path}-{label}", "POST", f"/v1/applications/{app}/{path}",
                           {"approve": True})
                self.finished(f"{path}-{label}")
        self.say("  recognised by Xiamen and the Shenzhen Data Exchange; paid use approved")

    # -- revenue -----------------------------------------------------------------------

    def _revenue(self) -> None:
        asset_id = self.state.ids[s.MAIN.label]
        if self.step("schedule"):
            self.write("finance", "schedule", "POST", f"/v1/assets/{asset_id}/schedules",
                       {"lower_bounds": s.SCHEDULE_LOWER_BOUNDS,
                        "operator_bps": s.SCHEDULE_OPERATOR_BPS})  # fmt: skip
            self.finished("schedule")
        for n, (amount, _, _) in enumerate(s.PAYMENTS):
            name = f"payment-{n}"
            if self.step(name):
                response = self.write("merchant", name, "POST", f"/v1/assets/{asset_id}/payments",
                                      {"amount": amount, "reference": f"HY-2025-{n + 1:04d}"})
                self.state.payments.append(response.headers["Payment-Id"])
                self.finished(name)
        if self.step("offchain-payment"):
            response = self.write("operator", "offchain-payment", "POST",
                                  f"/v1/assets/{asset_id}/payments",
                                  {"amount": s.OFFCHAIN_PAYMENT[0], "offchain": True,
                                   "bank_ref": s.OFFCHAIN_BANK_REF})  # fmt: skip
            self.state.ids["offchain-payment"] = response.headers["Payment-Id"]
            self.finished("offchain-payment")
        self.say(f"  {len(s.PAYMENTS)} token payments split; one off-chain payment recorded")

    # -- financing, disposal -----------------------------------------------------------

    def _financing_and_disposal(self) -> None:
        vault = self.state.ids[s.VAULT.label]
        if self.step("equity"):
            response = self.write("ocean", "equity", "POST", f"/v1/assets/{vault}/equity",
                                  {"valuation_fen": s.EQUITY_FEN,
                                   "investee_hash": commitment("Qingdao Ocean Data Co. founding "
                                                               "record")})  # fmt: skip
            self.state.ids["equity"] = response.headers["Ledger-Resource-Id"]
            self.finished("equity")
        main = self.state.ids[s.MAIN.label]
        if self.step("pledge"):
            response = self.write("transport", "pledge", "POST", f"/v1/assets/{main}/pledges",
                                  {"bank_org_id": self.state.orgs["bank"],
                                   "amount_fen": s.PLEDGE_FEN,
                                   "contract_hash": commitment("pledge contract QDB-2025-0001")})
            self.state.ids["pledge"] = response.headers["Ledger-Resource-Id"]
            self.finished("pledge")
        if self.step("pledge-confirmation"):
            self.write("bank", "pledge-confirmation", "POST",
                       f"/v1/pledges/{self.state.ids['pledge']}/confirmation")
            self.finished("pledge-confirmation")
        health = self.state.ids[s.HEALTH.label]
        if self.step("disposal"):
            self.write("health", "disposal", "POST", f"/v1/assets/{health}/disposal",
                       {"reason_hash": commitment("disposal decision WS-2025-0001")})
            self.finished("disposal")
        if self.step("disposal-confirmation"):
            self.write("qd_registrar", "disposal-confirmation", "POST",
                       f"/v1/assets/{health}/disposal/confirmation")
            self.finished("disposal-confirmation")
        self.say("  equity contribution, pledge and disposal recorded")

    # -- the report --------------------------------------------------------------------

    def report(self) -> None:
        """Per role: the console link and the API key; then the figures, from the chain."""
        st = self.state
        self.say(f"\nLog in to the console at {self.url}/console/login with a role's API key "
                 "(keys are also in the demo's state file):")  # fmt: skip
        self.say(f"  consortium admin\n    console  {self.url}/console\n    API key  "
                 f"{self.admin_key}")  # fmt: skip
        for org in s.ORGS:
            home = HOME_BY_KIND.get(org.kind, "/console")
            self.say(f"  {org.zh} {org.en} [{org.kind}, {org.role}]\n"
                     f"    console  {self.url}{home}\n    API key  {st.keys[org.label]}")
        for line in self.figures():
            self.say(line)

    def figures(self) -> list[str]:
        st = self.state
        y = format_yuan
        main, cert = st.ids[s.MAIN.label], st.ids[f"certificate-{s.MAIN.label}"]
        lines = ["", "Figures (read from the chain):"]
        onchain = self.read("auditor", f"/v1/assets/{main}/onchain")
        valued = self.read("auditor", f"/v1/assets/{main}")  # the valuation is an event
        lines.append(f"  {s.MAIN.zh} {s.MAIN.en}: asset {main}, {onchain['status']}, valued "
                     f"{y(int(valued['value_fen']))} yuan; {s.RESOURCE_SET_ITEMS} "
                     f"resources in batch {st.ids['batch']}")  # fmt: skip
        for label in ("xm_registrar", "sz_exchange"):
            status = self.read("auditor", f"/v1/certificates/{cert}/status",
                               {"by": st.orgs[label]})  # fmt: skip
            lines.append(f"  certificate {cert} {status['status']}, recognised by "
                         f"{s.ORG_BY_LABEL[label].en}: {'yes' if status['recognised'] else 'no'}")
        bounds = s.SCHEDULE_LOWER_BOUNDS
        brackets = ", ".join(
            f"{y(lo)}{'-' + y(bounds[i + 1]) if i + 1 < len(bounds) else '+'} yuan "
            f"{bps / 100:g} %" for i, (lo, bps) in enumerate(zip(bounds, s.SCHEDULE_OPERATOR_BPS,
                                                                strict=True))
        )  # fmt: skip
        lines.append(f"  schedule (operator's share by bracket): {brackets}")
        for pid in st.payments:
            p = self.read("auditor", f"/v1/payments/{pid}")
            lines.append(f"  payment {y(p['amount'])} yuan: operator {y(p['operator_share'])}, "
                         f"treasury {y(p['treasury_share'])} ({p['settlement']})")
        off = self.read("auditor", f"/v1/payments/{st.ids['offchain-payment']}")
        lines.append(f"  off-chain payment {y(off['amount'])} yuan: operator "
                     f"{y(off['operator_share'])}, treasury {y(off['treasury_share'])} "
                     f"({'remitted' if off['remitted'] else 'awaiting remittance'})")
        totals = self.read("auditor", f"/v1/assets/{main}/remittance")
        lines.append(f"  totals: paid {y(totals['total_paid'])}, operator "
                     f"{y(totals['operator_total'])}, treasury {y(totals['treasury_total'])}, "
                     f"outstanding remittance {y(totals['outstanding_remittance'])} yuan")
        pledge = self.read("bank", f"/v1/pledges/{st.ids['pledge']}/onchain")
        lines.append(f"  pledge to {s.ORG_BY_LABEL['bank'].en}: "
                     f"{y(int(pledge['record']['amountFen']))} yuan, {pledge['status']}")
        equity = self.read("auditor", f"/v1/pledges/{st.ids['equity']}/onchain")
        lines.append(f"  equity contribution of {s.VAULT.en}: valued "
                     f"{y(int(equity['record']['amountFen']))} yuan, {equity['status']}")
        health = self.read("auditor", f"/v1/assets/{st.ids[s.HEALTH.label]}/onchain")
        lines.append(f"  {s.HEALTH.en}: {health['status']} (certificate "
                     f"{health['current_certificate_status']})")
        return lines
