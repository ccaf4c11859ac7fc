"""Aider's chat history (``.aider.chat.history.md``), read line by line.

Aider appends every run to one Markdown file in the repository's root (``aider/io.py``): a
``# aider chat started at <time>`` header, the user's input as ``#### `` lines, its own
messages as ``> `` lines, and the model's replies as plain Markdown. Aider ends each of its
own lines with two spaces (a Markdown line break); replies are written as they came.

One transcript per header. Text before the first header (a file that was cut and begins
mid-session) is a transcript of its own when it has a turn. The header's time is the local
time of the machine that wrote it, with no zone: it is read as UTC.

A session's id is its header time ("2024-08-05T19:33:02", then "#2", "#3" for the same time
again in the file); the headless start's is "start-" and a hash of the text before the first
header, so that two files' headless starts are not taken for one session. Turn ids are
"<session id>:<index>". The title is the first request that is not a slash command.
"Applied edit to <path>" gives a FileChange, with the lines added and removed that the reply
before it proposed for that path (its SEARCH/REPLACE blocks, or a unified diff; a whole-file
edit has no counts); "Commit <hash> <message>" a note of the End (unless a later "/undo"
removed that commit).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from orchestrator_tui.importers.model import (
    PROGRESS_EVERY,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    FileChange,
    Problems,
    Progress,
    Start,
    TitleGate,
    Turn,
    edit_counts,
    shorten,
    title_line,
)

FORMAT = "aider"
HISTORY_NAME = ".aider.chat.history.md"
HEADER = "# aider chat started at "
HEADER_TIME = "%Y-%m-%d %H:%M:%S"
# A tool group keeps this much text before shortening (the rest is dropped as it streams).
TOOL_KEEP = 4 * TOOL_TEXT_LIMIT
HEADLESS_HASH_BYTES = 64 * 1024

_COMMIT = re.compile(r"Commit ([0-9a-f]{7,40}) (.+)")
_UNDONE = re.compile(r"Removed: ([0-9a-f]{7,40}) ")
_APPLIED = "Applied edit to "
_MODEL = re.compile(r"(?:Main model|Models?): (\S+)")
_MODE_LINE = re.compile(r"-\*-.*-\*-\s*")
_FENCE = re.compile(r"\s{0,3}(```|~~~)")
_SEARCH, _DIVIDER, _REPLACE = "<<<<<<< SEARCH", "=======", ">>>>>>> REPLACE"

USER, TOOL, REPLY = "user", "tool", "reply"


def sniff(head: bytes, path: Path) -> bool:
    if path.name.endswith(HISTORY_NAME):
        return True
    marker = HEADER.encode()
    return head.removeprefix(b"\xef\xbb\xbf").startswith(marker) or b"\n" + marker in head


def parse(path: Path, problems: Problems, progress: Progress) -> Iterator[Event]:
    """The transcripts of an Aider history file. The working directory of each is the
    file's folder: aider keeps its history in the repository's root."""
    folder = str(path.resolve().parent)
    with path.open("rb") as file:
        headless_id = _headless_id(file.read(HEADLESS_HASH_BYTES))
        file.seek(0)
        reader = _Reader(path, folder, headless_id, problems)
        read = reported = 0
        for number, raw in enumerate(file, 1):
            read += len(raw)
            if read - reported >= PROGRESS_EVERY:
                progress(read)
                reported = read
            yield from reader.feed(number, raw.decode("utf-8", "replace").rstrip("\r\n"))
        yield from reader.finish()
        progress(read)


def _headless_id(head: bytes) -> str:
    """The id of the text before the first header: a hash of it, so that the headless
    starts of different files never share an id (that text never changes: aider appends)."""
    marker = HEADER.encode()
    cut = 0 if head.startswith(marker) else head.find(b"\n" + marker)
    before = head if cut < 0 else head[:cut]
    return "start-" + hashlib.sha256(before).hexdigest()[:12]


class _Transcript:
    """One session of the file: numbers its turns, collects its edits and commits, and
    holds its first events back until the title is known (or too much waits)."""

    def __init__(
        self, source_id: str, started_at: datetime | None, folder: str, *, headless: bool
    ) -> None:
        self.source_id = source_id
        self.started_at = started_at
        self.folder = folder
        self.headless = headless
        self.turns = 0
        self.title: str | None = None
        self.model: str | None = None
        self.edited: set[str] = set()
        # path -> [added, removed] the latest reply proposed and no "Applied edit" took yet
        self.proposed: dict[str, list[int]] = {}
        self.commits: dict[str, str] = {}  # hash -> note, in commit order
        self.gate = TitleGate(self._start)

    def turn(self, role: str, content: str, kind: str = "text") -> Iterator[Event]:
        event = Turn(role, content, source_id=f"{self.source_id}:{self.turns}", kind=kind)
        self.turns += 1
        # A slash command (/add, /ex) says little about the session: the title is the first
        # real request.
        if role == USER and self.title is None and not content.startswith("/"):
            self.title = title_line(content)
        yield from self._send(event)

    def tool_line(self, text: str) -> Iterator[Event]:
        """Notes what one line of aider's output says: an edit, a commit, an undo, the model."""
        if text.startswith(_APPLIED):
            path = text.removeprefix(_APPLIED).strip()
            added, removed = self.proposed.pop(path, (0, 0))
            if path and (path not in self.edited or added or removed):
                self.edited.add(path)  # the import sums a path's changes
                yield from self._send(FileChange(path, "modified", added, removed))
        elif commit := _COMMIT.fullmatch(text):
            self.commits[commit[1]] = f"commit {commit[1]} {commit[2].strip()}"
        elif undone := _UNDONE.match(text):
            self.commits.pop(undone[1], None)
        elif self.model is None and (model := _MODEL.match(text)):
            self.model = model[1].rstrip(",")

    def end(self) -> Iterator[Event]:
        if self.headless and self.turns == 0:
            return
        yield from self.gate.open()
        yield End(title=self.title, notes=list(self.commits.values()))

    def _send(self, event: Event) -> Iterator[Event]:
        yield from self.gate.send(event, titled=self.title is not None)

    def _start(self) -> Start:
        return Start(
            source_format=FORMAT,
            source_id=self.source_id,
            title=self.title or "",
            started_at=self.started_at,
            working_directory=self.folder,
            model=self.model,
        )


class _Reader:
    """The line-by-line state: the block being read (the user's lines, a group of tool
    lines, or a reply) and the transcript it belongs to."""

    def __init__(self, path: Path, folder: str, headless_id: str, problems: Problems) -> None:
        self.path = path
        self.folder = folder
        self.problems = problems
        self.ids: Counter[str] = Counter()
        self.current = _Transcript(headless_id, None, folder, headless=True)
        self.kind = REPLY
        self.lines: list[str] = []
        self.tool_chars = 0
        self.tool_cut = False
        self.fence = False  # inside a reply's open code fence

    def feed(self, number: int, line: str) -> Iterator[Event]:
        if number == 1:
            line = line.removeprefix("\ufeff")
            if _MODE_LINE.fullmatch(line):  # an Emacs mode line aider puts on top
                return
        if line.startswith(HEADER):
            yield from self._flush()
            yield from self.current.end()
            self.current = self._header(number, line.removeprefix(HEADER).strip())
            return
        kind = self._classify(line)
        if kind != self.kind:
            yield from self._flush()
            self.kind = kind
        if kind == USER:
            self.lines.append(line[5:].rstrip())
        elif kind == TOOL:
            yield from self._tool(line[2:].rstrip())
        elif self.lines or line.strip():  # a reply: leading blank lines are not kept
            self.lines.append(line)
            if _FENCE.match(line):
                self.fence = not self.fence

    def finish(self) -> Iterator[Event]:
        yield from self._flush()
        yield from self.current.end()

    def _classify(self, line: str) -> str:
        user = line == "####" or line.startswith("#### ")
        tool = line == ">" or line.startswith("> ")
        # Inside a code block of a reply (an edit of a Markdown file), "#### " and "> " are
        # the file's text, unless the line ends as aider ends its own lines: an interrupted
        # reply leaves its fence open.
        if (user or tool) and self.kind == REPLY and self.fence and not line.endswith("  "):
            return REPLY
        return USER if user else TOOL if tool else REPLY

    def _tool(self, text: str) -> Iterator[Event]:
        yield from self.current.tool_line(text.strip())
        if self.tool_chars < TOOL_KEEP:
            self.lines.append(text)
            self.tool_chars += len(text) + 1
        elif text.strip():
            self.tool_cut = True

    def _header(self, number: int, when: str) -> _Transcript:
        try:
            started: datetime | None = datetime.strptime(when, HEADER_TIME).replace(tzinfo=UTC)
        except ValueError:
            started = None
            self.problems.report(self.path, number, f"unreadable time in session header: {when!r}")
        base = started.strftime("%Y-%m-%dT%H:%M:%S") if started else (when or "unknown")
        self.ids[base] += 1
        count = self.ids[base]
        source_id = base if count == 1 else f"{base}#{count}"
        return _Transcript(source_id, started, self.folder, headless=False)

    def _flush(self) -> Iterator[Event]:
        lines, self.lines = self.lines, []
        kind, cut = self.kind, self.tool_cut
        self.tool_chars, self.tool_cut, self.fence = 0, False, False
        if kind == USER:
            text = "\n".join(lines).strip("\n")
            if text.strip():
                yield from self.current.turn("user", text)
        elif kind == TOOL:
            text = shorten("\n".join(lines))
            if cut and not text.endswith("…"):
                text = shorten(text + " …")
            if text:
                yield from self.current.turn("tool", text, "tool_result")
        else:
            text = "\n".join(_trim_blank(lines))
            if text:
                self.current.proposed = proposed_edits(text)
                yield from self.current.turn("assistant", text)


def _trim_blank(lines: list[str]) -> Iterable[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _looks_like_path(line: str) -> bool:
    """A line that can name the file of an edit block (not a fence, marker or sentence)."""
    if (
        not line
        or len(line) > 500
        or _FENCE.match(line)
        or line.startswith(("<<<<", "====", ">>>>"))
    ):
        return False
    return not any(char.isspace() for char in line) or "/" in line or "\\" in line


def proposed_edits(reply: str) -> dict[str, list[int]]:
    """The lines added and removed per path by the edits a reply proposes: SEARCH/REPLACE
    blocks (the path on the line before the fence, or first inside it) and unified diffs
    (``+++ b/path``)."""
    counts: dict[str, list[int]] = {}
    lines = reply.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if line == _SEARCH:
            before = [item.strip() for item in lines[max(0, index - 2) : index]]
            path = ""  # aider names the file before every block
            if before and _looks_like_path(before[-1]):
                path = before[-1]  # the fence first, then the path (diff-fenced)
            elif len(before) == 2 and _FENCE.match(before[1]) and _looks_like_path(before[0]):
                path = before[0]  # the path, then the fence (diff)
            old: list[str] = []
            new: list[str] = []
            target = old
            index += 1
            while index < len(lines) and lines[index].rstrip() != _REPLACE:
                if lines[index].rstrip() == _DIVIDER and target is old:
                    target = new
                else:
                    target.append(lines[index])
                index += 1
            if path:
                added, removed = edit_counts(old, new)
                total = counts.setdefault(path, [0, 0])
                total[0] += added
                total[1] += removed
        elif line.startswith("+++ ") and index and lines[index - 1].startswith("--- "):
            path = line[4:].strip().removeprefix("b/")
            total = counts.setdefault(path, [0, 0])
            index += 1
            while index < len(lines) and not _FENCE.match(lines[index]):
                next_file = index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
                if lines[index].startswith("--- ") and next_file:
                    break  # the next file of the diff
                if lines[index].startswith("+"):
                    total[0] += 1
                elif lines[index].startswith("-"):
                    total[1] += 1
                index += 1
            continue
        index += 1
    return counts
