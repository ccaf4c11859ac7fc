"""The Aider chat history importer: the real history file, and small histories written the way
aider writes them (its own lines end with two spaces)."""

from __future__ import annotations

import tempfile
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.importers import aider
from orchestrator_tui.importers.model import (
    ROLES,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    FileChange,
    Problems,
    Start,
    Turn,
)
from tests.conftest import SHARED_FORMATS

REAL = SHARED_FORMATS / "aider_chat_history_real_trimmed.md"


def _parse(path: Path, problems: Problems | None = None) -> list[Event]:
    return list(aider.parse(path, problems or Problems(), lambda read: None))


def _write(tmp_path: Path, text: str, name: str = ".aider.chat.history.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _sessions(events: list[Event]) -> list[tuple[Start, list[Event], End]]:
    """Split the stream into (Start, events, End), checking it is well formed."""
    sessions: list[tuple[Start, list[Event], End]] = []
    start: Start | None = None
    inner: list[Event] = []
    for event in events:
        if isinstance(event, Start):
            assert start is None, "a Start before the previous End"
            start, inner = event, []
        elif isinstance(event, End):
            assert start is not None
            sessions.append((start, inner, event))
            start = None
        else:
            assert start is not None, "an event outside a transcript"
            inner.append(event)
    assert start is None, "the last transcript has no End"
    return sessions


def _turns(inner: list[Event]) -> list[Turn]:
    return [event for event in inner if isinstance(event, Turn)]


def _session(events: list[Event], source_id: str) -> tuple[Start, list[Event], End]:
    return next(item for item in _sessions(events) if item[0].source_id == source_id)


def _real() -> Path:
    if not REAL.exists():
        pytest.skip("the shared formats folder is not here")
    return REAL


def test_real_history_one_session_per_header_plus_the_headless_start() -> None:
    path = _real()
    lines = path.read_text(encoding="utf-8").splitlines()
    headers = [line.removeprefix(aider.HEADER) for line in lines if line.startswith(aider.HEADER)]
    assert len(headers) == 24
    problems = Problems()
    sessions = _sessions(_parse(path, problems))
    assert problems.count == 0
    assert len(sessions) == 25
    headless = sessions[0][0]
    assert headless.source_id.startswith("start-")
    assert headless.started_at is None
    times = [start.started_at for start, _, _ in sessions[1:]]
    assert times == [datetime.fromisoformat(when).replace(tzinfo=UTC) for when in headers]
    ids = [start.source_id for start, _, _ in sessions]
    assert len(set(ids)) == 25
    assert ids[1] == "2024-08-05T19:33:02"
    for start, inner, _ in sessions:
        assert start.source_format == "aider"
        assert start.working_directory == str(path.resolve().parent)
        turn_ids = [turn.source_id for turn in _turns(inner)]
        assert len(set(turn_ids)) == len(turn_ids)
        assert all(str(turn_id).startswith(f"{start.source_id}:") for turn_id in turn_ids)


def test_real_history_consecutive_user_lines_are_one_turn() -> None:
    path = _real()
    lines = path.read_text(encoding="utf-8").splitlines()
    # Runs of consecutive "#### " lines, counted straight from the file.
    runs: list[list[str]] = []
    previous = False
    for line in lines:
        user = line.startswith("#### ")
        if user:
            if not previous:
                runs.append([])
            runs[-1].append(line[5:].rstrip())
        previous = user
    sessions = _sessions(_parse(path))
    users = [t for _, inner, _ in sessions for t in _turns(inner) if t.role == "user"]
    assert [t.content for t in users] == ["\n".join(run).strip("\n") for run in runs]
    assert len(users) < 63  # 63 user lines, fewer turns
    first = _turns(sessions[0][1])
    assert [t.role for t in first] == ["tool", "user", "tool"]
    assert first[1].content.startswith("# Fix any errors below, if possible.\n\n## Running:")
    assert first[1].content.count("\n") == len(runs[0]) - 1 == 41
    assert first[2].content == "^C KeyboardInterrupt"
    assert first[0].kind == "tool_result"
    assert len(first[0].content) <= TOOL_TEXT_LIMIT
    assert first[0].content.endswith("…")


def test_real_history_exact_turns_edits_and_commits() -> None:
    path = _real()
    lines = path.read_text(encoding="utf-8").splitlines()
    events = _parse(path)
    start, inner, end = _session(events, "2024-08-05T19:33:32")
    assert start.title == "Use the Spinner instead of the inlined custom spinner"
    assert start.model == "claude-3-5-sonnet-20240620"
    turns = _turns(inner)
    assert [(t.role, t.kind) for t in turns] == [
        ("tool", "tool_result"),
        ("user", "text"),
        ("assistant", "text"),
        ("tool", "tool_result"),
        ("user", "text"),
        ("user", "text"),
    ]
    reply_first = lines.index(turns[2].content.splitlines()[0])
    reply_last = lines.index(
        "> Tokens: 5,244 sent, 604 received. Cost: $0.02 request, $0.02 session.  "
    )
    assert turns[2].content == "\n".join(lines[reply_first : reply_last - 1])
    assert turns[2].content.startswith("Certainly! I'll modify the `run_install` function")
    assert 'spinner = Spinner("Installing...")' in turns[2].content
    assert turns[3].content == (
        "Tokens: 5,244 sent, 604 received. Cost: $0.02 request, $0.02 session.\n"
        "Applied edit to aider/utils.py\n"
        "Commit fd43cd4 feat: Use the Spinner instead of the inlined custom spinner\n"
        "You can use /undo to revert and discard commit fd43cd4."
    )
    assert [t.content for t in turns[4:]] == ["/diff", "/ex"]
    # The lines the reply's SEARCH/REPLACE block changed (44 lines became 39; the lines
    # both sides begin and end with are context).
    assert [e for e in inner if isinstance(e, FileChange)] == [
        FileChange("aider/utils.py", "modified", 16, 21)
    ]
    assert end.notes == [
        "commit fd43cd4 feat: Use the Spinner instead of the inlined custom spinner"
    ]
    assert end.title == start.title

    # Both commits of this session were undone with /undo: no notes, the edit stays.
    _, inner, end = _session(events, "2024-08-06T10:03:58")
    assert end.notes == []
    assert [e for e in inner if isinstance(e, FileChange)] == [FileChange("aider/commands.py")]

    # An interrupted reply leaves a code fence open; aider's next user line still counts.
    _, inner, _ = _session(events, "2024-08-06T09:44:24")
    users = [t.content for t in _turns(inner) if t.role == "user"]
    assert users[-1] == (
        "if we can get a language, add it to `platform_text`. but don't assume english as a "
        "fallback, just omit the language info."
    )

    # Headers with nothing after them are still sessions, with no turns.
    start, inner, end = _session(events, "2024-08-06T09:15:50")
    assert inner == [] and start.title == "" and end.notes == []


def test_progress_reaches_the_file_size(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "# aider chat started at 2024-08-05 19:33:02\n\n" + f"> {'x' * 100}  \n" * 12_000
    )
    seen: list[int] = []
    list(aider.parse(path, Problems(), seen.append))
    assert seen == sorted(seen)
    assert len(seen) >= 4
    assert seen[-1] == path.stat().st_size


HISTORY = Path(__file__).parent / "fixtures" / "aider" / "history.md"


def test_own_history_groups_edits_commits_and_repeated_times() -> None:
    sessions = _sessions(_parse(HISTORY))
    # The mode line is not a turn: no headless start.
    assert [s.source_id for s, _, _ in sessions] == [
        "2024-08-05T19:33:02",
        "2024-08-05T19:33:02#2",
        "2024-08-05T19:33:02#3",
    ]
    start, inner, end = sessions[0]
    assert start.started_at == datetime(2024, 8, 5, 19, 33, 2, tzinfo=UTC)
    assert start.title == "fix the bug in parse()"
    assert start.model == "claude-3-5-sonnet"
    turns = _turns(inner)
    assert [(t.role, t.source_id) for t in turns] == [
        ("tool", "2024-08-05T19:33:02:0"),
        ("user", "2024-08-05T19:33:02:1"),
        ("assistant", "2024-08-05T19:33:02:2"),
        ("tool", "2024-08-05T19:33:02:3"),
        ("user", "2024-08-05T19:33:02:4"),
        ("tool", "2024-08-05T19:33:02:5"),
    ]
    assert turns[1].content == "fix the bug\nin parse()"
    assert turns[2].content.startswith("Sure. Here is the change:\n\nsrc/x.py\n```python")
    assert turns[2].content.endswith(">>>>>>> REPLACE\n```")
    # One group of tool lines, blank ">" lines inside it kept; the confirm question stays.
    assert turns[3].content.startswith("Tokens: 5 sent, 6 received.\nApplied edit to src/x.py")
    assert (
        "Commit 1a2b3c4 fix: Handle the bug in parse\n\n# Fix any errors below" in turns[3].content
    )
    assert turns[3].content.endswith("Add README.md to the chat? n")
    changes = [e for e in inner if isinstance(e, FileChange)]
    # src/x.py: "old" became "new"; src/y.py, edited by the lint fix, was in no block.
    assert changes == [
        FileChange("src/x.py", "modified", 1, 1),
        FileChange("src/y.py", "modified"),
    ]
    assert end.notes == ["commit 1a2b3c4 fix: Handle the bug in parse"]  # 5d6e7f8 was undone
    assert end.title == "fix the bug in parse()"
    # The same path edited in another session is that session's change too.
    assert [e for e in sessions[2][1] if isinstance(e, FileChange)] == [FileChange("src/x.py")]
    assert [t.content for t in _turns(sessions[1][1])] == ["again"]


def test_text_before_the_first_header_is_the_headless_start(tmp_path: Path) -> None:
    text = (
        "-*- mode: fundamental -*-\n"
        "to the end  \n"
        "\n"
        "> Applied edit to a.py  \n"
        "\n"
        "#### thanks  \n"
        "\n"
        "# aider chat started at 2024-08-06 09:00:00\n"
    )
    sessions = _sessions(_parse(_write(tmp_path, text)))
    assert len(sessions) == 2
    start, inner, end = sessions[0]
    assert start.source_id.startswith("start-") and start.started_at is None
    assert [(t.role, t.content) for t in _turns(inner)] == [
        ("assistant", "to the end  "),
        ("tool", "Applied edit to a.py"),
        ("user", "thanks"),
    ]
    assert end.title == "thanks"
    # Another file's headless start does not share the id (ids are global in the database).
    other = _sessions(_parse(_write(tmp_path, "#### other  \n", "other.aider.chat.history.md")))
    assert other[0][0].source_id != start.source_id


def test_unreadable_header_time_keeps_the_session_and_reports_the_line(tmp_path: Path) -> None:
    text = "# aider chat started at 2024-08-05 19:33:02\n\n#### a  \n\n" + (
        "# aider chat started at yesterday-ish\n\n#### b  \n\nreply\n"
    )
    problems = Problems()
    sessions = _sessions(_parse(_write(tmp_path, text), problems))
    assert len(sessions) == 2
    start, inner, _ = sessions[1]
    assert start.started_at is None
    assert start.source_id == "yesterday-ish"
    assert [t.content for t in _turns(inner)] == ["b", "reply"]
    assert problems.count == 1
    assert problems.items[0].line == 5
    assert "yesterday-ish" in problems.items[0].message


def test_markdown_inside_a_reply_code_block_stays_in_the_reply(tmp_path: Path) -> None:
    text = (
        "# aider chat started at 2024-08-05 19:33:02\n\n"
        "#### edit the readme  \n\n"
        "README.md\n"
        "```markdown\n"
        "<<<<<<< SEARCH\n"
        "#### Install\n"
        "> a quote\n"
        "=======\n"
        "#### Installing\n"
        ">>>>>>> REPLACE\n"
        "```\n\n"
        "> Applied edit to README.md  \n"
    )
    turns = _turns(_sessions(_parse(_write(tmp_path, text)))[0][1])
    assert [t.role for t in turns] == ["user", "assistant", "tool"]
    assert "#### Install\n> a quote\n=======\n#### Installing" in turns[1].content


def test_long_tool_output_is_shortened_and_crlf_is_read(tmp_path: Path) -> None:
    lines = ["# aider chat started at 2024-08-05 19:33:02", ""]
    lines += [f"> line {number} of a long lint report  " for number in range(5000)]
    lines += ["", "#### go on  "]
    path = tmp_path / ".aider.chat.history.md"
    path.write_bytes("\r\n".join(lines).encode())
    turns = _turns(_sessions(_parse(path))[0][1])
    assert turns[0].content.startswith("line 0 of a long lint report\nline 1 of")
    assert len(turns[0].content) == TOOL_TEXT_LIMIT
    assert turns[0].content.endswith("…")
    assert turns[1].content == "go on"
    assert "\r" not in turns[0].content + turns[1].content


def test_sniff() -> None:
    plain = Path("notes.md")
    assert aider.sniff(b"", Path("/repo/.aider.chat.history.md"))
    assert aider.sniff(b"# aider chat started at 2024-08-05 19:33:02\n", plain)
    assert aider.sniff(b"-*- mode: fundamental -*-\r\n\r\n# aider chat started at 2024\r\n", plain)
    assert not aider.sniff(b"# Notes\n\n#### a heading\n> a quote\n", plain)
    assert not aider.sniff(b"We said # aider chat started at noon.\n", plain)


def test_a_large_history_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / ".aider.chat.history.md"
    reply = "\n".join(f"Line {n} of the reply: " + "lorem ipsum " * 80 for n in range(20))
    block = (
        "\n# aider chat started at 2024-08-05 19:33:02\n\n"
        "> /usr/bin/aider  \n> Model: gpt-4o with whole edit format  \n\n"
        "#### do the thing  \n\n" + reply + "\n\n"
        "> Applied edit to a.py  \n> Commit 1a2b3c4 feat: thing  \n"
    )
    count = 20_000_000 // len(block) + 1
    with path.open("w", encoding="utf-8") as file:
        for _ in range(count):
            file.write(block)
    size = path.stat().st_size
    assert size >= 20_000_000
    sessions = turns = 0
    tracemalloc.start()
    try:
        for event in aider.parse(path, Problems(), lambda read: None):
            sessions += isinstance(event, Start)
            turns += isinstance(event, Turn)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sessions == count
    assert turns == 4 * count
    assert peak < size // 20, peak  # under 1 MB for 20 MB of history


AIDER_LINES = st.one_of(
    st.sampled_from(
        [
            "# aider chat started at 2024-08-05 19:33:02",
            "# aider chat started at never",
            "#### a request  ",
            "####",
            "> Applied edit to a.py  ",
            "> Commit 1a2b3c4 fix: x  ",
            "> Removed: 1a2b3c4 fix: x  ",
            ">",
            "```",
            "",
            "-*- mode: fundamental -*-",
        ]
    ),
    st.text(max_size=30).map(lambda value: value.replace("\n", " ")),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(AIDER_LINES, max_size=30))
def test_fuzz_any_lines_give_a_well_formed_stream(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ".aider.chat.history.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        sessions = _sessions(_parse(path))
    headers = sum(line.startswith(aider.HEADER) for line in lines)
    assert headers <= len(sessions) <= headers + 1
    assert len({start.source_id for start, _, _ in sessions}) == len(sessions)
    for start, inner, end in sessions:
        turns = _turns(inner)
        assert len({turn.source_id for turn in turns}) == len(turns)
        assert all(turn.role in ROLES and turn.content for turn in turns)
        assert all(str(turn.source_id).startswith(f"{start.source_id}:") for turn in turns)
        changes = [event.path for event in inner if isinstance(event, FileChange)]
        assert len(set(changes)) == len(changes)
        assert all(note.startswith("commit ") for note in end.notes)


def test_proposed_edits_count_search_replace_blocks_and_diffs() -> None:
    reply = (
        "Here is the change:\n\n"
        "src/a.py\n```python\n<<<<<<< SEARCH\ndef f():\n    return 1\n=======\n"
        "def f():\n    return 2\n\n\nf()\n>>>>>>> REPLACE\n```\n\n"
        # diff-fenced: the path inside the fence; the same path again adds up
        "```python\nsrc/a.py\n<<<<<<< SEARCH\nx = 1\n=======\n>>>>>>> REPLACE\n```\n\n"
        "```diff\n--- a/docs/b.md\n+++ b/docs/b.md\n@@ -1,2 +1,2 @@\n-old line\n+new line\n"
        "+another\n context\n--- a/c.txt\n+++ b/c.txt\n@@ -1 +0,0 @@\n-gone\n```\n"
        # no path can be told: nothing counted
        "Then do this:\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n"
    )
    assert aider.proposed_edits(reply) == {
        "src/a.py": [4, 2],  # "return 1" -> "return 2" and three more lines; then x = 1 removed
        "docs/b.md": [2, 1],
        "c.txt": [0, 1],
    }
