"""A write answered with ``?wait=true`` is readable at once: the answer waits until the
store has indexed the write's block, and says so in ``Ledger-Indexed``."""

from __future__ import annotations

from tests.workflows.world import RegistryWorld


def test_registered_asset_is_read_from_the_store_right_after_the_waited_write(
    w: RegistryWorld,
) -> None:
    for n in range(8):
        body = {"catalogue_code": f"370200-RYW-{n:04d}", "domain_code": 7, "metadata": {"n": n}}
        written = w.ok("POST", "/v1/assets", "holder", body)
        assert written.headers["Ledger-Indexed"] == "true"
        block = written.json()["block_number"]
        assert int(written.headers["Ledger-Indexed-Block"]) >= block
        asset_id = written.headers["Ledger-Resource-Id"]
        read = w.client.get(f"/v1/assets/{asset_id}", headers=w.auth("holder"))
        assert read.status_code == 200, read.text
        assert read.json()["asset_id"] == asset_id


def test_answer_without_wait_says_nothing_of_the_index(w: RegistryWorld) -> None:
    body = {"catalogue_code": "370200-RYW-NOWAIT", "domain_code": 7, "metadata": {"n": 0}}
    response = w.call("POST", "/v1/assets", "holder", body, wait=False)
    assert response.status_code == 202, response.text
    assert "Ledger-Indexed" not in response.headers


def test_wait_for_a_block_gives_up_when_the_indexer_is_not_running(w: RegistryWorld) -> None:
    runner = w.client.app.state.indexer  # type: ignore[attr-defined]
    assert runner.wait_indexed(0, 1.0) is True
    far = w.runtime.w3.eth.block_number + 1_000
    assert runner.wait_indexed(far, 0.2) is False
