"""Opening the session timeline of a project with many sessions, in the real app, headless.

For one size (``--sessions N``) this script generates the database (``bench_data``), then:

- **first opening**: for each run a fresh ``OrchestratorApp`` under ``run_test()`` (Pilot)
  opens the database and lists the projects; the cursor goes to the big project; the clock
  starts just before Enter is pressed and stops when the app has rendered a frame of the
  timeline screen whose table holds that project's rows (a wrapper around ``App._display``,
  the call that receives each rendered frame). This is what a user sees the first time they
  open a timeline in a session of the app: Textual creates the timeline screen then.
- **re-opening**: in the same app, back to the list, open a small project, back again, then
  Enter on the big project: the timeline screen exists already, only its rows are replaced.
- **queries**: what the worker runs (the project summary and the first page), alone.
- **memory**: in a fresh process (``--memory``), the first opening under ``tracemalloc``: rows
  put into the table, Python heap still held afterwards and at its peak, resident memory.
- with ``--floor``: the same first-opening measurement on ``floor_app.py``, Textual alone.

The first run in the process is left out of the medians (it pays the first import of the
modules the timeline uses) and reported apart. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_common import PYTHON, BenchError, Stats, bench_env, emit, fail, progress, rss_bytes
from bench_data import build_timeline_db, url_for
from floor_app import FloorApp, TimelineLikeScreen
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable

from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.projects import ProjectsScreen
from orchestrator_tui.tui.screens.timeline import TimelineScreen

SIZE = (130, 40)
TIMEOUT = 60.0
TARGET_MS = 100.0
SMALL_PROJECT_ID = 1  # "Side project", 20 sessions


async def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.001)


def shown_rows(screen: object, project_id: int | None) -> int:
    """Rows of ``project_id`` in a timeline(-like) screen's table; 0 before they are there."""
    if isinstance(screen, TimelineScreen):
        if screen.project is None or screen.project.id != project_id:
            return 0
    elif not isinstance(screen, TimelineLikeScreen):
        return 0
    tables = screen.query(DataTable).results(DataTable)
    return next((table.row_count for table in tables), 0)


class FrameWatch:
    """Notes when a rendered frame first shows the project's rows (App._display gets every
    frame the compositor renders; the headless driver then drops it)."""

    def __init__(self, app: App[Any], project_id: int | None) -> None:
        self.app = app
        self.project_id = project_id
        self.rendered_at: float | None = None
        self.rows = 0
        self._display = app._display
        app._display = self.display  # type: ignore[method-assign]

    def display(self, screen: Any, renderable: Any) -> None:
        self._display(screen, renderable)
        if self.rendered_at is None and renderable is not None:
            rows = shown_rows(screen, self.project_id)
            if rows > 0:
                self.rendered_at = time.perf_counter()
                self.rows = rows

    def done(self) -> bool:
        return self.rendered_at is not None

    def stop(self) -> None:
        self.app._display = self._display  # type: ignore[method-assign]


async def press_and_watch(pilot: Pilot[Any], key: str, project_id: int | None) -> FrameWatch:
    """Press ``key``; return once a frame with the project's rows was rendered."""
    watch = FrameWatch(pilot.app, project_id)
    await pilot.press(key)
    await wait_until(watch.done, "a rendered frame with the timeline's rows")
    watch.stop()
    return watch


def elapsed_ms(watch: FrameWatch, start: float) -> float:
    assert watch.rendered_at is not None
    return (watch.rendered_at - start) * 1000


async def select_project(pilot: Pilot[Any], project_id: int) -> None:
    """Wait for the project list (database open, projects loaded); put the cursor on one."""
    app = pilot.app

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, ProjectsScreen) and str(project_id) in {
            str(key.value) for key in screen.query_one(DataTable).rows
        }

    await wait_until(ready, "the project list")
    table = app.screen.query_one(DataTable)
    table.move_cursor(row=table.get_row_index(str(project_id)))
    table.focus()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_and_reopen(url: str, project_id: int) -> dict[str, float]:
    app = OrchestratorApp(url)
    async with app.run_test(size=SIZE) as pilot:
        await select_project(pilot, project_id)
        start = time.perf_counter()
        first = await press_and_watch(pilot, "enter", project_id)
        first_ms = elapsed_ms(first, start)
        await app.workers.wait_for_complete()
        # Another project's timeline, so that coming back replaces the rows.
        await pilot.press("escape")
        await select_project(pilot, SMALL_PROJECT_ID)
        await press_and_watch(pilot, "enter", SMALL_PROJECT_ID)
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await select_project(pilot, project_id)
        start = time.perf_counter()
        again = await press_and_watch(pilot, "enter", project_id)
        again_ms = elapsed_ms(again, start)
        await app.workers.wait_for_complete()
    return {"first_ms": first_ms, "again_ms": again_ms, "rows": float(first.rows)}


async def floor_once() -> float:
    app = FloorApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        start = time.perf_counter()
        watch = await press_and_watch(pilot, "enter", None)
        return elapsed_ms(watch, start)


def query_times(url: str, project_id: int, runs: int = 10) -> dict[str, Any]:
    """What the worker runs to open a timeline, alone: the project summary, the first page."""
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services import projects, sessions

    database = Database.open(url)
    try:
        summary, page = [], []
        for _ in range(runs + 1):
            start = time.perf_counter()
            projects.get_project(database, project_id)
            middle = time.perf_counter()
            rows = sessions.timeline(database, project_id, 0, 100)
            summary.append((middle - start) * 1000)
            page.append((time.perf_counter() - middle) * 1000)
        if len(rows.items) != 100:
            raise BenchError(f"the page query returned {len(rows.items)} rows, not 100")
    finally:
        database.close()
    return {
        "summary_ms": statistics.median(summary[1:]),
        "page_ms": statistics.median(page[1:]),
    }


async def memory_once(url: str, project_id: int) -> dict[str, Any]:
    app = OrchestratorApp(url)
    async with app.run_test(size=SIZE) as pilot:
        await select_project(pilot, project_id)
        gc.collect()
        rss_before = rss_bytes()
        tracemalloc.start()
        await press_and_watch(pilot, "enter", project_id)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = rss_bytes()
        screen = app.screen
        if not isinstance(screen, TimelineScreen):
            raise BenchError("the timeline screen is not showing")
        return {
            "table_rows": screen.query_one("#timeline-table", DataTable).row_count,
            "rows_held": len(screen.rows),
            "sessions_total": screen.total,
            "heap_retained_kib": current / 1024,
            "heap_peak_kib": peak / 1024,
            "rss_delta_kib": (rss_after - rss_before) / 1024,
        }


def memory_in_child(database: Path, project_id: int, env: dict[str, str]) -> dict[str, Any]:
    command = [PYTHON, __file__, "--memory", "--db", str(database), "--project-id", str(project_id)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise BenchError(f"the memory run failed:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(sessions: int, runs: int, floor: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-timeline-") as tmp:
        work = Path(tmp)
        env = bench_env(work / "data")
        os.environ.update(env)  # this process runs the app too
        progress(f"  timeline: generating {sessions:,} sessions")
        started = time.perf_counter()
        data = build_timeline_db(work / f"timeline-{sessions}.db", sessions)
        generated_s = time.perf_counter() - started
        url = url_for(data.path)
        progress(f"  timeline: {runs + 1} apps opening {sessions:,} sessions")
        openings = [asyncio.run(open_and_reopen(url, data.project_id)) for _ in range(runs + 1)]
        queries = query_times(url, data.project_id)
        progress("  timeline: memory (fresh process)")
        memory = memory_in_child(data.path, data.project_id, env)
        floor_runs: list[float] = []
        if floor:
            progress("  timeline: Textual alone (floor_app.py)")
            floor_runs = [asyncio.run(floor_once()) for _ in range(runs + 1)][1:]
    warm = openings[1:]
    first = Stats.of([opening["first_ms"] for opening in warm])
    again = Stats.of([opening["again_ms"] for opening in warm])
    result: dict[str, Any] = {
        "sessions": sessions,
        "turns": data.turns,
        "handoffs": data.handoffs,
        "generated_s": generated_s,
        "first_opening": first.as_dict(),
        "reopening": again.as_dict(),
        "first_in_process_ms": openings[0]["first_ms"],
        "rows_shown": int(warm[-1]["rows"]),
        "queries": queries,
        "memory": memory,
        "target_ms": TARGET_MS,
        "met": first.median < TARGET_MS,
    }
    if floor_runs:
        result["textual_floor"] = Stats.of(floor_runs).as_dict()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="Open the timeline of a big project.")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7, help="timed apps after the first")
    parser.add_argument("--floor", action="store_true", help="also time floor_app.py")
    parser.add_argument("--memory", action="store_true", help="(internal) the memory run")
    parser.add_argument("--db", type=Path, help="(internal) the database for --memory")
    parser.add_argument("--project-id", type=int, default=2, help="(internal)")
    args = parser.parse_args()
    try:
        if args.memory:
            if args.db is None:
                raise BenchError("--memory needs --db")
            emit(asyncio.run(memory_once(url_for(args.db), args.project_id)))
        else:
            emit(run(args.sessions, args.runs, args.floor))
    except (BenchError, OSError) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
