"""``bench/report.py`` renders results.md from the benchmarks' JSON (no timing here: the
figures are made up, only their rendering is checked)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import report

MACHINE = {
    "python": "3.11.7", "cpus": 2, "cpu_model": "Test CPU @ 2.0GHz",
    "load_average_before": [1.5, 1.0, 0.5], "load_average_after": [2.5, 1.0, 0.5],
}  # fmt: skip


def _read_row(route: str, clients: int, bare: float, gateway: float) -> dict[str, Any]:
    return {"route": route, "clients": clients, "baseline_req_s": bare, "baseline_p50_ms": 1.0,
            "baseline_p99_ms": 4.0, "gateway_req_s": gateway, "gateway_p50_ms": 2.0,
            "gateway_p99_ms": 12.5, "ratio": gateway / bare}  # fmt: skip


def _indexer(events: int, base: float, sqlite: float, rss: float) -> dict[str, Any]:
    return {
        "benchmark": "indexer_speed", "machine": MACHINE, "rounds": 1,
        "chain": {"events": events, "blocks": events // 100, "events_per_block": 100},
        "rows": [
            {"run": "baseline: eth_getLogs + decode", "events_per_s": base, "ratio": 1.0,
             "peak_rss_mb": 150.0},
            {"run": "Indexer.sync into sqlite", "events_per_s": sqlite, "ratio": sqlite / base,
             "peak_rss_mb": rss, "steps": 4},
        ],
    }  # fmt: skip


def _write(folder: Path, name: str, data: dict[str, Any]) -> None:
    (folder / f"{name}.json").write_text(json.dumps(data))


def test_results_md_from_sample_json(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    rows = [_read_row(route, clients, 1000.0, gateway)
            for route, gateway in (("certificate", 600.0), ("status", 500.0), ("verify", 250.0))
            for clients in (1, 8, 32)]  # fmt: skip
    _write(results, "read_path", {
        "benchmark": "read_path", "measured_at": "2026-01-01T00:00:00+00:00",
        "machine": dict(MACHINE, python_loop_s_before=0.101, python_loop_s_after=0.142),
        "seconds_per_measurement": 1.0, "rounds": 1, "rows": rows,
        "peak_rss_mb": {"gateway": 210.0, "baseline": 50.0,
                        "gateway_by_clients": {"1": 190.0, "8": 200.0, "32": 210.0}},
    })  # fmt: skip
    before = [_read_row(r["route"], r["clients"], 1000.0, 100.0) for r in rows]
    _write(results, "read_path_before", {"machine": MACHINE, "rows": before, "tag": "older"})
    _write(results, "indexer_speed_20k", _indexer(20_000, 10_000.0, 6_000.0, 180.0))
    _write(results, "indexer_speed_50k", _indexer(50_000, 40_000.0, 16_000.0, 181.0))
    _write(results, "auth_attempts", {
        "machine": MACHINE, "argon2": {"memory_kib": 65536, "time_cost": 3},
        "guesses": {"argon2_checked_per_s": 2.0, "throttle_refused_per_s": 800.0,
                    "throttle_charged_per_s": 100.0, "refused_x_baseline": 400.0,
                    "charged_x_baseline": 50.0},
        "concurrent_first_requests": {"requests": 32, "one_key_argon2_runs": 1,
                                      "one_key_seconds": 0.5, "separate_keys_argon2_runs": 32,
                                      "separate_keys_seconds": 16.0,
                                      "one_request_peak_rss_mb": 180.0,
                                      "one_key_peak_rss_mb": 190.0},
    })  # fmt: skip
    gas = tmp_path / "gas.json"
    gas.write_text(json.dumps({
        "contracts": {"AssetRegistryV2": 17613}, "size_limit": 20000,
        "operations": {"issueCertificate": {"contract": "AssetRegistryV2", "gas_used": 123348,
                                            "lower_bound": 95008, "new_slots": 3}},
    }))  # fmt: skip
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "read_path.md").write_text("### Profiles\n\nbefore / after frames")

    text = report.render(results, gas, notes)

    assert "Cores: 2; CPU: Test CPU @ 2.0GHz" in text
    assert "| `read_path.json` | 2026-01-01T00:00:00+00:00 | 1.5 -> 2.5 | 0.101 -> 0.142 |" in text
    assert "| `indexer_speed_20k.json` | - | 1.5 -> 2.5 |  |" in text  # not recorded there
    # ratios gateway / bare: 0.60, 0.50 and 0.25 at every client count
    assert "| GET /v1/certificates/{id}/status | 1 | 1,000 | 500 | 0.50 |" in text
    assert "| POST /v1/verify | 1 | 1,000 | 250 | 0.25 |" in text
    summary = text.split("## Against the targets")[1].split("\n## ")[0]
    clients = "x bare FastAPI at 1 / 8 / 32 clients | >= 0.5 each"
    assert f"status: {clients} | 0.50 / 0.50 / 0.50 | yes" in summary
    assert f"verify: {clients} | 0.25 / 0.25 / 0.25 | no" in summary
    assert "p99 at 32 clients | < 20 ms | 12.5 ms | yes" in summary
    target = "ev/s (x baseline) | >= 15,000 ev/s and >= 0.5x"
    assert f"20,000 events: {target} | 6,000 (0.60x) | no" in summary
    assert f"50,000 events: {target} | 16,000 (0.40x) | no" in summary
    assert "one fresh API key: peak RSS | < 400 MB | 190 MB | yes" in summary
    # the earlier run next to this one, RSS figures, the indexer's RSS at two sizes
    assert "| POST /v1/verify | 1 | 0.10 (12.5) | 0.25 (12.5) |" in text
    assert "Peak RSS: gateway 210 MB" in text and "32 clients 210 MB" in text
    assert "| Indexer.sync into sqlite | 180 | 181 |" in text
    gas = "| `issueCertificate` | AssetRegistryV2 | 123,348 | 95,008 | 3 | 1.30 | 125,000 |"
    assert gas in text
    assert "before / after frames" in text
    assert "/work/" not in text and str(tmp_path) not in text


def test_main_writes_results_md_next_to_other_results(tmp_path: Path) -> None:
    _write(tmp_path, "indexer_speed_2k", _indexer(2_000, 1_000.0, 500.0, 100.0))
    assert report.main(["--results", str(tmp_path), "--notes", str(tmp_path)]) == 0
    written = (tmp_path / "results.md").read_text()
    assert "| Indexer.sync into sqlite | 500 | 0.50 | 100 | 4 |" in written
    assert "## Certificate reads" not in written  # no read_path.json: no section


def test_committed_results_render() -> None:
    text = report.render()
    assert "## Certificate reads over HTTP" in text and "## Indexer" in text


def _http_run(label_time: str, ratio32: float, p99_8: float, mined99: float,
              same_call: bool = True) -> dict[str, Any]:  # fmt: skip
    """A one-process HTTP write run; ``same_call``: measured against the raw baseline of
    the gateway's own write (such runs also carry the ratio to the probe)."""
    probe = {"mined_vs_probe": ratio32 * 0.87} if same_call else {}

    def row(kind: str, clients: int, **values: float) -> dict[str, Any]:
        name = f"raw signed sends, {clients} threads" if kind == "raw" else (
            f"gateway POST /v1/assets, {clients} clients")  # fmt: skip
        return {"run": name, "clients": clients, "writes": 320, "answer_ms_p50": 5.0,
                "request_to_mined_s_p50": 0.5, **values}  # fmt: skip

    return {
        "measured_at": label_time, "load_average_start": [3.0, 1.0, 1.0],
        "load_average": [4.0, 1.0, 1.0], "workers": 1, "database": "sqlite",
        "runs": [
            row("raw", 8, mined_tx_s=200.0, answer_ms_p99=9.0, request_to_mined_s_p99=1.0),
            row("gateway", 8, mined_tx_s=100.0, answer_ms_p99=p99_8, request_to_mined_s_p99=1.1,
                mined_vs_raw=0.5),
            row("raw", 32, mined_tx_s=200.0, answer_ms_p99=9.0, request_to_mined_s_p99=1.0),
            row("gateway", 32, mined_tx_s=200.0 * ratio32, answer_ms_p99=50.0,
                request_to_mined_s_p99=mined99, mined_vs_raw=ratio32, block_fill_mean=0.75,
                **probe),
        ],
    }  # fmt: skip


def _http_report(tmp_path: Path, runs: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The report of these HTTP write runs: its whole text and its targets section."""
    _write(tmp_path, "write_path", {"machine": MACHINE, "runs": [], "http": runs})
    text = report.render(tmp_path, None, None)
    return text, text.split("## Against the targets")[1].split("\n## ")[0]


def test_http_writes_render_against_the_targets(tmp_path: Path) -> None:
    text, summary = _http_report(tmp_path, {
        "older": _http_run("2026-01-01T00:00:00+00:00", 0.1, 500.0, 3.0, False),
        "current": _http_run("2026-01-02T00:00:00+00:00", 0.85, 12.0, 1.5)})  # fmt: skip
    assert "x raw signed sends of the same call, 32 clients (x the cheaper probe: 0.74) | " \
        ">= 0.8 | 0.85 | yes" in summary  # fmt: skip
    assert "202 p99 at 8 clients | <= 20 ms | 12.0 ms | yes" in summary
    assert "request -> mined p99 at 32 clients | <= 2 block times (2 s) | 1.50 s | yes" in summary
    assert "| older (2026-01-01T00:00, 1 x sqlite, load 3.0 -> 4.0) | gateway POST /v1/assets, " \
        "32 clients | 20.0 | 0.10 | - | 75% | 5.0 | 50.0 | 0.50 | 3.00 |" in text  # fmt: skip


def test_http_write_targets_take_the_median_of_the_runs_against_the_same_call(
    tmp_path: Path,
) -> None:
    _, summary = _http_report(tmp_path, {
        "probe-only": _http_run("2026-01-01T00:00:00+00:00", 0.1, 500.0, 3.0, False),
        "a": _http_run("2026-01-02T00:00:00+00:00", 0.91, 98.0, 1.16),
        "b": _http_run("2026-01-02T01:00:00+00:00", 0.73, 106.0, 1.20),
        "current": _http_run("2026-01-02T02:00:00+00:00", 0.80, 88.0, 1.16)})  # fmt: skip
    # the run measured against the probe alone is left out of the medians
    assert "32 clients (x the cheaper probe: 0.70 (median of 3 runs, 0.64-0.79)) | >= 0.8 | " \
        "0.80 (median of 3 runs, 0.73-0.91) | yes" in summary  # fmt: skip
    assert "202 p99 at 8 clients | <= 20 ms | 98.0 ms (median of 3 runs, 88.0 ms-106 ms) " \
        "| no" in summary  # fmt: skip
    assert "(2 s) | 1.16 s (median of 3 runs, 1.16 s-1.20 s) | yes" in summary


def test_once_runs_have_the_lean_clients_the_write_targets_take_only_those(
    tmp_path: Path,
) -> None:
    lean_1 = _http_run("2026-01-03T00:00:00+00:00", 0.89, 60.0, 1.1)
    lean_2 = _http_run("2026-01-03T01:00:00+00:00", 0.83, 70.0, 1.3)
    for run in (lean_1, lean_2):
        run["load_generator"] = "keep-alive socket"
    _, summary = _http_report(tmp_path, {
        "a": _http_run("2026-01-02T00:00:00+00:00", 0.61, 98.0, 1.16),
        "b": _http_run("2026-01-02T01:00:00+00:00", 0.73, 106.0, 1.20),
        "c": _http_run("2026-01-02T02:00:00+00:00", 0.66, 88.0, 1.16),
        "lean-1": lean_1, "lean-2": lean_2})  # fmt: skip
    assert ">= 0.8 | 0.86 (median of 2 runs, 0.83-0.89); runs with the lean clients only. " \
        "The 3 runs before them, whose clients took CPU from the same two cores: 0.66 " \
        "(median of 3 runs, 0.61-0.73) | yes" in summary  # fmt: skip
    assert "202 p99 at 8 clients | <= 20 ms | 65.0 ms (median of 2 runs, 60.0 ms-70.0 ms) " \
        "| no" in summary  # fmt: skip
    assert "(2 s) | 1.20 s (median of 2 runs, 1.10 s-1.30 s) | yes" in summary


def test_paced_runs_are_shown_and_noted_on_the_202_target(tmp_path: Path) -> None:
    older = _http_run("2026-01-02T00:00:00+00:00", 0.85, 90.0, 1.2)
    current = _http_run("2026-01-03T00:00:00+00:00", 0.82, 100.0, 1.2)

    def paced(kind: str, p99: float, rate: float) -> dict[str, Any]:
        name = (
            "raw signed registrations, 8 threads"
            if kind == "raw"
            else "gateway POST /v1/assets, 8 clients"
        ) + f", paced at {rate:.0f}/s"
        return {"run": name, "clients": 8, "writes": 3000, "mined_tx_s": rate,
                "answer_ms_p50": 3.0, "answer_ms_p99": p99, "paced_rate": rate,
                "paced_share": 0.5}  # fmt: skip

    older["paced"] = [paced("raw", 30.0, 160.0), paced("gateway", 400.0, 160.0)]
    current["paced"] = [paced("raw", 29.5, 170.0), paced("gateway", 45.0, 170.0)]
    text, summary = _http_report(tmp_path, {"older": older, "current": current})
    # the latest run's paced pair is the note; the closed-loop median is what is judged
    assert "202 p99 at 8 clients | <= 20 ms | 95.0 ms (median of 2 runs, 90.0 ms-100 ms); " \
        "paced at 170/s (50% of the raw rate): 45.0 ms, the raw sends 29.5 ms | no" \
        in summary  # fmt: skip
    assert "| gateway POST /v1/assets, 8 clients, paced at 160/s | 160.0 |" in text
    assert "| raw signed registrations, 8 threads, paced at 170/s | 170.0 |" in text

    # paced runs answered once journaled: the latest, and their median over the runs
    def quick(p99: float, rate: float) -> dict[str, Any]:
        row = paced("gateway", p99, rate)
        row["run"] = (
            "gateway-async" + row["run"].removeprefix("gateway") + (", Prefer: respond-async")
        )
        return row

    older["paced"].append(quick(60.0, 160.0))
    current["paced"].append(quick(20.0, 170.0))
    newest = _http_run("2026-01-03T12:00:00+00:00", 0.82, 100.0, 1.2)
    newest["paced"] = [paced("raw", 29.0, 165.0), paced("gateway", 50.0, 165.0),
                       quick(18.0, 165.0)]  # fmt: skip
    _, summary = _http_report(tmp_path, {"older": older, "current": current, "newest": newest})
    assert "with `Prefer: respond-async` 18.0 ms, the raw sends 29.0 ms; paced with " \
        "`Prefer: respond-async` over the runs: 20.0 ms (median of 3 runs, " \
        "18.0 ms-60.0 ms) | no" in summary  # fmt: skip
    older["paced"].pop()
    current["paced"].pop()

    # a run with a non-default setting is shown but not judged
    tuned = _http_run("2026-01-04T00:00:00+00:00", 0.99, 10.0, 0.5)
    tuned["settings"] = ["send_in_background=true"]
    _, summary = _http_report(tmp_path, {"older": older, "current": current, "tuned": tuned})
    assert "95.0 ms (median of 2 runs, 90.0 ms-100 ms)" in summary

    # so is a run with the node on a core of its own (--layout split); the table says so
    split = _http_run("2026-01-04T00:00:00+00:00", 0.40, 10.0, 0.5)
    split["layout"] = {"name": "split", "gateway_cpus": [0], "node_cpus": [1]}
    text, summary = _http_report(tmp_path, {"older": older, "current": current, "split": split})
    assert "95.0 ms (median of 2 runs, 90.0 ms-100 ms)" in summary
    assert "| split (2026-01-04T00:00, 1 x sqlite, the node on a core of its own, load 3.0 " \
        "-> 4.0) | gateway POST /v1/assets, 32 clients | 80.0 | 0.40 |" in text  # fmt: skip
    split["layout"]["name"] = "shared"
    _, summary = _http_report(tmp_path, {"older": older, "current": current, "split": split})
    assert "90.0 ms (median of 3 runs, 10.0 ms-100 ms)" in summary

    current["paced"][1].update(server_over_20ms=0.012, server_over_50ms=0.0,
                               server_p99_under_ms=25.0)  # fmt: skip
    _, summary = _http_report(tmp_path, {"older": older, "current": current})
    assert "paced at 170/s (50% of the raw rate): 45.0 ms (in the gateway: 1.2% over 20 ms, " \
        "p99 under 25 ms), the raw sends 29.5 ms | no" in summary  # fmt: skip

    # a run paced at a rate of its own (--paced-rate) says so
    for row in current["paced"]:
        row["paced_share"] = None
    _, summary = _http_report(tmp_path, {"older": older, "current": current})
    assert "paced at 170/s (a rate of its own): 45.0 ms" in summary
    for row in current["paced"]:
        row["paced_share"] = 0.5

    # runs answered once journaled: the paced one is in the note, the closed loop is
    # not taken for the gateway's (the closed-loop median stays what is judged)
    quick = {**paced("gateway", 21.0, 170.0), "server_over_20ms": 0.009,
             "server_p99_under_ms": 20.0}  # fmt: skip
    quick["run"] = "gateway-async " + quick["run"].removeprefix("gateway ")
    current["paced"].append(quick)
    eight = next(r for r in current["runs"] if r["clients"] == 8 and r["run"].startswith("g"))
    closed = {**eight, "answer_ms_p99": 5.0}
    closed["run"] = "gateway-async POST /v1/assets, 8 clients, Prefer: respond-async"
    current["runs"].insert(0, closed)  # first: found by its kind, not its place
    _, summary = _http_report(tmp_path, {"older": older, "current": current})
    assert "95.0 ms (median of 2 runs, 90.0 ms-100 ms); paced at 170/s (50% of the raw " \
        "rate): 45.0 ms (in the gateway: 1.2% over 20 ms, p99 under 25 ms), with `Prefer: " \
        "respond-async` 21.0 ms (in the gateway: 0.9% over 20 ms, p99 under 20 ms), the raw " \
        "sends 29.5 ms | no" in summary  # fmt: skip

    # how busy the gateway's process was while its clients ran, when measured
    quick["gateway_busy_while_answering"] = 0.874
    _, summary = _http_report(tmp_path, {"older": older, "current": current})
    assert "with `Prefer: respond-async` 21.0 ms (in the gateway: 0.9% over 20 ms, p99 under " \
        "20 ms; its process at 0.87 of a core), the raw sends 29.5 ms | no" in summary  # fmt: skip
    del quick["server_over_20ms"]
    _, summary = _http_report(tmp_path, {"older": older, "current": current})
    assert "with `Prefer: respond-async` 21.0 ms (in the gateway: its process at 0.87 of a " \
        "core), the raw sends" in summary  # fmt: skip


def test_the_gateway_histogram_of_a_run_gives_its_share_over_20_ms_and_its_p99_bound() -> None:
    from bench.write_path import server_side

    before = {0.005: 10.0, 0.01: 20.0, 0.02: 30.0, 0.025: 30.0, 0.05: 40.0, float("inf"): 40.0}
    after = {0.005: 610.0, 0.01: 900.0, 0.02: 1015.0, 0.025: 1025.0, 0.05: 1039.0,
             float("inf"): 1040.0}  # fmt: skip
    inside = server_side(before, after)  # 1,000 requests in the run
    assert inside["server_over_20ms"] == pytest.approx(0.015)
    assert inside["server_over_50ms"] == pytest.approx(0.001)
    assert inside["server_p99_under_ms"] == 25.0  # 995 of 1,000 under 25 ms
    assert server_side(before, before) == {}


def _memory_row(certificates: int, rss: float) -> dict[str, Any]:
    return {"certificates": certificates, "read": certificates, "lookups_per_s": 350.0,
            "rss_after_start_mb": rss - 5, "rss_after_lookups_mb": rss - 2,
            "rss_after_status_verify_mb": rss, "peak_rss_mb": 206.0, "status_req_s": 900.0,
            "verify_req_s": 1000.0}  # fmt: skip


def test_gateway_memory_renders_flat_or_growing(tmp_path: Path) -> None:
    _write(tmp_path, "gateway_memory", {
        "machine": MACHINE, "store": "SQLite", "lookup_clients": 8, "seconds_status_verify": 3.0,
        "rows": [_memory_row(1, 150.0), _memory_row(2_000, 152.0), _memory_row(20_000, 160.0)],
    })  # fmt: skip
    text = report.render(tmp_path, None, None)
    section = text.split("## Gateway memory as the store grows")[1]
    assert "| 20,000 | 155 | 158 (350/s) | 160 | 206 |" in section
    summary = text.split("## Against the targets")[1].split("\n## ")[0]
    flat = "2,000 -> 20,000 certificates, each read once | flat (reported) | 152 -> 160 MB | yes"
    assert flat in summary
    _write(tmp_path, "gateway_memory", {
        "machine": MACHINE, "rows": [_memory_row(1, 150.0), _memory_row(2_000, 152.0),
                                     _memory_row(20_000, 240.0)],
    })  # fmt: skip
    grown = report.render(tmp_path, None, None).split("## Against the targets")[1]
    assert "| 152 -> 240 MB | no" in grown
