"""``ledger serve --workers N``: more than one process needs a shared PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.cli import main
from tests.txpipe.helpers import free_port


def test_serve_with_several_workers_on_sqlite_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("LEDGER_PORT", str(free_port()))
    assert main(["serve", "--workers", "4"]) == 2
    err = capsys.readouterr().err
    assert "LEDGER_DATABASE_URL" in err and "PostgreSQL" in err and "SQLite" in err
    assert main(["serve", "--workers", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert not (tmp_path / "ledger.db").exists()  # nothing started, nothing created
