"""The read benchmark's baseline: a bare FastAPI app answering the gateway's JSON.

``python bench/bare_app.py PORT ANSWERS.json`` serves, on 127.0.0.1:PORT, the same three
paths as the gateway's read routes (``GET /v1/certificates/{id}``,
``GET /v1/certificates/{id}/status``, ``POST /v1/verify``), each returning the JSON the
gateway answered for them (read from ANSWERS.json: ``{"certificate": ..., "status": ...,
"verify": ...}``), with no work besides routing, parsing the path and the body, and
serialising. Started with the same uvicorn options as the gateway in ``read_path.py``.
Every route is ``async``, like the gateway's three (no worker thread per request).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


def make_app(answers: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    # every route `async`, as the gateway's three: a plain `def` route runs in a worker
    # thread, a hop that cost the bare app ~0.3 ms a request at 1 client here (668-936
    # req/s for the two GETs against 1,518 for the async POST in one run)
    @app.get("/v1/certificates/{cert_id}")
    async def certificate(cert_id: str) -> Any:
        return answers["certificate"]

    @app.get("/v1/certificates/{cert_id}/status")
    async def status(cert_id: str) -> Any:
        return answers["status"]

    @app.post("/v1/verify")
    async def verify(request: Request) -> Any:
        await request.json()
        return answers["verify"]

    @app.get("/readyz")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    port, answers = int(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text())
    uvicorn.run(make_app(answers), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)  # fmt: skip


if __name__ == "__main__":
    main()
