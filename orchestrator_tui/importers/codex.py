"""Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``), read line by line.

Codex writes one ``{"timestamp", "type", "payload"}`` record per line: ``session_meta`` (the
session's id, start, folder, git branch), ``turn_context`` (folder and model of a turn),
``response_item`` (what went to and came from the model: messages, reasoning, function and
custom tool calls and their outputs), ``event_msg`` (what the UI showed: the user's and the
agent's messages, token counts, reasoning...) and ``compacted`` (the summary a compaction
left). Other types (a newer Codex's) are ignored, without a problem reported.

One transcript per file: ``source_id`` is the session id (the file name without one), the
title the first request of the user, shortened to one line. The environment and instruction
messages Codex puts before it (``<environment_context>``, ``<user_instructions>``, AGENTS.md)
are not turns. Reasoning is skipped, as the other importers skip thinking.

Messages twice. Each message appears as an ``event_msg`` (``user_message`` or
``agent_message``) and as a ``response_item`` ``message``, in either order and a few lines
apart; some versions write only one of them. The response item is kept: an event message
waits (and everything after it waits behind it, so the order stays) until a response item
of the same role and text (whitespace aside) comes within ``WINDOW`` lines, which takes its
place; one that finds none is kept. An event message that comes after its response item
matches it among the response items of the last ``WINDOW`` lines and is dropped. Each
response item stands for one event message at most, so a request repeated ("yes") stays.

Turn ids: ``L<line>`` for a message (the event's line when a response item took its place,
so that importing a file again after Codex appended the item adds nothing), the ``call_id``
for a tool call and ``<call_id>:result`` for its output. Calls show the tool and its key
input (``exec_command: pytest -x``); outputs are kept short and flagged as errors when they
report a non-zero exit code, ``success: false`` or an error. A patch (``apply_patch``, as a
custom tool or run through the shell) is shown by its file headers and, once its output
comes back without an error, gives a ``FileChange`` per file with the count of its ``+`` and
``-`` lines.

Usage: the last ``token_count`` event's running total. OpenAI counts cached input inside
``input_tokens``; with Anthropic's names it is apart, so ``input_tokens`` is the uncached
rest and ``cache_read_input_tokens`` the cached part.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator_tui.importers.model import (
    PROGRESS_EVERY,
    End,
    Event,
    FileChange,
    Problems,
    Progress,
    Start,
    TitleGate,
    Turn,
    Usage,
    parse_time,
    shorten,
    title_line,
)

FORMAT = "codex"
WINDOW = 64  # lines within which an event message and its response item are one message
PENDING_CALLS = 4096  # calls waiting for their output, at most (the oldest are forgotten)

TYPES = frozenset({"session_meta", "turn_context", "response_item", "event_msg", "compacted"})
SNIFF_TYPES = frozenset({"session_meta", "turn_context", "response_item", "event_msg"})
# User messages that Codex writes itself before the first request.
INJECTED = (
    "<environment_context>",
    "<user_instructions>",
    "<INSTRUCTIONS>",
    "# AGENTS.md instructions",
)
PATCH_START = "*** Begin Patch"
BOM = b"\xef\xbb\xbf"
_SHELLS = ("bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/bin/zsh")
KEY_INPUTS = ("cmd", "command", "path", "file_path", "query", "url", "pattern", "prompt", "input")

_SNIFF_TYPE = re.compile(rb'"type"\s*:\s*"(?:session_meta|turn_context|response_item|event_msg)"')
_SNIFF_PAYLOAD = re.compile(rb'"payload"\s*:\s*\{')
_EXIT_CODE = re.compile(r"(?i)\b(?:process exited with code|exit code:?)\s*(-?\d+)")
_ERROR_STARTS = ("error", "execution error", "failed to", "aborted")
_LINE_ID = re.compile(r"L\d+")
_PATCH_FILE = re.compile(r"\*\*\* (Add|Update|Delete) File: *(.+)")
_PATCH_MOVE = re.compile(r"\*\*\* Move to: *(.+)")

Record = dict[str, Any]


def sniff(head: bytes, path: Path) -> bool:
    """The first line that parses is a Codex record. A first line longer than ``head``
    cannot be parsed: then the envelope's keys are looked for."""
    head = head.removeprefix(BOM)
    for raw in head.split(b"\n")[:50]:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        return (
            isinstance(record, dict)
            and record.get("type") in SNIFF_TYPES
            and isinstance(record.get("payload"), dict)
        )
    return (
        head.lstrip().startswith(b"{")
        and _SNIFF_TYPE.search(head) is not None
        and _SNIFF_PAYLOAD.search(head) is not None
    )


def parse(path: Path, problems: Problems, progress: Progress) -> Iterator[Event]:
    """The one transcript of a rollout file: Start, its turns and file changes, End. A file
    without a single Codex record yields nothing."""
    reader = _Reader(path, problems)
    with path.open("rb") as file:
        read = reported = 0
        for number, raw in enumerate(file, 1):
            read += len(raw)
            if read - reported >= PROGRESS_EVERY:
                progress(read)
                reported = read
            yield from reader.line(number, raw.removeprefix(BOM) if number == 1 else raw)
        yield from reader.finish()
        progress(read)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _key(text: str) -> str:
    """A message's text with all whitespace taken out: the two copies of one message agree
    on it whatever their line breaks."""
    return "".join(text.split())


def _injected(text: str) -> bool:
    return text.lstrip().startswith(INJECTED)


@dataclass
class _Waiting:
    """An event in the order queue; an event message still waits for its response item."""

    event: Event
    line: int
    key: tuple[str, str] | None = None  # (role, text key) while waiting


class _Order:
    """The events in file order, with each message once (see the module's docstring)."""

    def __init__(self) -> None:
        self.queue: deque[_Waiting] = deque()
        self.items: deque[tuple[tuple[str, str], int]] = deque()  # recent response items

    def event_message(self, turn: Turn, key: tuple[str, str], line: int) -> Iterator[Event]:
        self._expire(line)
        for index, (item_key, _) in enumerate(self.items):
            if item_key == key:
                del self.items[index]
                return  # its response item came first and was kept
        self.queue.append(_Waiting(turn, line, key))
        yield from self._release(line)

    def item_message(self, turn: Turn, key: tuple[str, str], line: int) -> Iterator[Event]:
        self._expire(line)
        for waiting in self.queue:
            if waiting.key == key and line - waiting.line <= WINDOW:
                # The event message came first: the item takes its place and its id.
                if isinstance(waiting.event, Turn):
                    turn = Turn(turn.role, turn.content, waiting.event.source_id, turn.created_at)
                waiting.event, waiting.key = turn, None
                break
        else:
            self.items.append((key, line))
            self.queue.append(_Waiting(turn, line))
        yield from self._release(line)

    def other(self, event: Event, line: int) -> Iterator[Event]:
        self.queue.append(_Waiting(event, line))
        yield from self._release(line)

    def finish(self) -> Iterator[Event]:
        while self.queue:
            yield self.queue.popleft().event

    def _expire(self, line: int) -> None:
        while self.items and line - self.items[0][1] > WINDOW:
            self.items.popleft()

    def _release(self, line: int) -> Iterator[Event]:
        while self.queue:
            front = self.queue[0]
            if front.key is not None and line - front.line <= WINDOW:
                return
            yield self.queue.popleft().event


@dataclass(frozen=True)
class _Call:
    name: str
    changes: tuple[FileChange, ...] = ()


class _Reader:
    """The line-by-line state: the session's facts, the calls waiting for their output, the
    order queue, and the events held back until the title is known."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path = path
        self.problems = problems
        self.codex = False  # a Codex record was seen
        self.session_id: str | None = None
        self.started_at: datetime | None = None
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self.cwd: str | None = None
        self.branch: str | None = None
        self.model: str | None = None
        self.title: str | None = None
        self.usage: Usage | None = None
        self.calls: OrderedDict[str, _Call] = OrderedDict()
        self.call_ids: set[str] = set()
        self.order = _Order()
        self.gate = TitleGate(self._start)

    # --- records ---------------------------------------------------------------------------

    def line(self, number: int, raw: bytes) -> Iterator[Event]:
        if not raw.strip():
            return
        try:
            record = json.loads(raw)
        except UnicodeDecodeError:
            self.problems.report(self.path, number, "not UTF-8 text")
            return
        except (ValueError, RecursionError) as error:
            self.problems.report(self.path, number, f"not JSON ({error})")
            return
        if not isinstance(record, dict):
            self.problems.report(self.path, number, "not a JSON object")
            return
        kind = record.get("type")
        if not isinstance(kind, str):
            self.problems.report(self.path, number, "record without a type")
            return
        time = parse_time(record.get("timestamp"))
        if time is not None:  # any record's, a newer type's too: the session was going on
            self.first_time = self.first_time or time
            self.last_time = time if self.last_time is None else max(self.last_time, time)
        if kind not in TYPES:
            return  # a record type of a newer Codex: not a problem
        payload = record.get("payload")
        if not isinstance(payload, dict):
            self.problems.report(self.path, number, f"{kind} record without a payload")
            return
        self.codex = True
        if kind == "session_meta":
            self._meta(payload, time)
        elif kind == "turn_context":
            self._context(payload)
        elif kind == "event_msg":
            yield from self._event(payload, number, time)
        elif kind == "response_item":
            yield from self._item(payload, number, time)
        else:  # compacted
            summary = payload.get("message")
            if isinstance(summary, str) and summary.strip():
                turn = Turn("system", summary.strip(), f"L{number}", time, "summary")
                yield from self._send(self.order.other(turn, number))

    def finish(self) -> Iterator[Event]:
        if not self.codex:
            return
        yield from self._send(self.order.finish())
        yield from self.gate.open()
        yield End(title=self.title, ended_at=self.last_time, usage=self.usage)

    def _meta(self, payload: Record, time: datetime | None) -> None:
        """The first ``session_meta`` names the session; a later one (a resumed or forked
        session copies its parent's) only fills what is missing."""
        session_id = payload.get("id")
        if self.session_id is None and isinstance(session_id, str) and session_id:
            self.session_id = session_id
        if self.started_at is None:
            self.started_at = parse_time(payload.get("timestamp")) or time
        cwd = payload.get("cwd")
        if self.cwd is None and isinstance(cwd, str) and cwd:
            self.cwd = cwd
        git = payload.get("git")
        branch = git.get("branch") if isinstance(git, dict) else None
        if self.branch is None and isinstance(branch, str) and branch:
            self.branch = branch

    def _context(self, payload: Record) -> None:
        cwd, model = payload.get("cwd"), payload.get("model")
        if self.cwd is None and isinstance(cwd, str) and cwd:
            self.cwd = cwd
        if self.model is None and isinstance(model, str) and model:
            self.model = model

    def _event(self, payload: Record, number: int, time: datetime | None) -> Iterator[Event]:
        kind = payload.get("type")
        if kind == "token_count":
            info = payload.get("info")
            total = info.get("total_token_usage") if isinstance(info, dict) else None
            if isinstance(total, dict):
                self.usage = _usage(total)
            return
        if kind not in ("user_message", "agent_message"):
            return
        text = payload.get("message")
        if not isinstance(text, str) or not text.strip():
            return
        role = "user" if kind == "user_message" else "assistant"
        if role == "user":
            if _injected(text):
                return
            self._title(text)
        turn = Turn(role, text.strip(), f"L{number}", time)
        yield from self._send(self.order.event_message(turn, (role, _key(text)), number))

    def _item(self, payload: Record, number: int, time: datetime | None) -> Iterator[Event]:
        kind = payload.get("type")
        call_id = payload.get("call_id")
        call_id = call_id if isinstance(call_id, str) and call_id else None
        if kind == "message":
            yield from self._message(payload, number, time)
        elif kind == "function_call":
            arguments = _decoded(payload.get("arguments"))
            yield from self._call(payload.get("name"), arguments, call_id, number, time)
        elif kind == "custom_tool_call":
            yield from self._call(payload.get("name"), payload.get("input"), call_id, number, time)
        elif kind == "local_shell_call":
            action = payload.get("action")
            command = action.get("command") if isinstance(action, dict) else None
            yield from self._call("local_shell", {"command": command}, call_id, number, time)
        elif kind == "web_search_call":
            action = payload.get("action")
            query = action.get("query") if isinstance(action, dict) else None
            yield from self._call("web_search", {"query": query}, call_id, number, time)
        elif kind in ("function_call_output", "custom_tool_call_output"):
            yield from self._output(payload.get("output"), call_id, number, time)

    def _message(self, payload: Record, number: int, time: datetime | None) -> Iterator[Event]:
        role = payload.get("role")
        if role not in ("user", "assistant"):
            return  # developer and system messages: Codex's own instructions
        text, key_text = _message_text(payload.get("content"))
        if not text:
            return
        if role == "user":
            if _injected(text):
                return
            self._title(key_text or text)
        turn = Turn(role, text, f"L{number}", time)
        yield from self._send(self.order.item_message(turn, (role, _key(key_text)), number))

    def _call(
        self,
        name: object,
        tool_input: object,
        call_id: str | None,
        number: int,
        time: datetime | None,
    ) -> Iterator[Event]:
        tool = name.strip() if isinstance(name, str) and name.strip() else "tool"
        patch = _patch_in(tool_input)
        headers, changes = _patch_files(patch) if patch is not None else ([], ())
        if headers:
            tool = "apply_patch"  # also when the shell ran it: it is an edit
            key = "\n".join(headers)
        else:
            key, changes = _key_input(tool_input), ()
        content = shorten(f"{tool}: {key}" if key else tool)
        source_id = f"L{number}"
        if call_id is not None:
            self.calls[call_id] = _Call(tool, changes)
            self.calls.move_to_end(call_id)
            if len(self.calls) > PENDING_CALLS:
                self.calls.popitem(last=False)
            if call_id not in self.call_ids and not _LINE_ID.fullmatch(call_id):
                self.call_ids.add(call_id)
                source_id = call_id
        turn = Turn("assistant", content, source_id, time, "tool_call", tool)
        yield from self._send(self.order.other(turn, number))

    def _output(
        self, output: object, call_id: str | None, number: int, time: datetime | None
    ) -> Iterator[Event]:
        call = self.calls.pop(call_id, None) if call_id is not None else None
        text, failed = _output_text(output)
        content = shorten(text) or ("(error)" if failed else "(no output)")
        source_id = f"L{number}"
        if call_id is not None and f"{call_id}:result" not in self.call_ids:
            source_id = f"{call_id}:result"
            self.call_ids.add(source_id)
        name = call.name if call is not None else None
        turn = Turn("tool", content, source_id, time, "tool_result", name, failed)
        yield from self._send(self.order.other(turn, number))
        if call is not None and not failed:
            for change in call.changes:
                yield from self._send(self.order.other(change, number))

    # --- the title and the events held back until it is known --------------------------------

    def _title(self, text: str) -> None:
        if self.title is None:
            line = title_line(text)
            if line:
                self.title = line

    def _send(self, events: Iterator[Event]) -> Iterator[Event]:
        for event in events:
            yield from self.gate.send(event, titled=self.title is not None)

    def _start(self) -> Start:
        return Start(
            source_format=FORMAT,
            source_id=self.session_id or self.path.stem,
            title=self.title or "",
            started_at=self.started_at or self.first_time,
            working_directory=self.cwd,
            git_branch=self.branch,
            model=self.model,
        )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _usage(total: Record) -> Usage:
    """Codex's running total with Anthropic's names: cached input apart from the rest."""
    cached = _count(total.get("cached_input_tokens"))
    return Usage(
        input_tokens=max(_count(total.get("input_tokens")) - cached, 0),
        output_tokens=_count(total.get("output_tokens")),
        cache_read_input_tokens=cached,
    )


def _message_text(content: object) -> tuple[str, str]:
    """A message's text as a turn shows it (an image is a placeholder), and its words alone
    (what the event copy of the message has)."""
    if isinstance(content, str):
        return content.strip(), content.strip()
    if not isinstance(content, list):
        return "", ""
    shown: list[str] = []
    words: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        text = part.get("text", part.get("refusal"))
        if isinstance(text, str) and text.strip():
            shown.append(text.strip())
            words.append(text.strip())
        elif kind in ("input_image", "image"):
            shown.append("[image]")
    return "\n\n".join(shown), "\n\n".join(words)


def _decoded(arguments: object) -> object:
    """A function call's arguments: a JSON string, decoded when it is one."""
    if isinstance(arguments, str) and arguments.strip()[:1] in ("{", "["):
        try:
            return json.loads(arguments)
        except (ValueError, RecursionError):
            return arguments
    return arguments


def _command(value: object) -> str:
    """A command given as a list (``["bash", "-lc", "pytest -x"]``) or a string, on one line;
    the shell wrapper taken off."""
    if isinstance(value, list):
        parts = [part for part in value if isinstance(part, str)]
        if len(parts) >= 3 and parts[0] in _SHELLS and parts[1] in ("-lc", "-c"):
            parts = parts[2:]
        return _one_line(" ".join(parts))
    return _one_line(value) if isinstance(value, str) else ""


def _key_input(tool_input: object) -> str:
    """The input that says what a call did (its command, path, query...), on one line."""
    if isinstance(tool_input, str):
        return _one_line(tool_input)
    if isinstance(tool_input, list):
        return _command(tool_input)
    if not isinstance(tool_input, dict):
        return ""
    for key in KEY_INPUTS:
        value = _command(tool_input.get(key))
        if value:
            return value
    compact = {key: value for key, value in tool_input.items() if value is not None}
    return _one_line(json.dumps(compact, ensure_ascii=False, default=str)) if compact else ""


def _patch_in(tool_input: object) -> str | None:
    """The patch a call's input carries (its own text, an argument, or a heredoc of a shell
    command), from ``*** Begin Patch``; None if there is none."""
    values: list[object] = [tool_input]
    if isinstance(tool_input, dict):
        values = list(tool_input.values())
    for value in values:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            if isinstance(text, str) and (start := text.find(PATCH_START)) >= 0:
                return text[start:]
    return None


def _patch_files(patch: str) -> tuple[list[str], tuple[FileChange, ...]]:
    """A patch's file headers, and the change to each file with its ``+`` and ``-`` lines.
    A moved file is deleted at its old path and created at its new one."""
    headers: list[str] = []
    files: dict[str, list[Any]] = {}  # path -> [change, added, removed]
    current: list[Any] | None = None
    for line in patch.splitlines():
        if line.startswith("*** "):
            if line.startswith("*** End Patch"):
                break
            header = _PATCH_FILE.fullmatch(line.rstrip())
            moved = _PATCH_MOVE.fullmatch(line.rstrip())
            if header is not None:
                action, path = header.group(1), header.group(2).strip()
                change = {"Add": "created", "Update": "modified", "Delete": "deleted"}[action]
                current = files.setdefault(path, [change, 0, 0])
                headers.append(line.rstrip())
            elif moved is not None and current is not None:
                current[0] = "deleted"
                current = files.setdefault(moved.group(1).strip(), ["created", 0, 0])
                headers.append(line.rstrip())
            continue
        if current is None:
            continue
        if line.startswith("+"):
            current[1] += 1
        elif line.startswith("-"):
            current[2] += 1
    changes = tuple(
        FileChange(path, change, added, removed) for path, (change, added, removed) in files.items()
    )
    return headers, changes


def _output_text(output: object, depth: int = 0) -> tuple[str, bool]:
    """A call's output as text, and whether it reports a failure. Codex writes a string
    (plain, or JSON with ``output`` and ``metadata.exit_code``), a list of content parts,
    or an object with ``content`` and ``success``."""
    if isinstance(output, str):
        stripped = output.strip()
        if stripped.startswith("{") and depth < 3:
            try:
                data = json.loads(stripped)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                return _output_object(data, stripped, depth)
        return stripped, _failed(stripped)
    if isinstance(output, list):
        texts = [
            part["text"].strip()
            for part in output
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
        text = "\n".join(piece for piece in texts if piece)
        return text, _failed(text)
    if isinstance(output, dict) and depth < 3:
        return _output_object(output, None, depth)
    return "", False


def _output_object(data: Record, raw: str | None, depth: int) -> tuple[str, bool]:
    body = data.get("output", data.get("content"))
    if body is None:
        text = raw if raw is not None else json.dumps(data, ensure_ascii=False, default=str)
        failed = False
    else:
        text, failed = _output_text(body, depth + 1)
    metadata = data.get("metadata")
    exit_code = (metadata if isinstance(metadata, dict) else data).get("exit_code")
    if isinstance(exit_code, int) and not isinstance(exit_code, bool):
        failed = exit_code != 0
    error = data.get("error")
    if data.get("success") is False:
        failed = True
    if error not in (None, False, ""):
        failed = True
        text = text or str(error)
    return text, failed


def _failed(text: str) -> bool:
    """Plain output that reports a failure: a non-zero exit code, or an error first."""
    exit_code = _EXIT_CODE.search(text)
    if exit_code is not None:
        return exit_code.group(1) != "0"
    return text.lower().startswith(_ERROR_STARTS)
