"""Import transcripts (a file or a folder of them) as sessions with status ``imported``.

One transaction for the whole import: a failure or a cancel midway leaves the database as it
was. Events stream from the parser into batched INSERTs, so memory stays bounded whatever
the file size. Importing the same transcript again only adds the turns it did not have
(the source's message ids are kept). Every text is redacted on the way in.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import Table, func
from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ConversationTurn, Project, ProjectFile, WorkSession, utcnow
from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.importers import registry
from orchestrator_tui.importers.model import (
    CHANGES,
    KINDS,
    ROLES,
    End,
    Event,
    FileChange,
    Problem,
    Problems,
    Start,
    Turn,
)
from orchestrator_tui.records import SessionStatus
from orchestrator_tui.redact import redact_counting
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import sessions as session_repo
from orchestrator_tui.validation import MAX_NAME, clean_name

BATCH = 500  # turns per INSERT
_TURNS: Table = ConversationTurn.__table__  # type: ignore[attr-defined]
MAX_TURN_CHARS = 200_000  # longer turns are cut (with a note of how much)
TITLE_CHARS = 500

# (bytes done, bytes in total) over every file of the import
ImportProgress = Callable[[int, int], None]


class ImportCancelled(OrchestratorError):
    """The user stopped the import; nothing was written."""


@dataclass(frozen=True)
class ImportedSession:
    session_id: int
    number: int
    project: str
    title: str
    source_format: str
    source_path: str
    turns_added: int
    new: bool  # False: the transcript was imported before; only new turns were added


@dataclass
class ImportReport:
    sessions: list[ImportedSession] = field(default_factory=list)
    projects_created: list[str] = field(default_factory=list)
    files_read: int = 0
    bytes_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    redactions: Counter[str] = field(default_factory=Counter)

    @property
    def turns_added(self) -> int:
        return sum(item.turns_added for item in self.sessions)

    @property
    def sessions_created(self) -> int:
        return sum(1 for item in self.sessions if item.new)


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    format: str
    size: int


def plan(path: Path, format_name: str | None = None) -> list[PlannedFile]:
    """The files an import of ``path`` would read, with their formats (no database work).
    A clear error for a missing path, an empty folder or an unreadable file."""
    path = path.expanduser()
    if format_name is not None:
        registry.module(format_name)  # unknown format: ValidationError
    if path.is_dir():
        found = [
            PlannedFile(item, fmt, item.stat().st_size)
            for item, fmt in registry.transcripts_in(path, format_name)
        ]
        if not found:
            raise ValidationError({"path": f"no transcript found under {path}"})
        return found
    if not path.exists():
        raise ValidationError({"path": f"{path} does not exist"})
    if not path.is_file():
        raise ValidationError({"path": f"{path} is not a file or a folder"})
    try:
        detected = format_name or registry.detect(path)
        return [PlannedFile(path, detected, path.stat().st_size)]
    except OSError as error:
        raise ValidationError({"path": f"cannot read {path}: {error.strerror}"}) from None


def import_path(
    db: Database,
    path: Path,
    *,
    project: str | None = None,
    format_name: str | None = None,
    progress: ImportProgress | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import a transcript file, or every transcript under a folder. Without ``project``,
    each transcript goes to the project named after its working directory (created if
    needed); a transcript without one needs ``project``."""
    files = plan(path, format_name)
    target = clean_name(project) if project is not None else None
    report = ImportReport()
    total = sum(item.size for item in files)
    problems = Problems()
    with db.unit() as session:
        writer = _Writer(session, report, target)
        done = 0
        for planned in files:

            def file_progress(read: int, base: int = done, size: int = planned.size) -> None:
                if cancel is not None and cancel.is_set():
                    raise ImportCancelled("Import cancelled: nothing was written.")
                if progress is not None:
                    progress(base + min(read, size), total)

            parser = registry.module(planned.format).parse
            try:
                events: Iterator[Event] = parser(planned.path, problems, file_progress)
                writer.write(planned.path, _checked(events, cancel))
            except OSError as error:
                raise OrchestratorError(
                    f"Import stopped, nothing was written: cannot read {planned.path}: "
                    f"{error.strerror or error}"
                ) from None
            done += planned.size
            report.files_read += 1
            if progress is not None:
                progress(done, total)
        report.bytes_read = done
    report.problems = problems.items
    report.problem_count = problems.count
    return report


def _checked(events: Iterable[Event], cancel: threading.Event | None) -> Iterator[Event]:
    for count, event in enumerate(events):
        if cancel is not None and count % 256 == 0 and cancel.is_set():
            raise ImportCancelled("Import cancelled: nothing was written.")
        yield event


class _Writer:
    """Turns a stream of events into rows, inside the caller's transaction."""

    def __init__(self, session: Session, report: ImportReport, project: str | None) -> None:
        self.session = session
        self.report = report
        self.project = project
        self._projects: dict[str, int] = {}

    def write(self, path: Path, events: Iterable[Event]) -> None:
        current: _Transcript | None = None
        for event in events:
            if isinstance(event, Start):
                if current is not None:  # a parser that forgot its End
                    current.finish(End())
                current = _Transcript(self, path, event)
            elif current is None:
                continue  # events before any Start: nothing to attach them to
            elif isinstance(event, Turn):
                current.add_turn(event)
            elif isinstance(event, FileChange):
                current.add_file(event)
            elif isinstance(event, End):
                current.finish(event)
                current = None
        if current is not None:
            current.finish(End())

    def redact(self, text: str) -> str:
        cleaned, counts = redact_counting(text)
        self.report.redactions.update(counts)
        return cleaned

    def project_id(self, working_directory: str | None) -> int:
        name = self.project or _project_name(working_directory)
        if name is None:
            raise ValidationError(
                {
                    "project": "this transcript does not say which folder it was made in: "
                    "name the project to import it into (--project NAME)"
                }
            )
        key = name.casefold()
        if key not in self._projects:
            found = project_repo.get_by_name(self.session, name) or next(
                iter(project_repo.same_name(self.session, name)), None
            )
            if found is None:
                found = Project(name=name, description="Created by an import.")
                self.session.add(found)
                self.session.flush()
                self.report.projects_created.append(name)
            assert found.id is not None
            self._projects[key] = found.id
        return self._projects[key]


def _project_name(working_directory: str | None) -> str | None:
    if not working_directory:
        return None
    name = PurePath(working_directory.rstrip("/\\")).name or working_directory
    return clean_name(name[:MAX_NAME])


class _Transcript:
    """One transcript being written: its session row (new or found again) and its turns."""

    def __init__(self, writer: _Writer, path: Path, start: Start) -> None:
        self.writer = writer
        self.session = writer.session
        self.start = start
        existing = self.session.exec(
            select(WorkSession).where(
                WorkSession.source_format == start.source_format,
                WorkSession.source_id == start.source_id,
            )
        ).first()
        self.new = existing is None
        if existing is None:
            project_id = writer.project_id(start.working_directory)
            existing = WorkSession(
                project_id=project_id,
                number=session_repo.next_number(self.session, project_id),
                status=SessionStatus.IMPORTED.value,
                title=writer.redact(start.title)[:TITLE_CHARS],
                started_at=start.started_at or utcnow(),
                ended_at=start.started_at,
                working_directory=start.working_directory,
                git_branch=start.git_branch,
                source_path=str(path),
                source_format=start.source_format,
                source_id=start.source_id,
                model=start.model,
            )
            self.session.add(existing)
            self.session.flush()
            self.known: set[str] = set()
            self.position = 0
        else:
            self.known = set(
                self.session.exec(
                    select(ConversationTurn.source_message_id).where(
                        ConversationTurn.session_id == existing.id,
                        col(ConversationTurn.source_message_id).is_not(None),
                    )
                ).all()  # type: ignore[arg-type]
            )
            last = self.session.exec(
                select(func.coalesce(func.max(ConversationTurn.position), -1)).where(
                    ConversationTurn.session_id == existing.id
                )
            ).one()
            self.position = int(last) + 1
        assert existing.id is not None
        self.work = existing
        self.session_id = existing.id
        self.added = 0
        self.pending: list[dict[str, Any]] = []
        self.files: dict[str, FileChange] = {}
        self.first_user = ""

    def add_turn(self, turn: Turn) -> None:
        if turn.source_id is not None:
            if turn.source_id in self.known:
                return
            self.known.add(turn.source_id)
        content = turn.content
        if len(content) > MAX_TURN_CHARS:
            cut = len(content) - MAX_TURN_CHARS
            content = content[:MAX_TURN_CHARS] + f"\n… [{cut:,} more characters not imported]"
        content = self.writer.redact(content)
        if not self.first_user and turn.role == "user" and turn.kind == "text":
            self.first_user = content
        self.pending.append(
            {
                "session_id": self.session_id,
                "position": self.position,
                "role": turn.role if turn.role in ROLES else "system",
                "content": content,
                "created_at": turn.created_at,
                "source_message_id": (turn.source_id or "")[:200] or None,
                "kind": turn.kind if turn.kind in KINDS else "text",
                "tool_name": (turn.tool_name or "")[:100] or None,
                "is_error": turn.is_error,
                "thread": turn.thread[:100],
            }
        )
        self.position += 1
        self.added += 1
        if len(self.pending) >= BATCH:
            self._flush_turns()

    def add_file(self, change: FileChange) -> None:
        before = self.files.get(change.path)
        if before is None:
            self.files[change.path] = change
        else:
            self.files[change.path] = FileChange(
                change.path,
                before.change if before.change == "created" else change.change,
                before.lines_added + change.lines_added,
                before.lines_removed + change.lines_removed,
            )

    def finish(self, end: End) -> None:
        self._flush_turns()
        work = self.work
        if end.title:
            work.title = self.writer.redact(end.title)[:TITLE_CHARS]
        if not work.title and self.first_user:
            work.title = " ".join(self.first_user.split())[:120]
        if end.ended_at is not None:
            work.ended_at = end.ended_at
        if end.usage is not None:
            work.input_tokens = end.usage.input_tokens
            work.output_tokens = end.usage.output_tokens
            work.cache_read_input_tokens = end.usage.cache_read_input_tokens
            work.cache_creation_input_tokens = end.usage.cache_creation_input_tokens
        if end.notes:
            notes = [self.writer.redact(note) for note in end.notes]
            kept = [note for note in notes if note not in work.notes.splitlines()]
            work.notes = "\n".join(filter(None, [work.notes, *kept]))
        self.session.add(work)
        self._write_files()
        self.session.flush()
        project = self.session.get(Project, work.project_id)
        self.writer.report.sessions.append(
            ImportedSession(
                session_id=self.session_id,
                number=work.number,
                project=project.name if project is not None else "",
                title=work.title,
                source_format=self.start.source_format,
                source_path=work.source_path or "",
                turns_added=self.added,
                new=self.new,
            )
        )

    def _flush_turns(self) -> None:
        if self.pending:
            # The Core table, not the ORM entity: one executemany per batch (the ORM's bulk
            # insert splits a batch wherever the rows' None values differ).
            self.session.execute(_TURNS.insert(), self.pending)
            self.pending = []

    def _write_files(self) -> None:
        if not self.files:
            return
        stored = {
            row.path: row
            for row in self.session.exec(
                select(ProjectFile).where(ProjectFile.session_id == self.session_id)
            ).all()
        }
        for path, change in self.files.items():
            kind = change.change if change.change in CHANGES else "modified"
            row = stored.get(path)
            if row is None:
                self.session.add(
                    ProjectFile(
                        project_id=self.work.project_id,
                        session_id=self.session_id,
                        path=path[:2000],
                        change=kind,
                        lines_added=max(change.lines_added, 0),
                        lines_removed=max(change.lines_removed, 0),
                        notes="From an imported transcript.",
                    )
                )
            else:  # imported again: the transcript's totals replace the earlier ones
                row.change = kind
                row.lines_added = max(change.lines_added, 0)
                row.lines_removed = max(change.lines_removed, 0)
                self.session.add(row)


@dataclass(frozen=True)
class PreviewTurn:
    role: str
    kind: str
    tool_name: str | None
    text: str  # one line, shortened


@dataclass(frozen=True)
class ImportPreview:
    """What an import of a path would read: its files, and the start of the first one."""

    files: list[PlannedFile]  # the first PREVIEW_FILES of them
    file_count: int
    total_bytes: int
    formats: Counter[str]
    title: str
    started_at: datetime | None
    working_directory: str | None
    turns: list[PreviewTurn]
    problems: list[Problem]


PREVIEW_FILES = 200
PREVIEW_TURNS = 8


def preview(path: Path, format_name: str | None = None) -> ImportPreview:
    """Plan the import of ``path`` and read the first turns of its first transcript, redacted.
    Reads no database."""
    files = plan(path, format_name)
    first = files[0]
    problems = Problems(limit=20)
    start: Start | None = None
    turns: list[PreviewTurn] = []
    events = registry.module(first.format).parse(first.path, problems, lambda read: None)
    try:
        for event in events:
            if isinstance(event, Start):
                if start is not None:
                    break  # the next transcript of the file
                start = event
            elif isinstance(event, Turn):
                line = " ".join(redact_counting(event.content)[0].split())
                turns.append(PreviewTurn(event.role, event.kind, event.tool_name, line[:200]))
                if len(turns) >= PREVIEW_TURNS:
                    break
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
    return ImportPreview(
        files=files[:PREVIEW_FILES],
        file_count=len(files),
        total_bytes=sum(item.size for item in files),
        formats=Counter(item.format for item in files),
        title=redact_counting(start.title)[0] if start is not None else "",
        started_at=start.started_at if start is not None else None,
        working_directory=start.working_directory if start is not None else None,
        turns=turns,
        problems=problems.items,
    )
