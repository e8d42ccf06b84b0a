"""A gateway process with the test-only probe route, for fault tests that SIGKILL it.

    python -m tests.txpipe.probe_server <rpc url> <chain id> <probe address> <var dir> <port>

Creates (once) an organisation and a writer whose API key is ``WRITER_KEY``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from api.main import create_app
from chain.artifacts import load
from chain.runtime import LedgerRuntime
from chain.settings import LedgerSettings
from tests.api.conftest import BOOTSTRAP, probe_router

WRITER_KEY = "dal_writer00_" + "w" * 40
ORG_ID = "0x" + "5a" * 32


def main(argv: list[str]) -> None:
    url, chain_id, probe_address, var_dir, port = argv
    settings = LedgerSettings(
        chain="rpc",
        rpc_url=url,
        chain_id=int(chain_id),
        var_dir=Path(var_dir),
        keystore_passphrase="test-passphrase",
        bootstrap_token=BOOTSTRAP,
    )
    runtime = LedgerRuntime.start(settings, deploy=False)
    if runtime.accounts.find_org(ORG_ID) is None:
        runtime.provision_org(ORG_ID, "Probe org", "holder", 370200)
        runtime.accounts.create_user(ORG_ID, "writer", "writer", api_key=WRITER_KEY)
    probe = runtime.w3.eth.contract(address=probe_address, abi=load("OutboxProbe").abi)
    app = create_app(runtime=runtime)
    app.include_router(probe_router(probe))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
