"""Plain-text conversations: a chat pasted or saved as text or Markdown.

A turn starts at a line that names its speaker ("User:", "**Assistant:**", "### Claude",
"ChatGPT said:", "Q: ...") and runs to the next such line. Speaker names, in any case:
User, Human, Me, You, Q for the user; Assistant, AI, Claude, ChatGPT, GPT, Bot, Gemini,
Copilot, A for the assistant (a version may follow a hyphen: "GPT-4o:"). The name may be
bold or italic and may be a Markdown heading; a name alone on its line needs the colon or a
decoration when it is a single letter. Inside a fenced code block only a decorated name
starts a turn ("user: root" in a YAML block is code).

Text before the first speaker is kept as one ``system`` turn (a title, a note, the "Date:"
line aside). A text with no speaker at all becomes one user turn, and a problem says so;
an empty text yields no transcript. Horizontal rules ("---") that close a turn are dropped.
A leading "Date: ..." line that reads as a time gives the start time. One transcript per
file; its id is the file name plus a hash of its first 64 KiB, so importing the same file
again finds it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO

from orchestrator_tui.importers.model import (
    PROGRESS_EVERY,
    End,
    Event,
    Problems,
    Progress,
    Start,
    TitleGate,
    Turn,
    parse_time,
    title_line,
)

FORMAT = "text"
HASH_BYTES = 64 * 1024
NO_SPEAKER = "no speaker prefixes found: imported as one turn"

USER_NAMES = ("user", "human", "me", "you", "q")
ASSISTANT_NAMES = ("assistant", "ai", "claude", "chatgpt", "gpt", "bot", "gemini", "copilot", "a")
_ROLE = {name: "user" for name in USER_NAMES} | {name: "assistant" for name in ASSISTANT_NAMES}

_NAMES = "|".join(sorted(_ROLE, key=len, reverse=True))
_HEADING = r"[ \t]{0,3}(?P<heading>#{1,6}[ \t]+)?"
_NAME = rf"(?P<name>{_NAMES})(?:-[\w.]+)?(?:[ \t]+said)?"
_MARK = r"(?P<mark>\*\*|__|\*|_)?[ \t]*"
_CLOSE = r"(?(mark)(?P=mark))"
# "User: text", "**User:** text", "**User**: text", "### Assistant: text"
_WITH_COLON = re.compile(
    rf"{_HEADING}{_MARK}{_NAME}[ \t]*(?:{_CLOSE}[ \t]*:|:[ \t]*{_CLOSE})(?P<rest>.*)",
    re.IGNORECASE,
)
# "### Assistant", "**User**", "ChatGPT" alone on the line
_ALONE = re.compile(rf"{_HEADING}{_MARK}{_NAME}[ \t]*{_CLOSE}[ \t]*", re.IGNORECASE)
_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")
_RULE = re.compile(r"[ \t]*(?:-{3,}|\*{3,}|_{3,})[ \t]*")
_DATE = re.compile(r"date:[ \t]*(?P<value>.+)", re.IGNORECASE)


def sniff(head: bytes, path: Path) -> bool:
    """Any text will do (this format is tried last); not a binary file, nor an empty one."""
    return b"\x00" not in head and bool(head.removeprefix(b"\xef\xbb\xbf").strip())


def parse(path: Path, problems: Problems, progress: Progress) -> Iterator[Event]:
    with path.open("rb") as file:
        digest = hashlib.sha256(file.read(HASH_BYTES)).hexdigest()
        file.seek(0)
        yield from _events(_file_lines(file, progress), path.name, digest, str(path), problems)


def parse_text(text: str, name: str, problems: Problems) -> Iterator[Event]:
    """The events of pasted text, as ``parse`` would give for a file of that text named
    ``name``."""
    head = text[:HASH_BYTES].encode("utf-8", "surrogatepass")[:HASH_BYTES]
    digest = hashlib.sha256(head).hexdigest()
    lines = (line.rstrip("\r\n") for line in io.StringIO(text))
    yield from _events(lines, name, digest, name, problems)


def speaker(line: str, *, in_code: bool = False) -> tuple[str, str] | None:
    """``(role, rest of the line)`` when ``line`` starts a turn, else None. In a code
    block, only a decorated name (heading, bold, italic) counts."""
    match = _WITH_COLON.fullmatch(line)
    rest = match["rest"].strip() if match else ""
    if match is None:
        match = _ALONE.fullmatch(line)
        if match is None or (len(match["name"]) == 1 and not _decorated(match)):
            return None
    if in_code and not _decorated(match):
        return None
    return _ROLE[match["name"].lower()], rest


def _decorated(match: re.Match[str]) -> bool:
    return bool(match["heading"] or match["mark"])


def _file_lines(file: BinaryIO, progress: Progress) -> Iterator[str]:
    read = reported = 0
    for raw in file:
        read += len(raw)
        if read - reported >= PROGRESS_EVERY:
            progress(read)
            reported = read
        yield raw.decode("utf-8", "replace").rstrip("\r\n")
    progress(read)


def _read_date(line: str) -> datetime | None:
    match = _DATE.fullmatch(line.strip())
    if match is None:
        return None
    value = match["value"].strip()
    found = parse_time(value)
    if found is None:
        try:
            found = parsedate_to_datetime(value)  # "Mon, 5 Aug 2024 19:33:02 +0000"
        except (TypeError, ValueError, IndexError):
            return None
        found = found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)
    return found


def _body(lines: list[str]) -> str:
    """A turn's text: no blank lines around it, no closing horizontal rule."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _RULE.fullmatch(lines[end - 1])):
        end -= 1
    start = 0
    while start < end and not lines[start].strip():
        start += 1
    return "\n".join(lines[start:end])


class _Output:
    """Numbers the turns and holds them back until Start can carry the title."""

    def __init__(self, name: str, digest: str, started_at: datetime | None) -> None:
        self.source_id = f"{name}:{digest[:12]}"
        self.name = name
        self.started_at = started_at
        self.turns = 0
        self.title: str | None = None
        self.gate = TitleGate(self._start)

    def turn(self, role: str, content: str) -> Iterator[Event]:
        if not content:
            return
        event = Turn(role, content, source_id=f"t{self.turns}")
        self.turns += 1
        if role == "user" and self.title is None:
            self.title = title_line(content)
        yield from self.gate.send(event, titled=self.title is not None)

    def end(self) -> Iterator[Event]:
        if self.turns:
            yield from self.gate.open()
            yield End(title=self.title)

    def _start(self) -> Start:
        return Start(
            source_format=FORMAT,
            source_id=self.source_id,
            title=self.title or self.name,
            started_at=self.started_at,
        )


def _events(
    lines: Iterable[str], name: str, digest: str, where: str, problems: Problems
) -> Iterator[Event]:
    source = iter(lines)
    opening = next(source, "").removeprefix("\ufeff")  # a byte order mark is not text
    source = itertools.chain([opening], source)
    first: list[str] = []
    started_at: datetime | None = None
    for line in source:  # blank lines, then perhaps the "Date:" line
        if not line.strip():
            continue
        started_at = _read_date(line)
        if started_at is None:
            first.append(line)
        break
    output = _Output(name, digest, started_at)
    role: str | None = None  # None: still before the first speaker
    body: list[str] = []
    in_code = False
    for line in itertools.chain(first, source):
        found = speaker(line, in_code=in_code)
        if found is None:
            body.append(line)
            if _FENCE.match(line):
                in_code = not in_code
            continue
        yield from output.turn(role or "system", _body(body))
        role, rest = found
        body = [rest] if rest else []
        in_code = bool(_FENCE.match(rest))
    content = _body(body)
    if role is None and content:
        problems.report(where, 1, NO_SPEAKER)
    yield from output.turn(role or "user", content)
    yield from output.end()
