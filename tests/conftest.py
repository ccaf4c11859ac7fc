"""Shared fixtures. Every test runs with its own data directory and database, UTC time,
and the clipboard in file mode, so nothing reads or writes the user's real data."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator_tui.db.database import Database

SHARED_FORMATS = Path(__file__).resolve().parents[2] / "shared" / "formats"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "data"
    monkeypatch.setenv("ORCHESTRATOR_TUI_DATA_DIR", str(data))
    monkeypatch.setenv("ORCHESTRATOR_TUI_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("HF_TOKEN", "OPENAI_API_KEY", "HF_HOME"):  # never a real token in a test
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ORCHESTRATOR_TUI_DB", raising=False)
    monkeypatch.setenv("ORCHESTRATOR_TUI_CLIPBOARD", "file")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("TMUX", raising=False)
    time.tzset()
    yield data
    os.environ["TZ"] = "UTC"
    time.tzset()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database.open(db_url)
    yield database
    database.close()
