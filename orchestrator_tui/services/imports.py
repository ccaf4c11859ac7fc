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

from sqlalchemy import Connection, Table, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from orchestrator_tui.db import fts
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

BATCH = 500  # rows per INSERT (turns, file changes)
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
    with db.unit() as session, fts.deferred_turn_index(session.connection()):
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
        writer.flush()
        report.bytes_read = done
    report.problems = problems.items
    report.problem_count = problems.count
    return report


def _checked(events: Iterable[Event], cancel: threading.Event | None) -> Iterator[Event]:
    for count, event in enumerate(events):
        if cancel is not None and count % 256 == 0 and cancel.is_set():
            raise ImportCancelled("Import cancelled: nothing was written.")
        yield event


Row = tuple[Any, ...]


class _Insert:
    """An INSERT of rows given as tuples (in ``columns`` order), with each column's type
    applied to its values as SQLAlchemy Core would, but without Core's work for every row
    (building a row's parameters costs Core about twice what SQLite takes to store it)."""

    def __init__(
        self, connection: Connection, table: Table, columns: tuple[str, ...], returning: bool
    ) -> None:
        statement = table.insert().returning(table.c.id) if returning else table.insert()
        compiled = statement.compile(dialect=connection.dialect, column_keys=list(columns))
        # The statement binds the given columns and those with a default: each must be given.
        bound = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.params)
        if sorted(bound) != sorted(columns):
            raise ValueError(f"{table.name}: give exactly the columns {bound}")
        self.connection = connection
        self.sql = str(compiled)
        order = [columns.index(name) for name in bound]
        self.order = None if order == list(range(len(columns))) else order
        self.names = None if compiled.positional else bound
        self.processors = [
            (index, processor)
            for index, name in enumerate(columns)
            if (processor := table.c[name].type.bind_processor(connection.dialect)) is not None
        ]

    def parameters(self, row: Row) -> Row | dict[str, Any]:
        values = list(row)
        for index, processor in self.processors:
            values[index] = processor(values[index])
        if self.order is not None:
            values = [values[index] for index in self.order]
        return tuple(values) if self.names is None else dict(zip(self.names, values, strict=True))

    def many(self, rows: list[Row]) -> None:
        if rows:
            self.connection.exec_driver_sql(self.sql, [self.parameters(row) for row in rows])

    def one(self, row: Row) -> int:
        """Insert one row, returning its id (the statement was made with ``returning``)."""
        return int(self.connection.exec_driver_sql(self.sql, self.parameters(row)).scalar_one())


_SESSIONS: Table = WorkSession.__table__  # type: ignore[attr-defined]
_FILES: Table = ProjectFile.__table__  # type: ignore[attr-defined]
TURN_COLUMNS = (
    "session_id", "position", "role", "content", "created_at", "source_message_id", "kind",
    "tool_name", "is_error", "thread",
)  # fmt: skip
FILE_COLUMNS = (
    "project_id", "session_id", "path", "change", "lines_added", "lines_removed", "importance",
    "notes", "created_at",
)  # fmt: skip
# The columns an import sets, and those the row gets from their defaults (written out,
# since these INSERTs bypass the ORM): the imported session's row in full.
_SESSION_DEFAULTS: dict[str, Any] = {
    "session_type": "development",
    "objectives": "",
    "accomplishments": "",
    "blockers": "",
    "next_steps": "",
}
SESSION_COLUMNS = (
    "project_id", "number", "status", "title", "started_at", "ended_at", "working_directory",
    "git_branch", "source_path", "source_format", "source_id", "model", "input_tokens",
    "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "notes",
    *_SESSION_DEFAULTS,
)  # fmt: skip
# What the end of a transcript may change in its session's row.
_FINISHED = (
    "title", "ended_at", "input_tokens", "output_tokens", "cache_read_input_tokens",
    "cache_creation_input_tokens", "notes",
)  # fmt: skip


class _Writer:
    """Turns a stream of events into rows, inside the caller's transaction.

    Rows are written with few statements: a new session's row once its transcript has
    ended (or once its first batch of turns is due), turns and files in batches of
    ``BATCH`` across transcripts, which ``flush`` writes out. Which transcripts are stored
    already, the projects and their next session numbers are looked up once per import.
    """

    def __init__(self, session: Session, report: ImportReport, project: str | None) -> None:
        self.session = session
        self.connection = session.connection()
        self.report = report
        self.project = project
        self._projects: dict[str, int] = {}  # casefolded name -> id
        self._project_names: dict[int, str] = {}
        self._numbers: dict[int, int] = {}  # project id -> its next session number
        self._stored: dict[str, dict[str, int]] = {}  # format -> source id -> session id
        self.sessions = _Insert(self.connection, _SESSIONS, SESSION_COLUMNS, True)
        self._turns = _Insert(self.connection, _TURNS, TURN_COLUMNS, False)
        self._files = _Insert(self.connection, _FILES, FILE_COLUMNS, False)
        self.pending_turns: list[Row] = []
        self.pending_files: list[Row] = []

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

    def add_turns(self, rows: list[Row]) -> None:
        self.pending_turns.extend(rows)
        if len(self.pending_turns) >= BATCH:
            self.flush()

    def add_files(self, rows: list[Row]) -> None:
        self.pending_files.extend(rows)
        if len(self.pending_files) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the turns and files waiting (their sessions' rows are written already)."""
        self._turns.many(self.pending_turns)
        self._files.many(self.pending_files)
        self.pending_turns = []
        self.pending_files = []

    def redact(self, text: str) -> str:
        cleaned, counts = redact_counting(text)
        if counts:
            self.report.redactions.update(counts)
        return cleaned

    def stored(self, source_format: str, source_id: str) -> int | None:
        """The id of the session a transcript was imported into before, if it was."""
        known = self._stored.get(source_format)
        if known is None:
            rows = self.connection.execute(
                sa_select(_SESSIONS.c.source_id, _SESSIONS.c.id).where(
                    _SESSIONS.c.source_format == source_format,
                    _SESSIONS.c.source_id.is_not(None),
                )
            )
            known = self._stored[source_format] = {source: id_ for source, id_ in rows}
        return known.get(source_id)

    def created(self, source_format: str, source_id: str, session_id: int) -> None:
        self._stored.setdefault(source_format, {})[source_id] = session_id

    def next_number(self, project_id: int) -> int:
        number = self._numbers.get(project_id)
        if number is None:
            number = session_repo.next_number(self.session, project_id)
        self._numbers[project_id] = number + 1
        return number

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
            self._project_names[found.id] = found.name
        return self._projects[key]

    def project_name(self, project_id: int) -> str:
        if project_id not in self._project_names:
            project = self.session.get(Project, project_id)
            self._project_names[project_id] = project.name if project is not None else ""
        return self._project_names[project_id]


def _project_name(working_directory: str | None) -> str | None:
    if not working_directory:
        return None
    name = PurePath(working_directory.rstrip("/\\")).name or working_directory
    return clean_name(name[:MAX_NAME])


class _Transcript:
    """One transcript being written: its session row (new or found again) and its turns."""

    def __init__(self, writer: _Writer, path: Path, start: Start) -> None:
        self.writer = writer
        self.start = start
        self.turns: list[Row] = []  # this transcript's turns not written yet, less session_id
        self.files: dict[str, FileChange] = {}
        self.first_user = ""
        self.added = 0
        found = writer.stored(start.source_format, start.source_id)
        self.new = found is None
        self.session_id = found
        self.written: dict[str, Any] = {}  # the row's values as the database has them
        if found is None:
            project_id = writer.project_id(start.working_directory)
            self.values: dict[str, Any] = {
                **_SESSION_DEFAULTS,
                "project_id": project_id,
                "number": writer.next_number(project_id),
                "status": SessionStatus.IMPORTED.value,
                "title": writer.redact(start.title)[:TITLE_CHARS],
                "started_at": start.started_at or utcnow(),
                "ended_at": start.started_at,
                "working_directory": start.working_directory,
                "git_branch": start.git_branch,
                "source_path": str(path),
                "source_format": start.source_format,
                "source_id": start.source_id,
                "model": start.model,
                "input_tokens": None,
                "output_tokens": None,
                "cache_read_input_tokens": None,
                "cache_creation_input_tokens": None,
                "notes": "",
            }
            self.known: set[str] = set()
            self.position = 0
            return
        writer.flush()  # the queries below see every row of this import
        columns = ("project_id", "number", "source_path", *_FINISHED)
        row = writer.connection.execute(
            sa_select(*(_SESSIONS.c[name] for name in columns)).where(_SESSIONS.c.id == found)
        ).one()
        self.values = dict(zip(columns, row, strict=True))
        self.written = dict(self.values)
        self.known = set(
            writer.connection.execute(
                sa_select(_TURNS.c.source_message_id).where(
                    _TURNS.c.session_id == found, _TURNS.c.source_message_id.is_not(None)
                )
            ).scalars()
        )
        last = writer.connection.execute(
            sa_select(func.coalesce(func.max(_TURNS.c.position), -1)).where(
                _TURNS.c.session_id == found
            )
        ).scalar_one()
        self.position = int(last) + 1

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
        self.turns.append(
            (
                self.position,
                turn.role if turn.role in ROLES else "system",
                content,
                turn.created_at,
                (turn.source_id or "")[:200] or None,
                turn.kind if turn.kind in KINDS else "text",
                (turn.tool_name or "")[:100] or None,
                turn.is_error,
                turn.thread[:100],
            )
        )
        self.position += 1
        self.added += 1
        if len(self.turns) >= BATCH:
            self._release_turns()

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
        values = self.values
        if end.title:
            values["title"] = self.writer.redact(end.title)[:TITLE_CHARS]
        if not values["title"] and self.first_user:
            values["title"] = " ".join(self.first_user.split())[:120]
        if end.ended_at is not None:
            values["ended_at"] = end.ended_at
        if end.usage is not None:
            values["input_tokens"] = end.usage.input_tokens
            values["output_tokens"] = end.usage.output_tokens
            values["cache_read_input_tokens"] = end.usage.cache_read_input_tokens
            values["cache_creation_input_tokens"] = end.usage.cache_creation_input_tokens
        if end.notes:
            notes = [self.writer.redact(note) for note in end.notes]
            kept = [note for note in notes if note not in values["notes"].splitlines()]
            values["notes"] = "\n".join(filter(None, [values["notes"], *kept]))
        if self.session_id is None:
            self._insert()
        else:
            changed = {
                name: values[name] for name in _FINISHED if values[name] != self.written[name]
            }
            if changed:
                self.writer.connection.execute(
                    _SESSIONS.update().where(_SESSIONS.c.id == self.session_id).values(changed)
                )
        self._release_turns()
        self._write_files()
        assert self.session_id is not None
        self.writer.report.sessions.append(
            ImportedSession(
                session_id=self.session_id,
                number=values["number"],
                project=self.writer.project_name(values["project_id"]),
                title=values["title"],
                source_format=self.start.source_format,
                source_path=values["source_path"] or "",
                turns_added=self.added,
                new=self.new,
            )
        )

    def _insert(self) -> None:
        """Write the new session's row, as it is now."""
        self.session_id = self.writer.sessions.one(
            tuple(self.values[name] for name in SESSION_COLUMNS)
        )
        self.written = dict(self.values)
        self.writer.created(self.start.source_format, self.start.source_id, self.session_id)

    def _release_turns(self) -> None:
        """Hand the turns gathered to the writer (after the row they belong to)."""
        if not self.turns:
            return
        if self.session_id is None:
            self._insert()
        session_id = self.session_id
        self.writer.add_turns([(session_id, *row) for row in self.turns])
        self.turns = []

    def _write_files(self) -> None:
        if not self.files:
            return
        stored: dict[str, int] = {}
        if not self.new:
            self.writer.flush()
            stored = {
                path: file_id
                for path, file_id in self.writer.connection.execute(
                    sa_select(_FILES.c.path, _FILES.c.id).where(
                        _FILES.c.session_id == self.session_id
                    )
                )
            }
        rows: list[Row] = []
        for path, change in self.files.items():
            kind = change.change if change.change in CHANGES else "modified"
            added, removed = max(change.lines_added, 0), max(change.lines_removed, 0)
            file_id = stored.get(path)
            if file_id is None:
                rows.append(
                    (
                        self.values["project_id"],
                        self.session_id,
                        path[:2000],
                        kind,
                        added,
                        removed,
                        3,
                        "From an imported transcript.",
                        utcnow(),
                    )
                )
            else:  # imported again: the transcript's totals replace the earlier ones
                self.writer.connection.execute(
                    _FILES.update()
                    .where(_FILES.c.id == file_id)
                    .values(change=kind, lines_added=added, lines_removed=removed)
                )
        self.writer.add_files(rows)


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
