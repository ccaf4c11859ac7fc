"""The Claude Code importer: the real transcripts of ../shared/formats, small hand-made
sessions for each rule (merging, usage, sidechains, branches, file changes, bad lines),
fuzzing, and a 20 MB file read in bounded memory."""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.importers import claude_code
from orchestrator_tui.importers.model import (
    KINDS,
    MAIN_THREAD,
    ROLES,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    FileChange,
    Problems,
    Start,
    Turn,
    Usage,
)
from tests.conftest import SHARED_FORMATS

SHORT = SHARED_FORMATS / "claude_code_session_short_real.jsonl"
TOOL_HEAVY = SHARED_FORMATS / "claude_code_session_tool_heavy_real.jsonl"
COMPACT = SHARED_FORMATS / "claude_code_compact_excerpt_real_trimmed.jsonl"
BRANCH = SHARED_FORMATS / "claude_code_branch_compact_fixture.jsonl"

Record = dict[str, Any]


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/formats is absent)")
    return path


def _parse(path: Path, problems: Problems | None = None) -> list[Event]:
    return list(claude_code.parse(path, problems or Problems(), lambda read: None))


def _split(events: list[Event]) -> tuple[Start, list[Turn], list[FileChange], End]:
    """The events of one transcript, checked to be Start, turns and changes, End."""
    start, *inner, end = events
    assert isinstance(start, Start)
    assert isinstance(end, End)
    turns = [event for event in inner if isinstance(event, Turn)]
    changes = [event for event in inner if isinstance(event, FileChange)]
    assert len(turns) + len(changes) == len(inner)
    assert len({turn.source_id for turn in turns}) == len(turns)
    return start, turns, changes, end


# Builders of records, shaped like Claude Code's.
def _base(uuid: str, parent: str | None, minute: int, **extra: Any) -> Record:
    return {
        "parentUuid": parent,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/work/app",
        "sessionId": "sess-1",
        "version": "2.1.38",
        "gitBranch": "main",
        "uuid": uuid,
        "timestamp": f"2026-02-10T10:{minute:02d}:00.000Z",
        **extra,
    }


def user(uuid: str, parent: str | None, content: Any, minute: int = 0, **extra: Any) -> Record:
    message = {"role": "user", "content": content}
    return _base(uuid, parent, minute, type="user", message=message, **extra)


def assistant(
    uuid: str,
    parent: str | None,
    blocks: list[Record],
    minute: int = 0,
    *,
    message_id: str | None = None,
    request: str | None = None,
    usage: Record | None = None,
    **extra: Any,
) -> Record:
    message: Record = {
        "model": "claude-opus-4-6",
        "id": message_id or f"msg_{uuid}",
        "type": "message",
        "role": "assistant",
        "content": blocks,
        "usage": usage or {"input_tokens": 1, "output_tokens": 1},
    }
    return (
        _base(
            uuid,
            parent,
            minute,
            type="assistant",
            message=message,
            requestId=request or f"req_{uuid}",
        )
        | extra
    )


def text(value: str) -> Record:
    return {"type": "text", "text": value}


def call(call_id: str, name: str, **tool_input: Any) -> Record:
    return {"type": "tool_use", "id": call_id, "name": name, "input": tool_input}


def result(call_id: str, content: Any = "ok", *, error: bool = False) -> Record:
    block: Record = {"type": "tool_result", "tool_use_id": call_id, "content": content}
    if error:
        block["is_error"] = True
    return block


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in records),
        encoding="utf-8",
    )
    return path


# The real transcripts.
def test_short_session_one_assistant_turn_from_five_records() -> None:
    start, turns, changes, end = _split(_parse(_shared(SHORT)))
    assert start.source_format == "claude-code"
    assert start.source_id == "55604662-cf2a-4331-851a-ec234028f8ca"
    assert start.title == "mix phx.server doesnt seem to start"
    assert start.working_directory == "/home/marco/projects/spotter"
    assert start.git_branch == "master"
    assert start.model == "claude-opus-4-6"
    assert start.started_at == datetime(2026, 2, 10, 21, 11, 52, 438000, tzinfo=UTC)
    assert end.ended_at == datetime(2026, 2, 10, 21, 16, 12, 381000, tzinfo=UTC)
    assert [(turn.role, turn.kind, turn.tool_name, turn.is_error) for turn in turns] == [
        ("user", "text", None, False),
        ("assistant", "text", None, False),
        ("assistant", "tool_call", "Bash", False),
        ("assistant", "tool_call", "Glob", False),
        ("tool", "tool_result", "Bash", True),  # rejected by the user
        ("tool", "tool_result", "Glob", True),
        ("user", "text", None, False),  # the interrupt marker
    ]
    reply = turns[1]
    assert reply.source_id == "msg_01MKH1ccEGrZGNPvu8pYiiQa"
    assert reply.content == (
        "Let me check the project structure and try running the server to see the error."
    )
    assert turns[2].content == "Bash: mix phx.server 2>&1 | head -80"
    assert turns[3].content == "Glob: mix.exs"
    everything = " ".join(turn.content for turn in turns)
    assert "trouble starting their Phoenix server" not in everything  # thinking
    assert "SessionStart" not in everything and "bd prime" not in everything  # hooks
    assert "/model" not in everything and "Kept model" not in everything  # local command
    assert changes == []
    # one reply in 5 records repeating the same usage: counted once
    assert end.usage == Usage(3, 13, 11515, 13835)


def test_tool_heavy_session_calls_are_short_with_their_key_input() -> None:
    problems = Problems()
    _, turns, _, end = _split(_parse(_shared(TOOL_HEAVY), problems))
    assert problems.count == 0
    calls = [turn.content for turn in turns if turn.kind == "tool_call"]
    assert calls == [
        "Bash: mix phx.server",
        "Bash: tail -5 /tmp/claude-1000/-home-marco-projects-spotter/tasks/bae407b.output",
        "WebSearch: xterm.js scroll not working embedded page captures scroll events",
        "Glob: assets/js/**/*.js",
        "Read: /home/marco/projects/spotter/assets/js/app.js",
        "WebFetch: https://github.com/xtermjs/xterm.js/issues/1343",
    ]
    results = [turn for turn in turns if turn.kind == "tool_result"]
    assert [turn.tool_name for turn in results] == [
        "Bash", "Bash", "Glob", "WebSearch", "Read", "WebFetch"
    ]  # fmt: skip
    assert all(turn.role == "tool" and not turn.is_error for turn in results)
    assert all(len(turn.content) <= TOOL_TEXT_LIMIT for turn in results)
    assert results[-1].content.endswith("…")  # the fetched page, cut
    # the Glob call and result hang off the WebSearch call (parallel calls): kept
    assert results[2].content == "/home/marco/projects/spotter/assets/js/app.js"
    users = [turn.content for turn in turns if turn.role == "user"]
    assert users[0] == "start phoenix in background"
    assert "/mcp" in users  # the command the user typed is a turn
    everything = " ".join(turn.content for turn in turns)
    assert "Caveat" not in everything and "Reconnected to tidewave" not in everything
    assert "MCP dialog dismissed" not in everything
    assert "The user wants me to research" not in everything  # thinking
    assert [turn.content for turn in turns if turn.kind == "text" and turn.role == "assistant"] == [
        "Phoenix server is starting in the background.\n\nLet me check the MCP servers status."
    ]
    assert end.usage is not None
    assert end.usage.output_tokens == 27 + 1 + 11 + 173  # largest of each reply's records


def test_compact_excerpt_keeps_the_summary_and_tolerates_dangling_parents() -> None:
    problems = Problems()
    start, turns, _, _ = _split(_parse(_shared(COMPACT), problems))
    assert problems.count == 0
    assert start.source_id == "4d5611e5-241a-462a-8d15-5122611a9569"
    summaries = [turn for turn in turns if turn.kind == "summary"]
    assert len(summaries) == 1
    assert summaries[0].role == "system"
    assert summaries[0].content.startswith("This session is being continued")
    boundary = next(turn for turn in turns if turn.content == "Conversation compacted")
    assert turns.index(boundary) == turns.index(summaries[0]) - 1
    # the pieces whose parents were cut away are kept
    assert [turn.content for turn in turns if turn.role == "user"] == ["continue"]
    assert "Still compiling deps. Let me wait for it to finish." in [t.content for t in turns]
    assert turns[-1].content.startswith("Edit: /home/USER/projects/spotter-worktrees/")
    for turn in turns:
        assert turn.role in ROLES and turn.kind in KINDS


def test_branch_fixture_imports_only_the_branch_that_reaches_the_end() -> None:
    _, turns, _, end = _split(_parse(_shared(BRANCH)))
    assert [(turn.role, turn.kind, turn.content[:20]) for turn in turns] == [
        ("user", "text", "Start"),
        ("assistant", "text", "Ready"),
        ("user", "text", "Second attempt"),
        ("assistant", "text", "Second answer"),
        ("user", "text", "Keep going"),
        ("assistant", "text", "Kept going"),
        ("system", "text", "Conversation compact"),
        ("system", "summary", "This session is bein"),
        ("user", "text", "After compaction"),
        ("assistant", "text", "Final answer"),
    ]
    assert end.usage == Usage(input_tokens=50, output_tokens=25)  # abandoned replies too


# Hand-made sessions.
def test_records_sharing_a_message_id_are_one_turn(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "s.jsonl",
        [
            user("u1", None, "fix the tests", 0),
            assistant("a1", "u1", [text("\n\n")], 1, message_id="m1"),
            assistant("a2", "a1", [{"type": "thinking", "thinking": "hmm"}], 1, message_id="m1"),
            assistant("a3", "a2", [text("First part.")], 1, message_id="m1"),
            assistant("a4", "a3", [text("Second part.")], 1, message_id="m1"),
            assistant("a5", "a4", [call("t1", "Bash", command="pytest -q")], 2, message_id="m1"),
            user("r1", "a5", [result("t1", "3 passed")], 3),
            assistant("b1", "r1", [text("All green.")], 4, message_id="m2"),
            assistant("b2", "b1", [call("t2", "Read", file_path="a.py")], 4, message_id="m2"),
            assistant("b3", "b2", [text("One more thing.")], 4, message_id="m2"),
        ],
    )
    _, turns, _, _ = _split(_parse(path))
    assert [(turn.source_id, turn.kind, turn.content) for turn in turns] == [
        ("u1", "text", "fix the tests"),
        ("m1", "text", "First part.\n\nSecond part."),
        ("t1", "tool_call", "Bash: pytest -q"),
        ("t1:result", "tool_result", "3 passed"),
        ("m2", "text", "All green."),
        ("t2", "tool_call", "Read: a.py"),
        ("m2#2", "text", "One more thing."),  # text after a call: its own turn, its own id
    ]
    assert turns[1].created_at == datetime(2026, 2, 10, 10, 1, tzinfo=UTC)


def test_usage_counts_each_reply_once_with_its_largest_output(tmp_path: Path) -> None:
    partial = {
        "input_tokens": 3,
        "output_tokens": 9,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    }
    final = partial | {"output_tokens": 640}
    other = {
        "input_tokens": 5,
        "output_tokens": 50,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 0,
    }
    records = [
        user("u1", None, "go", 0),
        assistant("a1", "u1", [text("x")], 1, message_id="m1", request="r1", usage=partial),
        assistant("a2", "a1", [text("y")], 1, message_id="m1", request="r1", usage=final),
        assistant("a3", "a2", [text("z")], 1, message_id="m1", request="r1", usage=partial),
        # the same message id under another request is another reply
        assistant("a4", "a3", [text("w")], 2, message_id="m1", request="r2", usage=other),
        assistant("a5", "a4", [text("v")], 3, message_id="m2", request="r3", usage=other),
    ]
    _, _, _, end = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert end.usage == Usage(
        input_tokens=3 + 5 + 5,
        output_tokens=640 + 50 + 50,
        cache_read_input_tokens=1000 + 2000 + 2000,
        cache_creation_input_tokens=200,
    )


def test_sidechains_keep_their_own_thread(tmp_path: Path) -> None:
    side = {"isSidechain": True}
    records = [
        user("u1", None, "explore the code", 0),
        assistant("a1", "u1", [call("task1", "Task", description="Explore", prompt="p")], 1),
        # a subagent's records, rooted at a null parent like the main prompt
        user("s1", None, "Explore the repository", 2, agentId="ag7") | side,
        assistant("s2", "s1", [text("Found 3 modules.")], 3, agentId="ag7") | side,
        user("x1", None, "Old-style subagent", 2) | side,
        user("r1", "a1", [result("task1", "3 modules")], 4),
        assistant("a2", "r1", [text("Done.")], 5),
    ]
    start, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert start.source_id == "sess-1"
    assert start.title == "explore the code"
    threads = [(turn.thread, turn.content) for turn in turns]
    assert threads == [
        (MAIN_THREAD, "explore the code"),
        (MAIN_THREAD, "Task: Explore"),
        ("ag7", "Explore the repository"),
        ("ag7", "Found 3 modules."),
        ("sidechain", "Old-style subagent"),
        (MAIN_THREAD, "3 modules"),
        (MAIN_THREAD, "Done."),
    ]


def test_a_subagent_file_is_a_transcript_of_its_own(tmp_path: Path) -> None:
    side = {"isSidechain": True, "agentId": "ag7"}
    records = [
        user("s1", None, "Explore the repository", 0) | side,
        assistant("s2", "s1", [text("Found 3 modules.")], 1) | side,
    ]
    start, turns, _, _ = _split(_parse(_write(tmp_path / "agent-ag7.jsonl", records)))
    assert start.source_id == "sess-1/agent-ag7"
    assert start.title == "Explore the repository"
    assert [turn.thread for turn in turns] == ["ag7", "ag7"]


def test_written_and_edited_files_with_line_counts(tmp_path: Path) -> None:
    edit_old = "def f():\n    return 1\n\n\ndef g():\n    pass\n"
    edit_new = "def f():\n    value = 2\n    return value\n\n\ndef g():\n    pass\n"
    records = [
        user("u1", None, "build it", 0),
        assistant(
            "a1",
            "u1",
            [
                call("w1", "Write", file_path="new.py", content="a\nb\nc\n"),
                call("r1", "Read", file_path="old.py"),
                call("w2", "Write", file_path="gone.py", content="x\n"),
            ],
            1,
        ),
        user("t1", "a1", [result("w1"), result("r1"), result("w2", "rejected", error=True)], 2),
        assistant(
            "a2",
            "t1",
            [
                call("w3", "Write", file_path="old.py", content="1\n2\n"),
                call("e1", "Edit", file_path="lib.py", old_string=edit_old, new_string=edit_new),
                call(
                    "m1",
                    "MultiEdit",
                    file_path="new.py",
                    edits=[
                        {"old_string": "a", "new_string": "A\nA2"},
                        {"old_string": "b\nc", "new_string": ""},
                    ],
                ),
                call("e2", "Edit", file_path="lib.py", old_string="nope", new_string="x"),
            ],
            3,
        ),
        user(
            "t2",
            "a2",
            [result("w3"), result("e1"), result("m1"), result("e2", "not found", error=True)],
            4,
        ),
    ]
    _, _, changes, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert sorted(changes, key=lambda change: change.path) == [
        FileChange("lib.py", "modified", lines_added=2, lines_removed=1),  # context trimmed
        FileChange("new.py", "created", lines_added=3 + 2, lines_removed=0 + 1 + 2),
        FileChange("old.py", "modified", lines_added=2, lines_removed=0),  # read before
    ]  # gone.py: the write was rejected; the second lib.py edit failed


def test_calls_on_an_abandoned_branch_change_no_file(tmp_path: Path) -> None:
    records = [
        user("u1", None, "start", 0),
        assistant("a1", "u1", [text("ready")], 1),
        user("p1", "a1", "first try", 2),
        assistant("b1", "p1", [call("w1", "Write", file_path="first.py", content="x\n")], 3),
        user("r1", "b1", [result("w1")], 4),
        user("p2", "a1", "second try", 5),  # the rewind
        assistant("b2", "p2", [call("w2", "Write", file_path="second.py", content="y\n")], 6),
        user("r2", "b2", [result("w2")], 7),
    ]
    _, turns, changes, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert [turn.content for turn in turns] == [
        "start", "ready", "second try", "Write: second.py", "ok"
    ]  # fmt: skip
    assert changes == [FileChange("second.py", "created", 1, 0)]


def test_a_rewound_first_prompt_keeps_the_later_one(tmp_path: Path) -> None:
    records = [
        user("p1", None, "first wording", 0),
        assistant("a1", "p1", [text("answer one")], 1),
        user("p2", None, "second wording", 2),
        assistant("a2", "p2", [text("answer two")], 3),
    ]
    start, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert start.title == "second wording"
    assert [turn.content for turn in turns] == ["second wording", "answer two"]


def test_malformed_lines_are_reported_and_the_rest_imports(tmp_path: Path) -> None:
    records: list[Any] = [
        user("u1", None, "hello", 0),
        "{not json",
        "[1, 2, 3]",
        {"type": "user", "uuid": "u2", "parentUuid": "u1"},  # no message
        user("u3", "u1", "x") | {"uuid": 42},
        {"no": "type"},
        "",
        b"\xff\xfe".decode("latin-1"),
        assistant("a1", "u1", [text("hi there")], 1),
    ]
    problems = Problems()
    _, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records), problems))
    assert [turn.content for turn in turns] == ["hello", "hi there"]
    assert [(problem.line, problem.message.split(" (")[0]) for problem in problems.items] == [
        (2, "not JSON"),
        (3, "not a JSON object"),
        (4, "user record without a message"),
        (5, "uuid is not a string"),
        (6, "record without a type"),
        (8, "not JSON"),
    ]
    assert all(problem.path == str(tmp_path / "s.jsonl") for problem in problems.items)


def test_a_missing_parent_starts_a_chain(tmp_path: Path) -> None:
    records = [
        user("u1", "somewhere-else", "carry on", 0),
        assistant("a1", "u1", [text("carrying on")], 1),
        user("u2", "also-gone", [result("t9", "output")], 2),
    ]
    problems = Problems()
    start, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records), problems))
    assert problems.count == 0
    assert start.title == "carry on"
    assert [turn.content for turn in turns] == ["carry on", "carrying on", "output"]
    assert turns[2].tool_name is None


def test_noise_records_are_not_turns(tmp_path: Path) -> None:
    caveat = "<local-command-caveat>Caveat: generated by local commands</local-command-caveat>"
    command = (
        "<command-name>/model</command-name>\n<command-message>model</command-message>\n"
        "<command-args>opus</command-args>"
    )
    records = [
        {"type": "file-history-snapshot", "messageId": "u1", "snapshot": {}},
        _base("h1", None, 0, type="progress", data={"type": "hook_progress"}),
        {"type": "queue-operation", "operation": "enqueue", "content": "later"},
        user("c1", "h1", caveat, 0, isMeta=True),
        user("c2", "c1", command, 0),
        user("c3", "c2", "<local-command-stdout>Set model to opus</local-command-stdout>", 0),
        _base("y1", "c3", 0, type="system", subtype="local_command", content=command),
        _base("y2", "y1", 0, type="system", subtype="turn_duration", durationMs=5),
        user("u1", "y2", "now the real question", 1),
        user("u2", "u1", "what do <command-name> tags mean?", 2),
        {"type": "summary", "summary": "Switching models and asking", "leafUuid": "u1"},
    ]
    start, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert [(turn.role, turn.content) for turn in turns] == [
        ("user", "/model opus"),
        ("user", "now the real question"),
        ("user", "what do <command-name> tags mean?"),  # mentioned, not a command line
    ]
    assert start.title == "Switching models and asking"  # the summary of this conversation


def test_a_repeated_record_gives_its_turns_once(tmp_path: Path) -> None:
    line = assistant("a1", "u1", [text("once"), call("t1", "Grep", pattern="TODO")], 1)
    records = [user("u1", None, "look", 0), line, line, user("r1", "a1", [result("t1")], 2)]
    _, turns, _, _ = _split(_parse(_write(tmp_path / "s.jsonl", records)))
    assert [turn.content for turn in turns] == ["look", "once", "Grep: TODO", "ok"]


def test_files_without_a_conversation(tmp_path: Path) -> None:
    assert _parse(_write(tmp_path / "empty.jsonl", [])) == []
    problems = Problems()
    assert _parse(_write(tmp_path / "other.jsonl", [{"a": 1}, "[]"]), problems) == []
    assert problems.count == 2
    snapshots = [{"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}]
    start, turns, changes, end = _split(_parse(_write(tmp_path / "snap.jsonl", snapshots)))
    assert start.source_id == "snap"  # no sessionId: the file's name
    assert (turns, changes, end.usage) == ([], [], Usage())


def test_progress_reports_bytes_up_to_the_file_size(tmp_path: Path) -> None:
    records = [user(f"u{n}", f"u{n - 1}" if n else None, "x" * 5000, 0) for n in range(200)]
    path = _write(tmp_path / "s.jsonl", records)
    seen: list[int] = []
    for _ in claude_code.parse(path, Problems(), seen.append):
        pass
    assert len(seen) >= 3
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size


def test_sniff(tmp_path: Path) -> None:
    name = Path("session.jsonl")
    for path in (SHORT, TOOL_HEAVY, COMPACT, BRANCH):
        if path.exists():
            assert claude_code.sniff(path.read_bytes()[:65536], path)
    for other in ("codex_rollout_fixture.jsonl", "chatgpt_conversations_export_real.json"):
        if (SHARED_FORMATS / other).exists():
            assert not claude_code.sniff((SHARED_FORMATS / other).read_bytes()[:65536], name)
    assert not claude_code.sniff(b"", name)
    assert not claude_code.sniff(b'{"type": "user", "text": "hi"}\n', name)
    assert not claude_code.sniff(b"# Notes\n\nplain text\n", name)
    # a first line longer than the head: the keys are looked for
    long_first = json.dumps(user("u1", None, "x" * 70_000)).encode()[:65536]
    assert claude_code.sniff(long_first, name)


def test_a_large_session_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    output = "line of tool output " * 2000  # 40 KB per result
    count = 0
    with path.open("w", encoding="utf-8") as file:
        parent: str | None = None
        while file.tell() < 20_000_000:
            ask = user(f"u{count}", parent, f"step {count}", count % 60)
            reply = assistant(f"a{count}", ask["uuid"], [call(f"t{count}", "Bash", command="ls")])
            done = user(f"r{count}", reply["uuid"], [result(f"t{count}", output)])
            file.write("\n".join(json.dumps(record) for record in (ask, reply, done)) + "\n")
            parent = done["uuid"]
            count += 1
    size = path.stat().st_size
    turns = 0
    tracemalloc.start()
    try:
        for event in claude_code.parse(path, Problems(), lambda read: None):
            turns += isinstance(event, Turn)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert turns == 3 * count
    assert peak < size // 20, peak  # under 1 MB for 20 MB of session


SAMPLE = [
    user("u1", None, "hello", 0),
    assistant("a1", "u1", [text("hi"), call("t1", "Edit", file_path="a", old_string="")], 1),
    user("r1", "a1", [result("t1", [text("done")], error=True)], 2),
    _base("cb", None, 3, type="system", subtype="compact_boundary", logicalParentUuid="r1"),
    user("cs", "cb", "summary", 4, isCompactSummary=True),
    {"type": "summary", "summary": "s", "leafUuid": "cs"},
]
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
KEYS = st.sampled_from(
    ["type", "uuid", "parentUuid", "logicalParentUuid", "message", "content", "isSidechain",
     "agentId", "sessionId", "timestamp", "subtype", "isMeta", "isCompactSummary", "summary",
     "leafUuid", "requestId"]
)  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real-shaped record with a field replaced or removed, or random JSON or bytes."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return json.dumps(draw(VALUES))
    if choice == 1:
        return draw(st.text(max_size=20)).replace("\n", " ")
    record = json.loads(json.dumps(draw(st.sampled_from(SAMPLE))))
    key = draw(KEYS)
    if choice == 2:
        record.pop(key, None)
    else:
        target = record["message"] if "message" in record and draw(st.booleans()) else record
        target[key] = draw(VALUES | st.sampled_from(["u1", "a1", "r1", "cb", "user", "assistant"]))
    return json.dumps(record)


@settings(max_examples=100, deadline=None)
@given(st.lists(mutated(), max_size=12))
def test_fuzz_any_lines_give_a_well_formed_stream(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder) / "s.jsonl", list(lines))
        events = _parse(path)
    if not events:
        return
    _, turns, changes, end = _split(events)
    for turn in turns:
        assert turn.role in ROLES and turn.kind in KINDS
        assert turn.content
        assert turn.created_at is None or turn.created_at.tzinfo is not None
    assert len({change.path for change in changes}) == len(changes)
    assert end.usage is not None and end.usage.output_tokens >= 0
