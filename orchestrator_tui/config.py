"""Where data lives and which database to open.

Kept free of heavy imports: the CLI and the TUI read it before anything else loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "orchestrator-tui"
DB_ENV = "ORCHESTRATOR_TUI_DB"
DATA_DIR_ENV = "ORCHESTRATOR_TUI_DATA_DIR"
DEFAULT_DB_FILENAME = "orchestrator.db"


def data_dir() -> Path:
    """The user data directory (``ORCHESTRATOR_TUI_DATA_DIR`` overrides platformdirs)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def database_url(value: str | None = None) -> str:
    """Resolve ``--db`` / ``ORCHESTRATOR_TUI_DB`` / the default into a SQLAlchemy URL.

    A value with ``://`` is taken as a URL; anything else is a SQLite file path.
    """
    chosen = value or os.environ.get(DB_ENV) or str(data_dir() / DEFAULT_DB_FILENAME)
    if "://" in chosen:
        return chosen
    return "sqlite:///" + str(Path(chosen).expanduser().resolve())


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, prefix + ":memory:"):
        return None
    return Path(url[len(prefix) :])


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path

    @classmethod
    def load(cls, db: str | None = None) -> Settings:
        return cls(database_url=database_url(db), data_dir=data_dir())
