"""Time to the first frame in a pseudo-terminal: ``orchestrator-tui`` against a bare Textual app.

"First frame" means the same thing for every program: the time from just before the process
is spawned until the first text the app draws is read back from the pty (escape sequences
stripped). For the bare app that text is its one line; for orchestrator-tui it is the project
list's summary line, which the first frame shows as "Opening the database…" (the database is
opened by a thread worker after mounting) and later as "4 project(s)". The database is an
existing file with the demo data, so the migration check has nothing to do.

Also measured, for information (no target applies): the time until orchestrator-tui lists the
projects, and a second yardstick, ``widgets_app.py`` (Textual with the project list's widgets
and no data layer). Runs alternate between the programs; the first run of each is a
discarded cold run. Then ``startup_probe.py`` runs each program a few more times to split the
time into "until App.run" (interpreter and imports) and "App.run to first frame", and to name
any database module imported before the first frame.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pexpect
from bare_app import LINE as BARE_LINE
from bench_common import BENCH_DIR, PYTHON, BenchError, Stats, bench_env, emit, fail, progress
from widgets_app import LINE as WIDGETS_LINE

SCRIPT = Path(PYTHON).parent / "orchestrator-tui"
ROWS, COLUMNS = 40, 130
CTRL_Q = b"\x11"
TIMEOUT = 30.0
TARGET_RATIO = 1.5
PROBE_RUNS = 3

# CSI, OSC, DCS and two-character escape sequences.
_ANSI = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1bP[^\x1b]*\x1b\\|\x1b[@-_]"
)


@dataclass(frozen=True)
class Program:
    key: str
    name: str
    script: Path
    args: list[str]
    # Texts in the order they appear; the first one is the first frame.
    markers: list[str]

    def command(self) -> list[str]:
        return [PYTHON, str(self.script), *self.args]


def visible_text(raw: bytes) -> str:
    return _ANSI.sub(b"", raw).decode("utf-8", "replace")


def measure_once(
    program: Program, command: list[str], env: dict[str, str], cwd: Path
) -> list[float]:
    """Spawn ``command`` in a pty; milliseconds until each marker appears; then ctrl+q."""
    found: list[float] = []
    raw = b""
    start = time.perf_counter()
    child = pexpect.spawn(
        command[0], command[1:], env=env, cwd=str(cwd), dimensions=(ROWS, COLUMNS), timeout=TIMEOUT
    )
    try:
        while len(found) < len(program.markers):
            remaining = TIMEOUT - (time.perf_counter() - start)
            if remaining <= 0:
                raise pexpect.TIMEOUT("no marker in time")
            chunk: bytes = child.read_nonblocking(1 << 16, timeout=remaining)
            now = time.perf_counter()
            raw += chunk
            text = visible_text(raw)
            while len(found) < len(program.markers) and program.markers[len(found)] in text:
                found.append((now - start) * 1000)
        child.send(CTRL_Q)
        child.expect(pexpect.EOF, timeout=TIMEOUT)
    except (pexpect.TIMEOUT, pexpect.EOF) as error:
        kind = "exited" if isinstance(error, pexpect.EOF) else "timed out"
        raise BenchError(
            f"{program.name} {kind} before showing {program.markers[len(found)]!r}. "
            f"What it showed:\n{visible_text(raw)[-1500:]}"
        ) from error
    finally:
        child.close(force=True)
    if child.exitstatus not in (0, None):
        raise BenchError(f"{program.name} exited with status {child.exitstatus}")
    return found


def make_demo_db(path: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(SCRIPT), "--db", str(path), "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"`orchestrator-tui demo` failed: {done.stderr.strip()}")


def probe(program: Program, env: dict[str, str], work: Path) -> dict[str, Any]:
    """Median phases over a few probed runs, and what the last one saw imported."""
    output = work / f"probe-{program.key}.json"
    command = [PYTHON, str(BENCH_DIR / "startup_probe.py"), str(output), *program.command()[1:]]
    runs: list[dict[str, Any]] = []
    for _ in range(PROBE_RUNS):
        output.unlink(missing_ok=True)
        measure_once(program, command, env, work)
        if not output.exists():
            raise BenchError(f"the start-up probe saw no frame of {program.name}")
        runs.append(json.loads(output.read_text()))
    app_run = statistics.median(run["marks"]["app_run"] for run in runs)
    first = statistics.median(run["marks"]["first_frame"] for run in runs)
    return {
        "until_app_run_ms": round(app_run, 1),
        "app_run_to_first_frame_ms": round(first - app_run, 1),
        "db_modules_at_first_frame": runs[-1]["db_modules_at_first_frame"],
        "db_imports": runs[-1]["db_imports"],
    }


def run(runs: int) -> dict[str, Any]:
    if not SCRIPT.exists():
        raise BenchError(f"{SCRIPT} is missing: run `make bench` (it installs the package)")
    with tempfile.TemporaryDirectory(prefix="bench-first-frame-") as tmp:
        work = Path(tmp)
        env = bench_env(work / "data")
        database = work / "demo.db"
        make_demo_db(database, env)
        programs = [
            Program("bare", "bare Textual app", BENCH_DIR / "bare_app.py", [], [BARE_LINE]),
            Program(
                "orchestrator",
                "orchestrator-tui",
                SCRIPT,
                ["--db", str(database)],
                ["Opening the database", "project(s)"],
            ),
            Program(
                "widgets", "Textual widgets app", BENCH_DIR / "widgets_app.py", [], [WIDGETS_LINE]
            ),
        ]
        samples: dict[str, list[list[float]]] = {program.key: [] for program in programs}
        for index in range(runs + 1):
            for program in programs:
                times = measure_once(program, program.command(), env, work)
                if index > 0:  # the first run of each program is cold: discarded
                    samples[program.key].append(times)
            progress(
                f"  first frame: run {index}/{runs}" + (" (cold, discarded)" if not index else "")
            )
        progress("  first frame: probing where the start-up time goes")
        probes = {program.key: probe(program, env, work) for program in programs}
    stats = {key: Stats.of([times[0] for times in values]) for key, values in samples.items()}
    listed = Stats.of([times[1] for times in samples["orchestrator"]])
    ratio = stats["orchestrator"].median / stats["bare"].median
    return {
        "definition": "spawn → first text drawn by the app read back from the pty",
        "bare": stats["bare"].as_dict(),
        "orchestrator": stats["orchestrator"].as_dict(),
        "widgets": stats["widgets"].as_dict(),
        "projects_listed": listed.as_dict(),
        "ratio": ratio,
        "widgets_ratio": stats["widgets"].median / stats["bare"].median,
        "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO,
        "probes": probes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Time to the first frame in a pty.")
    parser.add_argument("--runs", type=int, default=10, help="warm runs of each program")
    args = parser.parse_args()
    try:
        emit(run(args.runs))
    except (BenchError, OSError, pexpect.ExceptionPexpect) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
