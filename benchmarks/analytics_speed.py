"""How long the analytics take (``services.analytics.credit_stats``: every figure of the
`stats` command and the analytics screen) on generated databases of many sessions.

For each size (``--sessions``, default 10,000 and 50,000 sessions in one project, plus two
small projects; ``bench_data.build_timeline_db``) the stats are computed for several scopes
and windows: everything over 30, 365 and 3,650 days, the big project over 365 days and one
account over 3,650 days. Each is run once to warm up, then ``--runs`` times; the figures are
medians in milliseconds with their spread. Prints one JSON object; with ``--readme`` also
writes them into README.md between ``<!-- analytics-bench:start -->`` and ``-end -->``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import (
    BenchError,
    Stats,
    emit,
    fail,
    machine,
    progress,
    write_readme_block,
)
from bench_data import build_timeline_db, url_for

from orchestrator_tui.db.database import Database
from orchestrator_tui.services.analytics import credit_stats

README_BLOCK = "analytics-bench"
# (label, project, account, days)
CASES: tuple[tuple[str, str | None, str | None, int], ...] = (
    ("everything, 30 days", None, None, 30),
    ("everything, 365 days", None, None, 365),
    ("everything, 3,650 days", None, None, 3650),
    ("the big project, 365 days", "Big project", None, 365),
    ("one account, 3,650 days", None, "claude-1", 3650),
)


def measure(
    database: Database, project: str | None, account: str | None, days: int, runs: int
) -> dict[str, Any]:
    stats = credit_stats(database, project, account, days)  # warm-up (and the figures)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        credit_stats(database, project, account, days)
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "sessions_in_window": stats.sessions,
        "completed_in_window": stats.completed,
        "accomplishments": stats.accomplishments,
        "ms": Stats.of(timings).as_dict(),
    }


def run(sizes: list[int], runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "runs": runs, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as folder:
        for size in sizes:
            progress(f"analytics: generating {size:,} sessions")
            data = build_timeline_db(Path(folder) / f"sessions-{size}.db", size)
            database = Database.open(url_for(data.path))
            try:
                cases = {}
                for label, project, account, days in CASES:
                    progress(f"  {label}")
                    cases[label] = measure(database, project, account, days, runs)
            finally:
                database.close()
            results["sizes"][str(size)] = cases
    return results


def render(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    header = " | ".join(f"{int(size):,} sessions" for size in sizes)
    host = results["machine"]
    load = host["load_average"][0] if host["load_average"] else "?"
    lines = [
        f"Measured {host['date']} by `benchmarks/analytics_speed.py` on {host['cpu_count']} "
        f"CPUs (load average {load} when it started), SQLite {host['sqlite']}: generated "
        f"data, median of {results['runs']} runs after a warm-up; in brackets the sessions "
        "that started in the window.",
        "",
        f"| `stats` for | {header} |",
        "|---|" + "---|" * len(sizes),
    ]
    for label, *_ in CASES:
        cells = []
        for size in sizes:
            case = results["sizes"][size][label]
            cells.append(f"{case['ms']['median']:.1f} ms ({case['sessions_in_window']:,})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Time of the credit analytics query.")
    parser.add_argument(
        "--sessions",
        type=int,
        nargs="+",
        default=[10_000, 50_000],
        help="sessions in the big project, one database per size",
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per case")
    parser.add_argument("--readme", action="store_true", help="write the figures into README")
    args = parser.parse_args()
    try:
        results = run(args.sessions, args.runs)
        if args.readme:
            write_readme_block(README_BLOCK, render(results))
        emit(results)
    except (BenchError, OSError) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
