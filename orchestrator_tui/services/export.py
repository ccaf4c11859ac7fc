"""Export a project: everything about it as JSON, or as a readable Markdown document.

The JSON is the complete record, and ``services/project_import`` reads it back into another
database: a format marker and version, the project, the totals, the accounts its sessions
used or its handoff queue names (never anything secret: no notes), every session with all
its fields, turns, handoff versions and files, then the project's files, knowledge items and
handoff queue. Ids are there only as cross-references. Times are ISO 8601 in UTC.

Both formats are written as they are read: sessions a page at a time, each session's turns
a page at a time (keyset queries on columns, not ORM objects), so a project with 100,000
turns is exported in bounded memory.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, Table, func, union
from sqlalchemy import select as sa_select
from sqlmodel import Session

from orchestrator_tui import __version__
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.migrate import HEAD_REVISION
from orchestrator_tui.db.models import (
    Account,
    ConversationTurn,
    Handoff,
    HandoffQueueItem,
    KnowledgeItem,
    ProjectFile,
    WorkSession,
    as_utc,
)
from orchestrator_tui.records import ProjectSummary
from orchestrator_tui.redact import redact
from orchestrator_tui.repositories import projects as project_repo

FORMAT = "orchestrator-tui-export"
VERSION = 1
PAGE_SIZE = 200  # sessions a page
TURN_PAGE = 1000  # turns a page

# Account columns that are exported. ``notes`` is left out: it is free text where people
# paste things they should not (tokens, passwords), and it says nothing about the project.
ACCOUNT_COLUMNS = (
    "id",
    "name",
    "platform",
    "credit_limit",
    "credits_remaining",
    "status",
    "specialization",
    "reset_cadence",
    "next_reset_at",
    "last_used_at",
    "created_at",
)
SESSION_COLUMNS = (
    "id",
    "number",
    "status",
    "title",
    "session_type",
    "account_id",
    "account_name",
    "objectives",
    "accomplishments",
    "blockers",
    "next_steps",
    "credits_used",
    "started_at",
    "ended_at",
    "working_directory",
    "git_branch",
    "source_path",
    "source_format",
    "source_id",
    "model",
    "notes",
    "loaded_handoff_id",
)
# Exported together as the session's ``usage``, with Anthropic's field names.
USAGE_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)
TURN_COLUMNS = (
    "id",
    "position",
    "role",
    "kind",
    "tool_name",
    "is_error",
    "thread",
    "content",
    "created_at",
    "source_message_id",
)
HANDOFF_COLUMNS = (
    "id",
    "version",
    "provider",
    "model",
    "created_at",
    "source_chars",
    "handoff_chars",
    "content",
)
FILE_COLUMNS = (
    "id",
    "session_id",
    "path",
    "change",
    "lines_added",
    "lines_removed",
    "importance",
    "notes",
    "created_at",
)
KNOWLEDGE_COLUMNS = (
    "id",
    "category",
    "title",
    "body",
    "tags",
    "source_session_id",
    "usage_count",
    "created_at",
    "updated_at",
)
QUEUE_COLUMNS = (
    "id",
    "from_account_id",
    "from_account_name",
    "to_account_id",
    "to_account_name",
    "status",
    "content",
    "created_at",
    "consumed_by_session_id",
)


def iso(value: datetime | str | None) -> str | None:
    """A time as an ISO 8601 string in UTC (naive times are taken as UTC)."""
    moment = as_utc(value)
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _row(mapping: RowMapping, columns: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in columns:
        value = mapping[name]
        result[name] = iso(value) if isinstance(value, datetime) else value
    return result


def _project_dict(session: Session, summary: ProjectSummary) -> dict[str, Any]:
    project = project_repo.get(session, summary.id)
    assert project is not None
    return {
        "id": summary.id,
        "name": summary.name,
        "description": summary.description,
        "status": summary.status,
        "created_at": iso(summary.created_at),
        "updated_at": iso(project.updated_at),
        "last_activity": iso(summary.last_activity),
        "session_count": summary.session_count,
        "in_progress": summary.in_progress,
        "credits_used": summary.credits_used,
    }


def _resolve(session: Session, project_ref: int | str) -> ProjectSummary:
    project = project_repo.require(session, project_ref)
    assert project.id is not None
    return project_repo.summaries(session, project_id=project.id)[0]


def _session_pages(
    session: Session, project_id: int, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The project's sessions in order of number, a page at a time, keyset-paginated."""
    table = _table(WorkSession)
    after = 0
    while True:
        query = (
            sa_select(*(table.c[name] for name in SESSION_COLUMNS + USAGE_COLUMNS))
            .where(table.c.project_id == project_id, table.c.number > after)
            .order_by(table.c.number)
            .limit(page_size)
        )
        rows = []
        for found in session.connection().execute(query):
            row = _row(found._mapping, SESSION_COLUMNS)
            tokens = {name: found._mapping[name] for name in USAGE_COLUMNS}
            counted = any(value is not None for value in tokens.values())
            row["usage"] = {k: v or 0 for k, v in tokens.items()} if counted else None
            rows.append(row)
        if not rows:
            return
        yield rows
        after = rows[-1]["number"]
        if len(rows) < page_size:
            return


def _by_session(
    session: Session, model: type[Any], columns: tuple[str, ...], ids: list[int], order: str
) -> dict[int, list[dict[str, Any]]]:
    table = _table(model)
    query = (
        sa_select(table.c.session_id, *(table.c[name] for name in columns if name != "session_id"))
        .where(table.c.session_id.in_(ids))
        .order_by(table.c.session_id, table.c[order])
    )
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.connection().execute(query):
        grouped[row.session_id].append(_row(row._mapping, columns))
    return grouped


def _turn_pages(
    session: Session, session_id: int, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """A session's turns in order, a page at a time (keyset on the position): a session of
    100,000 turns never sits in memory whole."""
    table = _table(ConversationTurn)
    after = -1
    while True:
        query = (
            sa_select(*(table.c[name] for name in TURN_COLUMNS))
            .where(table.c.session_id == session_id, table.c.position > after)
            .order_by(table.c.position)
            .limit(page_size)
        )
        rows = [_row(found._mapping, TURN_COLUMNS) for found in session.connection().execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1]["position"]
        if len(rows) < page_size:
            return


def _project_rows(
    session: Session, model: type[Any], columns: tuple[str, ...], project_id: int
) -> list[dict[str, Any]]:
    table = _table(model)
    query = (
        sa_select(*(table.c[name] for name in columns))
        .where(table.c.project_id == project_id)
        .order_by(table.c.id)
    )
    return [_row(row._mapping, columns) for row in session.connection().execute(query)]


def _accounts_used(session: Session, project_id: int) -> list[dict[str, Any]]:
    """The accounts this project's sessions ran on (with what the project spent on each),
    and those its handoff queue names."""
    sessions = _table(WorkSession)
    accounts = _table(Account)
    queue = _table(HandoffQueueItem)
    usage = (
        sa_select(
            sessions.c.account_id,
            func.count().label("sessions"),
            func.coalesce(func.sum(sessions.c.credits_used), 0).label("credits_used"),
        )
        .where(sessions.c.project_id == project_id, sessions.c.account_id.is_not(None))
        .group_by(sessions.c.account_id)
        .subquery()
    )
    queued = union(
        sa_select(queue.c.from_account_id.label("id")).where(queue.c.project_id == project_id),
        sa_select(queue.c.to_account_id.label("id")).where(queue.c.project_id == project_id),
    ).subquery()
    query = (
        sa_select(
            *(accounts.c[name] for name in ACCOUNT_COLUMNS),
            usage.c.sessions,
            usage.c.credits_used,
        )
        .outerjoin(usage, usage.c.account_id == accounts.c.id)
        .where(usage.c.account_id.is_not(None) | accounts.c.id.in_(sa_select(queued.c.id)))
        .order_by(accounts.c.name)
    )
    result = []
    for row in session.connection().execute(query):
        item = _row(row._mapping, ACCOUNT_COLUMNS)
        item["sessions_in_project"] = int(row.sessions or 0)
        item["credits_used_in_project"] = int(row.credits_used or 0)
        result.append(item)
    return result


def _count(session: Session, model: type[Any], column: str, ids: Any) -> int:
    table = _table(model)
    query = sa_select(func.count()).select_from(table).where(table.c[column].in_(ids))
    return int(session.connection().execute(query).scalar_one())


def _counts(session: Session, project_id: int, accounts: int) -> dict[str, int]:
    """The document's totals, counted by the database before the rows are streamed."""
    sessions = _table(WorkSession)
    handoffs = _table(Handoff)
    own = sa_select(sessions.c.id).where(sessions.c.project_id == project_id)
    with_handoff = sa_select(func.count(func.distinct(handoffs.c.session_id))).where(
        handoffs.c.session_id.in_(own)
    )
    return {
        "sessions": _count(session, WorkSession, "project_id", [project_id]),
        "turns": _count(session, ConversationTurn, "session_id", own),
        "handoff_versions": _count(session, Handoff, "session_id", own),
        "sessions_with_handoff": int(session.connection().execute(with_handoff).scalar_one()),
        "project_files": _count(session, ProjectFile, "project_id", [project_id]),
        "knowledge_items": _count(session, KnowledgeItem, "project_id", [project_id]),
        "handoff_queue": _count(session, HandoffQueueItem, "project_id", [project_id]),
        "accounts": accounts,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _items(values: list[dict[str, Any]], indent: str) -> str:
    """A JSON array of small records, one a line."""
    if not values:
        return "[]"
    inner = f",\n{indent}  ".join(_dumps(value) for value in values)
    return f"[\n{indent}  {inner}\n{indent}]"


def _session_json(
    session: Session,
    row: dict[str, Any],
    turn_count: int,
    handoffs: list[dict[str, Any]],
    files: list[dict[str, Any]],
    turn_page: int,
) -> Iterator[str]:
    """One session: its fields, then its turns page by page, its handoffs and its files."""
    head = dict(row, turn_count=turn_count)
    yield "    " + _dumps(head)[:-1] + ', "turns": ['
    first = True
    for page in _turn_pages(session, row["id"], turn_page):
        lines = ",\n".join("      " + _dumps(turn) for turn in page)
        yield ("\n" if first else ",\n") + lines
        first = False
    yield ("]" if first else "\n    ]") + ', "handoffs": ' + _items(handoffs, "    ")
    yield ', "files": ' + _items(files, "    ") + "}"


def iter_json(
    db: Database,
    project_ref: int | str,
    page_size: int = PAGE_SIZE,
    turn_page: int = TURN_PAGE,
) -> Iterator[str]:
    """The JSON export in pieces, written as it is read: the project, its counts and the
    accounts first, then each session with its turns (a page at a time), handoff versions
    (oldest first) and files, then the project's files, knowledge items and handoff queue.

    Secrets are redacted in each piece (a piece ends between two records, never inside a
    string; the redactor reads JSON-escaped text). An unknown project fails before the first
    piece.
    """
    for piece in _json_pieces(db, project_ref, page_size, turn_page):
        yield redact(piece)


def _json_pieces(
    db: Database, project_ref: int | str, page_size: int, turn_page: int
) -> Iterator[str]:
    with db.unit() as session:
        summary = _resolve(session, project_ref)
        accounts = _accounts_used(session, summary.id)
        header = {
            "format": FORMAT,
            "version": VERSION,
            "app_version": __version__,
            "schema_revision": HEAD_REVISION,
            "exported_at": iso(datetime.now(UTC)),
            "project": _project_dict(session, summary),
            "counts": _counts(session, summary.id, len(accounts)),
        }
        yield "{\n" + "".join(
            f"  {json.dumps(key)}: {_dumps(value)},\n" for key, value in header.items()
        )
        yield f'  "accounts": {_items(accounts, "  ")},\n  "sessions": ['
        first = True
        for page in _session_pages(session, summary.id, page_size):
            ids = [row["id"] for row in page]
            counts = _turn_counts(session, ids)
            handoffs = _by_session(session, Handoff, HANDOFF_COLUMNS, ids, "version")
            files = _by_session(session, ProjectFile, FILE_COLUMNS, ids, "id")
            for row in page:
                yield "\n" if first else ",\n"
                first = False
                yield from _session_json(
                    session,
                    row,
                    counts.get(row["id"], 0),
                    handoffs.get(row["id"], []),
                    files.get(row["id"], []),
                    turn_page,
                )
        yield "]" if first else "\n  ]"
        for key, model, columns in (
            ("project_files", ProjectFile, FILE_COLUMNS),
            ("knowledge_items", KnowledgeItem, KNOWLEDGE_COLUMNS),
            ("handoff_queue", HandoffQueueItem, QUEUE_COLUMNS),
        ):
            rows = _project_rows(session, model, columns, summary.id)
            yield f',\n  "{key}": {_items(rows, "  ")}'
        yield "\n}\n"


def export_project(
    db: Database, project_ref: int | str, page_size: int = PAGE_SIZE, turn_page: int = TURN_PAGE
) -> dict[str, Any]:
    """The whole project as a JSON-ready dict (what ``iter_json`` writes), secrets redacted.
    Holds everything in memory: for big projects, write ``iter_json`` to a file instead."""
    text = "".join(iter_json(db, project_ref, page_size, turn_page))
    document: dict[str, Any] = json.loads(text)
    return document


# --- Markdown -----------------------------------------------------------------------------

_HEADING_RE = re.compile(r"^(#{1,6})(\s)")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def demote_headings(markdown: str, levels: int) -> str:
    """Push every heading down ``levels`` levels (at most h6), leaving code blocks alone,
    so that a handoff sits inside the export's own outline."""
    lines = []
    in_fence = False
    for line in markdown.splitlines():
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            match = _HEADING_RE.match(line)
            if match:
                depth = min(6, len(match.group(1)) + levels)
                line = "#" * depth + line[len(match.group(1)) :]
        lines.append(line)
    return "\n".join(lines)


def _latest_handoffs(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    table = _table(Handoff)
    newest = (
        sa_select(table.c.session_id, func.max(table.c.version).label("version"))
        .where(table.c.session_id.in_(ids))
        .group_by(table.c.session_id)
        .subquery()
    )
    query = sa_select(table.c.session_id, *(table.c[name] for name in HANDOFF_COLUMNS)).join(
        newest,
        (newest.c.session_id == table.c.session_id) & (newest.c.version == table.c.version),
    )
    return {
        row.session_id: _row(row._mapping, HANDOFF_COLUMNS)
        for row in session.connection().execute(query)
    }


def _turn_counts(session: Session, ids: list[int]) -> dict[int, int]:
    table = _table(ConversationTurn)
    query = (
        sa_select(table.c.session_id, func.count())
        .where(table.c.session_id.in_(ids))
        .group_by(table.c.session_id)
    )
    return {session_id: int(count) for session_id, count in session.connection().execute(query)}


def _files_by_path(session: Session, project_id: int) -> list[dict[str, Any]]:
    """The project's files once per path: the sessions that touched it, the lines in all,
    the latest change and the highest importance; the most important first."""
    files = _table(ProjectFile)
    sessions = _table(WorkSession)
    query = (
        sa_select(files, sessions.c.number)
        .outerjoin(sessions, sessions.c.id == files.c.session_id)
        .where(files.c.project_id == project_id)
        .order_by(files.c.id)
    )
    paths: dict[str, dict[str, Any]] = {}
    for row in session.connection().execute(query):
        item = paths.setdefault(
            row.path,
            {"path": row.path, "numbers": [], "added": 0, "removed": 0, "importance": 0},
        )
        if row.number is not None and row.number not in item["numbers"]:
            item["numbers"].append(row.number)
        item["added"] += row.lines_added
        item["removed"] += row.lines_removed
        item["importance"] = max(item["importance"], row.importance)
        item["change"] = row.change
    for item in paths.values():
        item["sessions"] = ", ".join(f"#{number}" for number in sorted(item["numbers"]))
    return sorted(paths.values(), key=lambda item: (-item["importance"], item["path"]))


def _when(value: str | None) -> str:
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


_LIST_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def _text_block(title: str, text: str) -> list[str]:
    """A form field under a bold title; several plain lines become a bullet list (Markdown
    would otherwise run them together into one paragraph)."""
    lines = [line.rstrip() for line in (text or "").strip().splitlines()]
    if not any(lines):
        return [f"**{title}**", "", "_none_", ""]
    if len(lines) > 1 and not any(_LIST_RE.match(line) for line in lines):
        lines = [f"- {line.strip()}" for line in lines if line.strip()]
    return [f"**{title}**", "", *lines, ""]


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _file_line(item: dict[str, Any]) -> str:
    counts = f"+{item['lines_added']:,} −{item['lines_removed']:,}"
    notes = f" — {' '.join(item['notes'].split())}" if item["notes"].strip() else ""
    return (
        f"- `{item['path']}` — {item['change']}, {counts}, importance {item['importance']}{notes}"
    )


def _session_markdown(
    row: dict[str, Any],
    turns: int,
    handoff: dict[str, Any] | None,
    files: list[dict[str, Any]],
) -> str:
    title = f" — {row['title']}" if row["title"] else ""
    credits = "—" if row["credits_used"] is None else f"{row['credits_used']:,}"
    lines = [
        f"### Session #{row['number']}{title}",
        "",
        f"- Status: {row['status']}",
        f"- Type: {row['session_type']}",
        f"- Account: {row['account_name'] or '—'}",
        f"- Started: {_when(row['started_at'])}",
        f"- Ended: {_when(row['ended_at'])}",
        f"- Credits used: {credits}",
        f"- Conversation: {turns:,} turn(s)",
    ]
    if row["git_branch"]:
        lines.append(f"- Branch: {row['git_branch']}")
    if handoff is not None:
        lines.append(
            f"- Handoff: version {handoff['version']} ({handoff['provider']}, "
            f"{_when(handoff['created_at'])})"
        )
    else:
        lines.append("- Handoff: none")
    lines.append("")
    lines += _text_block("Objectives", row["objectives"])
    lines += _text_block("Accomplishments", row["accomplishments"])
    lines += _text_block("Blockers", row["blockers"])
    lines += _text_block("Next steps", row["next_steps"])
    if files:
        ranked = sorted(files, key=lambda item: (-item["importance"], item["id"]))
        lines += ["**Files**", "", *(_file_line(item) for item in ranked), ""]
    if handoff is not None:
        lines += [
            f"**Handoff** (version {handoff['version']}, {handoff['provider']}):",
            "",
            demote_headings(handoff["content"].strip(), 3),
            "",
        ]
    return "\n".join(lines) + "\n"


def iter_markdown(
    db: Database, project_ref: int | str, page_size: int = PAGE_SIZE
) -> Iterator[str]:
    """The Markdown export in pieces (header, then one piece per session, then the rest),
    secrets redacted."""
    for piece in _markdown_pieces(db, project_ref, page_size):
        yield redact(piece)


def _markdown_pieces(db: Database, project_ref: int | str, page_size: int) -> Iterator[str]:
    with db.unit() as session:
        summary = _resolve(session, project_ref)
        project = _project_dict(session, summary)
        accounts = _accounts_used(session, summary.id)
        head = [
            f"# {summary.name}",
            "",
            f"_Project export · {summary.status} · {summary.session_count:,} session(s) · "
            f"{summary.credits_used:,} credits used · exported {_when(iso(datetime.now(UTC)))}_",
            "",
        ]
        if summary.description:
            head += [summary.description.strip(), ""]
        head += [
            f"- Created: {_when(project['created_at'])}",
            f"- Last activity: {_when(project['last_activity'])}",
            f"- Sessions in progress: {summary.in_progress}",
            "",
        ]
        if accounts:
            head += [
                "## Accounts used",
                "",
                "| Account | Platform | Status | Sessions | Credits used here | Credits left |",
                "|---|---|---|---:|---:|---:|",
            ]
            head += [
                f"| {_cell(item['name'])} | {item['platform']} | {item['status']} | "
                f"{item['sessions_in_project']} | {item['credits_used_in_project']:,} | "
                f"{item['credits_remaining']:,} of {item['credit_limit']:,} |"
                for item in accounts
            ]
            head.append("")
        head += ["## Sessions", ""]
        if not summary.session_count:
            head += ["_No sessions yet._", ""]
        yield "\n".join(head) + "\n"

        for page in _session_pages(session, summary.id, page_size):
            ids = [row["id"] for row in page]
            handoffs = _latest_handoffs(session, ids)
            counts = _turn_counts(session, ids)
            files = _by_session(session, ProjectFile, FILE_COLUMNS, ids, "id")
            for row in page:
                yield _session_markdown(
                    row, counts.get(row["id"], 0), handoffs.get(row["id"]), files.get(row["id"], [])
                )

        paths = _files_by_path(session, summary.id)
        if paths:
            tail = [
                "## Files",
                "",
                "| Path | Sessions | Last change | + | − | Importance |",
                "|---|---|---|---:|---:|---:|",
            ]
            tail += [
                f"| `{_cell(item['path'])}` | {item['sessions'] or '—'} | {item['change']} | "
                f"{item['added']:,} | {item['removed']:,} | {item['importance']} |"
                for item in paths
            ]
            yield "\n".join([*tail, ""]) + "\n"
        knowledge = _project_rows(session, KnowledgeItem, KNOWLEDGE_COLUMNS, summary.id)
        if knowledge:
            tail = ["## Knowledge", ""]
            for item in knowledge:
                tags = f" · tags: {item['tags']}" if item["tags"] else ""
                tail += [f"### {item['title']}", "", f"_{item['category']}{tags}_", ""]
                if item["body"]:
                    tail += [demote_headings(item["body"].strip(), 3), ""]
            yield "\n".join(tail) + "\n"


def export_markdown(db: Database, project_ref: int | str, page_size: int = PAGE_SIZE) -> str:
    """The project as a readable Markdown document."""
    return "".join(iter_markdown(db, project_ref, page_size)).rstrip("\n") + "\n"
