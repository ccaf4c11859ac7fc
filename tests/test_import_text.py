"""The plain-text transcript importer: speaker prefixes, multi-line turns, the fallback for
text without speakers, files and pasted text alike."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator_tui.importers import text
from orchestrator_tui.importers.model import ROLES, End, Event, Problems, Start, Turn


def _parse_text(source: str, problems: Problems | None = None) -> list[Event]:
    return list(text.parse_text(source, "chat.md", problems or Problems()))


def _turns(events: list[Event]) -> list[tuple[str, str]]:
    return [(event.role, event.content) for event in events if isinstance(event, Turn)]


def _start(events: list[Event]) -> Start:
    first = events[0]
    assert isinstance(first, Start)
    return first


@pytest.mark.parametrize(
    ("line", "role", "rest"),
    [
        ("User: hello", "user", "hello"),
        ("user:hello", "user", "hello"),
        ("HUMAN: hello", "user", "hello"),
        ("Me: hello", "user", "hello"),
        ("You: hello", "user", "hello"),
        ("You said:", "user", ""),
        ("Q: hello", "user", "hello"),
        ("Assistant: hi", "assistant", "hi"),
        ("AI: hi", "assistant", "hi"),
        ("Claude: hi", "assistant", "hi"),
        ("ChatGPT said:", "assistant", ""),
        ("GPT: hi", "assistant", "hi"),
        ("GPT-4o: hi", "assistant", "hi"),
        ("Bot: hi", "assistant", "hi"),
        ("Gemini: hi", "assistant", "hi"),
        ("copilot : hi", "assistant", "hi"),
        ("A: hi", "assistant", "hi"),
        # decorations
        ("**User:** hello", "user", "hello"),
        ("**User**: hello", "user", "hello"),
        ("__Assistant__:", "assistant", ""),
        ("*Claude:* hi", "assistant", "hi"),
        ("### Assistant", "assistant", ""),
        ("## User: hello", "user", "hello"),
        ("# **Human**", "user", ""),
        ("**A**", "assistant", ""),
        ("Assistant", "assistant", ""),
    ],
)
def test_speaker_prefixes(line: str, role: str, rest: str) -> None:
    assert text.speaker(line) == (role, rest)
    events = _parse_text(f"{line}\nmore")
    expected = f"{rest}\nmore" if rest else "more"
    assert _turns(events) == [(role, expected)]


@pytest.mark.parametrize(
    "line",
    [
        "Username: bob",
        "You should try it",
        "Assistant's answer was wrong",
        "A",  # a lone letter needs a colon or a decoration
        "Q",
        "**User: hello**",
        "The user: said so",
        "users: 3",
    ],
)
def test_lines_that_are_not_speakers(line: str) -> None:
    assert text.speaker(line) is None


def test_multi_line_turns_keep_inner_blank_lines() -> None:
    source = (
        "**User:** first line\n"
        "second line\n"
        "\n"
        "after a blank\n"
        "\n\n\n"
        "**Assistant:**\n"
        "\n"
        "  indented answer\n"
        "```python\n"
        "user: root  # a YAML-looking line inside code\n"
        "```\n"
        "\n"
        "---\n"
        "\n"
        "### User\n"
        "thanks\n"
    )
    events = _parse_text(source)
    assert _turns(events) == [
        ("user", "first line\nsecond line\n\nafter a blank"),
        (
            "assistant",
            "  indented answer\n```python\nuser: root  # a YAML-looking line inside code\n```",
        ),
        ("user", "thanks"),
    ]
    assert [e.source_id for e in events if isinstance(e, Turn)] == ["t0", "t1", "t2"]
    start, end = events[0], events[-1]
    assert isinstance(start, Start) and isinstance(end, End)
    assert start.title == end.title == "first line second line after a blank"
    assert start.source_format == "text"


def test_a_decorated_speaker_ends_an_open_code_block() -> None:
    source = "User: show me\nAssistant: here\n```\nunclosed\n**User:** next\n"
    assert _turns(_parse_text(source)) == [
        ("user", "show me"),
        ("assistant", "here\n```\nunclosed"),
        ("user", "next"),
    ]


def test_text_before_the_first_speaker_is_a_system_turn_and_the_title_waits() -> None:
    source = "# Chat about parsers\n\nAssistant: How can I help?\nUser: " + "x " * 100 + "\n"
    events = _parse_text(source)
    assert _turns(events) == [
        ("system", "# Chat about parsers"),
        ("assistant", "How can I help?"),
        ("user", ("x " * 100).strip()),
    ]
    title = _start(events).title
    assert len(title) <= 120 and title.endswith("…") and title.startswith("x x x")


def test_without_speakers_the_text_is_one_user_turn_and_a_problem() -> None:
    problems = Problems()
    events = _parse_text("\n\nSome notes I saved.\n\nA second paragraph.\n\n", problems)
    assert _turns(events) == [("user", "Some notes I saved.\n\nA second paragraph.")]
    assert problems.count == 1
    assert problems.items[0].message == text.NO_SPEAKER
    assert problems.items[0].path == "chat.md"


def test_only_assistant_turns_take_the_name_as_title() -> None:
    events = _parse_text("Assistant: hello")
    assert _start(events).title == "chat.md"
    end = events[-1]
    assert isinstance(end, End) and end.title is None


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff"])
def test_empty_text_gives_no_transcript(tmp_path: Path, content: str) -> None:
    problems = Problems()
    assert _parse_text(content, problems) == []
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    assert list(text.parse(path, problems, lambda read: None)) == []
    assert problems.count == 0
    assert not text.sniff(path.read_bytes(), path)


def test_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_bytes(b"User: one\r\ntwo\r\n\r\nAssistant: three\r\n")
    events = list(text.parse(path, Problems(), lambda read: None))
    assert _turns(events) == [("user", "one\ntwo"), ("assistant", "three")]


def test_a_very_long_line(tmp_path: Path) -> None:
    long_line = "word " * 400_000  # 2 MB on one line
    path = tmp_path / "chat.txt"
    path.write_text(f"User: {long_line}\nAssistant: ok\n", encoding="utf-8")
    seen: list[int] = []
    events = list(text.parse(path, Problems(), seen.append))
    assert _turns(events) == [("user", long_line.strip()), ("assistant", "ok")]
    assert seen[-1] == path.stat().st_size


def test_file_and_pasted_text_give_the_same_events_and_a_stable_id(tmp_path: Path) -> None:
    source = "\ufeffDate: 2024-08-05 19:33:02\nUser: hi\nAI: hello\n"
    path = tmp_path / "chat.md"
    path.write_text(source, encoding="utf-8")
    from_file = list(text.parse(path, Problems(), lambda read: None))
    assert from_file == _parse_text(source)
    start = _start(from_file)
    assert start.started_at == datetime(2024, 8, 5, 19, 33, 2, tzinfo=UTC)
    assert start.source_id.startswith("chat.md:")
    assert _turns(from_file) == [("user", "hi"), ("assistant", "hello")]
    assert _start(_parse_text(source.replace("hello", "hey"))).source_id != start.source_id


def test_a_mail_style_date_line_and_an_unreadable_one() -> None:
    events = _parse_text("Date: Mon, 5 Aug 2024 21:33:02 +0200\n\nUser: hi\n")
    assert _start(events).started_at == datetime(2024, 8, 5, 19, 33, 2, tzinfo=UTC)
    events = _parse_text("Date: last Tuesday\nUser: hi\n")
    assert _start(events).started_at is None
    assert _turns(events) == [("system", "Date: last Tuesday"), ("user", "hi")]


def test_sniff() -> None:
    path = Path("chat.txt")
    assert text.sniff(b"anything at all\n", path)
    assert not text.sniff(b"PK\x03\x04\x00\x00binary", path)
    assert not text.sniff(b"", path)


SPEAKER_LINES = ["User: hi", "**Assistant:**", "### Claude", "Q: why", "A:", "You said:"]
LINES = st.one_of(
    st.sampled_from([*SPEAKER_LINES, "", "---", "```", "Date: 2024-01-01", "  ", "*"]),
    st.text(max_size=30).map(lambda value: value.replace("\n", " ")),
)
TEXTS = st.one_of(
    st.text(max_size=300),
    st.tuples(st.lists(LINES, max_size=25), st.sampled_from(["\n", "\r\n"])).map(
        lambda parts: parts[1].join(parts[0])
    ),
)


def _accounted(source: str, events: list[Event]) -> None:
    """Every non-blank input line is in the turns, in order (a speaker line by the text after
    its name); the only lines left out are speaker names, closing rules and a leading date."""
    content = [
        line
        for event in events
        if isinstance(event, Turn)
        for line in event.content.split("\n")
        if line.strip()
    ]
    position = 0
    # Was the first line a date? Known from Start; with no events, a "Date:" line was read.
    dated = _start(events).started_at is not None if events else None
    for raw in source.removeprefix("\ufeff").split("\n"):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        found = text.speaker(line)
        if dated or (dated is None and line.lower().startswith("date:")):
            dated = False
            continue
        dated = False
        if position < len(content) and content[position] in {line, found and found[1]}:
            position += 1
        else:
            rule = set(line.strip()) <= {"-"} and len(line.strip()) >= 3
            assert found or rule, line
    assert position == len(content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_fuzz_never_raises_and_accounts_for_every_line(source: str) -> None:
    problems = Problems()
    events = _parse_text(source, problems)
    turns = [event for event in events if isinstance(event, Turn)]
    assert all(turn.role in ROLES and turn.kind == "text" and turn.content for turn in turns)
    assert len({turn.source_id for turn in turns}) == len(turns)
    if turns:
        assert isinstance(events[0], Start) and isinstance(events[-1], End)
        assert sum(isinstance(event, Start) for event in events) == 1
    else:
        assert events == []
    assert problems.count <= 1
    _accounted(source, events)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_fuzz_a_file_reads_like_the_same_text_pasted(source: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chat.md"
        path.write_bytes(source.encode("utf-8"))
        from_file = list(text.parse(path, Problems(), lambda read: None))
    assert from_file == _parse_text(source)
