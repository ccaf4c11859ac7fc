"""Project files (F20): the files each session created, modified or deleted, with the lines
added and removed, an importance from 1 to 5 (``records.IMPORTANCE``) and notes.

The importers fill them from transcripts; people add, edit and delete them here. A file
without a session belongs to the project as a whole. The handoff's key files are a session's
files ranked by importance.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ProjectFile, WorkSession, as_utc
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.records import (
    DEFAULT_IMPORTANCE,
    FileSummary,
    Page,
    ProjectFileView,
)
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.validation import (
    check_change,
    check_importance,
    clean_path,
    clean_text,
    parse_count,
)

PAGE = 200
MAX_PAGE = 1000
_FILES: Table = ProjectFile.__table__  # type: ignore[attr-defined]
_SESSIONS: Table = WorkSession.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class FileFields:
    """What a form or the command line gives for a file; text as typed, checked here."""

    path: str
    change: str = "modified"
    lines_added: str | int = 0
    lines_removed: str | int = 0
    importance: str | int = DEFAULT_IMPORTANCE
    notes: str = ""


@dataclass(frozen=True)
class _Checked:
    path: str
    change: str
    lines_added: int
    lines_removed: int
    importance: int
    notes: str


def check_fields(fields: FileFields) -> _Checked:
    """Every field checked; all the problems at once, by field name."""
    errors: dict[str, str] = {}
    checked: dict[str, object] = {}
    checks = (
        ("path", lambda: clean_path(fields.path)),
        ("change", lambda: check_change(fields.change)),
        ("lines_added", lambda: parse_count(fields.lines_added, "lines_added")),
        ("lines_removed", lambda: parse_count(fields.lines_removed, "lines_removed")),
        ("importance", lambda: check_importance(fields.importance)),
        ("notes", lambda: clean_text(fields.notes, "notes")),
    )
    for name, check in checks:
        try:
            checked[name] = check()
        except ValidationError as error:
            errors.update(error.errors)
    if errors:
        raise ValidationError(errors)
    return _Checked(**checked)  # type: ignore[arg-type]


def _view(row: ProjectFile, number: int | None) -> ProjectFileView:
    assert row.id is not None
    return ProjectFileView(
        id=row.id,
        project_id=row.project_id,
        session_id=row.session_id,
        session_number=number,
        path=row.path,
        change=row.change,
        lines_added=row.lines_added,
        lines_removed=row.lines_removed,
        importance=row.importance,
        notes=row.notes,
        created_at=as_utc(row.created_at) or row.created_at,
    )


def _session_of(session: Session, project_id: int, session_id: int) -> WorkSession:
    work = session.get(WorkSession, session_id)
    if work is None:
        raise NotFoundError(f"No session with id {session_id}.")
    if work.project_id != project_id:
        raise ValidationError({"session_id": f"session {session_id} belongs to another project"})
    return work


def _number(session: Session, session_id: int | None) -> int | None:
    if session_id is None:
        return None
    work = session.get(WorkSession, session_id)
    return work.number if work is not None else None


def _require(session: Session, file_id: int) -> ProjectFile:
    row = session.get(ProjectFile, file_id)
    if row is None:
        raise NotFoundError(f"No project file with id {file_id}.")
    return row


def add_file(
    db: Database, project: int | str, fields: FileFields, session_id: int | None = None
) -> ProjectFileView:
    """Record a file of a project, or of one of its sessions."""
    checked = check_fields(fields)
    with db.unit() as session:
        found = project_repo.require(session, project)
        assert found.id is not None
        number = None
        if session_id is not None:
            number = _session_of(session, found.id, session_id).number
        row = ProjectFile(
            project_id=found.id,
            session_id=session_id,
            path=checked.path,
            change=checked.change,
            lines_added=checked.lines_added,
            lines_removed=checked.lines_removed,
            importance=checked.importance,
            notes=checked.notes,
        )
        session.add(row)
        session.flush()
        return _view(row, number)


def add_session_file(db: Database, session_id: int, fields: FileFields) -> ProjectFileView:
    """Record a file of a session (its project is the session's)."""
    with db.unit() as session:
        work = session.get(WorkSession, session_id)
        if work is None:
            raise NotFoundError(f"No session with id {session_id}.")
        project_id = work.project_id
    return add_file(db, project_id, fields, session_id)


def get_file(db: Database, file_id: int) -> ProjectFileView:
    with db.unit() as session:
        row = _require(session, file_id)
        return _view(row, _number(session, row.session_id))


def update_file(db: Database, file_id: int, fields: FileFields) -> ProjectFileView:
    """Replace a file's path, change, counts, importance and notes (its session stays)."""
    checked = check_fields(fields)
    with db.unit() as session:
        row = _require(session, file_id)
        row.path = checked.path
        row.change = checked.change
        row.lines_added = checked.lines_added
        row.lines_removed = checked.lines_removed
        row.importance = checked.importance
        row.notes = checked.notes
        session.add(row)
        session.flush()
        return _view(row, _number(session, row.session_id))


def delete_file(db: Database, file_id: int) -> ProjectFileView:
    """Delete a file row; returns what it was."""
    with db.unit() as session:
        row = _require(session, file_id)
        view = _view(row, _number(session, row.session_id))
        session.delete(row)
        return view


def _page_bounds(offset: int, limit: int) -> tuple[int, int]:
    if offset < 0:
        raise ValidationError({"offset": "cannot be negative"})
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError({"limit": f"1 to {MAX_PAGE:,}"})
    return offset, limit


def list_files(
    db: Database,
    project: int | str,
    session_id: int | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> Page[ProjectFileView]:
    """A project's file rows (or one session's), most important first, then in order."""
    offset, limit = _page_bounds(offset, limit)
    with db.unit() as session:
        found = project_repo.require(session, project)
        assert found.id is not None
        condition = _FILES.c.project_id == found.id
        if session_id is not None:
            _session_of(session, found.id, session_id)
            condition = condition & (_FILES.c.session_id == session_id)
        return _rows_page(session, condition, offset, limit)


def session_files(
    db: Database, session_id: int, offset: int = 0, limit: int = PAGE
) -> Page[ProjectFileView]:
    """One session's files, most important first."""
    offset, limit = _page_bounds(offset, limit)
    with db.unit() as session:
        if session.get(WorkSession, session_id) is None:
            raise NotFoundError(f"No session with id {session_id}.")
        return _rows_page(session, _FILES.c.session_id == session_id, offset, limit)


def _rows_page(
    session: Session, condition: ColumnElement[bool], offset: int, limit: int
) -> Page[ProjectFileView]:
    total = (
        session.connection()
        .execute(sa_select(func.count()).select_from(_FILES).where(condition))
        .scalar_one()
    )
    query = (
        sa_select(_FILES, _SESSIONS.c.number)
        .outerjoin(_SESSIONS, _SESSIONS.c.id == _FILES.c.session_id)
        .where(condition)
        .order_by(_FILES.c.importance.desc(), _FILES.c.id)
        .offset(offset)
        .limit(limit)
    )
    items = [
        ProjectFileView(
            id=row.id,
            project_id=row.project_id,
            session_id=row.session_id,
            session_number=row.number,
            path=row.path,
            change=row.change,
            lines_added=row.lines_added,
            lines_removed=row.lines_removed,
            importance=row.importance,
            notes=row.notes,
            created_at=as_utc(row.created_at) or row.created_at,
        )
        for row in session.connection().execute(query)
    ]
    return Page(items=items, offset=offset, total=int(total))


def path_rows(db: Database, project: int | str, path: str) -> list[ProjectFileView]:
    """Every row of one path of a project, oldest first (what the files view opens)."""
    with db.unit() as session:
        found = project_repo.require(session, project)
        condition = (_FILES.c.project_id == found.id) & (_FILES.c.path == path)
        page = _rows_page(session, condition, 0, MAX_PAGE)
    return sorted(page.items, key=lambda item: item.id)


def summarize(
    db: Database, project: int | str, offset: int = 0, limit: int = PAGE
) -> Page[FileSummary]:
    """The project's files aggregated per path: the sessions that touched each, the lines
    added and removed in all, the highest importance. Most important first, then the most
    changed, then by path."""
    offset, limit = _page_bounds(offset, limit)
    with db.unit() as session:
        found = project_repo.require(session, project)
        where = _FILES.c.project_id == found.id
        connection = session.connection()
        total = connection.execute(
            sa_select(func.count(func.distinct(_FILES.c.path))).where(where)
        ).scalar_one()
        added = func.sum(_FILES.c.lines_added)
        removed = func.sum(_FILES.c.lines_removed)
        query = (
            sa_select(
                _FILES.c.path,
                func.count().label("rows"),
                added.label("added"),
                removed.label("removed"),
                func.max(_FILES.c.importance).label("importance"),
            )
            .where(where)
            .group_by(_FILES.c.path)
            .order_by(func.max(_FILES.c.importance).desc(), (added + removed).desc(), _FILES.c.path)
            .offset(offset)
            .limit(limit)
        )
        grouped = list(connection.execute(query))
        paths = [row.path for row in grouped]
        numbers: dict[str, list[int]] = defaultdict(list)
        latest: dict[str, tuple[str, datetime]] = {}
        if paths:
            detail = (
                sa_select(_FILES.c.path, _FILES.c.change, _FILES.c.created_at, _SESSIONS.c.number)
                .outerjoin(_SESSIONS, _SESSIONS.c.id == _FILES.c.session_id)
                .where(where, _FILES.c.path.in_(paths))
                .order_by(_FILES.c.id)
            )
            for row in connection.execute(detail):
                if row.number is not None and row.number not in numbers[row.path]:
                    numbers[row.path].append(row.number)
                latest[row.path] = (row.change, as_utc(row.created_at) or found.created_at)
    items = [
        FileSummary(
            path=row.path,
            session_numbers=tuple(sorted(numbers[row.path])),
            rows=int(row.rows),
            lines_added=int(row.added or 0),
            lines_removed=int(row.removed or 0),
            importance=int(row.importance or DEFAULT_IMPORTANCE),
            last_change=latest[row.path][0],
            last_touched_at=latest[row.path][1],
        )
        for row in grouped
    ]
    return Page(items=items, offset=offset, total=int(total))
