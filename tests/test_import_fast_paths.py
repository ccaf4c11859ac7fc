"""The shortcuts that make imports fast give what the long way gave.

- Claude Code's second pass parses only the lines the scan listed: the same events as the
  emitter over every line (fuzzed), whatever the prompts' text holds.
- Integers beyond 64 bits in token counts stay exact (orjson reads them as floats).
- Redaction skips the findings' work only for texts that no pattern matches.
- The import service writes rows with prepared INSERTs and per-import caches: the rows are
  those the ORM wrote, re-imports, long transcripts and repeats within one import included.
"""

from __future__ import annotations

import json
import tempfile
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text as sql
from sqlalchemy.dialects import postgresql
from sqlmodel import select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ProjectFile, WorkSession
from orchestrator_tui.importers import claude_code
from orchestrator_tui.importers.model import Event, Problems, Turn
from orchestrator_tui.redact import _candidates, _may_hold_secrets
from orchestrator_tui.services import imports, projects, sessions
from tests.test_import_chatgpt import _conversation, _node
from tests.test_import_chatgpt import _text as chat_text
from tests.test_import_claude_code import _base, _write, assistant, call, result, text, user
from tests.test_redact import NOISE, planted_secret

Record = dict[str, Any]

# --- Claude Code: the second pass ----------------------------------------------------------


def _every_line(path: Path) -> list[Event]:
    """The turns and file changes as before the second pass skipped lines: the emitter over
    every valid record of the file, parsed by json."""
    scan = claude_code._Scan(path, Problems())
    with path.open("rb") as file:
        scan.read(file, lambda offset: None)
    if not scan.claude:
        return []
    scan.graph.select()
    emitter = claude_code._Emitter(scan.graph)
    events: list[Event] = []
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            if isinstance(record, dict) and claude_code._invalid(record) is None:
                events.extend(emitter.record(record, number))
    events.extend(emitter.finish())
    return events


def _inner(path: Path) -> list[Event]:
    events = list(claude_code.parse(path, Problems(), lambda read: None))
    return events[1:-1]  # less Start and End


PROMPTS = [
    "hello",
    'look at {"type":"progress"} here',
    '"type":"file-history-snapshot" and "type": "queue-operation"',
    "<command-name>/clear</command-name>",
    "[Request interrupted by user]",
]


RECORD_KINDS = [
    "prompt", "reply", "call", "result", "progress", "snapshot", "repeat", "summary", "compact",
    "compact-summary", "meta", "side", "no-uuid", "broken",
]  # fmt: skip


@st.composite
def claude_session(draw: st.DrawFn) -> list[Any]:
    """A session of every kind of record, with rewinds (a prompt hung on an earlier node),
    repeats, sidechains, bookkeeping lines and broken lines."""
    records: list[Any] = []
    uuids: list[str] = []
    calls: list[str] = []
    for index in range(draw(st.integers(1, 16))):
        uid = f"n{index}"
        parent = None
        if uuids:
            parent = uuids[-1] if draw(st.booleans()) else draw(st.sampled_from(uuids))
        kind = draw(st.sampled_from(RECORD_KINDS))
        record: Any
        if kind == "prompt":
            record = user(uid, parent, draw(st.sampled_from(PROMPTS)), index)
        elif kind == "reply":
            message = draw(st.sampled_from(["m1", "m2", f"m{index}"]))
            record = assistant(uid, parent, [text(f"reply {index}")], index, message_id=message)
        elif kind == "call":
            calls.append(f"t{index}")
            tool = draw(st.sampled_from(["Edit", "Write", "Read", "Bash"]))
            block = call(f"t{index}", tool, file_path="a.py", old_string="x", new_string="y\nz")
            record = assistant(uid, parent, [block], index)
        elif kind == "result":
            target = draw(st.sampled_from([*calls, "t-none"]))
            record = user(uid, parent, [result(target, "ok", error=draw(st.booleans()))], index)
        elif kind == "progress":
            record = {
                "type": "progress",
                "data": {"type": "hook_progress"},
                "uuid": uid,
                "parentUuid": parent,
                "sessionId": "sess-1",
                "timestamp": f"2026-02-10T11:{index:02d}:00.000Z",
            }
        elif kind == "snapshot":
            record = {"type": "file-history-snapshot", "messageId": uid, "snapshot": {}}
        elif kind == "repeat" and records:
            record = draw(st.sampled_from(records))
        elif kind == "summary" and uuids:
            record = {
                "type": "summary",
                "summary": "A title",
                "leafUuid": draw(st.sampled_from(uuids)),
            }
        elif kind == "compact":
            record = _base(
                uid,
                None,
                index,
                type="system",
                subtype="compact_boundary",
                logicalParentUuid=parent,
            )
        elif kind == "compact-summary":
            record = user(uid, parent, "Earlier: the cart", index, isCompactSummary=True)
        elif kind == "meta":
            record = user(uid, parent, "caveat", index, isMeta=True)
        elif kind == "side":
            record = assistant(uid, parent, [text("aside")], index, isSidechain=True, agentId="ag")
        elif kind == "no-uuid":
            record = user(uid, parent, "no id", index) | {"uuid": ""}
        else:
            record = "{not json"
        records.append(record)
        if isinstance(record, dict) and record.get("uuid"):
            uuids.append(record["uuid"])
    return records


@settings(max_examples=150, deadline=None)
@given(claude_session())
def test_the_second_pass_gives_what_the_emitter_gives_over_every_line(records: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder) / "s.jsonl", records)
        assert _inner(path) == _every_line(path)


def test_a_prompt_that_names_a_bookkeeping_type_is_kept(tmp_path: Path) -> None:
    words = '{"type":"progress"} then "type":"file-history-snapshot"'
    path = _write(
        tmp_path / "s.jsonl",
        [
            {"type": "file-history-snapshot", "messageId": "x", "snapshot": {}},
            user("u1", None, words, 0),
            {"type": "progress", "uuid": "p1", "parentUuid": "u1", "sessionId": "sess-1"},
            assistant("a1", "u1", [text("done")], 1),
        ],
    )
    turns = [event for event in _inner(path) if isinstance(event, Turn)]
    assert [(turn.role, turn.content) for turn in turns] == [("user", words), ("assistant", "done")]


def test_token_counts_beyond_64_bits_stay_exact(tmp_path: Path) -> None:
    huge = 10**20 + 7
    path = _write(
        tmp_path / "s.jsonl",
        [
            user("u1", None, "hello", 0),
            assistant(
                "a1", "u1", [text("hi")], 1, usage={"input_tokens": huge, "output_tokens": 3}
            ),
            assistant("a2", "a1", [text("more")], 2, usage={"output_tokens": 2**64 - 1}),
        ],
    )
    end = list(claude_code.parse(path, Problems(), lambda read: None))[-1]
    assert end.usage is not None  # type: ignore[union-attr]
    assert end.usage.input_tokens == huge  # type: ignore[union-attr]
    assert end.usage.output_tokens == 3 + 2**64 - 1  # type: ignore[union-attr]


# --- Redaction: the texts no pattern matches -----------------------------------------------


@settings(max_examples=300, deadline=None)
@given(NOISE | planted_secret().map(lambda case: case[0]))
def test_a_text_with_candidates_is_never_taken_for_a_clean_one(value: str) -> None:
    assert _may_hold_secrets(value) or not list(_candidates(value))


def test_clean_prose_and_code_take_the_short_way() -> None:
    assert not _may_hold_secrets("The checkout totals are off by one cent; we round first.")
    assert not _may_hold_secrets("def total(cart):\n    return sum(item.price for item in cart)")
    assert _may_hold_secrets("api_key = 'x'")
    assert _may_hold_secrets("see https://user:pw@host")


# --- The service ---------------------------------------------------------------------------


def _claude(path: Path, records: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write(path, records)


def _session_row(db: Database, session_id: int) -> WorkSession:
    with db.unit() as session:
        row = session.get(WorkSession, session_id)
        assert row is not None
        return row


def _turn_rows(db: Database, session_id: int) -> list[tuple[int, str, str | None]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            sql(
                "SELECT position, content, source_message_id FROM conversation_turn "
                "WHERE session_id = :id ORDER BY position"
            ),
            {"id": session_id},
        )
        return [(row[0], row[1], row[2]) for row in rows]


EXCHANGE_ONE = [
    user("u1", None, "Fix the cart", 0),
    assistant(
        "a1", "u1", [call("t1", "Edit", file_path="cart.py", old_string="a", new_string="b\nc")], 1
    ),
    user("r1", "a1", [result("t1")], 2),
]
EXCHANGE_TWO = [
    user("u2", "r1", "Now the totals", 3),
    assistant(
        "a2",
        "u2",
        [call("t2", "Edit", file_path="cart.py", old_string="x", new_string="y")],
        4,
        usage={"input_tokens": 5, "output_tokens": 9},
    ),
    user("r2", "a2", [result("t2")], 5),
]


def test_rows_are_those_the_orm_writes(db: Database, tmp_path: Path) -> None:
    source = _claude(tmp_path / "s.jsonl", EXCHANGE_ONE)
    report = imports.import_path(db, source)
    row = _session_row(db, report.sessions[0].session_id)
    defaults = WorkSession(project_id=0, number=0)
    for name in ("session_type", "objectives", "accomplishments", "blockers", "next_steps"):
        assert getattr(row, name) == getattr(defaults, name)
    assert (row.account_id, row.credits_used, row.loaded_handoff_id) == (None, None, None)
    assert (row.status, row.number, row.title) == ("imported", 1, "Fix the cart")
    assert row.started_at == datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
    assert row.ended_at == datetime(2026, 2, 10, 10, 2, tzinfo=UTC)
    assert (row.source_format, row.source_id, row.source_path) == (
        "claude-code",
        "sess-1",
        str(source),
    )
    assert (row.working_directory, row.git_branch, row.model) == (
        "/work/app",
        "main",
        "claude-opus-4-6",
    )
    assert (row.input_tokens, row.output_tokens) == (1, 1)
    turns = sessions.turns(db, row.id or 0).items
    assert [(turn.role, turn.kind) for turn in turns] == [
        ("user", "text"),
        ("assistant", "tool_call"),
        ("tool", "tool_result"),
    ]
    assert turns[0].created_at == datetime(2026, 2, 10, 10, 0, tzinfo=UTC)
    with db.unit() as session:
        (change,) = session.exec(select(ProjectFile)).all()
    assert (change.path, change.change, change.lines_added, change.lines_removed) == (
        "cart.py",
        "modified",
        2,
        1,
    )
    assert (change.importance, change.notes) == (3, "From an imported transcript.")
    assert change.created_at.tzinfo is not None


def test_a_grown_transcript_adds_its_new_turns_and_updates_its_end(
    db: Database, tmp_path: Path
) -> None:
    source = _claude(tmp_path / "s.jsonl", EXCHANGE_ONE)
    first = imports.import_path(db, source).sessions[0]
    _claude(
        source,
        EXCHANGE_ONE
        + EXCHANGE_TWO
        + [{"type": "summary", "summary": "Cart fixes", "leafUuid": "r2"}],
    )
    again = imports.import_path(db, source)
    assert (again.sessions_created, again.turns_added) == (0, 3)
    assert again.sessions[0].session_id == first.session_id
    row = _session_row(db, first.session_id)
    assert row.ended_at == datetime(2026, 2, 10, 10, 5, tzinfo=UTC)
    assert (row.input_tokens, row.output_tokens) == (6, 10)
    assert row.title == "Fix the cart"  # a stored title stays; a summary only names new ones
    positions = [position for position, _, _ in _turn_rows(db, first.session_id)]
    assert positions == list(range(6))
    with db.unit() as session:
        (change,) = session.exec(select(ProjectFile)).all()
    assert (change.lines_added, change.lines_removed) == (3, 2)  # the transcript's totals


def test_a_transcript_longer_than_a_batch_gets_its_end(db: Database, tmp_path: Path) -> None:
    records: list[Any] = []
    parent = None
    for index in range(imports.BATCH):  # two turns each: the row is written before the end
        ask = user(f"u{index}", parent, f"step {index}", index % 60)
        reply = assistant(
            f"a{index}", ask["uuid"], [text(f"did {index}")], index % 60, usage={"output_tokens": 2}
        )
        records += [ask, reply]
        parent = reply["uuid"]
    report = imports.import_path(db, _claude(tmp_path / "s.jsonl", records))
    session_id = report.sessions[0].session_id
    row = _session_row(db, session_id)
    assert report.turns_added == 2 * imports.BATCH
    assert row.output_tokens == 2 * imports.BATCH
    assert row.ended_at == datetime(2026, 2, 10, 10, 59, tzinfo=UTC)
    positions = [position for position, _, _ in _turn_rows(db, session_id)]
    assert positions == list(range(2 * imports.BATCH))


def test_the_same_conversation_twice_in_one_export_is_one_session(
    db: Database, tmp_path: Path
) -> None:
    nodes = [
        _node("root", None, ["q1"], None),
        _node("q1", "root", ["r1"], "user", chat_text("Question")),
        _node("r1", "q1", [], "assistant", chat_text("Answer")),
    ]
    grown = [
        *nodes[:2],
        _node("r1", "q1", ["q2"], "assistant", chat_text("Answer")),
        _node("q2", "r1", [], "user", chat_text("And then?")),
    ]
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps([_conversation(nodes, "r1"), _conversation(grown, "q2")]))
    report = imports.import_path(db, export, project="ChatGPT")
    assert report.sessions_created == 1
    assert [item.turns_added for item in report.sessions] == [2, 1]
    session_id = report.sessions[0].session_id
    assert {item.session_id for item in report.sessions} == {session_id}
    assert [content for _, content, _ in _turn_rows(db, session_id)] == [
        "Question",
        "Answer",
        "And then?",
    ]


def test_new_sessions_are_numbered_in_turn_per_project(db: Database, tmp_path: Path) -> None:
    project = projects.create_project(db, "app")
    sessions.start_session(db, project.id, objectives="by hand")
    folder = tmp_path / "projects"
    for index, cwd in enumerate(["/work/app", "/work/app", "/work/other", "/work/app"]):
        lines = [
            _base(f"u{index}", None, index, type="user", cwd=cwd, sessionId=f"s{index}")
            | {"message": {"role": "user", "content": f"task {index}"}}
        ]
        _claude(folder / f"{index}.jsonl", lines)
    report = imports.import_path(db, folder)
    assert [(item.project, item.number) for item in report.sessions] == [
        ("app", 2),
        ("app", 3),
        ("other", 1),
        ("app", 4),
    ]
    assert report.projects_created == ["other"]


def test_a_failed_import_leaves_nothing_even_after_batches(db: Database, tmp_path: Path) -> None:
    """Rows already sent to the database in batches go with the rollback."""
    folder = tmp_path / "many"
    records = [user("u0", None, "q0", 0)]
    for index in range(1, imports.BATCH + 5):
        records.append(user(f"u{index}", f"u{index - 1}", f"q{index}", 0))
    _claude(folder / "a.jsonl", records)
    _claude(
        folder / "b.jsonl",
        [
            _base("x", None, 0, type="user", cwd="", sessionId="s2")
            | {"message": {"role": "user", "content": "no folder"}}
        ],
    )
    with pytest.raises(Exception, match="project"):
        imports.import_path(db, folder)
    with db.engine.connect() as connection:
        counts = [
            connection.execute(sql(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("project", "session", "conversation_turn")
        ]
    assert counts == [0, 0, 0]


def test_prepared_inserts_need_every_defaulted_column() -> None:
    connection: Any = types.SimpleNamespace(dialect=postgresql.dialect())
    with pytest.raises(ValueError, match="give exactly the columns"):
        imports._Insert(connection, imports._FILES, ("project_id", "path"), False)


def test_prepared_inserts_bind_by_name_where_the_driver_does() -> None:
    sent: list[tuple[str, Any]] = []
    connection: Any = types.SimpleNamespace(
        dialect=postgresql.dialect(), exec_driver_sql=lambda sql, rows: sent.append((sql, rows))
    )
    insert = imports._Insert(connection, imports._TURNS, imports.TURN_COLUMNS, False)
    when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    insert.many([(7, 0, "user", "hi", when, "m1", "text", None, False, "")])
    ((statement, rows),) = sent
    assert "%(session_id)s" in statement
    assert rows == [
        {
            "session_id": 7,
            "position": 0,
            "role": "user",
            "content": "hi",
            "created_at": when,
            "source_message_id": "m1",
            "kind": "text",
            "tool_name": None,
            "is_error": False,
            "thread": "",
        }
    ]
