"""The full-text index (SQLite FTS5): which tables it covers, under which names.

Migration 0003 creates, for each source table below, an FTS5 table that reads its text from
the source rows (``content=``, so the text is stored once; the index alone is about half the
text's size) and three triggers that keep it in step with every INSERT, UPDATE and DELETE,
whoever writes (the services, the importer's bulk inserts, cascading deletes).

A later migration that rebuilds one of these source tables (Alembic's batch mode copies a
table on SQLite) drops its triggers with it: it must create them again and rebuild the index
(``INSERT INTO <fts>(<fts>) VALUES ('rebuild')``).

Without FTS5 (another database, or an SQLite built without it) none of this exists and the
search falls back to LIKE (``services/search.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, text

TOKENIZER = "unicode61 remove_diacritics 2"


@dataclass(frozen=True)
class FtsIndex:
    kind: str  # what a hit is: turn, handoff, session, knowledge
    table: str  # the FTS5 table
    source: str  # the table it indexes (rowid = its id)
    columns: tuple[str, ...]


INDEXES = (
    FtsIndex("turn", "turn_fts", "conversation_turn", ("content",)),
    FtsIndex("handoff", "handoff_fts", "handoff", ("content",)),
    # A session's own text: its title and what its forms say ("session notes").
    FtsIndex(
        "session",
        "session_fts",
        "session",
        ("title", "objectives", "accomplishments", "blockers", "next_steps", "notes"),
    ),
    FtsIndex("knowledge", "knowledge_fts", "knowledge_item", ("title", "body", "tags")),
)
BY_KIND = {index.kind: index for index in INDEXES}
# FTS5 keeps each index in shadow tables named after it: <table>_data, _idx, _docsize, _config.
# Each also has <table>_vocab (fts5vocab, row): how many rows hold each term.
_SHADOW = ("", "_data", "_idx", "_docsize", "_config", "_content", "_vocab")


DEFERRED = "search_deferred"  # a row here: turns are indexed by deferred_turn_index


def is_index_table(name: str) -> bool:
    """An FTS table, one of its shadow tables, or the deferral flag (none of them is part of
    the models' schema)."""
    return name == DEFERRED or any(
        name == index.table + suffix for index in INDEXES for suffix in _SHADOW
    )


def index_present(connection: Connection) -> bool:
    """Whether migration 0003 created the index in this database."""
    if connection.dialect.name != "sqlite":
        return False
    found = connection.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": INDEXES[0].table},
    ).scalar_one()
    return bool(found)


@contextmanager
def deferred_turn_index(connection: Connection) -> Iterator[None]:
    """For a bulk writer, inside its transaction: the turns inserted meanwhile are indexed in
    one statement at the end (row by row, through the trigger, is five times slower). Turns
    must only be inserted meanwhile, not changed or deleted. On an exception the caller's
    transaction rolls back, the flag with it."""
    if not index_present(connection):
        yield
        return
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM conversation_turn"))
    last = int(before.scalar_one())
    connection.execute(text(f"INSERT INTO {DEFERRED} (id) VALUES (1)"))
    yield
    connection.execute(
        text(
            "INSERT INTO turn_fts(rowid, content) "
            "SELECT id, content FROM conversation_turn WHERE id > :last ORDER BY id"
        ),
        {"last": last},
    )
    connection.execute(text(f"DELETE FROM {DEFERRED}"))
