"""Run every benchmark (``make bench``) and write the figures into README.md.

Each benchmark runs in its own interpreter on generated data in a temporary directory. The
full results go to ``benchmarks/results.json``; README.md gets a summary between the lines
``<!-- bench:start -->`` and ``<!-- bench:end -->`` (only that text is replaced). If a
benchmark fails, the reason is printed and README.md is left as it was.

    python benchmarks/run_all.py [--quick] [--no-readme] [--results FILE] [--code-label TEXT]

To measure another copy of the package (a commit exported with ``git archive``), put it
first on the path: ``PYTHONPATH=/tmp/export python benchmarks/run_all.py --code-label ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import (
    BENCH_DIR,
    REPO_ROOT,
    BenchError,
    Stats,
    bench_env,
    code_state,
    machine,
    progress,
    run_script,
)

README = REPO_ROOT / "README.md"
RESULTS = BENCH_DIR / "results.json"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"
TIMELINE_SIZES = (1_000, 10_000, 50_000)
TARGET_SIZE = 10_000
# Memory is "flat" when the rows loaded are the same at every size and the heap held at the
# largest size is at most HEAP_SLACK × the smallest size's plus HEAP_SLACK_KIB.
HEAP_SLACK = 1.2
HEAP_SLACK_KIB = 256.0


def collect(quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "code": code_state()}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        env = bench_env(Path(tmp))  # each benchmark also makes its own temporary directory
        run_benchmarks(results, env, quick)
    return results


def run_benchmarks(results: dict[str, Any], env: dict[str, str], quick: bool) -> None:
    runs = 3 if quick else 10
    timeline_runs = 2 if quick else 6
    started = time.perf_counter()
    progress("first frame in a pseudo-terminal…")
    results["first_frame"] = run_script("first_frame.py", ["--runs", str(runs)], env)
    results["timeline"] = []
    for size in TIMELINE_SIZES:
        progress(f"timeline of {size:,} sessions…")
        args = ["--sessions", str(size), "--runs", str(timeline_runs)]
        if size == TARGET_SIZE:
            args.append("--floor")
        results["timeline"].append(run_script("timeline_open.py", args, env))
    progress("completing a session of 10,000 turns…")
    results["complete"] = run_script("complete_session.py", ["--runs", str(3 if quick else 7)], env)
    results["duration_s"] = round(time.perf_counter() - started, 1)


def stats(data: dict[str, Any]) -> Stats:
    return Stats.from_dict(data)


def verdict(met: bool) -> str:
    return "**yes**" if met else "**no**"


def memory_flat(timelines: list[dict[str, Any]]) -> tuple[bool, str]:
    smallest, largest = timelines[0]["memory"], timelines[-1]["memory"]
    same_rows = len({entry["memory"]["table_rows"] for entry in timelines}) == 1
    bound = smallest["heap_retained_kib"] * HEAP_SLACK + HEAP_SLACK_KIB
    flat = same_rows and largest["heap_retained_kib"] <= bound
    reason = (
        f"rows loaded {'the same' if same_rows else 'differ'} at every size; heap held at "
        f"{timelines[-1]['sessions']:,} sessions {largest['heap_retained_kib']:,.0f} KiB "
        f"against {smallest['heap_retained_kib']:,.0f} KiB at {timelines[0]['sessions']:,}"
    )
    return flat, reason


def first_frame_notes(first: dict[str, Any]) -> list[str]:
    probes = first["probes"]
    names = {"bare": "bare app", "widgets": "widgets app", "orchestrator": "orchestrator-tui"}
    phases = "; ".join(
        f"{names[key]} {probes[key]['until_app_run_ms']:.0f} ms until `App.run`, then "
        f"{probes[key]['app_run_to_first_frame_ms']:.0f} ms to the first frame"
        for key in ("bare", "widgets", "orchestrator")
    )
    notes = [
        "Where the start-up time goes (`benchmarks/startup_probe.py`, median of 3 runs, "
        f"in-process): {phases}."
    ]
    imports: dict[str, dict[str, Any]] = probes["orchestrator"]["db_imports"]
    on_path: list[str] = []
    beside: list[str] = []
    for name, info in imports.items():
        # The last frames of orchestrator-tui's own code on the way to the import.
        chain = [frame.removeprefix("orchestrator_tui/") for frame in info["imported_by"]]
        text = f"`{name}` at {info['ms']:.0f} ms via {' → '.join(chain[-3:]) or '?'}"
        (on_path if info["thread"] == "MainThread" else beside).append(text)
    if on_path:
        notes.append(
            "On the path to orchestrator-tui's first frame (main thread, before it was "
            "written), database modules are imported: " + "; ".join(on_path) + "."
        )
    else:
        notes.append(
            "No database module (SQLAlchemy, SQLModel, Alembic, pydantic) is imported on the "
            "main thread before orchestrator-tui's first frame."
        )
    if beside:
        notes.append(
            "Imported by a worker thread, at the same time, before that frame was written: "
            + "; ".join(beside)
            + "."
        )
    return notes


def render(results: dict[str, Any]) -> str:
    info = results["machine"]
    first = results["first_frame"]
    timelines: list[dict[str, Any]] = results["timeline"]
    target = next(entry for entry in timelines if entry["sessions"] == TARGET_SIZE)
    complete = results["complete"]
    bare, tui = stats(first["bare"]), stats(first["orchestrator"])
    widgets, listed = stats(first["widgets"]), stats(first["projects_listed"])
    opening, reopening = stats(target["first_opening"]), stats(target["reopening"])
    total = stats(complete["total"])
    flat, flat_reason = memory_flat(timelines)
    load = info.get("load_average")
    load_text = f", load average {load[0]:.2f} when it started" if load else ""
    usable = info.get("cpus_usable")
    cpus = f"{info['cpu_count']} CPUs" + (
        f" ({usable} usable)" if usable and usable != info["cpu_count"] else ""
    )
    code = results["code"]
    if code.get("label"):
        measured = code["label"]
    elif not code["package_in_repo"]:
        measured = f"the orchestrator_tui package at `{code['package']}`"
    elif code["uncommitted_changes"]:
        measured = f"commit {code['commit']} plus uncommitted changes in `orchestrator_tui/`"
    else:
        measured = f"commit {code['commit']}"
    lines = [
        f"Code measured: {measured}. Measured {info['date']} on {cpus}, "
        f"{info['cpu_model']}, {info['os']}{load_text}; "
        f"Python {info['python']}, Textual {info['textual']}, SQLAlchemy {info['sqlalchemy']}, "
        f"SQLite {info['sqlite']}. `make bench` took {results['duration_s']:.0f} s; every "
        "figure is a median with its spread, the full numbers are in "
        "`benchmarks/results.json`.",
        "",
        "| What | Measured | Target | Met |",
        "|---|---|---|---|",
        f"| First frame in a pty, orchestrator-tui (project list, demo data) | {tui.spread()} "
        f"| ≤ {first['target_ratio']} × the bare app | {verdict(first['met'])}: "
        f"{first['ratio']:.2f} × |",
        f"| First frame in a pty, bare Textual app (one line) | {bare.spread()} | | |",
        f"| Timeline of {TARGET_SIZE:,} sessions, Enter → rows rendered, first opening "
        f"| {opening.spread()} | < {target['target_ms']:.0f} ms | {verdict(target['met'])} |",
        f"| Same, re-opening (timeline screen already created) | {reopening.spread()} "
        f"| < {target['target_ms']:.0f} ms | {verdict(reopening.median < target['target_ms'])} |",
        f"| Timeline memory, {timelines[0]['sessions']:,} → {timelines[-1]['sessions']:,} "
        f"sessions | {flat_reason} | does not grow | {verdict(flat)} |",
        f"| Completing a session of {complete['turns']:,} turns + its rules handoff (file "
        f"database) | {total.spread()} | < {complete['target_ms'] / 1000:.0f} s "
        f"| {verdict(complete['met'])} |",
        "",
        "First frame means, for every program, from just before the process is spawned in a "
        "130×40 pseudo-terminal until the first text the app draws is read back from the pty: "
        "the bare app's one line, orchestrator-tui's project-list summary line (drawn as "
        f"“Opening the database…” before the database worker answers). {tui.runs} warm runs "
        "each, alternating, after one discarded cold run. For comparison: Textual with the project "
        f"list's widgets and no data layer (`benchmarks/widgets_app.py`) {widgets.median:.0f} ms "
        f"({first['widgets_ratio']:.2f} × the bare app); orchestrator-tui lists the demo "
        f"projects after {listed.median:.0f} ms.",
        "",
        *(f"- {note}" for note in first_frame_notes(first)),
        "",
        "Timeline: headless (`App.run_test`), a fresh app per run on a generated database; the "
        "clock runs from the Enter key on the project list until a rendered frame shows the "
        "project's rows. Textual alone, switching to a screen with the same widgets and 100 "
        f"rows (`benchmarks/floor_app.py`): {stats(target['textual_floor']).median:.0f} ms.",
        "",
        "| Sessions in the project | Enter → rows (first / re-open) | Worker queries "
        "(summary + page) | Rows in the table | Heap held / peak | RSS change |",
        "|---|---|---|---|---|---|",
    ]
    for entry in timelines:
        memory, queries = entry["memory"], entry["queries"]
        lines.append(
            f"| {entry['sessions']:,} | {stats(entry['first_opening']).median:.0f} / "
            f"{stats(entry['reopening']).median:.0f} ms | {queries['summary_ms']:.1f} + "
            f"{queries['page_ms']:.1f} ms | {memory['table_rows']} of "
            f"{memory['sessions_total']:,} | {memory['heap_retained_kib']:,.0f} / "
            f"{memory['heap_peak_kib']:,.0f} KiB | {memory['rss_delta_kib']:+,.0f} KiB |"
        )
    parts = complete["parts_median_ms"]
    lines += [
        "",
        f"Completion: a fresh copy of the database per run; the generator reads the last "
        f"{complete['turns_read_by_generator']:,} turns and wrote a "
        f"{complete['handoff_chars']:,}-character handoff. Parts (medians): "
        + ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in parts.items())
        + ".",
    ]
    return "\n".join(lines)


def write_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start < 0 or end < start:
        raise BenchError(f"README.md has no {START_MARK} … {END_MARK} block")
    before = text[: start + len(START_MARK)]
    README.write_text(f"{before}\n{block}\n{text[end:]}", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks, update README.md.")
    parser.add_argument("--quick", action="store_true", help="fewer runs (a rough check)")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--code-label", help="how README names the code measured (e.g. with PYTHONPATH set)"
    )
    args = parser.parse_args()
    try:
        results = collect(args.quick)
        if args.code_label:
            results["code"]["label"] = args.code_label
        block = render(results)
    except BenchError as error:
        sys.stderr.write(f"\nmake bench: {error}\nREADME.md was not changed.\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("\nmake bench: interrupted; README.md was not changed.\n")
        return 130
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(block)
    if not args.no_readme:
        write_readme(block)
        progress(f"\nREADME.md updated; full results in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
