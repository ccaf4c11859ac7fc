"""`import` (transcripts, a file or a folder, or a project export) and `export` (a project as
JSON or Markdown)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import (
    CommandError,
    Result,
    check_output,
    common_options,
    open_db,
    to_jsonable,
    write_file,
)

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.db.database import Database


def _closing(db: Database, chunks: Iterator[str]) -> Iterator[str]:
    """The chunks, then the database closed (the export is read as it is printed)."""
    try:
        yield from chunks
    finally:
        db.close()


def cmd_export(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import export
    from orchestrator_tui.services.projects import get_project

    output = check_output(Path(args.output)) if args.output else None
    db = open_db(url, create=False)
    streaming = False
    try:
        summary = get_project(db, args.project)
        name, sessions = summary.name, summary.session_count
        if args.format == "json":
            chunks = export.iter_json(db, summary.id)
            if output is None:
                streaming = True
                return Result({}, stream=_closing(db, chunks))
            size = write_file(output, chunks)
        else:
            if output is None:
                markdown = export.export_markdown(db, summary.id)
                return Result(
                    {"project": name, "format": "md", "sessions": sessions, "markdown": markdown},
                    markdown.rstrip("\n"),
                )
            size = write_file(output, export.iter_markdown(db, summary.id))
    finally:
        if not streaming:
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


def cmd_import_export(args: argparse.Namespace, url: str, path: Path) -> Result:
    """`import FILE` of a project export: the project recreated here with new ids."""
    from orchestrator_tui.services.project_import import import_export

    if args.project is not None:
        raise CommandError(
            "--project does not apply to a project export (it carries its project); "
            "--rename NEW imports it under another name"
        )
    db = open_db(url)
    progress = _progress_line()
    try:
        report = import_export(db, path, rename=args.rename, progress=progress)
    finally:
        db.close()
        if progress is not None:
            sys.stderr.write("\n")
    payload = {"kind": "export", **to_jsonable(report)}
    renamed = f" (renamed from {report.renamed_from!r})" if report.renamed_from else ""
    lines = [
        f"Imported project {report.project!r}{renamed} as id {report.project_id}: "
        f"{report.sessions:,} session(s), {report.turns:,} turn(s), "
        f"{report.handoff_versions:,} handoff version(s), {report.files:,} file(s), "
        f"{report.knowledge_items:,} knowledge item(s), {report.handoff_queue:,} queued handoff(s)."
    ]
    if report.accounts_created:
        lines.append("Accounts created: " + ", ".join(report.accounts_created))
    if report.accounts_matched:
        lines.append(
            "Accounts already here (left as they are): " + ", ".join(report.accounts_matched)
        )
    notes = []
    if report.unlinked_transcripts:
        notes.append(
            f"{report.unlinked_transcripts:,} session(s) came from transcripts already imported "
            "here: their content was copied, and importing those transcripts again updates the "
            "sessions that had them first."
        )
    return Result(payload, "\n".join(lines), notes)


def cmd_import(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import imports
    from orchestrator_tui.services.project_import import is_export

    path = Path(args.path).expanduser()
    if args.format is None and is_export(path):
        return cmd_import_export(args, url, path)
    if args.rename is not None:
        raise CommandError("--rename applies to a project export (from `export --format json`)")
    db = open_db(url)
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


def register(commands: Commands) -> None:
    import_ = common_options(
        commands.add_parser(
            "import",
            help="import transcripts (Claude Code, ChatGPT, Aider, Codex, text), a file or "
            "folder, or a project export",
        )
    )
    import_.add_argument(
        "path",
        metavar="PATH",
        help="a transcript file, a folder of them, or a project export (recognised by its "
        "format marker)",
    )
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
    import_.add_argument(
        "--rename",
        metavar="NEW",
        help="a project export (`export --format json`) whose project exists here: import it "
        "under this name instead",
    )
    import_.set_defaults(handler=cmd_import)

    export = common_options(
        commands.add_parser("export", help="export a project as JSON or Markdown")
    )
    export.add_argument("project", metavar="PROJECT", help="project name or id")
    export.add_argument("--format", default="json", choices=("json", "md"))
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(handler=cmd_export)
