"""Claude Code session transcripts (``~/.claude/projects/<folder>/<session>.jsonl``).

Claude Code appends one JSON record per line: ``user`` and ``assistant`` messages, plus
bookkeeping (``file-history-snapshot``, hook ``progress``, ``queue-operation``, ``system``
lines) that is not conversation. Records link to the one before through ``parentUuid``; a
streamed reply is written as several ``assistant`` records that share ``message.id``, one
per content block, each repeating the reply's ``usage`` with a partial output count.

The file is read twice, line by line, so memory stays bounded whatever its size:

1. The scan keeps the link graph (integers in arrays, a few dozen bytes a record) and a few
   small facts (session id, times, folder, branch, model, running token totals), reports
   malformed lines, and lists the lines of the records that give turns.
2. The second pass parses again only the listed lines whose records are on the kept
   branches (not bookkeeping lines, abandoned branches or repeats), and yields their turns.

Lines are parsed with orjson where it gives what ``json`` gives (``fastjson``).

Each pass tells ``progress`` every 256 KiB, as half of the bytes it has read (so the import's
bar moves steadily through both).

Branches. A rewind makes a new prompt a sibling of the old one: two ``user`` prompts with
one parent. At every such fork only the prompt whose subtree reaches furthest into the file
is kept (so the branch that leads to the last record always is); the other prompts and
everything under them are dropped. Other siblings are not alternatives and are kept: the
result of one of several parallel tool calls, a hook's ``progress`` lines. A
``compact_boundary`` (``parentUuid`` null) hangs from its ``logicalParentUuid``, so the
history before a compaction stays on the branch. A parent that is not in the file makes a
root of its own: each such piece is kept. Sidechain records (subagents) take no part in
branches: all are kept, in the thread named by their ``agentId`` (or "sidechain").

Token usage counts every reply in the file, on any branch or sidechain, because each cost
tokens: one reply (``message.id``, ``requestId``) is counted once, with the largest
``output_tokens`` its records report (its records are written together: the last 256
replies are remembered to tell them apart).

Start: ``source_id`` is the ``sessionId`` (the file name without it); a file of subagent
records only (``subagents/agent-*.jsonl`` carries its parent's ``sessionId``) is
``<sessionId>/agent-<agentId>``, a transcript of its own, so that it does not overwrite its
parent's title and usage. The title is the last ``summary`` record about a record of this
file, else the first line of the first prompt kept (not a slash command or an interrupt).
The folder is the first ``cwd``; branch and model are the last seen (where the work ended).

Turn ids: a user turn's is its record's ``uuid``; a reply's is its ``message.id`` (a later
text segment of the same reply after a tool call adds "#2", "#3"); a tool call's is its
``tool_use`` id, a tool result's that id and ":result". A record repeated in the file gives
its turns once. Files: a Write, Edit or MultiEdit counts once its result came back without
an error (a rejected or failed call changed nothing). A file without a single Claude Code
record yields nothing.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from orchestrator_tui.importers import fastjson
from orchestrator_tui.importers.model import (
    MAIN_THREAD,
    PROGRESS_EVERY,
    TITLE_LIMIT,
    TOOL_TEXT_LIMIT,
    End,
    Event,
    FileChange,
    Problems,
    Progress,
    Start,
    Turn,
    Usage,
    edit_counts,
    parse_time,
    shorten,
)

FORMAT = "claude-code"
SIDECHAIN = "sidechain"  # the thread of a subagent record without an agentId
PENDING_CALLS = 4096  # tool calls waiting for their result, at most (the oldest are forgotten)
SUMMARIES_KEPT = 64  # the last "summary" records, for the title
RECENT_REPLIES = 256  # replies whose repeated records are still told apart, at most
READ_BUFFER = 64 * 1024  # bytes read at a time: lines come 2.5 times faster than with 8 KiB

TYPES = frozenset(
    {"user", "assistant", "summary", "file-history-snapshot", "progress", "queue-operation",
     "system"}
)  # fmt: skip
_LINK_KEYS = ("sessionId", "uuid", "parentUuid", "leafUuid", "messageId")
_STRING_KEYS = ("uuid", "parentUuid", "logicalParentUuid", "sessionId", "agentId")
# User lines that are Claude Code's own output around a slash command, not the user's words.
_NOISE = ("<local-command-caveat>", "<local-command-stdout>", "<local-command-stderr>")
_INTERRUPTED = "[Request interrupted by user"
_COMMAND_TAGS = ("<command-name>", "<command-message>")  # a slash command's line begins so
_COMMAND_NAME = re.compile(r"<command-name>(.*?)</command-name>", re.DOTALL)
_COMMAND_ARGS = re.compile(r"<command-args>(.*?)</command-args>", re.DOTALL)
_SNIFF_KEY = re.compile(rb'"(?:sessionId|parentUuid|leafUuid)"\s*:')
_SNIFF_TYPE = re.compile(
    rb'"type"\s*:\s*"(?:user|assistant|summary|file-history-snapshot|progress|queue-operation'
    rb'|system)"'
)
# The input that says what a tool call did, by tool; other tools: the first of KEY_INPUTS.
_TOOL_KEYS = {"Glob": "pattern", "Grep": "pattern", "Task": "description", "Agent": "description"}
KEY_INPUTS = (
    "file_path", "notebook_path", "command", "pattern", "url", "query", "description",
    "prompt", "task_id", "skill", "path", "subject",
)  # fmt: skip

Record = dict[str, Any]


def sniff(head: bytes, path: Path) -> bool:
    """The first JSON object of the file is a Claude Code record. A first line longer than
    ``head`` cannot be parsed: then the keys Claude Code writes are looked for."""
    for raw in head.split(b"\n")[:50]:
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        return (
            isinstance(record, dict)
            and _known_type(record)
            and any(key in record for key in _LINK_KEYS)
        )
    return (
        head.lstrip().startswith(b"{")
        and _SNIFF_KEY.search(head) is not None
        and _SNIFF_TYPE.search(head) is not None
    )


def parse(path: Path, problems: Problems, progress: Progress) -> Iterator[Event]:
    """The one transcript of a session file: Start, its turns, its file changes, End."""
    # Two passes over the file: the progress reported is half a byte per byte in each.
    size = max(path.stat().st_size, 1)
    with path.open("rb", buffering=READ_BUFFER) as file:
        scan = _Scan(path, problems)
        scan.read(file, lambda offset: progress(offset // 2))
    if not scan.claude:
        return
    scan.graph.select()
    wanted = scan.emitted_lines()
    with path.open("rb", buffering=READ_BUFFER) as file:
        yield Start(
            source_format=FORMAT,
            source_id=scan.source_id(path),
            title=scan.title(file),
            started_at=scan.first_time,
            working_directory=scan.main_cwd or scan.any_cwd,
            git_branch=scan.main_branch or scan.any_branch,
            model=scan.main_model or scan.side_model,
        )
        file.seek(0)
        emitter = _Emitter(scan.graph)
        reported = 0
        following = iter(wanted)
        want = next(following, 0)
        for number, offset, raw in _lines(file):
            if offset - reported >= PROGRESS_EVERY:
                progress((size + offset) // 2)
                reported = offset
            if number != want:
                continue  # a line that gives no turn: not parsed again
            want = next(following, 0)
            record = _load(raw)
            if isinstance(record, dict) and _invalid(record) is None:
                yield from emitter.record(record, number)
        yield from emitter.finish()
        progress(size)
    yield End(ended_at=scan.last_time, usage=scan.usage())


def _gives_turns(record: Record) -> bool:
    """A record that ``_Emitter.record`` turns into events (whichever branch it is on)."""
    kind = record.get("type")
    return (
        kind == "assistant"
        or (kind == "user" and not record.get("isMeta"))
        or (kind == "system" and record.get("subtype") == "compact_boundary")
    )


def _wide_usage(record: Record) -> bool:
    """Token counts that the fast parser may have read as floats (see ``fastjson``)."""
    if record.get("type") != "assistant":
        return False
    usage = record["message"].get("usage")
    if isinstance(usage, dict):
        for value in usage.values():
            if type(value) is float and fastjson.is_wide(value):
                return True
    return False


def _known_type(record: Record) -> bool:
    kind = record.get("type")
    return isinstance(kind, str) and kind in TYPES


def _lines(file: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """(1-based line number, offset of its start, the line) for every line of ``file``."""
    offset = 0
    for number, raw in enumerate(file, 1):
        yield number, offset, raw
        offset += len(raw)


def _load(raw: bytes) -> object:
    """The JSON value of a line; None for a blank line, an error message (str) for a line
    that is not JSON."""
    if not raw.strip():
        return None
    try:
        return fastjson.loads(raw)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except (ValueError, RecursionError) as error:
        return f"not JSON ({error})"


def _invalid(record: Record) -> str | None:
    """Why a record cannot be used, or None."""
    kind = record.get("type")
    if not isinstance(kind, str):
        return "record without a type"
    for key in _STRING_KEYS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} is not a string"
    if kind in ("user", "assistant"):
        message = record.get("message")
        if not isinstance(message, dict):
            return f"{kind} record without a message"
        if not isinstance(message.get("content"), str | list):
            return f"{kind} message without content"
    return None


def _blocks(content: object) -> list[Record]:
    """A message's content as a list of blocks (a plain string is one text block)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [block for block in content if isinstance(block, dict)]
    return []


def _text_of(blocks: list[Record]) -> str:
    """The text blocks joined (an image is a placeholder); empty pieces dropped."""
    parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"].strip())
        elif kind == "image":
            parts.append("[image]")
    return "\n\n".join(part for part in parts if part)


def _is_prompt(record: Record) -> bool:
    """A user record the person wrote (not a tool result, a caveat or a compact summary):
    the kind of record a rewind replaces."""
    if record.get("type") != "user" or record.get("isMeta") or record.get("isCompactSummary"):
        return False
    blocks = _blocks(record["message"].get("content"))
    return any(block.get("type") != "tool_result" for block in blocks)


def _prompt_text(record: Record) -> tuple[str, bool] | None:
    """A user prompt's text as a turn shows it, and whether it is a slash command (shown as
    "/name args"); None for Claude Code's own lines (caveats, command output)."""
    text = _text_of(_blocks(record["message"].get("content")))
    if not text or text.startswith(_NOISE):
        return None
    name = _COMMAND_NAME.search(text) if text.startswith(_COMMAND_TAGS) else None
    if name is None:
        return text, False
    args = _COMMAND_ARGS.search(text)
    words = [name.group(1).strip(), args.group(1).strip() if args is not None else ""]
    return " ".join(word for word in words if word), True


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _title_of(record: Record) -> str | None:
    """The title a prompt gives the session: its first line, unless it is a slash command
    or an interrupt marker."""
    prompt = _prompt_text(record)
    if prompt is None or prompt[1] or prompt[0].startswith(_INTERRUPTED):
        return None
    return shorten(_first_line(prompt[0]), TITLE_LIMIT)


def _thread(record: Record) -> str:
    if record.get("isSidechain") is not True:
        return MAIN_THREAD
    agent = record.get("agentId")
    return agent if isinstance(agent, str) and agent else SIDECHAIN


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# Flags of a node of the graph.
_PRESENT = 1  # a record of the file (not only named as a parent)
_PROMPT = 2
_DROPPED = 4  # on an abandoned branch
_TITLE = 8  # a prompt that can title the session
_SIDE = 16  # a sidechain record: outside the branches, there to tell repeats apart


class _Graph:
    """The records' links, compact: node i has ``parent[i]`` (-1: none; 0 is the common
    parent of records whose ``parentUuid`` is null), ``line[i]`` (its line number) and
    ``flags[i]``; ``order`` lists the nodes in file order. A uuid is known by its 64-bit
    hash, not its text: half the memory, and two uuids of one file sharing a hash is a
    one-in-10^7 chance even for a million records."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.parent = array("q", [-1])
        self.line = array("q", [0])
        self.flags = bytearray(1)
        self.order = array("q")

    def _node(self, uuid: str) -> int:
        key = hash(uuid)
        index = self.ids.get(key)
        if index is None:
            index = self.ids[key] = len(self.line)
            self.parent.append(-1)
            self.line.append(0)
            self.flags.append(0)
        return index

    def add(self, record: Record, number: int, prompt: bool, titles: bool) -> int:
        """Add a record's node (the first record of a uuid stands); its index. ``prompt``:
        ``_is_prompt(record)``."""
        node = self._node(record["uuid"])
        if self.flags[node] & _PRESENT:
            return node  # the same record again: the first one stands
        flags = _PRESENT | (_TITLE if titles else 0)
        if record.get("isSidechain") is True:
            flags |= _SIDE
        else:
            parent = record.get("parentUuid")
            logical = record.get("logicalParentUuid")
            if not parent and logical and record.get("subtype") == "compact_boundary":
                parent = logical
            self.parent[node] = self._node(parent) if parent else 0
            flags |= _PROMPT if prompt else 0
        self.line[node] = number
        self.flags[node] = flags
        self.order.append(node)
        return node

    def select(self) -> None:
        """Mark the abandoned branches. Each loop is one pass over the nodes (a cycle of
        links in a broken file cannot make it loop)."""
        size = len(self.line)
        reach = array("q", self.line)  # the last line of each node's subtree
        for node in reversed(self.order):
            parent = self.parent[node]
            if parent >= 0 and reach[node] > reach[parent]:
                reach[parent] = reach[node]
        children = array("q", bytes(8 * size))
        furthest = array("q", [-1]) * size
        for node in self.order:
            parent = self.parent[node]
            if parent >= 0:
                children[parent] += 1
                if furthest[parent] < 0 or reach[node] >= reach[furthest[parent]]:
                    furthest[parent] = node
        for node in self.order:
            parent = self.parent[node]
            if parent < 0:
                continue
            abandoned = (
                bool(self.flags[node] & _PROMPT)
                and children[parent] > 1
                and furthest[parent] != node
            )
            if abandoned or self.flags[parent] & _DROPPED:
                self.flags[node] |= _DROPPED

    def kept(self, uuid: str, number: int) -> bool:
        """Whether the record with this uuid on this line is emitted: not on an abandoned
        branch, and not a repeat of an earlier record."""
        node = self.ids.get(hash(uuid))
        return node is not None and self.line[node] == number and not (self.flags[node] & _DROPPED)

    def present(self, uuid: str) -> bool:
        node = self.ids.get(hash(uuid))
        return node is not None and bool(self.flags[node] & _PRESENT)

    def first_title(self) -> int | None:
        """The line of the first prompt on the kept branches that can title the session;
        in a file of sidechains only, the first sidechain prompt's."""
        for side in (0, _SIDE):
            for node in self.order:
                if self.flags[node] & (_TITLE | _DROPPED | _SIDE) == _TITLE | side:
                    return self.line[node]
        return None


@dataclass
class _Scan:
    """The first pass: the graph and the session's facts, and problems reported."""

    path: Path
    problems: Problems
    graph: _Graph = field(default_factory=_Graph)
    claude: bool = False
    session_id: str | None = None
    agent_id: str | None = None
    only_sidechain: bool = True
    main_cwd: str | None = None  # the first one
    any_cwd: str | None = None
    main_branch: str | None = None  # the last one: where the work ended
    any_branch: str | None = None
    main_model: str | None = None
    side_model: str | None = None
    first_time: datetime | None = None
    last_time: datetime | None = None
    summaries: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=SUMMARIES_KEPT))
    # The recent replies' counts (a reply's records are close together in the file) and the
    # running totals: output, input, cache read, cache creation.
    replies: OrderedDict[tuple[str, str], tuple[int, int, int, int]] = field(
        default_factory=OrderedDict
    )
    totals: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    # The records that give turns: their lines, and their nodes (-1: without a uuid).
    turn_lines: array[int] = field(default_factory=lambda: array("q"))
    turn_nodes: array[int] = field(default_factory=lambda: array("q"))

    def read(self, file: IO[bytes], progress: Progress) -> None:
        reported = 0
        for number, offset, raw in _lines(file):
            if offset - reported >= PROGRESS_EVERY:
                progress(offset)
                reported = offset
            record = _load(raw)
            if record is None:
                continue
            if isinstance(record, str):
                self.problems.report(self.path, number, record)
                continue
            if not isinstance(record, dict):
                self.problems.report(self.path, number, "not a JSON object")
                continue
            if not self.claude and (_known_type(record) or "sessionId" in record):
                self.claude = True
            problem = _invalid(record)
            if problem is not None:
                self.problems.report(self.path, number, problem)
                continue
            if _wide_usage(record):
                record = json.loads(raw)  # an integer beyond 64 bits: exactly, as json reads it
            self._facts(record)
            node = self._link(record, number)
            if _gives_turns(record):
                self.turn_lines.append(number)
                self.turn_nodes.append(node)

    def _facts(self, record: Record) -> None:
        main = record.get("isSidechain") is not True
        if self.session_id is None and record.get("sessionId"):
            self.session_id = record["sessionId"]
        if self.agent_id is None and record.get("agentId"):
            self.agent_id = record["agentId"]
        if record.get("type") in ("user", "assistant"):
            self.only_sidechain = self.only_sidechain and not main
        cwd, branch = record.get("cwd"), record.get("gitBranch")
        if isinstance(cwd, str) and cwd:
            if main and self.main_cwd is None:
                self.main_cwd = cwd
            self.any_cwd = self.any_cwd or cwd
        if isinstance(branch, str) and branch:
            if main:
                self.main_branch = branch
            self.any_branch = branch
        time = parse_time(record.get("timestamp"))
        if time is not None:
            self.first_time = time if self.first_time is None else min(self.first_time, time)
            self.last_time = time if self.last_time is None else max(self.last_time, time)
        kind = record.get("type")
        if kind == "summary":
            summary, leaf = record.get("summary"), record.get("leafUuid")
            if isinstance(summary, str) and summary.strip() and isinstance(leaf, str):
                self.summaries.append((summary, leaf))
        elif kind == "assistant":
            message = record["message"]
            model = message.get("model")
            if isinstance(model, str) and model and model != "<synthetic>":
                if main:
                    self.main_model = model
                else:
                    self.side_model = model
            self._usage(message, record.get("requestId"))

    def _usage(self, message: Record, request: object) -> None:
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return
        counts = (
            _count(usage.get("output_tokens")),
            _count(usage.get("input_tokens")),
            _count(usage.get("cache_read_input_tokens")),
            _count(usage.get("cache_creation_input_tokens")),
        )
        reply = message.get("id")
        before = (0, 0, 0, 0)
        if isinstance(reply, str) and reply:  # without an id, repeats cannot be told apart
            key = (reply, request if isinstance(request, str) else "")
            before = self.replies.get(key, before)
            if key in self.replies and counts[0] <= before[0]:
                return
            self.replies[key] = counts
            self.replies.move_to_end(key)
            if len(self.replies) > RECENT_REPLIES:
                self.replies.popitem(last=False)
        for index, value in enumerate(counts):
            self.totals[index] += value - before[index]

    def _link(self, record: Record, number: int) -> int:
        """Add the record to the graph; its node, or -1 for a record without a uuid."""
        if isinstance(record.get("uuid"), str) and record["uuid"]:
            prompt = _is_prompt(record)
            return self.graph.add(record, number, prompt, prompt and bool(_title_of(record)))
        return -1

    def emitted_lines(self) -> array[int]:
        """After ``graph.select``: the lines the second pass reads, in order. The records
        that give turns, less those ``_Emitter.record`` would drop (on an abandoned branch,
        or a repeat of an earlier record)."""
        line, flags = self.graph.line, self.graph.flags
        return array(
            "q",
            (
                number
                for number, node in zip(self.turn_lines, self.turn_nodes, strict=True)
                if node < 0 or (line[node] == number and not flags[node] & _DROPPED)
            ),
        )

    def source_id(self, path: Path) -> str:
        if self.session_id is None:
            return path.stem
        if self.only_sidechain and self.agent_id:
            return f"{self.session_id}/agent-{self.agent_id}"
        return self.session_id

    def title(self, file: IO[bytes]) -> str:
        """The last summary of a conversation in this file, else the first prompt (read
        again: it is near the start)."""
        for summary, leaf in reversed(self.summaries):
            if self.graph.present(leaf):
                return shorten(_first_line(summary), TITLE_LIMIT)
        line = self.graph.first_title()
        if line is None:
            return ""
        for number, _, raw in _lines(file):
            if number == line:
                record = _load(raw)
                return (_title_of(record) if isinstance(record, dict) else None) or ""
        return ""

    def usage(self) -> Usage:
        output, input_, cache_read, cache_creation = self.totals
        return Usage(
            input_tokens=input_,
            output_tokens=output,
            cache_read_input_tokens=cache_read,
            cache_creation_input_tokens=cache_creation,
        )


@dataclass
class _Reply:
    """An assistant reply's text, gathered over the records that share its message id."""

    thread: str
    key: str
    segment: int  # 1 for the reply's first text turn, 2 after a tool call cut it, ...
    created_at: datetime | None
    is_error: bool
    parts: list[str] = field(default_factory=list)

    @property
    def source_id(self) -> str:
        return self.key if self.segment == 1 else f"{self.key}#{self.segment}"


@dataclass(frozen=True)
class _FileOp:
    """What a Write, Edit or MultiEdit call does to a file, counted once it succeeded."""

    path: str
    change: str  # "created", "modified", or "read" (a Read: the file existed)
    lines_added: int = 0
    lines_removed: int = 0


def _line_count(text: str) -> int:
    return len(text.splitlines())


def _key_input(name: str, tool_input: object) -> str:
    """The input that says what a call did (its command, file, pattern, url...), on one line."""
    if not isinstance(tool_input, dict):
        return ""
    if name == "TodoWrite" and isinstance(tool_input.get("todos"), list):
        return f"{len(tool_input['todos'])} items"
    keys = (_TOOL_KEYS[name],) if name in _TOOL_KEYS else ()
    for key in (*keys, *KEY_INPUTS):
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    for value in tool_input.values():
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


class _Emitter:
    """The second pass: records of the kept branches to events."""

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.emitted: set[int] = set()  # hashes of the turn ids given (as in _Graph)
        self.reply: _Reply | None = None  # the reply whose text is gathering
        self.segments: dict[str, tuple[str, int]] = {}  # thread -> last reply flushed, count
        self.calls: OrderedDict[str, tuple[str, _FileOp | None]] = OrderedDict()
        self.known_files: set[str] = set()  # read or edited successfully: they existed
        self.files: dict[str, FileChange] = {}  # each path once, its counts summed

    def record(self, record: Record, number: int) -> Iterator[Event]:
        # The kinds handled here are those ``_gives_turns`` tells: the scan lists their lines.
        thread = _thread(record)
        uuid = record.get("uuid") or ""
        if uuid and not self.graph.kept(uuid, number):
            return
        kind = record.get("type")
        own_id = uuid or f"line-{number}"
        time = parse_time(record.get("timestamp"))
        if kind == "assistant":
            yield from self._assistant(record, thread, own_id, time)
        elif kind == "user" and not record.get("isMeta"):
            yield from self._user(record, thread, own_id, time)
        elif kind == "system" and record.get("subtype") == "compact_boundary":
            content = record.get("content")
            text = content if isinstance(content, str) and content else "Conversation compacted"
            yield from self._turn(Turn("system", text, own_id, time, thread=thread))

    def finish(self) -> Iterator[Event]:
        yield from self._flush()
        yield from self.files.values()

    def _turn(self, turn: Turn) -> Iterator[Event]:
        """A turn, after the gathering reply (a reply's turn takes its place among the turns
        of every thread); a repeated id is a repeated record and is not emitted again."""
        yield from self._flush()
        if turn.source_id is not None:
            key = hash(turn.source_id)
            if key in self.emitted:
                return
            self.emitted.add(key)
        yield turn

    def _flush(self) -> Iterator[Event]:
        reply, self.reply = self.reply, None
        if reply is None:
            return
        self.segments[reply.thread] = (reply.key, reply.segment)
        yield from self._turn(
            Turn(
                "assistant",
                "\n\n".join(reply.parts),
                reply.source_id,
                reply.created_at,
                is_error=reply.is_error,
                thread=reply.thread,
            )
        )

    def _assistant(
        self, record: Record, thread: str, own_id: str, time: datetime | None
    ) -> Iterator[Event]:
        message = record["message"]
        message_id = message.get("id")
        key = message_id if isinstance(message_id, str) and message_id else own_id
        if self.reply is not None and (self.reply.thread, self.reply.key) != (thread, key):
            yield from self._flush()
        for index, block in enumerate(_blocks(message.get("content"))):
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                text = block["text"].strip()
                if not text:
                    continue
                if self.reply is None:
                    last_key, last_segment = self.segments.get(thread, ("", 0))
                    segment = last_segment + 1 if last_key == key else 1
                    error = record.get("isApiErrorMessage") is True
                    self.reply = _Reply(thread, key, segment, time, error)
                self.reply.parts.append(text)
            elif kind in ("tool_use", "server_tool_use"):
                yield from self._call(block, thread, f"{own_id}:{index}", time)

    def _call(
        self, block: Record, thread: str, fallback_id: str, time: datetime | None
    ) -> Iterator[Event]:
        name = block.get("name") if isinstance(block.get("name"), str) else None
        name = name or "tool"
        call_id = block.get("id") if isinstance(block.get("id"), str) else None
        call_id = call_id or fallback_id
        tool_input = block.get("input")
        key = _key_input(name, tool_input)
        content = shorten(f"{name}: {key}" if key else name, TOOL_TEXT_LIMIT)
        self.calls[call_id] = (name, _file_op(name, tool_input))
        if len(self.calls) > PENDING_CALLS:
            self.calls.popitem(last=False)
        yield from self._turn(
            Turn("assistant", content, call_id, time, "tool_call", name, thread=thread)
        )

    def _user(
        self, record: Record, thread: str, own_id: str, time: datetime | None
    ) -> Iterator[Event]:
        content = record["message"].get("content")
        if record.get("isCompactSummary"):
            text = _text_of(_blocks(content))
            if text:
                yield from self._turn(Turn("system", text, own_id, time, "summary", thread=thread))
            return
        blocks = _blocks(content)
        for index, block in enumerate(blocks):
            if block.get("type") == "tool_result":
                yield from self._result(block, thread, f"{own_id}:{index}", time)
        if _is_prompt(record):
            prompt = _prompt_text(record)
            if prompt is not None and prompt[0]:
                yield from self._turn(Turn("user", prompt[0], own_id, time, thread=thread))

    def _result(
        self, block: Record, thread: str, fallback_id: str, time: datetime | None
    ) -> Iterator[Event]:
        call_id = block.get("tool_use_id")
        name: str | None = None
        error = block.get("is_error") is True
        if isinstance(call_id, str) and call_id:
            source_id = f"{call_id}:result"
            name, op = self.calls.pop(call_id, (None, None))
            if op is not None and not error:
                self._apply(op)
        else:
            source_id = fallback_id
        text = _text_of(_blocks(block.get("content")))
        content = shorten(text, TOOL_TEXT_LIMIT) or ("(error)" if error else "(no output)")
        yield from self._turn(
            Turn("tool", content, source_id, time, "tool_result", name, error, thread)
        )

    def _apply(self, op: _FileOp) -> None:
        if op.change == "read":
            self.known_files.add(op.path)
            return
        change = "modified" if op.path in self.known_files else op.change
        self.known_files.add(op.path)
        before = self.files.get(op.path, FileChange(op.path, change))
        self.files[op.path] = replace(
            before,
            lines_added=before.lines_added + op.lines_added,
            lines_removed=before.lines_removed + op.lines_removed,
        )


def _file_op(name: str, tool_input: object) -> _FileOp | None:
    """The effect on a file of a Write, Edit, MultiEdit or Read call (None for others)."""
    if not isinstance(tool_input, dict):
        return None
    path = tool_input.get("file_path")
    if not isinstance(path, str) or not path:
        return None
    if name == "Read":
        return _FileOp(path, "read")
    if name == "Write":
        content = tool_input.get("content")
        return _FileOp(path, "created", _line_count(content) if isinstance(content, str) else 0)
    edits: list[object]
    if name == "Edit":
        edits = [tool_input]
    elif name == "MultiEdit" and isinstance(tool_input.get("edits"), list):
        edits = tool_input["edits"]
    else:
        return None
    added = removed = 0
    for edit in edits:
        if isinstance(edit, dict):
            old, new = edit.get("old_string"), edit.get("new_string")
            plus, minus = edit_counts(
                old.splitlines() if isinstance(old, str) else [],
                new.splitlines() if isinstance(new, str) else [],
            )
            added += plus
            removed += minus
    return _FileOp(path, "modified", added, removed)
