"""What every command shares: the result type, JSON conversion, opening the database,
writing files, the clipboard, and the options common to all commands."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from orchestrator_tui import config
from orchestrator_tui.errors import OrchestratorError, ValidationError

if TYPE_CHECKING:
    from orchestrator_tui.clipboard import CopyOutcome
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.records import Page
    from orchestrator_tui.settings import HandoffSettings

    # The table of sub-commands each command module registers its commands into.
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

PROG = "orchestrator-tui"
ERROR_PREFIX = f"{PROG}: error: "
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Service field names as the options that set them, for error messages.
OPTION_NAMES = {
    "base_url": "--base-url",
    "name": "NAME",
    "new_name": "--name",
    "description": "--description",
    "platform": "--platform",
    "credit_limit": "--credits",
    "credits_remaining": "--remaining",
    "next_reset_at": "--next-reset",
    "min_credits": "--min-credits",
    "status": "--status",
    "notes": "--notes",
    "credits": "--credits",
    "specialization": "--specialization",
    "reset_cadence": "--reset",
    "session_type": "--type",
    "objectives": "--objectives",
    "accomplishments": "--accomplishments",
    "blockers": "--blockers",
    "next_steps": "--next-steps",
    "provider": "--provider",
    "now": "--now",
    "query": "QUERY",
    "title": "TITLE",
    "body": "--body",
    "tags": "--tags",
    "category": "--category",
    "index": "N",
    "kind": "--kind",
    "limit": "--limit",
    "offset": "--offset",
    "change": "--change",
    "lines_added": "--added",
    "lines_removed": "--removed",
    "importance": "--importance",
    "session_id": "--session",
    "rename": "--rename",
}


class CommandError(OrchestratorError):
    """A refusal decided by the command line itself (a bad --output path...)."""


@dataclass
class Result:
    """What a command produced: the JSON payload, the text for humans, notes for stderr."""

    payload: dict[str, Any]
    text: str = ""
    notes: list[str] = field(default_factory=list)
    status: int = 0
    # Print ``payload`` as the text too (export's JSON document).
    text_is_payload: bool = False
    # Printed instead of the payload or the text, piece by piece as it is produced (the
    # export of a big project), whatever ``--json`` says.
    stream: Iterable[str] | None = None


def to_jsonable(value: Any) -> Any:
    """Records, times, days and paths as JSON values (times in ISO 8601, UTC)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_jsonable(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def credits_text(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def safe_url(url: str) -> str:
    """The URL with any password hidden (SQLAlchemy is loaded by then when it matters)."""
    if "@" not in url:
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://***"


def describe_url(url: str) -> str:
    path = config.sqlite_path(url)
    return str(path) if path is not None else safe_url(url)


def _require_existing(url: str) -> None:
    """A command that only reads refuses a SQLite file that is not there, rather than
    leaving an empty database behind."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # opening it says what is wrong with the URL
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:"):  # an SQLite URI (?uri=true): SQLite decides
        return
    path = Path(database)
    if not path.exists():
        raise CommandError(
            f"No database at {path} (run a command that writes, such as `{PROG} demo` or "
            "`project add`, to create one)"
        )


def open_db(url: str, *, create: bool = True) -> Database:
    """Open the database, upgrading its schema first (the only way commands get one).

    ``create=False`` for the commands that only read: a SQLite file that does not exist
    is refused instead of created.
    """
    from orchestrator_tui.db.database import Database

    if not create:
        _require_existing(url)
    try:
        return Database.open(url)
    except ImportError as error:  # a driver for another database that is not installed
        raise CommandError(
            f"cannot open {safe_url(url)}: the database driver "
            f"{error.name or 'for it'} is not installed"
        ) from None


def check_output(path: Path) -> Path:
    """Refuse an --output path before any work is done, so that nothing is half-written."""
    target = path.expanduser()
    if target.is_dir():
        raise CommandError(f"--output {path}: is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"--output {path}: the directory {parent} does not exist")
    return target


def write_file(path: Path, chunks: Iterable[str]) -> int:
    """Write text atomically (a temporary file renamed over the target), secrets redacted;
    returns its size."""
    from orchestrator_tui.redact import redact

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    size = 0
    try:
        with temporary.open("w", encoding="utf-8", newline="\n") as handle:
            for chunk in chunks:
                chunk = redact(chunk)
                handle.write(chunk)
                size += len(chunk.encode("utf-8"))
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return size


def _osc52_writer() -> Callable[[str], None] | None:
    """OSC 52 goes to the controlling terminal, when there is one to open."""
    from orchestrator_tui.clipboard import write_osc52_to_tty

    try:
        with open("/dev/tty", "w", encoding="utf-8"):
            pass
    except OSError:
        return None
    return write_osc52_to_tty


def copy_out(text: str, stem: str) -> CopyOutcome:
    from orchestrator_tui.clipboard import copy_text

    return copy_text(text, config.data_dir(), osc52=_osc52_writer(), stem=stem)


def clipboard_payload(outcome: CopyOutcome) -> dict[str, Any]:
    return {
        "message": outcome.message(),
        "chars": outcome.chars,
        "confirmed": outcome.confirmed,
        "unconfirmed": outcome.unconfirmed,
        "file": str(outcome.file) if outcome.file else None,
        "problems": outcome.problems,
    }


T = TypeVar("T")


def every(fetch: Callable[[int], Page[T]]) -> list[T]:
    """Every item of a paged list, fetched page by page from offset 0."""
    items: list[T] = []
    while True:
        page = fetch(len(items))
        items += page.items
        if not page.has_more or not page.items:
            return items


def handoff_settings(args: argparse.Namespace) -> HandoffSettings:
    """The saved handoff settings with this command's --provider, --model, --base-url."""
    from dataclasses import replace

    from orchestrator_tui.services.handoffs import known_providers
    from orchestrator_tui.settings import load_settings

    if args.provider not in known_providers():
        known = ", ".join(known_providers())
        raise ValidationError(
            {"provider": f"unknown provider {args.provider!r}; use one of: {known}"}
        )
    saved = load_settings()
    same_provider = saved.provider == args.provider
    return replace(
        saved,
        provider=args.provider,
        model=args.model or (saved.model if same_provider else ""),
        base_url=args.base_url or (saved.base_url if same_provider else ""),
    )


def common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout instead of text"
    )
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        metavar="PATH_OR_URL",
        help="the database (same as the global --db)",
    )
    return parser


def llm_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="M",
        help="the LLM's model (huggingface: meta-llama/Llama-3.1-8B-Instruct)",
    )
    parser.add_argument(
        "--base-url",
        dest="base_url",
        metavar="URL",
        help="an OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama",
    )
