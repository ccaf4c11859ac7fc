"""How much of a session the rules handoff keeps: fact recall on planted transcripts.

``benchmarks/quality/`` holds one transcript per supported format (Claude Code JSONL, Codex
JSONL, a ChatGPT ``conversations.json``, an Aider chat history, a plain-text chat) and
``facts.json``, which lists each one's planted facts (files changed, commands, decisions
with the rejected alternative, open and resolved errors, the user's constraints and
corrections, TODOs, next steps, the last request, and the form fields given at completion)
and the secrets it holds. Secrets are written in the transcripts as ``{{NAME}}``
placeholders and generated here, shaped like the real thing (``hf_...``, ``sk-proj-...``,
``ghp_...``, ``AKIA...`` with its secret key, an OpenSSH private key block, passwords in
URLs), so that no secret-looking string is kept in the repository.

Each transcript goes through the real pipeline, in a fresh temporary database:
``services.imports.import_path`` (which redacts), ``services.sessions.complete_session``
with the form fields, ``services.handoffs.generate_handoff`` (the rules engine). A fact is
recalled when all its needles appear (case-insensitive) in one of the handoff sections
``facts.json`` names for its category: an open error must be under "Open blockers", a
resolved one under "Errors resolved", and so on.

A long variant of the Claude Code transcript (``--pad-rounds``, default 1,500) buries the
same facts under rounds of exploration (file reads, searches, ``git status``, the
assistant's commentary) spread through the session: it measures recall and the compression
ratio at the size of a long working day.

Prints one JSON object on stdout (recall by category, handoff size, compression ratio =
source characters / handoff characters, secrets leaked, per transcript and overall) and a
short table on stderr. The medium and high compression levels are rendered too, for their
size and recall (high keeps only a few sections by design: they have no target). Target for
the rules engine at its default level: recall >= 95% within 6,000 characters, no secret
leaked. A format whose importer is not installed is reported as skipped.

An LLM-written handoff is not measured here (no network in benchmarks): when
``ORCHESTRATOR_TUI_QUALITY_LLM`` is set, the result says so; ``llm_handoff`` below is the
place where a run against a configured model would plug in, scored the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench_common import BENCH_DIR, BenchError, bench_env, emit, fail, progress

from orchestrator_tui.db.database import Database
from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.services import handoffs, imports, sessions

QUALITY_DIR = BENCH_DIR / "quality"
FACTS_FILE = QUALITY_DIR / "facts.json"
TARGET_RECALL = 0.95
BUDGET_CHARS = 6_000
LLM_ENV = "ORCHESTRATOR_TUI_QUALITY_LLM"
COMPRESSED = ("medium", "high")  # also rendered, for their size and recall (not the target)
_ALNUM = string.ascii_letters + string.digits
PAD_ROUNDS = 1_500
PAD_FILES = (
    *("src/shop/catalog.py", "src/shop/orders.py", "src/shop/cart.py", "src/shop/views.py"),
    *("src/shop/export.py", "tests/test_orders.py", "tests/test_cart.py", "README.md"),
    *("docs/architecture.md", "src/shop/admin/reports.py", "src/shop/emails.py"),
)
PAD_OUTPUTS = (
    "def load(sku):\n    try:\n        return CACHE[sku]\n"
    "    except KeyError:\n        return None\n",
    "class Order:\n    def __init__(self, number, lines):\n        self.number = number\n"
    "        self.lines = tuple(lines)\n",
    " M src/shop/cart.py\n M src/shop/vat.py\n?? notes.txt",
    "src/shop/orders.py:88:    total = sum(line.amount for line in lines)\n"
    "src/shop/export.py:12:    rows.append(order.total)",
)
PAD_REMARKS = (
    "This module formats amounts for the admin pages only; the checkout does not call it.",
    "The orders table keeps the total as it was charged, so old orders are not recomputed.",
    "Nothing to change here: the export reads the stored totals.",
    "The fixture builds a cart with a book, a coffee and a gift card.",
)


def make_secrets(seed: int = 20260302) -> dict[str, str]:
    """Secrets shaped like real ones, the same for every run."""
    rng = random.Random(seed)

    def chars(alphabet: str, count: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(count))

    upper = string.ascii_uppercase + string.digits
    base64 = _ALNUM + "+/"
    key_lines = [chars(base64, 70) for _ in range(6)] + [chars(base64, 32) + "=="]
    return {
        "HF_TOKEN": "hf_" + chars(_ALNUM, 34),
        "OPENAI_KEY": "sk-proj-" + chars(_ALNUM + "-_", 48) + "T3BlbkFJ" + chars(_ALNUM, 20),
        "GITHUB_TOKEN": "ghp_" + chars(_ALNUM, 36),
        "AWS_KEY_ID": "AKIA" + chars(upper, 16),
        "AWS_SECRET": chars(_ALNUM + "/+", 40),
        "PRIVATE_KEY": "\n".join(
            [
                "-----BEGIN OPENSSH PRIVATE KEY-----",
                "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
                *key_lines,
                "-----END OPENSSH PRIVATE KEY-----",
            ]
        ),
        "DB_PASSWORD": "Tr0ub4dor" + chars(_ALNUM, 10),
        "DEPLOY_PASSWORD": "dpl-" + chars(_ALNUM, 18),
    }


def telltales(value: str) -> list[str]:
    """Pieces whose presence in a handoff means the secret leaked: the value, and for a
    long one its distinctive middle (a cut or partly masked copy still leaks)."""
    pieces = [value]
    lines = [line for line in value.splitlines() if line and not line.startswith("-----")]
    if len(lines) > 1:  # a key block: any of its body lines
        pieces += [line[:24] for line in lines[1:]]
    elif len(value) >= 24:
        pieces.append(value[len(value) // 2 - 8 : len(value) // 2 + 8])
    return pieces


def materialise(source: Path, target_dir: Path, secrets: dict[str, str]) -> Path:
    """A copy of the transcript with its placeholders replaced: escaped for JSON files; in
    text, a multi-line secret keeps the line prefix (aider's ``#### ``) on every line."""
    text = source.read_text(encoding="utf-8")
    structured = source.suffix in (".json", ".jsonl")
    for name, value in secrets.items():
        placeholder = "{{" + name + "}}"
        while placeholder in text:
            at = text.index(placeholder)
            if structured:
                replacement = json.dumps(value)[1:-1]
            else:
                prefix = text[text.rfind("\n", 0, at) + 1 : at]
                joiner = "\n" + (prefix if prefix.strip() in ("", "####", ">") else "")
                replacement = joiner.join(value.splitlines())
            text = text[:at] + replacement + text[at + len(placeholder) :]
    target = target_dir / source.name
    target.write_text(text, encoding="utf-8")
    return target


def pad_claude_code(path: Path, rounds: int, seed: int = 5) -> None:
    """Bury a Claude Code transcript's turns under ``rounds`` rounds of exploration (a read,
    a search or ``git status``, and a remark), spread evenly; the chain of parent links is
    rebuilt so that the importer keeps every record."""
    rng = random.Random(seed)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    template = records[0]
    padded: list[dict[str, Any]] = []
    replies = sum(1 for item in records if _is_reply(item))
    counter = seen = 0

    def record(kind: str, message: dict[str, Any]) -> dict[str, Any]:
        nonlocal counter
        counter += 1
        fields = {key: template[key] for key in ("cwd", "sessionId", "version", "gitBranch")}
        uuid = f"99999999-0000-4000-8000-{counter:012d}"
        return {
            **fields,
            "type": kind,
            "message": message,
            "uuid": uuid,
            "timestamp": template["timestamp"],
            "isSidechain": False,
        }

    for original in records:
        padded.append(original)
        if not _is_reply(original):
            continue  # a tool call's result comes next, as in a real session
        seen += 1
        for _ in range(rounds * seen // replies - rounds * (seen - 1) // replies):
            call = f"toolu_pad_{counter:06d}"
            name, tool_input = rng.choice(
                [
                    ("Read", {"file_path": f"{template['cwd']}/{rng.choice(PAD_FILES)}"}),
                    ("Grep", {"pattern": rng.choice(["total", "round", "Decimal"]), "path": "src"}),
                    ("Bash", {"command": "git status --short"}),
                ]
            )
            use = {"type": "tool_use", "id": call, "name": name, "input": tool_input}
            padded.append(
                record(
                    "assistant", {"id": f"msg_pad_{counter}", "role": "assistant", "content": [use]}
                )
            )
            result = {
                "type": "tool_result",
                "tool_use_id": call,
                "content": rng.choice(PAD_OUTPUTS),
            }
            padded.append(record("user", {"role": "user", "content": [result]}))
            text = {"type": "text", "text": rng.choice(PAD_REMARKS)}
            padded.append(
                record(
                    "assistant",
                    {"id": f"msg_pad_{counter}", "role": "assistant", "content": [text]},
                )
            )
    parent = None
    for item in padded:
        item["parentUuid"] = parent
        parent = item["uuid"]
    path.write_text("".join(json.dumps(item) + "\n" for item in padded), encoding="utf-8")


def _is_reply(record: dict[str, Any]) -> bool:
    """An assistant record with text (not a tool call waiting for its result)."""
    content = record["message"].get("content") if record["type"] == "assistant" else None
    return isinstance(content, list) and any(block.get("type") == "text" for block in content)


def sections_of(markdown: str) -> dict[str, str]:
    """The text under each ``## `` heading."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {title: "\n".join(lines) for title, lines in found.items()}


def score(
    markdown: str, facts: dict[str, list[list[str]]], where: dict[str, list[str]]
) -> tuple[Counter[str], Counter[str], list[str]]:
    """(found, planted) by category, and the facts missed."""
    sections = {title.casefold(): text.casefold() for title, text in sections_of(markdown).items()}
    found: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    missed: list[str] = []
    for category, items in facts.items():
        texts = [sections.get(title.casefold(), "") for title in where[category]]
        for needles in items:
            planted[category] += 1
            if any(all(needle.casefold() in text for needle in needles) for text in texts):
                found[category] += 1
            else:
                missed.append(f"{category}: {' + '.join(needles)}")
    return found, planted, missed


def llm_handoff(database: Database, session_id: int) -> str | None:
    """The hook for an LLM-written handoff, scored like the rules one. Not run here: the
    benchmarks make no network calls. Returns None (not measured)."""
    del database, session_id
    return None


def run_transcript(
    spec: dict[str, Any],
    where: dict[str, list[str]],
    secrets: dict[str, str],
    work: Path,
    pad_rounds: int = 0,
) -> dict[str, Any]:
    source = QUALITY_DIR / spec["file"]
    label = spec["file"] + (f" +{pad_rounds:,} rounds" if pad_rounds else "")
    folder = work / f"{Path(spec['file']).stem.replace('.', '_')}-{pad_rounds}"
    folder.mkdir()
    path = materialise(source, folder, secrets)
    if pad_rounds:
        pad_claude_code(path, pad_rounds)
    database = Database.open(f"sqlite:///{folder / 'quality.db'}")
    try:
        try:
            report = imports.import_path(
                database, path, project=spec.get("project"), format_name=spec["format"]
            )
        except (ModuleNotFoundError, OrchestratorError) as error:
            return {"file": label, "format": spec["format"], "skipped": str(error)}
        if len(report.sessions) != 1:
            raise BenchError(f"{spec['file']}: {len(report.sessions)} sessions imported, not 1")
        session_id = report.sessions[0].session_id
        form = spec["form"]
        sessions.complete_session(
            database, session_id, 0, form["accomplishments"], form["blockers"], form["next_steps"]
        )
        handoff = handoffs.generate_handoff(database, session_id)
        levels = {
            level: handoffs.render(handoffs.build_context(database, session_id, compress=level))
            for level in COMPRESSED
        }
        llm = llm_handoff(database, session_id)
    finally:
        database.close()
    markdown = handoff.content
    found, planted, missed = score(markdown, spec["facts"], where)
    leaked = [
        name
        for name in spec["secrets"]
        if any(piece in markdown for piece in telltales(secrets[name]))
    ]
    compressed = {}
    for level, text in levels.items():
        level_found, level_planted, _ = score(text, spec["facts"], where)
        compressed[level] = {
            "recall": _ratio(sum(level_found.values()), sum(level_planted.values())),
            "handoff_chars": len(text),
        }
    return {
        "file": label,
        "format": spec["format"],
        "provider": handoff.provider,
        "turns": report.sessions[0].turns_added,
        "redactions": sum(report.redactions.values()),
        "found": dict(found),
        "planted": dict(planted),
        "recall": _ratio(sum(found.values()), sum(planted.values())),
        "missed": missed,
        "handoff_chars": len(markdown),
        "source_chars": handoff.source_chars,
        "compression_ratio": round(handoff.source_chars / max(len(markdown), 1), 2),
        "compressed": compressed,
        "secrets_planted": len(spec["secrets"]),
        "secrets_leaked": leaked,
        "llm": "not measured" if llm is None else "measured",
    }


def _ratio(found: int, planted: int) -> float:
    return round(found / planted, 4) if planted else 1.0


def run(pad_rounds: int = PAD_ROUNDS) -> dict[str, Any]:
    spec = json.loads(FACTS_FILE.read_text(encoding="utf-8"))
    where: dict[str, list[str]] = spec["sections"]
    secrets = make_secrets()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        work = Path(tmp)
        os.environ.update(bench_env(work / "data"))
        for transcript in spec["transcripts"]:
            progress(f"  quality: {transcript['file']}")
            results.append(run_transcript(transcript, where, secrets, work))
        if pad_rounds:
            long = next(item for item in spec["transcripts"] if item["format"] == "claude-code")
            progress(f"  quality: {long['file']} with {pad_rounds:,} rounds of exploration")
            results.append(run_transcript(long, where, secrets, work, pad_rounds))
    measured = [result for result in results if "skipped" not in result]
    found: Counter[str] = Counter()
    planted: Counter[str] = Counter()
    for result in measured:
        found.update(result["found"])
        planted.update(result["planted"])
    recall = _ratio(sum(found.values()), sum(planted.values()))
    leaked = sum(len(result["secrets_leaked"]) for result in measured)
    largest = max((result["handoff_chars"] for result in measured), default=0)
    return {
        "transcripts": results,
        "overall": {
            "measured": len(measured),
            "skipped": [result["file"] for result in results if "skipped" in result],
            "recall": recall,
            "recall_by_category": {
                category: _ratio(found[category], planted[category]) for category in planted
            },
            "facts_planted": sum(planted.values()),
            "facts_found": sum(found.values()),
            "largest_handoff_chars": largest,
            "budget_chars": BUDGET_CHARS,
            "secrets_planted": sum(result["secrets_planted"] for result in measured),
            "secrets_leaked": leaked,
            "target_recall": TARGET_RECALL,
            "met": bool(measured)
            and recall >= TARGET_RECALL
            and leaked == 0
            and largest <= BUDGET_CHARS,
        },
        "llm": (
            f"{LLM_ENV} is set, but LLM handoffs are not measured offline (see llm_handoff)"
            if os.environ.get(LLM_ENV)
            else "not configured"
        ),
    }


def table(result: dict[str, Any]) -> str:
    rows = [
        f"{'transcript':<36} {'format':<12} {'recall':>7} {'chars':>6} {'ratio':>6} leaked"
        "  (medium, high: recall/chars)"
    ]
    for item in result["transcripts"]:
        if "skipped" in item:
            rows.append(f"{item['file']:<36} {item['format']:<12} skipped: {item['skipped']}")
            continue
        rows.append(
            f"{item['file']:<36} {item['format']:<12} {item['recall']:>7.1%} "
            f"{item['handoff_chars']:>6,} {item['compression_ratio']:>6.1f} "
            f"{len(item['secrets_leaked'])}       "
            + ", ".join(
                f"{level['recall']:.0%}/{level['handoff_chars']:,}"
                for level in item["compressed"].values()
            )
        )
        rows += [f"    missed {fact}" for fact in item["missed"]]
    overall = result["overall"]
    rows.append(
        f"{'overall':<49} {overall['recall']:>7.1%} {overall['largest_handoff_chars']:>6,} "
        f"{'':>6} {overall['secrets_leaked']}   target met: {overall['met']}"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pad-rounds",
        type=int,
        default=PAD_ROUNDS,
        help="rounds of exploration in the long Claude Code variant (0: no long variant)",
    )
    args = parser.parse_args()
    try:
        result = run(args.pad_rounds)
    except (BenchError, OSError, KeyError, ValueError) as error:
        return fail(error)
    progress(table(result))
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
