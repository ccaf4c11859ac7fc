"""`troubleshoot [FILE]`: an error, a stack trace and code in; root cause, fix steps and
prevention out (from the LLM when one is configured), with the past sessions and knowledge
items that mention the same error."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator_tui.cli.common import (
    CommandError,
    Result,
    common_options,
    handoff_settings,
    llm_options,
    open_db,
    to_jsonable,
)

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.db.database import Database

READ_CHUNK = 1 << 16
MAX_LIMIT = 50


def _chunks(source: str | None) -> Iterator[str]:
    """The paste, piece by piece: FILE, or standard input for ``-`` or no FILE (refused when
    it is a terminal and no ``-`` asked for it, rather than waiting for typing)."""
    if source is None or source == "-":
        if source is None and sys.stdin is not None and sys.stdin.isatty():
            raise CommandError(
                "nothing to analyse: give a FILE, pipe the error in "
                "(`pytest 2>&1 | orchestrator-tui troubleshoot`), or `-` to type it"
            )
        if sys.stdin is None:
            raise CommandError("nothing to analyse: there is no standard input")
        yield from iter(lambda: sys.stdin.read(READ_CHUNK), "")
        return
    path = Path(source).expanduser()
    if path.is_dir():
        raise CommandError(f"{source}: is a directory; give the file holding the error")
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from iter(lambda: handle.read(READ_CHUNK), "")


def _database(url: str) -> Database | None:
    """The database, or None when there is none yet (the LLM can still answer)."""
    try:
        return open_db(url, create=False)
    except CommandError:
        return None


def cmd_troubleshoot(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.troubleshoot import (
        read_paste,
        render_seen_before,
        troubleshoot,
    )
    from orchestrator_tui.settings import load_settings

    if not 1 <= args.limit <= MAX_LIMIT:
        raise CommandError(f"--limit: between 1 and {MAX_LIMIT}")
    if args.provider is None:
        args.provider = load_settings().provider
    settings = handoff_settings(args)
    text, total = read_paste(_chunks(args.file))
    db = _database(url)
    try:
        analysis, answer = troubleshoot(
            db,
            text,
            project=args.project,
            settings=settings,
            provider=args.provider,
            limit=args.limit,
            input_chars=total,
        )
    finally:
        if db is not None:
            db.close()
    signature = analysis.signature
    payload: dict[str, Any] = {
        "signature": {**to_jsonable(signature), "found": signature.found},
        "matches": to_jsonable(list(analysis.matches)),
        "heuristics": to_jsonable(list(analysis.heuristics)),
        "answer": answer.text,
        "provider": answer.provider,
        "model": answer.model,
        "fallback_reason": answer.fallback_reason,
        "input_chars": analysis.input_chars,
        "analysed_chars": len(analysis.text),
        "truncated": analysis.truncated,
        "turns_searched": analysis.turns_searched,
        "search_capped": analysis.search_capped,
        "notes": list(analysis.notes),
    }
    text = answer.text.rstrip()
    if answer.provider != "rules":  # the offline answer has these already
        text += "\n\n" + render_seen_before(analysis.matches).rstrip()
    result = Result(payload, text)
    if answer.fallback_reason:
        result.notes.append(
            f"The LLM did not answer, so this is the offline answer: {answer.fallback_reason}"
        )
    return result


def register(commands: Commands) -> None:
    parser = common_options(
        commands.add_parser(
            "troubleshoot",
            help="explain an error: root cause, fix steps, prevention, and where it was "
            "seen before",
        )
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="a file with the error message, stack trace and code (- or none: standard input)",
    )
    parser.add_argument(
        "--project", metavar="P", help="search this project's sessions only (name or id)"
    )
    parser.add_argument(
        "--provider",
        metavar="NAME",
        help="rules (offline), huggingface or openai (default: the saved settings)",
    )
    llm_options(parser)
    parser.add_argument(
        "--limit",
        type=int,
        default=10,
        metavar="N",
        help=f"past mentions shown, at most (1 to {MAX_LIMIT}, default 10)",
    )
    parser.set_defaults(handler=cmd_troubleshoot)
