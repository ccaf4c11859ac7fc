"""Full-text search: an FTS5 index over conversation turns, handoffs, sessions' text and
knowledge items, kept in step by triggers (SQLite only; see orchestrator_tui/db/fts.py).
Also an index on session.started_at, which the analytics windows filter on.

Revision ID: 0003_search
Revises: 0002_imports
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_search"
down_revision: str | None = "0002_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZER = "unicode61 remove_diacritics 2"
# (FTS table, source table, indexed columns): written out here, as a migration must not change
# when the code does; tests/test_search.py checks they match orchestrator_tui.db.fts.INDEXES.
INDEXES = (
    ("turn_fts", "conversation_turn", ("content",)),
    ("handoff_fts", "handoff", ("content",)),
    (
        "session_fts",
        "session",
        ("title", "objectives", "accomplishments", "blockers", "next_steps", "notes"),
    ),
    ("knowledge_fts", "knowledge_item", ("title", "body", "tags")),
)


# A bulk writer (the importer) puts a row here for the length of its transaction: turns it
# inserts are then indexed in one statement at its end, five times faster than row by row
# (orchestrator_tui/db/fts.py: deferred_turn_index).
DEFERRED = "search_deferred"


def _statements(fts: str, source: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    # An external-content index forgets a row when given exactly the values it indexed.
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{source}', "
        f"content_rowid='id', tokenize='{TOKENIZER}')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {source} "
        + (f"WHEN NOT EXISTS (SELECT 1 FROM {DEFERRED}) " if fts == "turn_fts" else "")
        + f"BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {source} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {source} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        # How many rows hold each term: the search ranks only queries that are not too common.
        f"CREATE VIRTUAL TABLE {fts}_vocab USING fts5vocab({fts}, row)",
    ]


def _has_fts5() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)")
    except Exception:
        return False
    bind.exec_driver_sql("DROP TABLE temp.fts5_probe")
    return True


def upgrade() -> None:
    op.create_index("ix_session_started_at", "session", ["started_at"])
    if not _has_fts5():
        return  # the search falls back to LIKE
    bind = op.get_bind()
    bind.exec_driver_sql(f"CREATE TABLE {DEFERRED} (id INTEGER PRIMARY KEY)")
    for fts, source, columns in INDEXES:
        for statement in _statements(fts, source, columns):
            bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts, _source, _columns in INDEXES:
            for suffix in ("ai", "ad", "au"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}_vocab")
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {fts}")
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {DEFERRED}")
    op.drop_index("ix_session_started_at", table_name="session")
