"""Completing a session of 10,000 conversation turns, with its rules handoff, on a file database.

One template database is generated (``bench_data.build_long_session_db``: 30 finished
sessions with handoffs, then an open one with ``--turns`` turns that loaded the previous
handoff). Each run works on a fresh copy of that file: ``Database.open`` (not timed: the
migration check at start-up), then the clock runs over exactly what the TUI's complete form
and the ``session complete`` command run:

    services.sessions.complete_session(...)   # one transaction, credits charged
    services.handoffs.generate_handoff(...)   # context, rules engine, new version stored

A second series times the parts of ``generate_handoff`` separately (``build_context``,
``render``, ``store_handoff``), to show where the time goes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import BenchError, Stats, bench_env, emit, fail, progress
from bench_data import LongSessionData, build_long_session_db, url_for

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import handoffs, sessions

TARGET_MS = 1000.0
CREDITS = 180
ACCOMPLISHMENTS = (
    "Cart totals use Decimal end to end; checkout shows VAT per line; "
    "tests for coupons applied once"
)
BLOCKERS = "Stripe webhook retries are flaky in CI; FAILED tests/test_checkout.py::test_refund"
NEXT_STEPS = "Retry the webhook with backoff; document the order export; review the admin page"


def fresh_copy(template: Path, work: Path, index: int) -> Database:
    target = work / f"run-{index}.db"
    shutil.copyfile(template, target)
    return Database.open(url_for(target))


def complete(database: Database, data: LongSessionData) -> tuple[int, str]:
    detail = sessions.complete_session(
        database, data.session_id, CREDITS, ACCOMPLISHMENTS, BLOCKERS, NEXT_STEPS
    )
    handoff = handoffs.generate_handoff(database, data.session_id)
    return detail.credits_used or 0, handoff.content


def check(database: Database, data: LongSessionData, content: str) -> None:
    """The run did the real work: completed, charged, and a handoff built from the turns."""
    detail = sessions.get_session(database, data.session_id)
    if detail.status != "completed" or detail.produced_handoff is None:
        raise BenchError(f"session {data.session_id} was not completed with a handoff")
    if detail.account_credits_remaining != data.credits_remaining - CREDITS:
        raise BenchError("the account was not charged")
    if detail.turn_count != data.turns:
        raise BenchError(f"the session has {detail.turn_count} turns, not {data.turns}")
    if "src/shop/" not in content:
        raise BenchError("the handoff names no file from the conversation")


def time_parts(database: Database, data: LongSessionData) -> dict[str, float]:
    """The same work as ``complete``, with ``generate_handoff`` taken apart (milliseconds)."""
    marks = [time.perf_counter()]
    sessions.complete_session(
        database, data.session_id, CREDITS, ACCOMPLISHMENTS, BLOCKERS, NEXT_STEPS
    )
    marks.append(time.perf_counter())
    context = handoffs.build_context(database, data.session_id)
    marks.append(time.perf_counter())
    content = handoffs.render(context)
    marks.append(time.perf_counter())
    handoffs.store_handoff(
        database, data.session_id, content, "rules", source_chars=context.source_chars
    )
    marks.append(time.perf_counter())
    names = ("complete_session", "build_context", "render", "store_handoff")
    return {name: (marks[i + 1] - marks[i]) * 1000 for i, name in enumerate(names)}


def run(turns: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-complete-") as tmp:
        work = Path(tmp)
        os.environ.update(bench_env(work / "data"))
        progress(f"  complete: generating a session of {turns:,} turns")
        data = build_long_session_db(work / "template.db", turns)
        total: list[float] = []
        chars = 0
        for index in range(runs + 1):
            database = fresh_copy(data.path, work, index)
            try:
                start = time.perf_counter()
                _, content = complete(database, data)
                elapsed = (time.perf_counter() - start) * 1000
                check(database, data, content)
            finally:
                database.close()
            chars = len(content)
            if index > 0:  # the first run pays first-use costs (imports, compiled regexes)
                total.append(elapsed)
        progress("  complete: timing the parts")
        parts: dict[str, list[float]] = {
            "complete_session": [],
            "build_context": [],
            "render": [],
            "store_handoff": [],
        }
        context_turns = 0
        for index in range(runs + 1, 2 * runs + 1):
            database = fresh_copy(data.path, work, index)
            try:
                for name, seconds in time_parts(database, data).items():
                    parts[name].append(seconds)
                context_turns = len(handoffs.build_context(database, data.session_id).turns)
            finally:
                database.close()
    stats = Stats.of(total)
    return {
        "turns": turns,
        "turns_read_by_generator": context_turns,
        "handoff_chars": chars,
        "total": stats.as_dict(),
        "parts_median_ms": {name: statistics.median(values) for name, values in parts.items()},
        "target_ms": TARGET_MS,
        "met": stats.median < TARGET_MS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Complete a long session, with its handoff.")
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs after the first")
    args = parser.parse_args()
    try:
        emit(run(args.turns, args.runs))
    except (BenchError, OSError) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
