"""Reading a SQLite file directly, past the app, to check what a command left behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from orchestrator_tui.db import fts


def table_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a refused command. The search
    index is left out: triggers keep it equal to the rows (tests/test_search.py)."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if not fts.is_index_table(row[0])
        ]
        return {
            table: connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            for table in tables
        }
    finally:
        connection.close()
