"""The command line: ``orchestrator-tui`` with no command opens the TUI; the commands (one
module per area in this package) run the same services as the TUI and print readable text, or
one JSON object with ``--json``.

Start-up stays light: only argparse, the settings and the error classes load here; the
database layer and the services are imported inside the command that needs them.

Errors the user can act on (unknown project, bad credits, a database written by a newer
version, a path that cannot be written...) print one line on stderr, prefixed
``orchestrator-tui: error:``, and exit with status 1; usage errors exit with 2, as argparse
does. A refused command writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from orchestrator_tui import __version__, config
from orchestrator_tui.cli import (
    accounts,
    analytics,
    files,
    knowledge,
    maintenance,
    projects,
    search,
    sessions,
    transfer,
    troubleshoot,
)
from orchestrator_tui.cli.common import (
    ERROR_PREFIX,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    OPTION_NAMES,
    PROG,
    Result,
    describe_url,
    to_jsonable,
)
from orchestrator_tui.errors import OrchestratorError, ValidationError

# In the order `--help` lists them.
COMMAND_MODULES = (
    maintenance,
    projects,
    accounts,
    sessions,
    files,
    transfer,
    knowledge,
    analytics,
    search,
    troubleshoot,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A keyboard-driven terminal cockpit for AI-assisted work sessions, "
        "accounts, credits and handoffs. Without a command, opens the TUI.",
        epilog=f"The database is --db, else ${config.DB_ENV}, else {config.DEFAULT_DB_FILENAME} "
        "in the user data directory.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--db",
        default=None,
        metavar="PATH_OR_URL",
        help=f"SQLite file path or SQLAlchemy URL (default: ${config.DB_ENV} or the data dir)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def _field_message(error: ValidationError) -> str:
    return "; ".join(
        f"{OPTION_NAMES.get(name, name)}: {reason}" for name, reason in error.errors.items()
    )


def error_message(error: BaseException, url: str | None) -> str | None:
    """The one-line message for an error the user can act on; None for a bug."""
    if isinstance(error, ValidationError):
        return _field_message(error)
    if isinstance(error, OrchestratorError):
        return str(error)
    if isinstance(error, OSError):
        if error.strerror and error.filename is not None:
            return f"{error.strerror}: {error.filename}"
        return str(error) or type(error).__name__
    exc = sys.modules.get("sqlalchemy.exc")
    if exc is not None:
        where = describe_url(url) if url else "the database"
        if isinstance(error, exc.DBAPIError):
            reason = str(error.orig) if error.orig is not None else str(error)
            return f"cannot use the database {where}: {reason}"
        if isinstance(error, exc.ArgumentError):
            return f"invalid database URL {where}: {error}"
        if isinstance(error, exc.SQLAlchemyError):
            return f"database error on {where}: {error}"
    return None


def _emit(stream: Any, text: str) -> None:
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.db == "":
            parser.error("--db: expected a file path or a database URL, got an empty string")
        usage_check: Callable[[argparse.Namespace], str | None] | None = getattr(
            args, "usage_check", None
        )
        problem = usage_check(args) if usage_check is not None else None
        if problem is not None:
            args.command_parser.error(problem)
    except SystemExit as exit_:  # --help, --version, usage errors
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_USAGE)

    url: str | None = None
    try:
        url = config.database_url(args.db)
        if args.command is None:
            from orchestrator_tui.tui.app import run

            return run(url)
        handler: Callable[[argparse.Namespace, str], Result] = args.handler
        result = handler(args, url)
        from orchestrator_tui.redact import redact  # nothing printed carries a secret

        if result.stream is not None:
            for chunk in result.stream:
                sys.stdout.write(redact(chunk))
            sys.stdout.flush()
        elif args.json or result.text_is_payload:
            printed = json.dumps(to_jsonable(result.payload), ensure_ascii=False, indent=2)
            _emit(sys.stdout, redact(printed))
        else:
            _emit(sys.stdout, redact(result.text))
        for note in result.notes:
            _emit(sys.stderr, note)
        return result.status
    except KeyboardInterrupt:
        _emit(sys.stderr, f"{ERROR_PREFIX}interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`); say nothing, and keep Python from complaining.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as error:
        message = error_message(error, url)
        if message is None:
            raise
        _emit(sys.stderr, ERROR_PREFIX + " ".join(message.split("\n")))
        return EXIT_ERROR
