"""The ChatGPT export importer: the real 2023 export, conversations of the 2024-2025 shape
built here, broken files, random input, and a large export read in bounded memory."""

from __future__ import annotations

import itertools
import json
import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.db.database import Database
from orchestrator_tui.importers import chatgpt
from orchestrator_tui.importers.model import (
    KINDS,
    ROLES,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    Problems,
    Start,
    Turn,
)
from orchestrator_tui.services import imports, sessions
from tests.conftest import SHARED_FORMATS

REAL = SHARED_FORMATS / "chatgpt_conversations_export_real.json"
Record = dict[str, Any]


def _parse(path: Path, problems: Problems | None = None) -> list[Event]:
    return list(chatgpt.parse(path, problems or Problems(), lambda read: None))


def _sessions(events: list[Event]) -> list[tuple[Start, list[Turn], End]]:
    """Split the stream into (Start, turns, End), checking it is well formed."""
    found: list[tuple[Start, list[Turn], End]] = []
    start: Start | None = None
    turns: list[Turn] = []
    for event in events:
        if isinstance(event, Start):
            assert start is None, "a Start before the previous End"
            start, turns = event, []
        elif isinstance(event, End):
            assert start is not None
            found.append((start, turns, event))
            start = None
        else:
            assert isinstance(event, Turn), "only turns inside a conversation"
            assert start is not None, "a turn outside a conversation"
            turns.append(event)
    assert start is None, "the last conversation has no End"
    return found


def _real() -> Path:
    if not REAL.exists():
        pytest.skip("the shared formats folder is not here")
    return REAL


def _write(path: Path, conversations: list[Any]) -> Path:
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- the real export -------------------------------------------------------------------------


def test_real_export_four_conversations_with_titles_and_times() -> None:
    path = _real()
    raw = json.loads(path.read_text(encoding="utf-8"))
    problems = Problems()
    found = _sessions(_parse(path, problems))
    assert problems.count == 0
    assert [start.title for start, _, _ in found] == [
        "Django DateTime Comparison",
        "GitHub Wikis & Source Code",
        "Improve Website Recommendations.",
        "Logo design for Pieterkuppens.net.",
    ]
    for (start, turns, end), conversation in zip(found, raw, strict=True):
        assert start.source_format == "chatgpt"
        assert start.source_id == conversation["id"]
        assert start.started_at == _when(conversation["create_time"])
        assert end.ended_at == _when(conversation["update_time"])
        assert start.working_directory is None
        assert turns and turns[0].role == "user"  # the empty system message is left out
        assert all(turn.role != "system" for turn in turns)
        assert len({turn.source_id for turn in turns}) == len(turns)
        times = [turn.created_at for turn in turns]
        assert times == sorted(t for t in times if t is not None)  # root to leaf
    assert [start.model for start, _, _ in found] == [
        "gpt-4",
        "gpt-4-plugins",
        "gpt-4-browsing",
        "text-davinci-002-render-sha",
    ]


def test_real_export_only_the_current_branch_of_a_regenerated_answer() -> None:
    found = _sessions(_parse(_real()))
    _, turns, _ = found[3]
    contents = [turn.content for turn in turns]
    assert [turn.role for turn in turns] == ["user", "assistant"] * 7
    kept = next(c for c in contents if c.startswith("We could consider adding a third color"))
    assert kept
    assert not any(c.startswith("If you'd like a third color") for c in contents)
    assert turns[-1].source_id == "7908547d-dae6-4d28-9407-5d8a371d7af3"  # current_node
    assert turns[0].content.startswith("I want you to act as a business logo designer.")


def test_real_export_plugin_call_and_result() -> None:
    _, turns, _ = _sessions(_parse(_real()))[1]
    assert [(t.role, t.kind, t.tool_name) for t in turns] == [
        ("user", "text", None),
        ("assistant", "text", None),
        ("user", "text", None),
        ("assistant", "tool_call", "show_me.get_MermaidRoute"),
        ("tool", "tool_result", "show_me.get_MermaidRoute"),
        ("assistant", "text", None),
    ]
    call, result = turns[3], turns[4]
    assert call.content.startswith('{\n  "mermaid": "graph TB')
    assert len(call.content) <= TOOL_TEXT_LIMIT and call.content.endswith("…")  # 445 long
    assert result.content.startswith('{"results":[{"errorMessage":"We are experiencing')
    assert result.content.endswith('show-me-chatgpt-plugin/issues"}]}')  # 326: kept whole
    assert not result.is_error


def test_real_export_browsing_turns_are_described() -> None:
    _, turns, _ = _sessions(_parse(_real()))[2]
    assert [(t.role, t.kind, t.tool_name, t.is_error) for t in turns] == [
        ("user", "text", None, False),
        ("assistant", "tool_call", "browser", False),
        ("tool", "tool_result", "browser", True),
        ("assistant", "text", None, False),
        ("user", "text", None, False),
        ("assistant", "tool_call", "browser", False),
        ("tool", "tool_result", "browser", False),
        ("assistant", "tool_call", "browser", False),
        ("tool", "tool_result", "browser", True),
        ("tool", "tool_result", "browser", False),
        ("tool", "tool_result", "browser", False),
        ("assistant", "text", None, False),
    ]
    assert 'open_url("www.pieterkuppens.net")' in turns[1].content  # the code of the call
    assert turns[2].content.startswith("tool_error: Error when executing command `open_url(")
    page = turns[6].content
    assert page.startswith("[browsing: www.pieterkuppens.nl (www.pieterkuppens.nl)]\nURL: https:")
    quote = "[quote: www.pieterkuppens.nl https://www.pieterkuppens.nl/]\n"
    assert turns[9].content.startswith(quote + "Beschikbaar als Software/Data Professional")
    assert turns[10].content.startswith(quote + "Statusupdates ontvangen?")
    assert all(len(t.content) <= TOOL_TEXT_LIMIT for t in turns if t.kind != "text")
    assert turns[-1].content.startswith("Based on the information available")
    assert len(turns[-1].content) > TOOL_TEXT_LIMIT  # conversation text is kept whole


def test_real_export_imports_into_a_project(db: Database) -> None:
    report = imports.import_path(db, _real(), project="ChatGPT")
    assert report.sessions_created == 4
    assert report.problem_count == 0
    titles = sorted(sessions.get_session(db, s.session_id).title for s in report.sessions)
    assert titles[0] == "Django DateTime Comparison"
    again = imports.import_path(db, _real(), project="ChatGPT")
    assert (again.sessions_created, again.turns_added) == (0, 0)


# --- the 2024-2025 shape --------------------------------------------------------------------


def _node(
    node_id: str,
    parent: str | None,
    children: list[str],
    role: str | None,
    content: Record | None = None,
    *,
    at: float = 1_735_000_000.0,
    name: str | None = None,
    recipient: str = "all",
    metadata: Record | None = None,
) -> Record:
    message = None
    if role is not None:
        message = {
            "id": node_id,
            "author": {"role": role, "name": name, "metadata": {}},
            "create_time": at,
            "update_time": None,
            "content": content if content is not None else _text(""),
            "status": "finished_successfully",
            "end_turn": None,
            "weight": 1.0,
            "metadata": metadata or {},
            "recipient": recipient,
            "channel": None,
        }
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def _text(*parts: Any, kind: str = "text") -> Record:
    return {"content_type": kind, "parts": list(parts)}


def _conversation(nodes: list[Record], current: str | None, **extra: Any) -> Record:
    conversation = {
        "title": "Newer shapes",
        "create_time": 1_735_000_000.5,
        "update_time": 1_735_000_900.25,
        "mapping": {node["id"]: node for node in nodes},
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": "67a0c0de-0000-4000-8000-000000000001",
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "safe_urls": [],
        "default_model_slug": "gpt-4o",
        "id": "67a0c0de-0000-4000-8000-000000000001",
    }
    conversation.update(extra)
    return conversation


IMAGE = {
    "content_type": "image_asset_pointer",
    "asset_pointer": "file-service://file-AbC123",
    "size_bytes": 245_760,
    "width": 1024,
    "height": 768,
    "fovea": None,
    "metadata": {"dalle": None, "sanitized": True},
}


def _newer() -> Record:
    hidden = {"is_visually_hidden_from_conversation": True}
    context = {
        "content_type": "user_editable_context",
        "user_profile": "I code",
        "user_instructions": "Be brief",
    }
    nodes = [
        _node("root", None, ["sys"], None),
        _node("sys", "root", ["ctx"], "system", _text("You are ChatGPT."), metadata=hidden),
        _node("ctx", "sys", ["u1"], "user", context, metadata=hidden),
        _node(
            "u1",
            "ctx",
            ["a1"],
            "user",
            _text(IMAGE, "What is wrong in this chart?", kind="multimodal_text"),
            at=1_735_000_010.0,
            metadata={"attachments": [{"id": "file-AbC123", "name": "chart.png", "size": 245760}]},
        ),
        _node(
            "a1",
            "u1",
            ["th"],
            "assistant",
            _text("Let me compute it."),
            at=1_735_000_020.0,
            metadata={"model_slug": "gpt-4o"},
        ),
        _node(
            "th",
            "a1",
            ["rr"],
            "assistant",
            {
                "content_type": "thoughts",
                "thoughts": [{"summary": "Plan", "content": "..."}],
                "source_analysis_msg_id": "x",
            },
        ),
        _node(
            "rr",
            "th",
            ["code"],
            "assistant",
            {"content_type": "reasoning_recap", "content": "Thought for 4s"},
        ),
        _node(
            "code",
            "rr",
            ["out"],
            "assistant",
            {"content_type": "code", "language": "python", "text": "print(sum(range(10)))"},
            recipient="python",
            at=1_735_000_030.0,
            metadata={"model_slug": "o3"},
        ),
        _node(
            "out",
            "code",
            ["a2"],
            "tool",
            {"content_type": "execution_output", "text": "45\n" + "x" * 2000},
            name="python",
            at=1_735_000_031.0,
            metadata={"aggregate_result": {"status": "success"}},
        ),
        _node(
            "a2",
            "out",
            ["web"],
            "assistant",
            _text("The sum is 45."),
            at=1_735_000_040.0,
            metadata={"model_slug": "o3"},
        ),
        _node(
            "web",
            "a2",
            ["q"],
            "tool",
            {
                "content_type": "tether_quote",
                "url": "https://example.org/doc",
                "domain": "example.org",
                "text": "A quoted passage.",
                "title": "Example Doc",
            },
            name="web",
            at=1_735_000_050.0,
        ),
        _node(
            "q",
            "web",
            ["voice"],
            "tool",
            {"content_type": "app_pairing_content", "x": 1},
            name="vscode",
            at=1_735_000_051.0,
        ),
        _node(
            "voice",
            "q",
            ["empty"],
            "user",
            _text(
                {
                    "content_type": "audio_transcription",
                    "text": "and now in French",
                    "direction": "in",
                },
                {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://x"},
                kind="multimodal_text",
            ),
            at=1_735_000_060.0,
        ),
        _node("empty", "voice", ["fr"], "assistant", _text(""), at=1_735_000_061.0),
        _node(
            "fr",
            "empty",
            [],
            "assistant",
            _text("La somme est 45."),
            at=1_735_000_070.0,
            metadata={"model_slug": "gpt-4o"},
        ),
    ]
    return _conversation(nodes, "fr")


def test_newer_shapes_are_described_and_hidden_messages_left_out(tmp_path: Path) -> None:
    problems = Problems()
    found = _sessions(_parse(_write(tmp_path / "conversations.json", [_newer()]), problems))
    assert problems.count == 0
    [(start, turns, end)] = found
    assert start.source_id == "67a0c0de-0000-4000-8000-000000000001"
    assert start.title == "Newer shapes"
    assert start.started_at == _when(1_735_000_000.5)
    assert end.ended_at == _when(1_735_000_900.25)
    assert start.model == "gpt-4o"  # the last model_slug of the branch
    assert [(t.source_id, t.role, t.kind, t.tool_name) for t in turns] == [
        ("u1", "user", "text", None),
        ("a1", "assistant", "text", None),
        ("code", "assistant", "tool_call", "python"),
        ("out", "tool", "tool_result", "python"),
        ("a2", "assistant", "text", None),
        ("web", "tool", "tool_result", "web"),
        ("q", "tool", "tool_result", "vscode"),
        ("voice", "user", "text", None),
        ("fr", "assistant", "text", None),
    ]  # hidden system and context, thoughts, the recap and the empty message are left out
    by_id = {turn.source_id: turn for turn in turns}
    assert by_id["u1"].content == (
        "[image 1024x768, 240 KB]\n\nWhat is wrong in this chart?\n[file: chart.png]"
    )
    assert by_id["u1"].created_at == _when(1_735_000_010.0)
    assert by_id["code"].content == "print(sum(range(10)))"
    assert by_id["out"].content.startswith("45\nxxx")
    assert len(by_id["out"].content) == TOOL_TEXT_LIMIT and not by_id["out"].is_error
    assert by_id["web"].content == "[quote: Example Doc https://example.org/doc]\nA quoted passage."
    assert by_id["q"].content == "[app_pairing_content]"
    assert by_id["voice"].content == "and now in French\n\n[audio]"
    assert all("You are ChatGPT" not in t.content and "Be brief" not in t.content for t in turns)


def test_the_current_node_picks_the_branch_of_an_edited_prompt(tmp_path: Path) -> None:
    nodes = [
        _node("root", None, ["u1"], None),
        _node("u1", "root", ["a1"], "user", _text("first question"), at=1.0),
        _node("a1", "u1", ["u2", "u2b"], "assistant", _text("first answer"), at=2.0),
        _node("u2", "a1", ["a2"], "user", _text("original follow-up"), at=3.0),
        _node("a2", "u2", [], "assistant", _text("answer to the original"), at=4.0),
        _node("u2b", "a1", ["a2b"], "user", _text("edited follow-up"), at=5.0),
        _node("a2b", "u2b", [], "assistant", _text("answer to the edit"), at=6.0),
    ]
    path = tmp_path / "c.json"
    for current, expected in (("a2", "original"), ("a2b", "edited")):
        _write(path, [_conversation(nodes, current)])
        [(_, turns, _)] = _sessions(_parse(path))
        assert [t.content for t in turns][:2] == ["first question", "first answer"]
        assert len(turns) == 4
        assert turns[2].content == f"{expected} follow-up"
    # Without a usable current_node, the branch of the latest leaf.
    for current in (None, "no-such-node"):
        _write(path, [_conversation(nodes, current)])
        [(_, turns, _)] = _sessions(_parse(path))
        assert [t.source_id for t in turns] == ["u1", "a1", "u2b", "a2b"]


def test_odd_conversations_still_give_well_formed_transcripts(tmp_path: Path) -> None:
    cycle = [
        _node("x", "y", ["y"], "user", _text("in a loop"), at=1.0),
        _node("y", "x", ["x"], "assistant", _text("around"), at=2.0),
    ]
    odd = [
        _conversation([], None, conversation_id=None, id=None, title=None, create_time="?"),
        _conversation(cycle, "y"),
        _conversation(
            [_node("s", None, [], "system", _text("Be terse."))],
            "s",
            conversation_id=None,
            id="only-system",
        ),
    ]
    problems = Problems()
    found = _sessions(_parse(_write(tmp_path / "c.json", odd), problems))
    assert problems.count == 0
    assert [start.source_id for start, _, _ in found][::2] == ["conversation-1", "only-system"]
    assert found[0][0].title == "" and found[0][0].started_at is None and found[0][1] == []
    assert [t.content for t in found[1][1]] == ["in a loop", "around"]
    assert [(t.role, t.content) for t in found[2][1]] == [("system", "Be terse.")]


# --- broken files ------------------------------------------------------------------------------


def _simple(number: int) -> Record:
    nodes = [
        _node(f"u{number}", None, [f"a{number}"], "user", _text(f"question {number}"), at=1.0),
        _node(f"a{number}", f"u{number}", [], "assistant", _text(f"answer {number}"), at=2.0),
    ]
    return _conversation(nodes, f"a{number}", conversation_id=f"c{number}", id=f"c{number}")


def test_records_that_are_not_conversations_are_reported_by_position(tmp_path: Path) -> None:
    items = [_simple(1), "a string", {"title": "no mapping"}, _simple(4), [1, 2], _simple(6)]
    problems = Problems()
    found = _sessions(_parse(_write(tmp_path / "c.json", items), problems))
    assert [start.source_id for start, _, _ in found] == ["c1", "c4", "c6"]
    assert [(p.line, p.message) for p in problems.items] == [
        (2, "not a conversation (not a JSON object)"),
        (3, "conversation without a mapping of messages"),
        (5, "not a conversation (not a JSON object)"),
    ]
    assert problems.items[0].path == str(tmp_path / "c.json")


@pytest.mark.parametrize(
    "tail",
    [
        b', {"title": "cut", "mapping": {"x": {',  # the file ends inside a conversation
        b', {"title": "bad", "mapping": {}, "create_time": 1.0,,}]',  # a syntax error
        b', {"title": "bad \xff bytes"}]',  # not UTF-8
        b"] trailing",
    ],
)
def test_invalid_json_stops_cleanly_and_keeps_what_came_before(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(json.dumps([_simple(1), _simple(2)])[:-1].encode() + tail)
    problems = Problems()
    found = _sessions(_parse(path, problems))
    assert [start.source_id for start, _, _ in found] == ["c1", "c2"]
    assert [turn.content for turn in found[1][1]] == ["question 2", "answer 2"]
    assert problems.count == 1
    problem = problems.items[0]
    assert problem.line == 3
    assert problem.message.startswith("invalid JSON, the rest of the file was not read: ")
    assert "\n" not in problem.message


def test_a_file_that_is_not_an_array_is_reported(tmp_path: Path) -> None:
    for content in ('{"mapping": {}}', "", "   \n"):
        path = tmp_path / "c.json"
        path.write_text(content, encoding="utf-8")
        problems = Problems()
        assert _parse(path, problems) == []
        assert [p.line for p in problems.items] == [1]
    path.write_bytes(b"\xef\xbb\xbf \n" + json.dumps([_simple(1)]).encode())
    problems = Problems()
    assert len(_sessions(_parse(path, problems))) == 1 and problems.count == 0


def test_sniff(tmp_path: Path) -> None:
    name = Path("conversations.json")
    export = json.dumps([_simple(1)]).encode()
    assert chatgpt.sniff(export, name)
    assert chatgpt.sniff(b"\xef\xbb\xbf\n  " + export, name)
    assert chatgpt.sniff(export[:200], name)  # a head cut mid-conversation
    assert not chatgpt.sniff(json.dumps(_simple(1)).encode(), name)  # one object, not a list
    assert not chatgpt.sniff(b"[1, 2, 3]", name)
    assert not chatgpt.sniff(b'[{"mapping": 1}]', name)
    assert not chatgpt.sniff(b"", name)
    assert not chatgpt.sniff(b"User: what is a mapping? create_time\n", name)
    if REAL.exists():
        assert chatgpt.sniff(REAL.read_bytes()[:65536], REAL)
    for other in ("codex_rollout_fixture.jsonl", "claude_code_session_short_real.jsonl"):
        if (SHARED_FORMATS / other).exists():
            assert not chatgpt.sniff((SHARED_FORMATS / other).read_bytes()[:65536], name)


# --- streaming ---------------------------------------------------------------------------------


def _big_export(path: Path, target: int) -> int:
    """An export of ``target`` bytes or so, written conversation by conversation."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        while out.tell() < target:
            conversation = _simple(count)
            answer = conversation["mapping"][f"a{count}"]["message"]
            answer["content"]["parts"] = [f"answer {count} " + "lorem ipsum " * 400]
            out.write(("," if count else "") + json.dumps(conversation))
            count += 1
        out.write("]")
    return count


def test_a_large_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    count = _big_export(path, 30_000_000)
    size = path.stat().st_size
    seen: list[int] = []
    conversations = turns = 0
    tracemalloc.start()
    try:
        for event in chatgpt.parse(path, Problems(), seen.append):
            conversations += isinstance(event, Start)
            turns += isinstance(event, Turn)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (conversations, turns) == (count, 2 * count)
    assert peak < size // 30, peak  # under 1 MB for 30 MB of export
    assert len(seen) > 50
    assert seen == sorted(seen)
    assert seen[-1] == size
    steps = [after - before for before, after in itertools.pairwise(seen)]
    assert max(steps[:-1]) < 2 * chatgpt.PROGRESS_EVERY


# --- random input ------------------------------------------------------------------------------

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
PLACES = st.sampled_from(
    ["conversation", "mapping", "node", "message", "author", "content", "metadata", "parts"]
)
KEYS = st.sampled_from(
    [
        "title",
        "create_time",
        "update_time",
        "mapping",
        "current_node",
        "conversation_id",
        "id",
        "message",
        "parent",
        "children",
        "author",
        "role",
        "name",
        "content",
        "content_type",
        "parts",
        "text",
        "recipient",
        "metadata",
        "model_slug",
        "attachments",
        "width",
        "size_bytes",
        "is_visually_hidden_from_conversation",
        "aggregate_result",
        "url",
        "title",
    ]
)


def _place(conversation: Record, place: str, node_id: str) -> Record | None:
    mapping = conversation.get("mapping")  # an earlier mutation may have replaced or removed it
    if not isinstance(mapping, dict):
        return conversation if place == "conversation" else None
    node = mapping.get(node_id)
    message = node.get("message") if isinstance(node, dict) else None
    targets: dict[str, object] = {
        "conversation": conversation,
        "mapping": mapping,
        "node": node,
        "message": message,
        "author": message.get("author") if isinstance(message, dict) else None,
        "content": message.get("content") if isinstance(message, dict) else None,
        "metadata": message.get("metadata") if isinstance(message, dict) else None,
    }
    target = targets.get(place)
    return target if isinstance(target, dict) else None


@st.composite
def mutated(draw: st.DrawFn) -> object:
    """A real-shaped conversation with fields replaced or removed, or random JSON."""
    if draw(st.integers(0, 4)) == 0:
        return draw(VALUES)
    conversation = json.loads(json.dumps(_newer()))
    ids = list(conversation["mapping"])
    for _ in range(draw(st.integers(1, 4))):
        target = _place(conversation, draw(PLACES), draw(st.sampled_from(ids)))
        if target is None:
            continue
        key = draw(KEYS)
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(VALUES | st.sampled_from([*ids, "all", "tool", "multimodal_text"]))
    return conversation


@settings(max_examples=60, deadline=None)
@given(st.lists(mutated(), max_size=4), st.integers(0, 400))
def test_fuzz_any_export_gives_a_well_formed_stream(items: list[object], cut: int) -> None:
    text = json.dumps(items)
    with tempfile.TemporaryDirectory() as folder:
        for content in (text, text[: len(text) - cut]):  # whole, and cut short
            path = Path(folder) / "conversations.json"
            path.write_text(content, encoding="utf-8")
            for _, turns, _ in _sessions(_parse(path)):
                for turn in turns:
                    assert turn.role in ROLES and turn.kind in KINDS
                    assert turn.content.strip()
                    assert turn.created_at is None or turn.created_at.tzinfo is not None
                    if turn.kind != "text":
                        assert len(turn.content) <= TOOL_TEXT_LIMIT
                assert len({turn.source_id for turn in turns}) == len(turns)
