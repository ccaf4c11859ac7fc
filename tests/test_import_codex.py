"""The Codex CLI rollout importer: the shared fixture, rollouts written here the way Codex
writes them (messages twice, calls, patches, token counts), broken lines and random input."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.db.database import Database
from orchestrator_tui.importers import codex
from orchestrator_tui.importers.model import (
    HOLD_EVENTS,
    KINDS,
    ROLES,
    TITLE_LIMIT,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    FileChange,
    Problems,
    Start,
    Turn,
    Usage,
)
from orchestrator_tui.services import export, imports, sessions
from tests.conftest import SHARED_FORMATS

FIXTURE = SHARED_FORMATS / "codex_rollout_fixture.jsonl"
Record = dict[str, Any]


def _parse(path: Path, problems: Problems | None = None) -> list[Event]:
    return list(codex.parse(path, problems or Problems(), lambda read: None))


def _split(events: list[Event]) -> tuple[Start, list[Turn], list[FileChange], End]:
    """The events of the one transcript, checked to be Start, turns and changes, End."""
    start, *inner, end = events
    assert isinstance(start, Start)
    assert isinstance(end, End)
    turns = [event for event in inner if isinstance(event, Turn)]
    changes = [event for event in inner if isinstance(event, FileChange)]
    assert len(turns) + len(changes) == len(inner)
    assert len({turn.source_id for turn in turns}) == len(turns)
    return start, turns, changes, end


def _write(path: Path, records: list[Record | str]) -> Path:
    lines = [item if isinstance(item, str) else json.dumps(item) for item in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _fixture() -> Path:
    if not FIXTURE.exists():
        pytest.skip("the shared formats folder is not here")
    return FIXTURE


# Builders of records, shaped like Codex's.
def _line(kind: str, second: int, **payload: Any) -> Record:
    return {"timestamp": f"2026-03-01T09:00:{second:02d}.000Z", "type": kind, "payload": payload}


def meta(second: int = 0, **extra: Any) -> Record:
    return _line(
        "session_meta",
        second,
        id="0199aaaa-1111-7222-8333-444455556666",
        timestamp="2026-03-01T09:00:00.000Z",
        cwd="/home/ana/shop",
        originator="codex_cli_rs",
        cli_version="0.46.0",
        instructions=None,
        source="cli",
        model_provider="openai",
        git={"commit_hash": "abc123", "branch": "feature/cart", "repository_url": "git@x:y.git"},
        **extra,
    )


def context(second: int, model: str = "gpt-5-codex") -> Record:
    return _line("turn_context", second, cwd="/home/ana/shop", model=model, effort="medium")


def event(second: int, kind: str, message: str) -> Record:
    return _line("event_msg", second, type=kind, message=message, images=[])


def item(second: int, role: str, *texts: str, image: bool = False) -> Record:
    part = "input_text" if role == "user" else "output_text"
    content: list[Record] = [{"type": part, "text": text} for text in texts]
    if image:
        content.append({"type": "input_image", "image_url": "data:image/png;base64,AAAA"})
    return _line("response_item", second, type="message", role=role, content=content)


def call(second: int, call_id: str, name: str, arguments: Any) -> Record:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return _line(
        "response_item", second, type="function_call", name=name, arguments=raw, call_id=call_id
    )


def output(second: int, call_id: str, value: Any) -> Record:
    return _line(
        "response_item", second, type="function_call_output", call_id=call_id, output=value
    )


def custom(second: int, call_id: str, name: str, text: str) -> Record:
    return _line(
        "response_item", second, type="custom_tool_call", name=name, input=text, call_id=call_id
    )


def custom_output(second: int, call_id: str, value: Any) -> Record:
    return _line(
        "response_item", second, type="custom_tool_call_output", call_id=call_id, output=value
    )


def tokens(second: int, total: Record | None) -> Record:
    info = None if total is None else {"total_token_usage": total, "last_token_usage": total}
    return _line("event_msg", second, type="token_count", info=info, rate_limits=None)


ENVIRONMENT = "<environment_context>\n  <cwd>/home/ana/shop</cwd>\n</environment_context>"
AGENTS = "# AGENTS.md instructions for /home/ana/shop\n\n<INSTRUCTIONS>\nUse uv.\n</INSTRUCTIONS>"
USER_INSTRUCTIONS = "<user_instructions>\n\nAlways run the tests.\n\n</user_instructions>"


# --- the shared fixture ------------------------------------------------------------------------


def test_fixture_each_message_once_calls_short_unknown_type_ignored() -> None:
    problems = Problems()
    start, turns, changes, end = _split(_parse(_fixture(), problems))
    assert problems.count == 0  # the unknown record type is not a problem
    assert start == Start(
        source_format="codex",
        source_id="11111111-1111-4111-8111-111111111111",
        title="List the synthetic files.",
        started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        working_directory="/workspace/synthetic-project",
        git_branch=None,
        model="synthetic-model",
    )
    assert [(t.role, t.kind, t.tool_name, t.content) for t in turns] == [
        ("user", "text", None, "List the synthetic files."),
        ("assistant", "tool_call", "exec_command", "exec_command: find . -maxdepth 1 -type f"),
        ("tool", "tool_result", "exec_command", "./alpha.txt\n./beta.txt"),
        ("assistant", "tool_call", "apply_patch", "apply_patch: *** Add File: gamma.txt"),
        ("tool", "tool_result", "apply_patch", "Done!"),
        ("assistant", "tool_call", "mcp__synthetic__lookup", "mcp__synthetic__lookup: fixture"),
        ("tool", "tool_result", "mcp__synthetic__lookup", '{"status":"ok"}'),
        ("assistant", "text", None, "The synthetic files are alpha.txt and beta.txt."),
    ]
    assert [t.source_id for t in turns] == [
        "L3",  # the event's line: the response item took its place
        "call-structured-001",
        "call-structured-001:result",
        "call-custom-001",
        "call-custom-001:result",
        "call-mcp-001",
        "call-mcp-001:result",
        "L12",
    ]
    assert not any(t.is_error for t in turns)
    assert all("SYNTHETIC_ENCRYPTED" not in t.content for t in turns)  # reasoning skipped
    assert changes == [FileChange("gamma.txt", "created", 1, 0)]
    assert end.ended_at == datetime(2026, 1, 2, 3, 4, 16, tzinfo=UTC)  # the last record's
    assert end.usage is None
    assert end.title == start.title


def test_fixture_imports_once(db: Database) -> None:
    report = imports.import_path(db, _fixture())
    assert (report.sessions_created, report.turns_added) == (1, 8)
    imported = report.sessions[0]
    assert imported.project == "synthetic-project"
    detail = sessions.get_session(db, imported.session_id)
    assert detail.title == "List the synthetic files."
    again = imports.import_path(db, _fixture())
    assert (again.sessions_created, again.turns_added) == (0, 0)


# --- rollouts written here ---------------------------------------------------------------------

PATCH = """*** Begin Patch
*** Update File: src/cart.py
@@ def total(items):
-    return sum(items)
+    subtotal = sum(items)
+    return round(subtotal, 2)
*** Add File: src/money.py
+def cents(x):
+    return round(x * 100)
+
*** Delete File: old/legacy.py
*** Update File: src/a.py
*** Move to: src/b.py
@@
-x = 1
+x = 2
*** End Patch"""


SHELL_PATCH = "*** Begin Patch\n*** Update File: src/x.py\n-a\n+b\n*** End Patch"


def _session() -> list[Record | str]:
    long_request = "Please fix the cart totals\nthey are off by one cent " + "really " * 40
    return [
        meta(0),
        context(1),
        item(1, "user", AGENTS),
        item(1, "user", ENVIRONMENT),
        item(1, "user", USER_INSTRUCTIONS),
        event(2, "user_message", long_request),  # the event first...
        _line("event_msg", 2, type="agent_reasoning", text="thinking about totals"),
        item(2, "user", long_request, image=True),  # ...then its response item
        _line("response_item", 3, type="reasoning", summary=[], encrypted_content="SECRET"),
        call(4, "call_1", "shell", {"command": ["bash", "-lc", "pytest -q"], "workdir": "."}),
        output(5, "call_1", json.dumps({"output": "1 failed", "metadata": {"exit_code": 1}})),
        call(6, "call_2", "exec_command", {"cmd": "ruff check ."}),
        output(7, "call_2", "Chunk ID: 9\nWall time: 0.1 seconds\nProcess exited with code 0\n"),
        custom(8, "call_3", "apply_patch", PATCH),
        custom_output(
            9, "call_3", json.dumps({"output": "Success.", "metadata": {"exit_code": 0}})
        ),
        call(10, "call_4", "shell", {"command": ["apply_patch", SHELL_PATCH]}),
        output(11, "call_4", "error: apply_patch verification failed: no such file"),
        item(12, "assistant", "Fixed: totals are rounded."),  # the response item first...
        event(12, "agent_message", "Fixed:  totals are\nrounded."),  # ...then its event
        tokens(12, None),
        tokens(
            13,
            {
                "input_tokens": 1000,
                "cached_input_tokens": 800,
                "output_tokens": 50,
                "reasoning_output_tokens": 20,
                "total_tokens": 1050,
            },
        ),
        event(14, "user_message", "yes"),
        item(14, "user", "yes"),
        item(15, "assistant", "Shall I commit?"),  # no event copy
        event(16, "user_message", "yes"),  # no response item copy: kept
        _line("compacted", 17, message="Summary: fixed the cart totals."),
        tokens(18, {"input_tokens": 5000, "cached_input_tokens": 3000, "output_tokens": 400}),
        _line("event_msg", 19, type="task_complete"),
        _line("brand_new_type", 20, anything=True),
    ]


def test_a_rollout_gives_each_message_once_in_order(tmp_path: Path) -> None:
    problems = Problems()
    events = _parse(_write(tmp_path / "rollout.jsonl", _session()), problems)
    assert problems.count == 0
    start, turns, _, end = _split(events)
    assert [(t.role, t.kind, t.tool_name) for t in turns] == [
        ("user", "text", None),
        ("assistant", "tool_call", "shell"),
        ("tool", "tool_result", "shell"),
        ("assistant", "tool_call", "exec_command"),
        ("tool", "tool_result", "exec_command"),
        ("assistant", "tool_call", "apply_patch"),
        ("tool", "tool_result", "apply_patch"),
        ("assistant", "tool_call", "apply_patch"),
        ("tool", "tool_result", "apply_patch"),
        ("assistant", "text", None),
        ("user", "text", None),
        ("assistant", "text", None),
        ("user", "text", None),
        ("system", "summary", None),
    ]
    first = turns[0]
    assert first.content.startswith("Please fix the cart totals\nthey are off by one cent")
    assert first.content.endswith("really\n\n[image]")  # the response item's copy was kept
    assert first.source_id == "L6"  # with the event's line
    assert first.created_at == datetime(2026, 3, 1, 9, 0, 2, tzinfo=UTC)
    assert turns[9].content == "Fixed: totals are rounded." and turns[9].source_id == "L18"
    assert [t.content for t in turns[10:13]] == ["yes", "Shall I commit?", "yes"]
    assert [t.source_id for t in turns[10:13]] == ["L22", "L24", "L25"]
    assert turns[13].content == "Summary: fixed the cart totals."
    assert all(
        marker not in t.content
        for t in turns
        for marker in ("<environment_context>", "AGENTS.md", "<user_instructions>", "SECRET")
    )
    one_line = "Please fix the cart totals they are off by one cent " + "really " * 40
    assert start.title == one_line[:119] + "…"  # one line, shortened
    assert len(start.title) == TITLE_LIMIT
    assert start.git_branch == "feature/cart"
    assert start.working_directory == "/home/ana/shop"
    assert start.model == "gpt-5-codex"
    assert start.started_at == datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
    assert end.ended_at == datetime(2026, 3, 1, 9, 0, 20, tzinfo=UTC)


def test_calls_are_short_and_failures_flagged(tmp_path: Path) -> None:
    _, turns, _, _ = _split(_parse(_write(tmp_path / "rollout.jsonl", _session())))
    calls = {t.source_id: t for t in turns if t.kind == "tool_call"}
    results = {t.source_id: t for t in turns if t.kind == "tool_result"}
    assert calls["call_1"].content == "shell: pytest -q"  # the bash -lc wrapper taken off
    assert calls["call_2"].content == "exec_command: ruff check ."
    assert calls["call_3"].content == (
        "apply_patch: *** Update File: src/cart.py\n*** Add File: src/money.py\n"
        "*** Delete File: old/legacy.py\n*** Update File: src/a.py\n*** Move to: src/b.py"
    )
    assert calls["call_4"].content == "apply_patch: *** Update File: src/x.py"
    assert (results["call_1:result"].content, results["call_1:result"].is_error) == (
        "1 failed",
        True,
    )
    assert not results["call_2:result"].is_error
    assert not results["call_3:result"].is_error
    assert results["call_4:result"].is_error


def test_a_patch_that_applied_gives_its_file_changes(tmp_path: Path) -> None:
    _, _, changes, _ = _split(_parse(_write(tmp_path / "rollout.jsonl", _session())))
    assert changes == [
        FileChange("src/cart.py", "modified", 2, 1),
        FileChange("src/money.py", "created", 3, 0),
        FileChange("old/legacy.py", "deleted", 0, 0),
        FileChange("src/a.py", "deleted", 0, 0),
        FileChange("src/b.py", "created", 1, 1),
    ]  # and none of src/x.py: that patch failed


def test_patches_without_output_or_with_a_failure_change_nothing(tmp_path: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch"
    records: list[Record | str] = [
        meta(0),
        custom(1, "p1", "apply_patch", patch),
        custom_output(2, "p1", json.dumps({"output": "bad hunk", "metadata": {"exit_code": 1}})),
        custom(3, "p2", "apply_patch", patch),
        custom_output(4, "p2", {"content": "nope", "success": False}),
        custom(5, "p3", "apply_patch", patch),  # never answered
        call(6, "p4", "apply_patch", {"input": patch.replace("a.txt", "b.txt")}),
        output(7, "p4", [{"type": "output_text", "text": "Success. Updated the following files"}]),
    ]
    _, turns, changes, _ = _split(_parse(_write(tmp_path / "r.jsonl", records)))
    assert changes == [FileChange("b.txt", "created", 1, 0)]
    assert [t.is_error for t in turns if t.kind == "tool_result"] == [True, True, False]


def test_a_command_that_only_mentions_a_patch_is_no_patch(tmp_path: Path) -> None:
    records: list[Record | str] = [
        call(1, "c1", "exec_command", {"cmd": "rg '*** Begin Patch' src"}),
        output(2, "c1", "src/notes.md:*** Begin Patch"),
    ]
    _, turns, changes, _ = _split(_parse(_write(tmp_path / "r.jsonl", records)))
    assert [t.tool_name for t in turns] == ["exec_command", "exec_command"]
    assert turns[0].content == "exec_command: rg '*** Begin Patch' src"
    assert changes == []


def test_token_usage_is_the_last_running_total(tmp_path: Path) -> None:
    _, _, _, end = _split(_parse(_write(tmp_path / "rollout.jsonl", _session())))
    # 5,000 input of which 3,000 cached: Anthropic's names count them apart.
    assert end.usage == Usage(input_tokens=2000, output_tokens=400, cache_read_input_tokens=3000)


def test_long_outputs_are_shortened(tmp_path: Path) -> None:
    records: list[Record | str] = [
        meta(0),
        item(1, "user", "go"),
        call(2, "c1", "exec_command", {"cmd": "cat big.log " + "--flag " * 100}),
        output(3, "c1", "line\n" * 1000),
        call(4, "c2", "update_plan", {"plan": [{"step": "a", "status": "done"}]}),
        output(5, "c2", "Plan updated"),
        _line(
            "response_item",
            6,
            type="local_shell_call",
            call_id="c3",
            status="completed",
            action={"type": "exec", "command": ["bash", "-lc", "ls -la"]},
        ),
        output(7, "c3", {"output": "total 0", "metadata": {"exit_code": 0}}),
        _line(
            "response_item",
            8,
            type="web_search_call",
            status="completed",
            action={"type": "search", "query": "python round half even"},
        ),
    ]
    _, turns, _, _ = _split(_parse(_write(tmp_path / "r.jsonl", records)))
    assert all(len(t.content) <= TOOL_TEXT_LIMIT for t in turns)
    assert turns[1].content.endswith("…") and turns[2].content.endswith("…")
    assert turns[3].content == 'update_plan: {"plan": [{"step": "a", "status": "done"}]}'
    assert turns[5].content == "local_shell: ls -la"
    assert (turns[6].content, turns[6].tool_name) == ("total 0", "local_shell")
    assert turns[7].content == "web_search: python round half even"


def test_event_messages_alone_are_kept_and_far_apart_copies_are_not_merged(
    tmp_path: Path,
) -> None:
    filler = [tokens(10, None)] * (codex.WINDOW + 1)
    records: list[Record | str] = [
        meta(0),
        event(1, "user_message", "only as an event"),
        event(2, "agent_message", "reply only as an event"),
        item(3, "assistant", "reply only as an item"),
        event(4, "user_message", "far apart"),
        *filler,
        item(5, "user", "far apart"),
    ]
    _, turns, _, _ = _split(_parse(_write(tmp_path / "r.jsonl", records)))
    assert [(t.role, t.content) for t in turns] == [
        ("user", "only as an event"),
        ("assistant", "reply only as an event"),
        ("assistant", "reply only as an item"),
        ("user", "far apart"),
        ("user", "far apart"),
    ]


def test_a_session_without_a_request_still_starts(tmp_path: Path) -> None:
    """Start waits for the title, but not forever: it goes out with an empty title."""
    records: list[Record | str] = [meta(0)]
    for index in range(HOLD_EVENTS + 10):
        records.append(call(1, f"c{index}", "exec_command", {"cmd": "ls"}))
    records.append(item(2, "user", "at last a request"))
    events = _parse(_write(tmp_path / "r.jsonl", records))
    start, turns, _, end = _split(events)
    assert start.title == ""
    assert end.title == "at last a request"
    assert len(turns) == HOLD_EVENTS + 11


def test_without_session_meta_the_file_name_and_first_time(tmp_path: Path) -> None:
    records: list[Record | str] = [context(3, "o4-mini"), item(4, "user", "hi")]
    start, turns, _, _ = _split(_parse(_write(tmp_path / "rollout-x.jsonl", records)))
    assert start.source_id == "rollout-x"
    assert start.started_at == datetime(2026, 3, 1, 9, 0, 3, tzinfo=UTC)
    assert (start.model, start.working_directory, start.git_branch) == (
        "o4-mini",
        "/home/ana/shop",
        None,
    )
    assert [t.content for t in turns] == ["hi"]


def test_session_import_keeps_usage_and_changed_files(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path / "rollout.jsonl", _session())
    report = imports.import_path(db, path)
    imported = report.sessions[0]
    assert imported.project == "shop"
    document = export.export_project(db, "shop")
    session = document["sessions"][0]
    assert session["usage"]["cache_read_input_tokens"] == 3000
    assert imports.import_path(db, path).turns_added == 0


# --- broken input ------------------------------------------------------------------------------


def test_malformed_lines_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    lines = [
        json.dumps(meta(0)),
        "{not json",
        "",
        "[1, 2]",
        json.dumps({"payload": {}}),
        json.dumps({"type": "response_item", "payload": "text"}),
        json.dumps({"type": "future_thing"}),  # an unknown type: silently ignored
        json.dumps(item(3, "user", "still imported")),
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"type": "\xff"}\n')
    problems = Problems()
    _, turns, _, _ = _split(_parse(path, problems))
    assert [t.content for t in turns] == ["still imported"]
    assert [(p.line, p.message.split(" (")[0]) for p in problems.items] == [
        (2, "not JSON"),
        (4, "not a JSON object"),
        (5, "record without a type"),
        (6, "response_item record without a payload"),
        (9, "not UTF-8 text"),
    ]


def test_a_file_without_codex_records_yields_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [{"type": "other", "payload": {}}, "plain words"])
    problems = Problems()
    assert _parse(path, problems) == []
    assert [p.line for p in problems.items] == [2]


def test_sniff(tmp_path: Path) -> None:
    name = Path("rollout.jsonl")
    assert codex.sniff(json.dumps(meta(0)).encode() + b"\n", name)
    assert codex.sniff(b"\xef\xbb\xbf" + json.dumps(item(1, "user", "x")).encode(), name)
    assert codex.sniff(b"garbage\n" + json.dumps(context(1)).encode(), name)
    long_meta = json.dumps(meta(0, base_instructions={"text": "x" * 70_000})).encode()
    assert codex.sniff(long_meta[:65536], name)  # a first line longer than the head
    assert not codex.sniff(json.dumps({"type": "session_meta"}).encode(), name)
    assert not codex.sniff(json.dumps({"type": "user", "payload": {}}).encode(), name)
    assert not codex.sniff(b"", name)
    assert not codex.sniff(b"User: hi\nAssistant: hello\n", name)
    if FIXTURE.exists():
        assert codex.sniff(FIXTURE.read_bytes()[:65536], FIXTURE)
    for other in ("chatgpt_conversations_export_real.json", "claude_code_session_short_real.jsonl"):
        if (SHARED_FORMATS / other).exists():
            assert not codex.sniff((SHARED_FORMATS / other).read_bytes()[:65536], name)


def test_progress_is_reported_as_the_file_is_read(tmp_path: Path) -> None:
    records: list[Record | str] = [meta(0)]
    for index in range(3000):
        records.append(call(1, f"c{index}", "exec_command", {"cmd": "echo " + "x" * 200}))
    path = _write(tmp_path / "r.jsonl", records)
    seen: list[int] = []
    for _ in codex.parse(path, Problems(), seen.append):
        pass
    assert len(seen) >= 3
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size


# --- random input ------------------------------------------------------------------------------

SAMPLE = _session()
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
KEYS = st.sampled_from(
    [
        "type",
        "payload",
        "timestamp",
        "id",
        "cwd",
        "git",
        "model",
        "message",
        "role",
        "content",
        "name",
        "arguments",
        "input",
        "call_id",
        "output",
        "info",
        "action",
        "command",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real-shaped record with a field replaced or removed, or random JSON or text."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        return json.dumps(draw(VALUES))
    if choice == 1:
        return draw(st.text(max_size=20)).replace("\n", " ")
    record = json.loads(json.dumps(draw(st.sampled_from(SAMPLE))))
    key = draw(KEYS)
    target = record["payload"] if draw(st.booleans()) else record
    if choice == 2:
        target.pop(key, None)
    else:
        target[key] = draw(VALUES | st.sampled_from(["message", "user", "call_1", PATCH]))
    return json.dumps(record)


@settings(max_examples=100, deadline=None)
@given(st.lists(mutated(), max_size=14))
def test_fuzz_any_lines_give_a_well_formed_stream(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        events = _parse(_write(Path(folder) / "r.jsonl", list(lines)))
    if not events:
        return
    _, turns, changes, end = _split(events)
    for turn in turns:
        assert turn.role in ROLES and turn.kind in KINDS
        assert turn.content.strip()
        assert turn.created_at is None or turn.created_at.tzinfo is not None
        if turn.kind != "text" and turn.kind != "summary":
            assert len(turn.content) <= TOOL_TEXT_LIMIT
    assert all(change.lines_added >= 0 and change.lines_removed >= 0 for change in changes)
    assert end.usage is None or end.usage.input_tokens >= 0
