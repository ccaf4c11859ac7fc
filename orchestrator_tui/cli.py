"""The command line: ``orchestrator-tui`` with no command opens the TUI; the commands below run
the same services as the TUI and print readable text, or one JSON object with ``--json``.

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
import shlex
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from orchestrator_tui import __version__, config
from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.records import PLATFORMS, RESET_CADENCES, SESSION_TYPES

if TYPE_CHECKING:
    from orchestrator_tui.clipboard import CopyOutcome
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.records import HandoffView, Page, SessionDetail
    from orchestrator_tui.settings import HandoffSettings

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
    "credits_remaining": "--credits",
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


# --- Helpers ---------------------------------------------------------------------------------


def to_jsonable(value: Any) -> Any:
    """Records, times and paths as JSON values (times in ISO 8601, UTC)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_jsonable(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


def _when(value: datetime | None) -> str:
    if value is None:
        return "—"
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _credits(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _safe_url(url: str) -> str:
    """The URL with any password hidden (SQLAlchemy is loaded by then when it matters)."""
    if "@" not in url:
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("://", 1)[0] + "://***"


def _describe_url(url: str) -> str:
    path = config.sqlite_path(url)
    return str(path) if path is not None else _safe_url(url)


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


def _open(url: str, *, create: bool = True) -> Database:
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
            f"cannot open {_safe_url(url)}: the database driver "
            f"{error.name or 'for it'} is not installed"
        ) from None


def _check_output(path: Path) -> Path:
    """Refuse an --output path before any work is done, so that nothing is half-written."""
    target = path.expanduser()
    if target.is_dir():
        raise CommandError(f"--output {path}: is a directory; give a file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise CommandError(f"--output {path}: the directory {parent} does not exist")
    return target


def _write_file(path: Path, chunks: Iterable[str]) -> int:
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


def _copy(text: str, stem: str) -> CopyOutcome:
    from orchestrator_tui.clipboard import copy_text

    return copy_text(text, config.data_dir(), osc52=_osc52_writer(), stem=stem)


def _clipboard_payload(outcome: CopyOutcome) -> dict[str, Any]:
    return {
        "message": outcome.message(),
        "chars": outcome.chars,
        "confirmed": outcome.confirmed,
        "unconfirmed": outcome.unconfirmed,
        "file": str(outcome.file) if outcome.file else None,
        "problems": outcome.problems,
    }


# --- Commands --------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.demo import load_demo

    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise ValidationError({"now": f"{args.now!r} is not an ISO 8601 time"}) from None
    db = _open(url)
    try:
        result = load_demo(db, now)
    finally:
        db.close()
    payload = to_jsonable(result)
    payload["message"] = result.message()
    return Result(payload, result.message())


def cmd_db_upgrade(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.db.engine import create_db_engine
    from orchestrator_tui.db.migrate import current_revision, upgrade

    engine = create_db_engine(url)
    try:
        before = current_revision(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    where = _describe_url(url)
    if before == after:
        text = f"{where} is up to date at revision {after}."
    else:
        text = f"{where} upgraded from {before or 'an empty database'} to revision {after}."
    return Result({"database": _safe_url(url), "revision": after, "previous": before}, text)


def cmd_project_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import create_project

    db = _open(url)
    try:
        project = create_project(db, args.name, args.description)
    finally:
        db.close()
    return Result(
        {"project": to_jsonable(project)},
        f"Created project {project.name!r} (id {project.id}).",
    )


T = TypeVar("T")


def _every(fetch: Callable[[int], Page[T]]) -> list[T]:
    """Every item of a paged list, fetched page by page from offset 0."""
    items: list[T] = []
    while True:
        page = fetch(len(items))
        items += page.items
        if not page.has_more or not page.items:
            return items


def cmd_project_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import list_projects

    db = _open(url, create=False)
    try:
        items = _every(lambda offset: list_projects(db, offset=offset, limit=500))
    finally:
        db.close()
    if not items:
        text = "No projects yet. `orchestrator-tui project add NAME` creates one."
    else:
        lines = [f"{'ID':>4}  {'NAME':<32} {'SESSIONS':>8} {'CREDITS':>9}  LAST ACTIVITY"]
        for project in items:
            flags = " (archived)" if project.status == "archived" else ""
            flags += f" [{project.in_progress} in progress]" if project.in_progress else ""
            lines.append(
                f"{project.id:>4}  {project.name[:32]:<32} {project.session_count:>8} "
                f"{project.credits_used:>9,}  {_when(project.last_activity)}{flags}"
            )
        text = "\n".join(lines)
    return Result({"projects": to_jsonable(items), "total": len(items)}, text)


def cmd_project_edit(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import update_project

    db = _open(url)
    try:
        try:
            project = update_project(db, args.name, args.new_name, args.description)
        except ValidationError as error:  # the new name comes from --name, not NAME
            renamed = {("new_name" if key == "name" else key): v for key, v in error.errors.items()}
            raise ValidationError(renamed) from None
    finally:
        db.close()
    return Result(
        {"project": to_jsonable(project)},
        f"Updated project {project.name!r} (id {project.id}).",
    )


def _edit_usage(args: argparse.Namespace) -> str | None:
    if args.new_name is None and args.description is None:
        return "nothing to change: give --name NEW and/or --description TEXT"
    return None


def cmd_project_archive(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import set_archived

    archive = args.project_command == "archive"
    db = _open(url)
    try:
        project = set_archived(db, args.name, archive)
    finally:
        db.close()
    if archive:
        text = (
            f"Archived project {project.name!r} (id {project.id}); "
            f"`{PROG} project unarchive {shlex.quote(project.name)}` brings it back."
        )
    else:
        text = f"Project {project.name!r} (id {project.id}) is active again."
    return Result({"project": to_jsonable(project)}, text)


def cmd_account_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import AccountFields, create_account

    fields_ = AccountFields(
        name=args.name,
        platform=args.platform,
        credit_limit=args.credits,
        specialization=args.specialization,
        reset_cadence=args.reset,
    )
    db = _open(url)
    try:
        account = create_account(db, fields_)
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Created account {account.name!r} (id {account.id}) on {account.platform} with "
        f"{account.credits_remaining:,} credits ({account.status}).",
    )


def cmd_account_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import list_accounts

    db = _open(url, create=False)
    try:
        items = _every(lambda offset: list_accounts(db, offset=offset, limit=500))
    finally:
        db.close()
    if not items:
        text = "No accounts yet. `orchestrator-tui account add NAME --credits N` adds one."
    else:
        lines = [
            f"{'ID':>4}  {'NAME':<24} {'PLATFORM':<9} {'CREDITS LEFT':>17}  {'STATUS':<10} "
            "SPECIALIZATION"
        ]
        for account in items:
            left = f"{account.credits_remaining:,}/{account.credit_limit:,}"
            lines.append(
                f"{account.id:>4}  {account.name[:24]:<24} {account.platform:<9} {left:>17}  "
                f"{account.status:<10} {account.specialization}"
            )
        text = "\n".join(lines)
    return Result({"accounts": to_jsonable(items), "total": len(items)}, text)


def cmd_account_delete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import delete_account

    db = _open(url)
    try:
        account = delete_account(db, args.name)
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Deleted account {account.name!r} (id {account.id}); its sessions keep its name.",
    )


def cmd_session_start(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.sessions import start_session

    db = _open(url)
    try:
        started = start_session(
            db,
            args.project,
            account=args.account,
            objectives=args.objectives,
            session_type=args.type,
        )
    finally:
        db.close()
    work, previous = started.session, started.previous_handoff
    payload = {
        "session_id": work.id,
        "number": work.number,
        "project": work.project_name,
        "account": work.account_name,
        "status": work.status,
        "previous_handoff": previous.content if previous else None,
        "previous_handoff_id": previous.id if previous else None,
        "previous_session_number": previous.session_number if previous else None,
    }
    account = f" on {work.account_name}" if work.account_name else ""
    text = f"Started session #{work.number} of {work.project_name!r} (id {work.id}){account}."
    if previous is not None:
        text += (
            f"\n\nHandoff from session #{previous.session_number} "
            f"(version {previous.version}):\n\n{previous.content.rstrip()}"
        )
    else:
        text += "\nNo earlier handoff to load: this is a fresh start."
    return Result(payload, text)


def _handoff_settings(args: argparse.Namespace) -> HandoffSettings:
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


def cmd_session_complete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import handoffs
    from orchestrator_tui.services.sessions import complete_session

    provider = args.provider
    settings = _handoff_settings(args)
    db = _open(url)
    try:
        detail = complete_session(
            db,
            args.session_id,
            args.credits,
            args.accomplishments,
            blockers=args.blockers,
            next_steps=args.next_steps,
        )
        # The completion is committed; a failing generator must not undo it.
        handoff: HandoffView | None = None
        failure: str | None = None
        try:
            handoff = handoffs.generate_handoff(db, detail.id, provider, settings=settings)
        except Exception as error:
            failure = str(error) or type(error).__name__
    finally:
        db.close()
    payload = {
        "session_id": detail.id,
        "number": detail.number,
        "project": detail.project_name,
        "status": detail.status,
        "credits_used": detail.credits_used,
        "account": detail.account_name,
        "account_credits_remaining": detail.account_credits_remaining,
        "handoff_id": handoff.id if handoff else None,
        "handoff_version": handoff.version if handoff else None,
        "provider": handoff.provider if handoff else provider,
        "handoff": handoff.content if handoff else None,
        "handoff_error": failure,
        "fallback_reason": handoff.fallback_reason if handoff else None,
    }
    text = (
        f"Completed session #{detail.number} of {detail.project_name!r} (id {detail.id}): "
        f"{_credits(detail.credits_used)} credits used"
    )
    if detail.account_name is not None:
        text += f"; {detail.account_name} has {_credits(detail.account_credits_remaining)} left"
    text += "."
    result = Result(payload, text)
    if handoff is not None:
        result.text += (
            f"\n\nHandoff (version {handoff.version}, {handoff.provider}, id {handoff.id}):"
            f"\n\n{handoff.content.rstrip()}"
        )
    else:
        result.notes.append(
            f"{ERROR_PREFIX}session #{detail.number} is completed, but its handoff could not "
            f"be generated: {failure}. Retry with `{PROG} handoff {detail.id}`."
        )
        result.status = EXIT_ERROR
    return result


def _detail_text(detail: SessionDetail, versions: int) -> str:
    lines = [
        f"Session #{detail.number} of {detail.project_name!r} (id {detail.id})"
        + (f": {detail.title}" if detail.title else ""),
        f"  Status:       {detail.status}",
        f"  Type:         {detail.session_type}",
        f"  Account:      {detail.account_name or '—'}"
        + (
            f" ({detail.account_credits_remaining:,} credits left)"
            if detail.account_credits_remaining is not None
            else ""
        ),
        f"  Started:      {_when(detail.started_at)} UTC",
        f"  Ended:        {_when(detail.ended_at)}" + (" UTC" if detail.ended_at else ""),
        f"  Credits used: {_credits(detail.credits_used)}",
        f"  Turns:        {detail.turn_count:,}",
    ]
    if detail.loaded_handoff is not None:
        lines.append(
            f"  Loaded:       handoff of session #{detail.loaded_handoff.session_number} "
            f"(version {detail.loaded_handoff.version}, id {detail.loaded_handoff.id})"
        )
    for title, value in (
        ("Objectives", detail.objectives),
        ("Accomplishments", detail.accomplishments),
        ("Blockers", detail.blockers),
        ("Next steps", detail.next_steps),
    ):
        lines += ["", f"{title}:"]
        body = value.strip() or "(none)"
        lines += [f"  {line}" for line in body.splitlines()]
    produced = detail.produced_handoff
    lines.append("")
    if produced is None:
        lines.append("Handoff: none yet.")
    else:
        lines += [
            f"Handoff (version {produced.version} of {versions}, {produced.provider}, "
            f"{_when(produced.created_at)} UTC):",
            "",
            produced.content.rstrip(),
        ]
    return "\n".join(lines)


def cmd_session_show(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import handoffs
    from orchestrator_tui.services.sessions import get_session

    db = _open(url, create=False)
    try:
        detail = get_session(db, args.session_id)
        versions = handoffs.versions(db, args.session_id)
    finally:
        db.close()
    payload = to_jsonable(detail)
    payload["session_id"] = detail.id
    payload["handoff"] = detail.produced_handoff.content if detail.produced_handoff else None
    payload["handoff_versions"] = to_jsonable(versions)
    return Result(payload, _detail_text(detail, len(versions)))


def cmd_handoff(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.redact import redact
    from orchestrator_tui.services import handoffs

    output = _check_output(Path(args.output)) if args.output else None
    settings = _handoff_settings(args) if args.provider is not None else None
    # Without --provider it prints what is stored (generating only for a session that has
    # none, which a database that does not exist cannot hold).
    db = _open(url, create=args.provider is not None)
    try:
        view = None if args.provider else handoffs.latest_handoff(db, args.session_id)
        generated = view is None
        if view is None:
            view = handoffs.generate_handoff(
                db, args.session_id, args.provider or "rules", settings=settings
            )
    finally:
        db.close()
    content = redact(view.content)  # on its way out: printed, written, copied
    payload: dict[str, Any] = {
        "handoff_id": view.id,
        "session_id": view.session_id,
        "session_number": view.session_number,
        "version": view.version,
        "provider": view.provider,
        "model": view.model,
        "generated": generated,
        "fallback_reason": view.fallback_reason,
        "handoff": content,
        "output": None,
    }
    result = Result(payload)
    if generated:
        result.notes.append(
            f"Generated handoff version {view.version} ({view.provider}) for session "
            f"#{view.session_number}."
        )
    if view.fallback_reason:
        result.notes.append(f"The LLM failed, so the rules engine wrote it: {view.fallback_reason}")
    if output is not None:
        _write_file(output, [content])
        payload["output"] = str(output)
        result.notes.append(f"Wrote the handoff ({len(content):,} characters) to {output}.")
    if args.copy:
        outcome = _copy(content, f"handoff-session-{view.session_id}")
        payload["clipboard"] = _clipboard_payload(outcome)
        result.notes.append(outcome.message())
        if not outcome.methods and outcome.file is None:
            result.status = EXIT_ERROR
            result.notes.append(
                ERROR_PREFIX + "the handoff could not be copied: " + "; ".join(outcome.problems)
            )
    if output is None and not args.copy:
        result.text = content.rstrip("\n")
    return result


def cmd_export(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import export

    output = _check_output(Path(args.output)) if args.output else None
    db = _open(url, create=False)
    try:
        if args.format == "json":
            document = export.export_project(db, args.project)
            name = document["project"]["name"]
            sessions = len(document["sessions"])
            if output is None:
                return Result(document, text_is_payload=True)
            size = _write_file(output, [json.dumps(document, ensure_ascii=False, indent=2), "\n"])
        else:
            from orchestrator_tui.services.projects import get_project

            summary = get_project(db, args.project)
            name, sessions = summary.name, summary.session_count
            if output is None:
                markdown = export.export_markdown(db, args.project)
                return Result(
                    {"project": name, "format": "md", "sessions": sessions, "markdown": markdown},
                    markdown.rstrip("\n"),
                )
            size = _write_file(output, export.iter_markdown(db, args.project))
    finally:
        db.close()
    payload = {
        "project": name,
        "format": args.format,
        "sessions": sessions,
        "output": str(output),
        "bytes": size,
    }
    return Result(
        payload, f"Exported {name!r} ({sessions:,} sessions) as {args.format} to {output}."
    )


def _progress_line() -> Callable[[int, int], None] | None:
    """A one-line progress bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        return None
    shown = [-1]

    def show(done: int, total: int) -> None:
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if percent != shown[0]:
            shown[0] = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\rimporting [{bar:<25}] {percent:3d}%  {done / 1e6:,.1f} MB")
            sys.stderr.flush()

    return show


def cmd_import(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import imports

    db = _open(url)
    progress = _progress_line()
    try:
        report = imports.import_path(
            db, Path(args.path), project=args.project, format_name=args.format, progress=progress
        )
    finally:
        db.close()
        if progress is not None:
            sys.stderr.write("\n")
    payload = {
        "sessions_created": report.sessions_created,
        "sessions_updated": len(report.sessions) - report.sessions_created,
        "turns_added": report.turns_added,
        "projects_created": report.projects_created,
        "files_read": report.files_read,
        "bytes_read": report.bytes_read,
        "sessions": [to_jsonable(item) for item in report.sessions],
        "redacted": dict(sorted(report.redactions.items())),
        "problem_count": report.problem_count,
        "problems": [str(problem) for problem in report.problems],
    }
    lines = [
        f"Imported {report.files_read:,} file(s): {report.sessions_created:,} new session(s), "
        f"{payload['sessions_updated']:,} already there, {report.turns_added:,} new turn(s)."
    ]
    lines += [
        f"  #{item.number} {item.project}: {item.title or '(untitled)'} "
        f"[{item.source_format}, +{item.turns_added:,} turns]"
        for item in report.sessions[:20]
    ]
    if len(report.sessions) > 20:
        lines.append(f"  … and {len(report.sessions) - 20:,} more")
    if report.projects_created:
        lines.append("Projects created: " + ", ".join(report.projects_created))
    if report.redactions:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.redactions.items()))
        lines.append(f"Secrets replaced by [REDACTED:…] markers: {kinds}.")
    notes = [f"skipped {problem}" for problem in report.problems]
    if report.problem_count > len(report.problems):
        notes.append(f"… {report.problem_count - len(report.problems):,} more lines skipped")
    return Result(payload, "\n".join(lines), notes)


# --- Parser ----------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
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


def _llm_options(parser: argparse.ArgumentParser) -> None:
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

    demo = _common(commands.add_parser("demo", help="load the demo data set"))
    demo.add_argument("--now", help="date the demo relative to this ISO 8601 time")
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = _common(
        db_commands.add_parser("upgrade", help="bring the schema up to date, print its revision")
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)

    project = commands.add_parser("project", help="add, list, edit and archive projects")
    project_commands = project.add_subparsers(
        dest="project_command", metavar="ACTION", required=True
    )
    add = _common(project_commands.add_parser("add", help="create a project"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--description", default="", metavar="TEXT")
    add.set_defaults(handler=cmd_project_add)
    _common(project_commands.add_parser("list", help="list projects")).set_defaults(
        handler=cmd_project_list
    )
    edit = _common(project_commands.add_parser("edit", help="rename or describe a project"))
    edit.add_argument("name", metavar="NAME", help="project name or id")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="the new name")
    edit.add_argument("--description", metavar="TEXT", help="the new description")
    edit.set_defaults(handler=cmd_project_edit, usage_check=_edit_usage, command_parser=edit)
    for action, help_ in (
        ("archive", "archive a project (its sessions stay; no new ones start)"),
        ("unarchive", "make an archived project active again"),
    ):
        archive = _common(project_commands.add_parser(action, help=help_))
        archive.add_argument("name", metavar="NAME", help="project name or id")
        archive.set_defaults(handler=cmd_project_archive)

    account = commands.add_parser("account", help="add, list and delete accounts of the pool")
    account_commands = account.add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )
    add = _common(account_commands.add_parser("add", help="add an account to the pool"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--platform", default="other", type=str.lower, choices=PLATFORMS)
    add.add_argument("--credits", default="0", metavar="N", help="credit limit (and credits left)")
    add.add_argument("--specialization", default="", metavar="TEXT")
    add.add_argument(
        "--reset", default="none", type=str.lower, choices=RESET_CADENCES, help="reset cadence"
    )
    add.set_defaults(handler=cmd_account_add)
    _common(account_commands.add_parser("list", help="list the account pool")).set_defaults(
        handler=cmd_account_list
    )
    delete = _common(
        account_commands.add_parser(
            "delete", help="delete an account (its sessions stay and keep its name)"
        )
    )
    delete.add_argument("name", metavar="NAME", help="account name or id")
    delete.set_defaults(handler=cmd_account_delete)

    session = commands.add_parser("session", help="start, complete and show sessions")
    session_commands = session.add_subparsers(
        dest="session_command", metavar="ACTION", required=True
    )
    start = _common(
        session_commands.add_parser(
            "start", help="start the next session of a project (loads the previous handoff)"
        )
    )
    start.add_argument("project", metavar="PROJECT", help="project name or id")
    start.add_argument("--account", metavar="NAME", help="account from the pool")
    start.add_argument("--objectives", default="", metavar="TEXT")
    start.add_argument(
        "--type", default="development", type=str.lower, choices=SESSION_TYPES, metavar="TYPE"
    )
    start.set_defaults(handler=cmd_session_start)

    complete = _common(
        session_commands.add_parser(
            "complete", help="complete a session, charge its account, generate its handoff"
        )
    )
    complete.add_argument("session_id", type=int, metavar="SESSION_ID")
    complete.add_argument("--credits", required=True, metavar="N", help="credits used")
    complete.add_argument("--accomplishments", required=True, metavar="TEXT")
    complete.add_argument("--blockers", default="", metavar="TEXT")
    complete.add_argument("--next-steps", dest="next_steps", default="", metavar="TEXT")
    complete.add_argument(
        "--provider", default="rules", metavar="NAME", help="rules (default), huggingface, openai"
    )
    _llm_options(complete)
    complete.set_defaults(handler=cmd_session_complete)

    show = _common(session_commands.add_parser("show", help="a session's details and handoff"))
    show.add_argument("session_id", type=int, metavar="SESSION_ID")
    show.set_defaults(handler=cmd_session_show)

    handoff = _common(
        commands.add_parser(
            "handoff",
            help="print, copy or save a session's handoff (generating one when asked or "
            "when there is none yet)",
        )
    )
    handoff.add_argument("session_id", type=int, metavar="SESSION_ID")
    handoff.add_argument(
        "--provider",
        metavar="NAME",
        help="generate a new version with this provider: rules, huggingface or openai",
    )
    _llm_options(handoff)
    handoff.add_argument("--copy", action="store_true", help="copy it to the clipboard")
    handoff.add_argument("--output", metavar="FILE", help="write the Markdown to FILE")
    handoff.set_defaults(handler=cmd_handoff)

    import_ = _common(
        commands.add_parser(
            "import",
            help="import transcripts (Claude Code, ChatGPT, Aider, Codex, text), a file or folder",
        )
    )
    import_.add_argument("path", metavar="PATH", help="a transcript file, or a folder of them")
    import_.add_argument(
        "--project",
        metavar="NAME",
        help="the project to import into (created if needed); without it, each transcript "
        "goes to the project named after its working directory",
    )
    import_.add_argument(
        "--format",
        choices=("claude-code", "chatgpt", "aider", "codex", "text"),
        help="skip detection and read PATH as this format",
    )
    import_.set_defaults(handler=cmd_import)

    export = _common(commands.add_parser("export", help="export a project as JSON or Markdown"))
    export.add_argument("project", metavar="PROJECT", help="project name or id")
    export.add_argument("--format", default="json", choices=("json", "md"))
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(handler=cmd_export)
    return parser


# --- Entry point -----------------------------------------------------------------------------


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
        where = _describe_url(url) if url else "the database"
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

        if args.json or result.text_is_payload:
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


if __name__ == "__main__":
    raise SystemExit(main())
