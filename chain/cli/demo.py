"""``ledger demo``: seed the notice's scenario on a running gateway (see
:mod:`chain.demo.runner`). The gateway is ``--api-url`` or ``LEDGER_API_URL``; the key is
the consortium admin's: ``--api-key``, ``LEDGER_API_KEY``, or the bootstrap admin key
that the gateway wrote to ``<LEDGER_VAR_DIR>/secrets/bootstrap-admin-key``. What was
created is kept in ``<LEDGER_VAR_DIR>/demo.json`` (``--state``); a second run finds the
demo there, changes nothing and prints the logins and figures again."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from chain.cli import gateway
from chain.demo import scenario
from chain.paths import DEFAULT_VAR_DIR

#: seconds one HTTP answer may take (a waited write answers within 120 s)
HTTP_TIMEOUT = 180.0


def var_dir() -> Path:
    value = os.environ.get("LEDGER_VAR_DIR")
    return Path(value) if value else DEFAULT_VAR_DIR


def admin_key(option: str | None) -> str | None:
    key = gateway.api_key(option)
    if key is not None:
        return key
    try:
        text = (var_dir() / "secrets" / "bootstrap-admin-key").read_text(encoding="utf-8")
    except OSError:
        return None
    return text.strip() or None


def add_command(sub: Any) -> None:
    demo = sub.add_parser("demo", help="seed the notice's scenario on a running gateway")
    demo.add_argument("--api-url", help=f"default: ${gateway.API_URL_ENV} or "
                      f"{gateway.DEFAULT_API_URL}")  # fmt: skip
    demo.add_argument("--api-key", help="the consortium admin's key (default: "
                      f"${gateway.API_KEY_ENV} or <var>/secrets/bootstrap-admin-key)")
    demo.add_argument("--notice-seconds", type=int,
                      help="Qingdao's public notice window, waited out for real (default "
                      f"{scenario.NOTICE_WINDOW_SECONDS}; "
                      f"{scenario.MEMORY_CHAIN_NOTICE_WINDOW_SECONDS} on the in-process chain)",
                      )  # fmt: skip
    demo.add_argument("--state", type=Path, help="state file (default: <var>/demo.json)")


def cmd_demo(args: argparse.Namespace) -> int:
    from chain.demo.runner import Demo, DemoFailed  # the runner imports chain.cli.gateway

    url = gateway.api_url(args.api_url)
    key = admin_key(args.api_key)
    if key is None:
        print(f"error: no admin key: pass --api-key, set {gateway.API_KEY_ENV}, or start the "
              "gateway here first (`make run` writes var/secrets/bootstrap-admin-key)",
              file=sys.stderr)  # fmt: skip
        return 1
    state = args.state or var_dir() / "demo.json"
    try:
        with gateway.CLIENT_FACTORY(url, HTTP_TIMEOUT) as client:
            demo = Demo(client, url, key, state, notice_seconds=args.notice_seconds,
                        out=sys.stdout)  # fmt: skip
            demo.run()
            demo.report()
    except DemoFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except gateway.GatewayProblem as exc:
        print(f"error [{exc.code}]: {exc.detail}", file=sys.stderr)
        return 1
    except gateway.GatewayUnreachable as exc:
        print(f"error [gateway-unreachable]: {exc} (start it with `make run`)", file=sys.stderr)
        return 1
    return 0
