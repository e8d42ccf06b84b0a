"""Page load of the console's busiest pages with 1,000 assets in the store, against a bare
FastAPI page of the same size measured in the same run.

Starts the gateway on the in-process chain (memory mode) with a Qingdao cast, loads 1,000
asset rows and their catalogue documents into the indexed store (as
``tests/console/test_load.py`` does), then times, through the same in-process HTTP client:

- the holder's, the registrar's and the finance department's workbenches and the asset
  search (``/console/assets?q=...``), each logged in as its user; the holder's workbench
  also at its last page of assets and searched by catalogue code (its list is counted and
  paged, fifty rows a page);
- the baseline: a bare FastAPI route that builds an HTML table of 1,000 rows per request,
  padded to the byte size of the console page it stands beside.

Reports p50 and p99 in milliseconds and the ratio of each page's p50 to its baseline's,
and writes ``bench/results/console_pages.json``. Tests never assert on these numbers.

Run: ``.venv/bin/python bench/console_pages.py [--rounds 30]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script: `python bench/console_pages.py`
    sys.path.insert(0, str(REPO_ROOT))

from fastapi import FastAPI  # noqa: E402
from fastapi.responses import HTMLResponse  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from bench.support.machine import finish, machine, results_dir  # noqa: E402
from tests.console.conftest import QINGDAO, admit_cast, build_app, start_runtime  # noqa: E402
from tests.console.many_assets import COUNT, seed_assets  # noqa: E402

OUT_NAME = "console_pages.json"
PAGES = {
    "holder": ("holder", "/console/holder"),
    "holder-last-page": ("holder", "/console/holder?assets_page=20"),
    "holder-search": ("holder", "/console/holder?q=370200-LD-2025-0007"),
    "registrar": ("registrar", "/console/registrar"),
    "finance": ("finance", "/console/finance"),
    "asset-search": ("bank", "/console/assets?q=%E8%B4%9F%E8%BD%BD"),  # q=负载
}


def _timed(get: Callable[[], Any], rounds: int) -> list[float]:
    get()  # warm: templates compiled, caches filled
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        answer = get()
        out.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.status_code
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def baseline_app(sizes: dict[str, int]) -> FastAPI:
    """A bare page per measured page: 1,000 table rows built per request, padded to the
    console page's size."""
    app = FastAPI()

    @app.get("/bare/{name}")
    def bare(name: str) -> HTMLResponse:
        rows = "".join(
            f"<tr><td><a href='/a/0x{i:064x}'>负载测试资源 {i}</a></td><td>已登记</td>"
            f"<td>{i * 1000:,}.00 元</td></tr>"
            for i in range(1, COUNT + 1)
        )
        body = f"<!doctype html><html><body><table>{rows}</table></body></html>"
        pad = sizes[name] - len(body.encode())
        return HTMLResponse(body + ("<!--" + "x" * (pad - 7) + "-->" if pad > 7 else ""))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as folder:
        runtime = start_runtime(Path(folder))
        app = build_app(runtime)
        with TestClient(app, raise_server_exceptions=True):
            cast = admit_cast(runtime)
            holder = cast.orgs["holder"]
            seed_assets(runtime, app.state.indexer_store, holder, QINGDAO)
            sessions: dict[str, TestClient] = {}
            for label, _ in PAGES.values():
                browser = TestClient(app, follow_redirects=False)
                answer = browser.post("/console/login", data={"api_key": cast.keys[label]})
                assert answer.status_code == 303
                sessions[label] = browser
            sizes = {name: len(sessions[label].get(path).content)
                     for name, (label, path) in PAGES.items()}  # fmt: skip
            bare = TestClient(baseline_app(sizes))
            results: dict[str, Any] = {}
            for name, (label, path) in PAGES.items():
                page = _timed(lambda label=label, path=path: sessions[label].get(path),  # type: ignore[misc]
                              args.rounds)  # fmt: skip
                base = _timed(lambda name=name: bare.get(f"/bare/{name}"), args.rounds)  # type: ignore[misc]
                results[name] = {
                    "path": path, "bytes": sizes[name],
                    "p50_ms": _p(page, 0.5), "p99_ms": _p(page, 0.99),
                    "baseline_p50_ms": _p(base, 0.5), "baseline_p99_ms": _p(base, 0.99),
                    "ratio_p50": round(statistics.median(page) / statistics.median(base), 2),
                }  # fmt: skip
                print(
                    f"{name:13} {sizes[name]:>8} B  p50 {results[name]['p50_ms']:>7} ms  "
                    f"p99 {results[name]['p99_ms']:>7} ms  bare p50 "
                    f"{results[name]['baseline_p50_ms']:>6} ms  x{results[name]['ratio_p50']}"
                )
        runtime.close()
    out = results_dir() / OUT_NAME
    out.write_text(json.dumps({
        "what": "console page load with 1,000 assets in the store vs a bare FastAPI page of "
                "the same size (in-process HTTP client, same run)",
        "assets": COUNT, "rounds": args.rounds,
        "machine": finish(info),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pages": results,
    }, indent=2, ensure_ascii=False) + "\n")  # fmt: skip
    print(f"written {out}")


if __name__ == "__main__":
    main()
