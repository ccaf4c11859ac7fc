"""What every importer produces: a stream of events, read from the file as it goes.

A parser never holds a whole transcript (files reach hundreds of MB): it yields, for each
transcript in the file or folder, one ``Start``, then its ``Turn`` and ``FileChange`` events,
then one ``End``. The import service writes them as they arrive, inside one transaction.

Malformed lines or records are not errors: the parser skips them and tells ``Problems``
with the line number (or the record's position), and carries on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROLES = ("user", "assistant", "tool", "system")
KINDS = ("text", "tool_call", "tool_result", "summary")
CHANGES = ("created", "modified", "deleted")
MAIN_THREAD = ""  # Turn.thread of the main conversation; sidechains name theirs

TOOL_TEXT_LIMIT = 400  # tool calls and results are kept short: this many characters
TITLE_LIMIT = 120  # a transcript's title: one line of at most this many characters
PROGRESS_EVERY = 256 * 1024  # bytes read between two calls of a parser's ``progress``
# A transcript's first events wait for its title (Start carries it) up to these limits.
HOLD_CHARS = 256 * 1024
HOLD_EVENTS = 500


@dataclass(frozen=True)
class Start:
    """A transcript begins. ``source_id`` identifies it in its source, stably across
    re-imports (Claude Code's sessionId, ChatGPT's conversation id, ...)."""

    source_format: str
    source_id: str
    title: str = ""
    started_at: datetime | None = None  # aware UTC
    working_directory: str | None = None
    git_branch: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Turn:
    """One turn of the conversation. ``source_id`` is the source's own message id (unique
    within the transcript): importing the file again skips turns already stored."""

    role: str  # one of ROLES
    content: str
    source_id: str | None = None
    created_at: datetime | None = None  # aware UTC
    kind: str = "text"  # one of KINDS
    tool_name: str | None = None
    is_error: bool = False
    thread: str = MAIN_THREAD  # a sidechain (subagent) names its own thread


@dataclass(frozen=True)
class FileChange:
    """A file the session created, edited or deleted."""

    path: str
    change: str = "modified"  # one of CHANGES
    lines_added: int = 0
    lines_removed: int = 0


@dataclass(frozen=True)
class Usage:
    """Token counts, with Anthropic's field names."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


@dataclass(frozen=True)
class End:
    """The transcript is over. Fields left None keep what ``Start`` said."""

    title: str | None = None
    ended_at: datetime | None = None
    usage: Usage | None = None
    notes: list[str] = field(default_factory=list)  # e.g. the commits an Aider session made


Event = Start | Turn | FileChange | End


class TitleGate:
    """Holds a transcript's first events back until its title is known, because Start (which
    carries the title) must go out first; lets them go early when too much text waits.

    ``make_start`` builds Start from what the importer knows when the gate opens.
    """

    def __init__(self, make_start: Callable[[], Start]) -> None:
        self._make_start = make_start
        self._held: list[Event] | None = []  # None once Start went out
        self._held_chars = 0

    def send(self, event: Event, *, titled: bool) -> Iterator[Event]:
        if self._held is None:
            yield event
            return
        self._held.append(event)
        self._held_chars += len(event.content) if isinstance(event, Turn) else 0
        if titled or self._held_chars > HOLD_CHARS or len(self._held) > HOLD_EVENTS:
            yield from self.open()

    def open(self) -> Iterator[Event]:
        """Start, then everything held back; nothing when the gate is already open."""
        if self._held is None:
            return
        held, self._held = self._held, None
        yield self._make_start()
        yield from held


@dataclass(frozen=True)
class Problem:
    """A line or record that was skipped, and why."""

    path: str
    line: int  # 1-based line number; for JSON documents, the record's 1-based position
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Problems:
    """Collects what was skipped. Keeps the first ``limit`` in full and counts the rest."""

    limit: int = 200
    items: list[Problem] = field(default_factory=list)
    count: int = 0

    def report(self, path: Path | str, line: int, message: str) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(Problem(str(path), line, message))


# A parser reads one file and yields its events. ``progress(n)`` is told the number of bytes
# read so far in that file, now and then (every few hundred KB is enough).
Progress = Callable[[int], None]
Parser = Callable[[Path, Problems, Progress], Iterator[Event]]


def shorten(text: str, limit: int = TOOL_TEXT_LIMIT) -> str:
    """``text`` on at most ``limit`` characters, cut at the end with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def edit_counts(old: list[str], new: list[str]) -> tuple[int, int]:
    """Lines added and removed by replacing the lines ``old`` with ``new``. The lines both
    begin or end with are context (an edit's old text carries some to be unique), not
    changes."""
    same = min(len(old), len(new))
    head = 0
    while head < same and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < same - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return len(new) - head - tail, len(old) - head - tail


def title_line(text: str) -> str:
    """``text`` on one line, shortened to a title."""
    return shorten(" ".join(text.split()), TITLE_LIMIT)


def parse_time(value: object) -> datetime | None:
    """An aware UTC time from an ISO 8601 string (``Z`` or an offset; naive means UTC) or a
    Unix timestamp in seconds; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), tz=UTC)
        if isinstance(value, str) and value.strip():
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None
