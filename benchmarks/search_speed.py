"""Full-text search on a million conversation turns: query latency and the index's size.

The database is built the way the app fills it (the schema by the migrations, rows through
SQLite with the triggers on, so the index is written as it would be): 10,000 sessions of 100
turns each, a handoff per session, 500 knowledge items. The text is real English and code
comments (lines of the Python standard library's sources, a few to a dozen per turn), so
the vocabulary and word frequencies look like a conversation about code, not like a
generator's handful of words.

Each query runs through ``services.search.search`` (the code the TUI and the CLI call), first
page of 20, ``--runs`` times; the figure is the median and the 95th percentile. Targets: under
50 ms per query; the index no larger than the text it indexes.

    python benchmarks/search_speed.py [--turns N] [--runs N] [--readme]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import BenchError, emit, fail, machine, progress, write_readme_block

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.fts import INDEXES
from orchestrator_tui.services.search import search

README_BLOCK = "search-bench"
TURNS_PER_SESSION = 100
PROJECTS = 20
KNOWLEDGE = 500
TARGET_MS = 50.0
# (label, query): rare and common words, a phrase, a prefix, several words, a project filter.
QUERIES = (
    ("rare word", "zipimporter"),
    ("uncommon word", "deadlock"),
    ("common word", "return"),
    ("very common words", "the file"),
    ("phrase", '"file descriptor"'),
    ("prefix", "serializ*"),
    ("three words", "socket timeout error"),
    ("error name", "ValueError"),
    ("no match", "xyzzyplugh"),
)
PROJECT_QUERY = ("common word, one project", "return")


def corpus() -> list[str]:
    """Lines of prose and comments from the standard library's modules."""
    lines = []
    for path in sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py")):
        for line in path.read_text(encoding="utf-8", errors="ignore").splitlines():
            stripped = line.strip().lstrip("#").strip()
            if len(stripped) > 20:
                lines.append(stripped)
    if len(lines) < 10_000:
        raise BenchError("the standard library's sources are not here to build the text from")
    return lines


def build(path: Path, turns: int, seed: int = 5) -> dict[str, int]:
    """The database, filled through SQLite with the index's triggers on."""
    Database.open(f"sqlite:///{path}").close()  # the schema, by the migrations
    rng = random.Random(seed)
    lines = corpus()
    sessions = max(1, turns // TURNS_PER_SESSION)
    text_bytes = 0
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=OFF")
        raw.executemany(
            "INSERT INTO project (id, name, description, status, created_at, updated_at) "
            "VALUES (?, ?, '', 'active', '2026-01-01', '2026-01-01')",
            [(number, f"project {number}") for number in range(1, PROJECTS + 1)],
        )
        turn_id = 0
        for session_id in range(1, sessions + 1):
            title = " ".join(rng.choice(lines).split()[:6])
            raw.execute(
                "INSERT INTO session (id, project_id, number, status, session_type, title, "
                "objectives, accomplishments, blockers, next_steps, started_at, notes) "
                "VALUES (?, ?, ?, 'completed', 'development', ?, ?, ?, '', '', "
                "'2026-01-01', '')",
                (
                    session_id,
                    session_id % PROJECTS + 1,
                    session_id,
                    title,
                    rng.choice(lines),
                    rng.choice(lines),
                ),
            )
            rows = []
            for position in range(TURNS_PER_SESSION):
                if turn_id >= turns:
                    break
                turn_id += 1
                content = "\n".join(rng.choice(lines) for _ in range(rng.choice((1, 2, 4, 8, 12))))
                text_bytes += len(content.encode("utf-8"))
                role = "user" if position % 2 == 0 else "assistant"
                rows.append((turn_id, session_id, position, role, content))
            raw.executemany(
                "INSERT INTO conversation_turn (id, session_id, position, role, content, kind, "
                "is_error, thread) VALUES (?, ?, ?, ?, ?, 'text', 0, '')",
                rows,
            )
            handoff = "\n".join(f"- {rng.choice(lines)}" for _ in range(20))
            text_bytes += len(handoff.encode("utf-8"))
            raw.execute(
                "INSERT INTO handoff (session_id, version, provider, content, source_chars, "
                "handoff_chars, created_at) VALUES (?, 1, 'rules', ?, 0, ?, '2026-01-01')",
                (session_id, handoff, len(handoff)),
            )
            if session_id % 500 == 0:
                progress(f"  {turn_id:,} turns written")
        raw.executemany(
            "INSERT INTO knowledge_item (category, title, body, tags, usage_count, created_at, "
            "updated_at) VALUES ('tip', ?, ?, 'bench', 0, '2026-01-01', '2026-01-01')",
            [(rng.choice(lines)[:80], rng.choice(lines)) for _ in range(KNOWLEDGE)],
        )
        for index in INDEXES:
            raw.execute(f"INSERT INTO {index.table}({index.table}) VALUES ('optimize')")
    return {"turns": turn_id, "sessions": sessions, "text_bytes": text_bytes}


def sizes(path: Path) -> dict[str, int]:
    """Bytes of the index (every FTS5 shadow table) and of the text it indexes."""
    with sqlite3.connect(path) as raw:
        pages = dict(raw.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        indexed = 0
        for index in INDEXES:
            columns = " + ".join(f"coalesce(length(CAST({c} AS BLOB)), 0)" for c in index.columns)
            indexed += raw.execute(
                f"SELECT coalesce(sum({columns}), 0) FROM {index.source}"
            ).fetchone()[0]
    index_bytes = sum(
        size for name, size in pages.items() if name.startswith(tuple(i.table for i in INDEXES))
    )
    return {
        "index_bytes": int(index_bytes),
        "text_bytes": int(indexed),
        "file_bytes": path.stat().st_size,
    }


def measure(database: Database, runs: int) -> list[dict[str, Any]]:
    results = []
    for label, query, project in [
        *((label, query, None) for label, query in QUERIES),
        (*PROJECT_QUERY, "project 3"),
    ]:
        search(database, query, project=project)  # warm the page cache once
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            page = search(database, query, project=project)
            timings.append((time.perf_counter() - start) * 1000)
        ordered = sorted(timings)
        results.append(
            {
                "label": label,
                "query": query,
                "hits_on_page": len(page.hits),
                "newest_first": page.newest_first,
                "median_ms": statistics.median(ordered),
                "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
            }
        )
        progress(f"  {label}: {results[-1]['median_ms']:.1f} ms")
    return results


def render(result: dict[str, Any]) -> str:
    size = result["sizes"]
    ratio = size["index_bytes"] / size["text_bytes"]
    lines = [
        f"Measured {result['when']} by `benchmarks/search_speed.py`: "
        f"{result['data']['turns']:,} turns in {result['data']['sessions']:,} sessions "
        f"(plus a handoff each and {KNOWLEDGE} knowledge items), first page of 20, "
        f"median and 95th percentile of {result['runs']} runs.",
        "",
        "| Query | | Median | 95th percentile | Under 50 ms |",
        "|---|---|---|---|---|",
    ]
    for row in result["queries"]:
        note = " (newest first: too common to rank)" if row["newest_first"] else ""
        met = "yes" if row["p95_ms"] < TARGET_MS else "**no**"
        lines.append(
            f"| {row['label']}{note} | `{row['query']}` | {row['median_ms']:.1f} ms | "
            f"{row['p95_ms']:.1f} ms | {met} |"
        )
    lines += [
        "",
        f"Index: {size['index_bytes'] / 1e6:,.0f} MB for {size['text_bytes'] / 1e6:,.0f} MB of "
        f"indexed text ({ratio:.0%} of it; target at most 100%): "
        f"{'met' if ratio <= 1 else '**not met**'}.",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--readme", action="store_true", help="write the figures into README")
    args = parser.parse_args()
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "search.db"
            progress(f"building {args.turns:,} turns…")
            started = time.perf_counter()
            data = build(path, args.turns)
            built = time.perf_counter() - started
            progress(f"built in {built:.0f} s")
            database = Database.open(f"sqlite:///{path}")
            try:
                queries = measure(database, args.runs)
            finally:
                database.close()
            result = {
                "benchmark": "search_speed",
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "machine": machine(),
                "runs": args.runs,
                "data": data,
                "build_seconds": round(built, 1),
                "sizes": sizes(path),
                "queries": queries,
            }
        if args.readme:
            write_readme_block(README_BLOCK, render(result))
        emit(result)
    except (BenchError, OSError, sqlite3.Error) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
