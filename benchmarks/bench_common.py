"""Shared helpers for the benchmarks: statistics, the machine, memory, errors, sub-runs.

Every benchmark script prints one JSON object on stdout; ``run_all.py`` starts each one in its
own process (so that memory figures and import caches do not leak between measurements) and
reads that object back.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PYTHON = sys.executable


class BenchError(Exception):
    """A benchmark could not measure what it should; the message says what went wrong."""


@dataclass(frozen=True)
class Stats:
    """A sample of timings in milliseconds."""

    runs: int
    median: float
    low: float
    high: float
    q1: float
    q3: float
    values: list[float]

    @classmethod
    def of(cls, values_ms: list[float]) -> Stats:
        if not values_ms:
            raise BenchError("no measurement was taken")
        ordered = sorted(values_ms)
        if len(ordered) >= 4:
            q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        else:
            q1, q3 = ordered[0], ordered[-1]
        return cls(
            runs=len(ordered),
            median=statistics.median(ordered),
            low=ordered[0],
            high=ordered[-1],
            q1=q1,
            q3=q3,
            values=[round(value, 2) for value in values_ms],
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def spread(self) -> str:
        """Median with the range and the interquartile range, for the README."""
        return (
            f"{self.median:.0f} ms (min {self.low:.0f}, max {self.high:.0f}, "
            f"IQR {self.q1:.0f}–{self.q3:.0f}; {self.runs} runs)"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def machine() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": platform.platform(terse=True),
        "textual": _version("textual"),
        "sqlalchemy": _version("sqlalchemy"),
        "sqlmodel": _version("sqlmodel"),
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine while measuring (1, 5, 15 minutes).
        "load_average": [round(value, 2) for value in load] if load else None,
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def code_state() -> dict[str, Any]:
    """Which orchestrator-tui was measured: the commit, and whether the package imported is the
    repository's working tree with uncommitted changes (or another copy, via PYTHONPATH)."""
    import orchestrator_tui

    package = Path(orchestrator_tui.__file__).resolve().parent
    in_repo = package == REPO_ROOT / "orchestrator_tui"
    changed = _git("status", "--porcelain", "--", "orchestrator_tui") if in_repo else ""
    return {
        "commit": _git("rev-parse", "--short", "HEAD") or "?",
        "package": str(package),
        "package_in_repo": in_repo,
        "uncommitted_changes": bool(changed),
    }


def rss_bytes() -> int:
    """The resident set size of this process now (Linux /proc; 0 where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def bench_env(data_dir: Path) -> dict[str, str]:
    """The environment for anything that runs the app: never the user's own data."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TEXTUAL")}
    env.update(
        {
            "ORCHESTRATOR_TUI_DATA_DIR": str(data_dir),
            "ORCHESTRATOR_TUI_CLIPBOARD": "file",
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
        }
    )
    # Bytecode caches on (warm runs are warm); nobody else's database.
    for key in ("ORCHESTRATOR_TUI_DB", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
        env.pop(key, None)
    return env


def run_script(
    script: str, args: list[str], env: dict[str, str], timeout: float = 600
) -> dict[str, Any]:
    """Run ``benchmarks/<script>`` in a fresh interpreter and return the JSON it printed."""
    command = [PYTHON, str(BENCH_DIR / script), *args]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{script} {' '.join(args)} took more than {timeout:.0f} s") from error
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-25:])
        raise BenchError(f"{script} {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
    try:
        result: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise BenchError(f"{script} printed no JSON result:\n{done.stdout[-2000:]}") from error
    return result


def emit(result: dict[str, Any]) -> None:
    """Print a benchmark's result (the last thing a benchmark script does)."""
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    sys.stdout.flush()


def progress(message: str) -> None:
    """Progress for the person waiting, on stderr (stdout carries the JSON result)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def fail(error: BaseException) -> int:
    """Report a failed benchmark script on stderr; returns the exit status."""
    sys.stderr.write(f"benchmark failed: {error}\n")
    return 1


def write_readme_block(name: str, block: str) -> None:
    """Replace what README.md holds between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``."""
    start_mark, end_mark = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    readme = REPO_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        raise BenchError(f"README.md has no {start_mark} … {end_mark} block")
    readme.write_text(
        text[: start + len(start_mark)] + "\n" + block + "\n" + text[end:], encoding="utf-8"
    )
