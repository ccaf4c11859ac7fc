"""Import a project export (``services/export``) into this database.

The project is recreated with new ids, in one transaction: a bad, cut or too new export, a
cancel or any failure midway leaves the database as it was. The accounts are matched by
name (ignoring case) and created, with the credits the export gives, when missing. Where
a project of that name exists already, the import is refused unless it is given a new
name. A session whose transcript link (format and source id) is already used here keeps its
content but not the link, so that importing that transcript again goes to the session that
had it first.

The file is read twice with ijson, never whole: first everything but the sessions (checked
before anything is written), then the sessions one at a time, their turns in batches.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]
from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, select

from orchestrator_tui.db import fts
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    Account,
    ConversationTurn,
    Handoff,
    HandoffQueueItem,
    KnowledgeItem,
    Project,
    ProjectFile,
    WorkSession,
)
from orchestrator_tui.errors import ConflictError, OrchestratorError, ValidationError
from orchestrator_tui.records import (
    FILE_CHANGES,
    IMPORTANCE,
    PLATFORMS,
    RESET_CADENCES,
    AccountStatus,
    ProjectStatus,
    SessionStatus,
)
from orchestrator_tui.redact import redact
from orchestrator_tui.repositories import named
from orchestrator_tui.services.export import FORMAT, VERSION
from orchestrator_tui.validation import clean_name

HEAD_BYTES = 64 * 1024
BATCH = 500  # turns per INSERT
CHECK_EVERY = 4096  # parser events between two looks at cancel and progress
MAX_INTEGER = 2**53  # far above any count, and within every database's integers
_BOM = b"\xef\xbb\xbf"
_MARKER = re.compile(rb'"format"\s*:\s*"' + FORMAT.encode() + rb'"')
_TURNS: Table = ConversationTurn.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = WorkSession.__table__  # type: ignore[attr-defined]
ROLES = ("user", "assistant", "tool", "system")
KINDS = ("text", "tool_call", "tool_result", "summary")
# Older versions of the demo wrote "added" for a created file.
_CHANGE_SYNONYMS = {"added": "created"}

# (bytes read, bytes to read) over both passes
ExportProgress = Callable[[int, int], None]


class InvalidExportError(OrchestratorError):
    """The file is not an export this version can read; nothing was written."""


class ProjectExistsError(ConflictError):
    """The export's project (or the new name asked for) is already in this database."""

    def __init__(self, name: str, existing: str, renamed: bool) -> None:
        self.name = name
        self.existing = existing
        how = (
            f"the new name {name!r} is taken"
            if renamed
            else f"this database already has a project named {existing!r}"
        )
        super().__init__(
            f"Cannot import the project: {how}; nothing was written. "
            "Import it under another name (--rename NEW)."
        )


class ExportImportCancelled(OrchestratorError):
    """The user stopped the import; nothing was written."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds, from its first lines (for a preview)."""

    path: Path
    size: int
    project: str
    description: str
    version: int
    app_version: str
    exported_at: datetime | None
    counts: dict[str, int]


@dataclass
class ExportImportReport:
    project: str
    project_id: int
    renamed_from: str | None
    sessions: int = 0
    turns: int = 0
    handoff_versions: int = 0
    files: int = 0
    knowledge_items: int = 0
    handoff_queue: int = 0
    accounts_created: list[str] = field(default_factory=list)
    accounts_matched: list[str] = field(default_factory=list)
    # Sessions whose transcript (format and source id) is already linked to a session here.
    unlinked_transcripts: int = 0
    bytes_read: int = 0


def is_export(path: Path) -> bool:
    """Whether ``path`` is a project export: a JSON object with the format marker on top."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return False
    text = head.removeprefix(_BOM).lstrip()
    return text.startswith(b"{") and _MARKER.search(text) is not None


# --- reading --------------------------------------------------------------------------------


def _bad(where: str, problem: str) -> InvalidExportError:
    return InvalidExportError(f"Not a usable export: {where} {problem}; nothing was written.")


class _Reader:
    """The parser events of one pass, with progress and cancel looked at now and then."""

    def __init__(
        self,
        file: IO[bytes],
        on_step: Callable[[int], None],
    ) -> None:
        self.file = file
        self.on_step = on_step

    def events(self) -> Iterator[tuple[str, Any]]:
        try:
            for count, event in enumerate(ijson.basic_parse(self.file, use_float=True)):
                if count % CHECK_EVERY == 0:
                    self.on_step(self.file.tell())
                yield event
        except (ijson.JSONError, ValueError, RecursionError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            raise InvalidExportError(
                "Not a usable export: the file is not valid JSON (is it cut short?)"
                + (f": {first}" if first else "")
                + "; nothing was written."
            ) from None
        self.on_step(self.file.tell())


_START = ("start_map", "start_array")
_END = ("end_map", "end_array")


def _top_level(events: Iterator[tuple[str, Any]], *, stop_at_sessions: bool) -> dict[str, Any]:
    """The top-level values of the export, except the sessions (skipped, or where reading
    stops)."""
    top: dict[str, Any] = {}
    depth = 0
    key: str | None = None
    builder: Any = None
    for event, value in events:
        if event in _END:
            depth -= 1
        level = depth
        if event in _START:
            depth += 1
        if level == 0:
            if event == "start_map":
                continue
            if event == "end_map":
                break
            raise _bad("the file", "is not a JSON object")
        if level == 1 and event == "map_key":
            key = value
            if key == "sessions" and stop_at_sessions:
                return top
            builder = ijson.ObjectBuilder() if key != "sessions" else None
            continue
        if builder is None:  # inside the sessions
            continue
        builder.event(event, value)
        if level == 1 and event not in _START:  # the value is complete
            assert key is not None
            top[key] = builder.value
    return top


def _check_header(top: dict[str, Any]) -> None:
    if top.get("format") != FORMAT:
        raise _bad("the file", f'has no "format": "{FORMAT}" marker')
    version = top.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad('"version"', "is missing or not a positive whole number")
    if version > VERSION:
        raise InvalidExportError(
            f"This export is version {version}, written by a newer orchestrator-tui; this one "
            f"reads version {VERSION}. Upgrade orchestrator-tui to import it. Nothing was written."
        )


def _open(path: Path) -> IO[bytes]:
    try:
        return path.expanduser().open("rb")
    except OSError as error:
        raise ValidationError({"path": f"cannot read {path}: {error.strerror or error}"}) from None


def read_summary(path: Path) -> ExportSummary:
    """The project, counts and version of an export, read from its top (no database)."""
    with _open(path) as file:
        size = path.expanduser().stat().st_size
        top = _top_level(_Reader(file, lambda read: None).events(), stop_at_sessions=True)
    _check_header(top)
    project = _Record(top.get("project"), '"project"')
    counts = top.get("counts")
    return ExportSummary(
        path=path,
        size=size,
        project=project.text("name", limit=200, required=True),
        description=project.text("description"),
        version=int(top["version"]),
        app_version=str(top.get("app_version") or "?"),
        exported_at=_Record(top, "the file").time("exported_at"),
        counts={
            str(k): v
            for k, v in (counts.items() if isinstance(counts, dict) else [])
            if isinstance(v, int)
        },
    )


class _Record:
    """Typed access to one exported object; a wrong field is a clear error that says where."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise _bad(where, "is not a JSON object")
        self.data: dict[str, Any] = data
        self.where = where

    def _field(self, key: str) -> str:
        return f"{self.where}.{key}"

    def text(
        self,
        key: str,
        *,
        limit: int | None = None,
        required: bool = False,
        present: bool = False,
        default: str = "",
    ) -> str:
        """Text, redacted. ``required``: there and not blank; ``present``: there."""
        value = self.data.get(key)
        if value is None:
            if required or present:
                raise _bad(self._field(key), "is missing")
            return default
        if not isinstance(value, str):
            raise _bad(self._field(key), "is not text")
        if required and not value.strip():
            raise _bad(self._field(key), "is empty")
        if limit is not None and len(value) > limit:
            raise _bad(self._field(key), f"is longer than {limit:,} characters")
        return redact(value)

    def optional_text(self, key: str, limit: int) -> str | None:
        return None if self.data.get(key) is None else self.text(key, limit=limit)

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0) -> int:
        value = self.data.get(key)
        if value is None:
            if default is None:
                raise _bad(self._field(key), "is missing")
            return default
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(self._field(key), "is not a whole number")
        if value < minimum:
            raise _bad(self._field(key), f"is less than {minimum}")
        if value > MAX_INTEGER:
            raise _bad(self._field(key), "is too large")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self.data.get(key) is None else self.integer(key)

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise _bad(self._field(key), "is not true or false")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.data.get(key)
        if value is None and default is not None:
            return default
        if value not in choices:
            raise _bad(self._field(key), f"is {value!r}, not one of: {', '.join(choices)}")
        return str(value)

    def time(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
                return (
                    moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
                )
            except (ValueError, OverflowError):
                pass
        raise _bad(self._field(key), f"is not an ISO 8601 time: {value!r}")

    def required_time(self, key: str) -> datetime:
        moment = self.time(key)
        if moment is None:
            raise _bad(self._field(key), "is missing")
        return moment

    def rows(self, key: str) -> list[Any]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise _bad(self._field(key), "is not a list")
        return value


# --- writing --------------------------------------------------------------------------------


class _Import:
    """One import, inside the caller's transaction: the id maps from the export's ids to
    the new ones, and the writes."""

    def __init__(self, session: Session, report: ExportImportReport) -> None:
        self.session = session
        self.report = report
        self.accounts: dict[int, tuple[int, str]] = {}  # exported id -> (new id, name)
        self.sessions: dict[int, int] = {}
        self.handoffs: dict[int, int] = {}
        self.loaded: list[tuple[int, int]] = []  # (new session id, exported handoff id)
        self.numbers: set[int] = set()
        self.links: set[tuple[str, str]] = set()
        self.turn_counts: list[tuple[str, int, int]] = []  # where, said, found

    # -- accounts ------------------------------------------------------------------------

    def account(self, data: Any, where: str) -> None:
        record = _Record(data, where)
        name = record.text("name", limit=200, required=True)
        old_id = record.optional_integer("id")
        matches = named.same_name(self.session, Account, name)
        if matches:
            found = matches[0]
            self.report.accounts_matched.append(found.name)
        else:
            found = Account(
                name=name,
                platform=record.choice("platform", PLATFORMS, "other"),
                credit_limit=record.integer("credit_limit", default=0),
                credits_remaining=record.integer("credits_remaining", default=0),
                status=record.choice(
                    "status", tuple(status.value for status in AccountStatus), "available"
                ),
                specialization=record.text("specialization", limit=400),
                reset_cadence=record.choice("reset_cadence", RESET_CADENCES, "none"),
                next_reset_at=record.time("next_reset_at"),
                last_used_at=record.time("last_used_at"),
                created_at=record.time("created_at") or datetime.now(UTC),
            )
            self.session.add(found)
            self.session.flush()
            self.report.accounts_created.append(name)
        assert found.id is not None
        if old_id is not None:
            self.accounts[old_id] = (found.id, found.name)

    def account_id(self, old_id: int | None) -> int | None:
        return None if old_id is None else self.accounts.get(old_id, (None, ""))[0]

    # -- sessions ------------------------------------------------------------------------

    def session_row(self, record: _Record, project_id: int) -> WorkSession:
        number = record.integer("number", minimum=1)
        if number in self.numbers:
            raise _bad(record.where, f"repeats session number {number}")
        self.numbers.add(number)
        source_format = record.optional_text("source_format", 40)
        source_id = record.optional_text("source_id", 300)
        if source_format is not None and source_id is not None:
            key = (source_format, source_id)
            taken = (
                key in self.links
                or self.session.exec(
                    select(WorkSession.id).where(
                        WorkSession.source_format == source_format,
                        WorkSession.source_id == source_id,
                    )
                ).first()
            )
            if taken:
                source_id = None
                self.report.unlinked_transcripts += 1
            else:
                self.links.add(key)
        usage = record.data.get("usage")
        tokens = _Record(usage, record.where + ".usage") if usage is not None else None
        work = WorkSession(
            project_id=project_id,
            number=number,
            status=record.choice("status", tuple(status.value for status in SessionStatus)),
            account_id=self.account_id(record.optional_integer("account_id")),
            account_name=record.optional_text("account_name", 200),
            session_type=record.text("session_type", limit=40, default="development"),
            title=record.text("title", limit=500),
            objectives=record.text("objectives"),
            accomplishments=record.text("accomplishments"),
            blockers=record.text("blockers"),
            next_steps=record.text("next_steps"),
            credits_used=record.optional_integer("credits_used"),
            started_at=record.required_time("started_at"),
            ended_at=record.time("ended_at"),
            working_directory=record.optional_text("working_directory", 1000),
            git_branch=record.optional_text("git_branch", 300),
            source_path=record.optional_text("source_path", 2000),
            source_format=source_format,
            source_id=source_id,
            model=record.optional_text("model", 200),
            input_tokens=tokens.optional_integer("input_tokens") if tokens else None,
            output_tokens=tokens.optional_integer("output_tokens") if tokens else None,
            cache_read_input_tokens=(
                tokens.optional_integer("cache_read_input_tokens") if tokens else None
            ),
            cache_creation_input_tokens=(
                tokens.optional_integer("cache_creation_input_tokens") if tokens else None
            ),
            notes=record.text("notes"),
        )
        self.session.add(work)
        self.session.flush()
        assert work.id is not None
        old_id = record.optional_integer("id")
        if old_id is not None:
            self.sessions[old_id] = work.id
        loaded = record.optional_integer("loaded_handoff_id")
        if loaded is not None:
            self.loaded.append((work.id, loaded))
        self.report.sessions += 1
        return work

    def handoff(self, data: Any, where: str, session_id: int, versions: set[int]) -> None:
        record = _Record(data, where)
        version = record.integer("version", minimum=1)
        if version in versions:
            raise _bad(where, f"repeats handoff version {version}")
        versions.add(version)
        content = record.text("content", present=True)
        row = Handoff(
            session_id=session_id,
            version=version,
            provider=record.text("provider", limit=40, required=True),
            model=record.optional_text("model", 200),
            content=content,
            source_chars=record.integer("source_chars", default=0),
            handoff_chars=record.integer("handoff_chars", default=len(content)),
            created_at=record.required_time("created_at"),
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        old_id = record.optional_integer("id")
        if old_id is not None:
            self.handoffs[old_id] = row.id
        self.report.handoff_versions += 1

    def finish_links(self) -> None:
        """Each session points at the handoff it loaded, by its new id."""
        values = [
            {"row_id": session_id, "loaded": self.handoffs[old]}
            for session_id, old in self.loaded
            if old in self.handoffs
        ]
        if values:
            statement = (
                update(_SESSIONS)
                .where(_SESSIONS.c.id == bindparam("row_id"))
                .values(loaded_handoff_id=bindparam("loaded"))
            )
            self.session.connection().execute(statement, values)

    # -- the rest ------------------------------------------------------------------------

    def session_id(self, old_id: int | None) -> int | None:
        return None if old_id is None else self.sessions.get(old_id)

    def project_file(self, data: Any, where: str, project_id: int) -> None:
        record = _Record(data, where)
        change = record.data.get("change")
        if isinstance(change, str):
            record.data["change"] = _CHANGE_SYNONYMS.get(change, change)
        importance = record.integer("importance", default=3)
        if importance not in IMPORTANCE:
            raise _bad(f"{where}.importance", f"is {importance}, not 1 to 5")
        self.session.add(
            ProjectFile(
                project_id=project_id,
                session_id=self.session_id(record.optional_integer("session_id")),
                path=record.text("path", limit=2000, required=True),
                change=record.choice("change", FILE_CHANGES, "modified"),
                lines_added=record.integer("lines_added", default=0),
                lines_removed=record.integer("lines_removed", default=0),
                importance=importance,
                notes=record.text("notes"),
                created_at=record.time("created_at") or datetime.now(UTC),
            )
        )
        self.report.files += 1

    def knowledge_item(self, data: Any, where: str, project_id: int) -> None:
        record = _Record(data, where)
        now = datetime.now(UTC)
        self.session.add(
            KnowledgeItem(
                project_id=project_id,
                category=record.text("category", limit=40, required=True),
                title=record.text("title", limit=300, required=True),
                body=record.text("body"),
                tags=record.text("tags", limit=1000),
                source_session_id=self.session_id(record.optional_integer("source_session_id")),
                usage_count=record.integer("usage_count", default=0),
                created_at=record.time("created_at") or now,
                updated_at=record.time("updated_at") or now,
            )
        )
        self.report.knowledge_items += 1

    def queue_item(self, data: Any, where: str, project_id: int) -> None:
        record = _Record(data, where)
        self.session.add(
            HandoffQueueItem(
                project_id=project_id,
                from_account_id=self.account_id(record.optional_integer("from_account_id")),
                to_account_id=self.account_id(record.optional_integer("to_account_id")),
                from_account_name=record.optional_text("from_account_name", 200),
                to_account_name=record.optional_text("to_account_name", 200),
                content=record.text("content"),
                status=record.text("status", limit=20, default="pending"),
                created_at=record.time("created_at") or datetime.now(UTC),
                consumed_by_session_id=self.session_id(
                    record.optional_integer("consumed_by_session_id")
                ),
            )
        )
        self.report.handoff_queue += 1


class _SessionsPass:
    """The second pass: each session written as its object closes, its turns in batches as
    they stream by (a session's fields come before its turns, as the export writes them)."""

    def __init__(self, writer: _Import, project_id: int) -> None:
        self.writer = writer
        self.project_id = project_id
        self.index = -1
        self.fields: dict[str, Any] = {}
        self.work: WorkSession | None = None
        self.positions: set[int] = set()
        self.message_ids: set[str] = set()
        self.pending: list[dict[str, Any]] = []
        self.turns = 0

    @property
    def where(self) -> str:
        return f"sessions[{self.index}]"

    def run(self, events: Iterator[tuple[str, Any]]) -> None:
        depth = 0
        root_key: str | None = None
        key: str | None = None
        builder: Any = None
        for event, value in events:
            if event in _END:
                depth -= 1
            level = depth
            if event in _START:
                depth += 1
            if level == 1 and event == "map_key":
                root_key = value
                continue
            if root_key != "sessions" or level == 0:
                continue
            if level == 1:
                if event not in ("start_array", "end_array"):
                    raise _bad('"sessions"', "is not a list")
            elif level == 2:
                if event == "start_map":
                    self._begin()
                elif event == "end_map":
                    self._end()
                else:
                    raise _bad(f"sessions[{self.index + 1}]", "is not a JSON object")
            elif level == 3 and event == "map_key":
                key = value
                builder = None if key == "turns" else ijson.ObjectBuilder()
            elif key == "turns":
                builder = self._turn_event(level, event, value, builder)
            else:
                builder.event(event, value)
                if level == 3 and event not in _START:
                    assert key is not None
                    self.fields[key] = builder.value

    def _begin(self) -> None:
        self.index += 1
        self.fields = {}
        self.work = None
        self.positions = set()
        self.message_ids = set()
        self.turns = 0

    def _turn_event(self, level: int, event: str, value: Any, builder: Any) -> Any:
        if level == 3:
            if event not in ("start_array", "end_array"):
                raise _bad(f"{self.where}.turns", "is not a list")
            return builder
        if level == 4 and event == "start_map":
            builder = ijson.ObjectBuilder()
        elif level == 4 and event != "end_map":
            raise _bad(f"{self.where}.turns[{self.turns}]", "is not a JSON object")
        builder.event(event, value)
        if level == 4 and event == "end_map":
            self._turn(builder.value)
        return builder

    def _session(self) -> WorkSession:
        if self.work is None:
            self.work = self.writer.session_row(_Record(self.fields, self.where), self.project_id)
        return self.work

    def _turn(self, data: dict[str, Any]) -> None:
        where = f"{self.where}.turns[{self.turns}]"
        if "number" not in self.fields:
            raise _bad(self.where, "has its turns before its fields")
        work = self._session()
        record = _Record(data, where)
        position = record.integer("position")
        if position in self.positions:
            raise _bad(where, f"repeats position {position}")
        self.positions.add(position)
        message_id = record.optional_text("source_message_id", 200)
        if message_id is not None:
            if message_id in self.message_ids:
                raise _bad(where, f"repeats source message id {message_id!r}")
            self.message_ids.add(message_id)
        self.pending.append(
            {
                "session_id": work.id,
                "position": position,
                "role": record.choice("role", ROLES),
                "content": record.text("content", present=True),
                "created_at": record.time("created_at"),
                "source_message_id": message_id,
                "kind": record.choice("kind", KINDS, "text"),
                "tool_name": record.optional_text("tool_name", 100),
                "is_error": record.boolean("is_error"),
                "thread": record.text("thread", limit=100),
            }
        )
        self.turns += 1
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.session.execute(_TURNS.insert(), self.pending)
            self.writer.report.turns += len(self.pending)
            self.pending = []

    def _end(self) -> None:
        work = self._session()
        self._flush()
        record = _Record(self.fields, self.where)
        said = record.optional_integer("turn_count")
        if said is not None and said != self.turns:
            self.writer.turn_counts.append((self.where, said, self.turns))
        assert work.id is not None
        versions: set[int] = set()
        for index, data in enumerate(record.rows("handoffs")):
            self.writer.handoff(data, f"{self.where}.handoffs[{index}]", work.id, versions)
        self.work = None


def import_export(
    db: Database,
    path: Path,
    *,
    rename: str | None = None,
    progress: ExportProgress | None = None,
    cancel: threading.Event | None = None,
) -> ExportImportReport:
    """Recreate the exported project in this database (see the module docstring)."""
    path = path.expanduser()
    new_name = clean_name(rename, "rename") if rename is not None else None
    size = path.stat().st_size if path.is_file() else 0

    def stepper(base: int) -> Callable[[int], None]:
        def step(read: int) -> None:
            if cancel is not None and cancel.is_set():
                raise ExportImportCancelled("Import cancelled: nothing was written.")
            if progress is not None:
                progress(base + min(read, size), 2 * size)

        return step

    with _open(path) as file:
        top = _top_level(_Reader(file, stepper(0)).events(), stop_at_sessions=False)
    _check_header(top)
    project = _Record(top.get("project"), '"project"')
    exported_name = clean_name(project.text("name", limit=200, required=True))
    name = new_name or exported_name
    sections = {
        key: _Record(top, "the file").rows(key)
        for key in ("accounts", "project_files", "knowledge_items", "handoff_queue")
    }
    with db.unit() as session, fts.deferred_turn_index(session.connection()):
        taken = named.same_name(session, Project, name)
        if taken:
            raise ProjectExistsError(name, taken[0].name, renamed=new_name is not None)
        row = Project(
            name=name,
            description=project.text("description"),
            status=project.choice(
                "status", tuple(status.value for status in ProjectStatus), "active"
            ),
            created_at=project.time("created_at") or datetime.now(UTC),
            updated_at=project.time("updated_at") or datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        report = ExportImportReport(
            project=name,
            project_id=row.id,
            renamed_from=exported_name if name != exported_name else None,
        )
        writer = _Import(session, report)
        for index, data in enumerate(sections["accounts"]):
            writer.account(data, f"accounts[{index}]")
        with _open(path) as file:
            _SessionsPass(writer, row.id).run(_Reader(file, stepper(size)).events())
        writer.finish_links()
        for index, data in enumerate(sections["project_files"]):
            writer.project_file(data, f"project_files[{index}]", row.id)
        for index, data in enumerate(sections["knowledge_items"]):
            writer.knowledge_item(data, f"knowledge_items[{index}]", row.id)
        for index, data in enumerate(sections["handoff_queue"]):
            writer.queue_item(data, f"handoff_queue[{index}]", row.id)
        _check_counts(top.get("counts"), report, len(sections["accounts"]), writer.turn_counts)
        report.bytes_read = size
    return report


def _check_counts(
    counts: Any,
    report: ExportImportReport,
    accounts: int,
    turn_counts: list[tuple[str, int, int]],
) -> None:
    """A partial export (sessions, turns or rows missing from what its totals say) is
    refused rather than half imported."""
    if turn_counts:
        where, said, held = turn_counts[0]
        raise _bad(where, f"says {said:,} turns but holds {held:,} (is the export partial?)")
    if not isinstance(counts, dict):
        return
    found = {
        "sessions": report.sessions,
        "turns": report.turns,
        "handoff_versions": report.handoff_versions,
        "project_files": report.files,
        "knowledge_items": report.knowledge_items,
        "handoff_queue": report.handoff_queue,
        "accounts": accounts,
    }
    for key, value in found.items():
        stated = counts.get(key)
        if isinstance(stated, int) and stated != value:
            raise _bad(
                '"counts"',
                f"say {stated:,} {key.replace('_', ' ')} but the file holds {value:,} "
                "(is the export partial?)",
            )


def project_name_taken(db: Database, name: str) -> str | None:
    """The name of the project that ``name`` would clash with (ignoring case), if any."""
    with db.unit() as session:
        taken = named.same_name(session, Project, clean_name(name))
        return taken[0].name if taken else None
