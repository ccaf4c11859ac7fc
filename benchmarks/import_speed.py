"""Import throughput and peak memory on generated transcripts.

Generates, in a temporary folder:

- one Claude Code session JSONL of ``--mb`` MB (default 500) with the record mix of a real
  one: prompts, assistant replies streamed over several records that share ``message.id``
  (thinking, text, tool calls, usage), tool results carrying file contents and command
  output, file-history snapshots and hook progress lines;
- a folder of 2,500 such transcripts (about 40 KB each), as ``~/.claude/projects`` holds;
- a ChatGPT ``conversations.json`` with 5,000 conversations.

Each is imported by ``orchestrator-tui import`` semantics (``services.imports.import_path``)
into a fresh SQLite file, in a child process of its own, which reports the wall time and its
peak resident memory (``ru_maxrss``). Prints one JSON object; with ``--readme`` also writes
the figures into README.md between ``<!-- import-bench:start -->`` and ``-end -->``.
Targets (issue 4): at least 50 MB/s and peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

from bench_common import (
    PYTHON,
    BenchError,
    bench_env,
    emit,
    fail,
    progress,
    write_readme_block,
)

TARGET_MB_S = 50.0
TARGET_RSS_MB = 200.0
README_BLOCK = "import-bench"
WORDS = tuple(
    [
        "the",
        "checkout",
        "page",
        "totals",
        "are",
        "off",
        "by",
        "one",
        "cent",
        "when",
        "a",
        "coupon",
        "applies",
        "so",
        "we",
        "round",
        "before",
        "summing",
        "and",
        "add",
        "a",
        "regression",
        "test",
        "for",
        "the",
        "cart",
        "service",
        "with",
        "three",
        "items",
        "and",
        "a",
        "discount",
    ]
)


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def code_block(rng: random.Random, lines: int) -> str:
    return "\n".join(
        f"{n:>4}\tdef step_{n}(cart):  # {sentence(rng, 6)}" for n in range(1, lines + 1)
    )


class ClaudeWriter:
    """Writes records of one Claude Code session, chained by parentUuid."""

    def __init__(self, out: TextIO, rng: random.Random, session_id: str, cwd: str) -> None:
        self.out = out
        self.rng = rng
        self.session_id = session_id
        self.cwd = cwd
        self.parent: str | None = None
        self.clock = 1_700_000_000.0

    def _base(self, kind: str) -> dict[str, Any]:
        self.clock += self.rng.uniform(0.5, 20)
        record_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        record = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": "2.1.38",
            "gitBranch": "main",
            "type": kind,
            "uuid": record_id,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(self.clock)),
        }
        self.parent = record_id
        return record

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")

    def exchange(self) -> None:
        rng = self.rng
        user = self._base("user")
        user["message"] = {"role": "user", "content": sentence(rng, rng.randint(8, 60))}
        self.write(user)
        self.write(
            {
                "type": "progress",
                "data": {"type": "hook_progress", "hookName": "PreToolUse"},
                "parentToolUseID": "toolu_x",
                "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                "sessionId": self.session_id,
                "timestamp": "2025-01-01T00:00:00.000Z",
            }
        )
        message_id = f"msg_{rng.getrandbits(64):016x}"
        request_id = f"req_{rng.getrandbits(64):016x}"
        tool_id = f"toolu_{rng.getrandbits(64):016x}"
        path = f"src/module_{rng.randint(1, 400)}.py"
        blocks: list[dict[str, Any]] = [
            {"type": "thinking", "thinking": sentence(rng, 80), "signature": "x" * 200},
            {"type": "text", "text": sentence(rng, rng.randint(20, 120))},
            rng.choice(
                [
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "Read",
                        "input": {"file_path": path},
                    },
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "Bash",
                        "input": {"command": "pytest -q tests/", "description": "run tests"},
                    },
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "Edit",
                        "input": {
                            "file_path": path,
                            "old_string": code_block(rng, 4),
                            "new_string": code_block(rng, 6),
                        },
                    },
                ]
            ),
        ]
        for index, block in enumerate(blocks):
            record = self._base("assistant")
            record["requestId"] = request_id
            record["message"] = {
                "id": message_id,
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [block],
                "usage": {
                    "input_tokens": 12,
                    "output_tokens": 40 * (index + 1),
                    "cache_read_input_tokens": 20_000,
                    "cache_creation_input_tokens": 300,
                },
            }
            self.write(record)
        result = self._base("user")
        output = code_block(rng, rng.randint(20, 120))
        result["message"] = {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": output}],
        }
        result["toolUseResult"] = {"stdout": output, "stderr": "", "interrupted": False}
        self.write(result)
        if rng.random() < 0.2:
            self.write(
                {
                    "type": "file-history-snapshot",
                    "messageId": str(uuid.UUID(int=rng.getrandbits(128))),
                    "snapshot": {"trackedFileBackups": {path: {"backupFileName": "x" * 40}}},
                    "isSnapshotUpdate": False,
                }
            )


def claude_file(path: Path, megabytes: float, seed: int, cwd: str) -> int:
    rng = random.Random(seed)
    limit = int(megabytes * 1_000_000)
    with path.open("w", encoding="utf-8") as out:
        writer = ClaudeWriter(out, rng, str(uuid.UUID(int=rng.getrandbits(128))), cwd)
        while out.tell() < limit:
            writer.exchange()
    return path.stat().st_size


def chatgpt_export(path: Path, conversations: int, seed: int) -> int:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for number in range(conversations):
            mapping: dict[str, Any] = {}
            parent = None
            for turn in range(rng.randint(6, 30)):
                node_id = str(uuid.UUID(int=rng.getrandbits(128)))
                role = "user" if turn % 2 == 0 else "assistant"
                mapping[node_id] = {
                    "id": node_id,
                    "parent": parent,
                    "children": [],
                    "message": {
                        "id": node_id,
                        "author": {"role": role, "name": None, "metadata": {}},
                        "create_time": 1_700_000_000 + number * 100 + turn,
                        "content": {
                            "content_type": "text",
                            "parts": [sentence(rng, rng.randint(10, 150))],
                        },
                        "status": "finished_successfully",
                        "recipient": "all",
                        "metadata": {"model_slug": "gpt-4o"},
                    },
                }
                if parent is not None:
                    mapping[parent]["children"].append(node_id)
                parent = node_id
            conversation = {
                "title": f"Conversation {number}",
                "create_time": 1_700_000_000 + number * 100,
                "update_time": 1_700_000_000 + number * 100 + 99,
                "mapping": mapping,
                "current_node": parent,
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
            }
            if number:
                out.write(",")
            out.write(json.dumps(conversation))
        out.write("]")
    return path.stat().st_size


CHILD = """
import json, resource, sys, time
from pathlib import Path
from orchestrator_tui.db.database import Database
from orchestrator_tui.services.imports import import_path
database = Database.open("sqlite:///" + sys.argv[2])
start = time.perf_counter()
report = import_path(database, Path(sys.argv[1]), project=sys.argv[3] or None)
seconds = time.perf_counter() - start
database.close()
print(json.dumps({
    "seconds": seconds,
    "bytes": report.bytes_read,
    "sessions": report.sessions_created,
    "turns": report.turns_added,
    "problems": report.problem_count,
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}))
"""


def import_in_child(source: Path, work: Path, project: str, env: dict[str, str]) -> dict[str, Any]:
    database = work / f"import-{source.name}.db"
    done = subprocess.run(
        [PYTHON, "-c", CHILD, str(source), str(database), project],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    database.unlink(missing_ok=True)
    if done.returncode != 0:
        raise BenchError(f"importing {source} failed:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["mb_per_s"] = result["bytes"] / 1e6 / result["seconds"]
    result["peak_rss_mb"] = result["peak_rss_kib"] / 1024
    result["met"] = result["mb_per_s"] >= TARGET_MB_S and result["peak_rss_mb"] < TARGET_RSS_MB
    return result


def run(megabytes: float, files: int, conversations: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        env = bench_env(work / "data")
        results: dict[str, Any] = {}

        progress(f"  import: generating a {megabytes:,.0f} MB Claude Code transcript")
        big = work / "session.jsonl"
        claude_file(big, megabytes, 1, "/home/dev/shop")
        progress("  import: importing it")
        results["claude_code_file"] = import_in_child(big, work, "", env)
        big.unlink()

        progress(f"  import: generating a folder of {files:,} transcripts")
        folder = work / "projects"
        for index in range(files):
            project = folder / f"-home-dev-project{index % 25}"
            project.mkdir(parents=True, exist_ok=True)
            cwd = f"/home/dev/p{index % 25}"
            claude_file(project / f"{index:05d}.jsonl", 0.04, index + 10, cwd)
        progress("  import: importing the folder")
        results["claude_code_folder"] = import_in_child(folder, work, "", env)

        progress(f"  import: generating a ChatGPT export of {conversations:,} conversations")
        export = work / "conversations.json"
        chatgpt_export(export, conversations, 7)
        progress("  import: importing it")
        results["chatgpt_export"] = import_in_child(export, work, "ChatGPT", env)
    results["targets"] = {"mb_per_s": TARGET_MB_S, "peak_rss_mb": TARGET_RSS_MB}
    return results


def render(results: dict[str, Any]) -> str:
    rows = [
        ("One Claude Code transcript", results["claude_code_file"]),
        ("A folder of Claude Code transcripts", results["claude_code_folder"]),
        ("A ChatGPT export", results["chatgpt_export"]),
    ]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        "`benchmarks/import_speed.py` (generated transcripts, a fresh SQLite file each, "
        "one child process each).",
        "",
        "| Import | Size | Sessions / turns | Throughput | Peak RSS | Target met "
        f"(≥ {TARGET_MB_S:.0f} MB/s, < {TARGET_RSS_MB:.0f} MB) |",
        "|---|---|---|---|---|---|",
    ]
    for name, data in rows:
        lines.append(
            f"| {name} | {data['bytes'] / 1e6:,.0f} MB | {data['sessions']:,} / "
            f"{data['turns']:,} | {data['mb_per_s']:.1f} MB/s ({data['seconds']:.1f} s) | "
            f"{data['peak_rss_mb']:.0f} MB | {'yes' if data['met'] else '**no**'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Import throughput and peak memory.")
    parser.add_argument("--mb", type=float, default=500, help="size of the big transcript")
    parser.add_argument("--files", type=int, default=2500, help="transcripts in the folder")
    parser.add_argument("--conversations", type=int, default=5000, help="ChatGPT conversations")
    parser.add_argument("--readme", action="store_true", help="write the figures into README")
    args = parser.parse_args()
    try:
        results = run(args.mb, args.files, args.conversations)
        if args.readme:
            write_readme_block(README_BLOCK, render(results))
        emit(results)
    except (BenchError, OSError) as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
