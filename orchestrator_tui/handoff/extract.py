"""Facts from a whole conversation, read once, turn by turn, in bounded memory.

``Extractor.add`` takes the turns oldest first (the service streams them from the database
page by page); ``Extractor.facts`` ranks what was found. Every category keeps a bounded
number of items (the latest ones), so a session of a million turns costs time in proportion
to its text but no more memory than a short one. Deterministic: the same turns give the same
facts.

What is found, and how (sentences are read from the prose, code blocks aside; errors, TODOs
and commands from the whole text):

- Files. Tool calls (``Edit: src/app.py``, ``Write: ...``, ``apply_patch`` patches) count as
  edits, ``Read`` calls as reads, paths in the text as mentions. Edited files rank above the
  rest; the rest by mentions (reads count as mentions), the most recent first among equals.
- Commands. Shell tool calls (``Bash: npm test``), shell code blocks and ``$ `` lines of the
  text, and aider's ``/run`` and ``/test``. A tool result is matched to its call by source
  id (``<call id>:result``), else to the oldest waiting call of the same tool. Commands that
  change things rank before those that only look (``git status``, ``ls``), failed ones first.
- Errors. A tool result flagged as an error, or a shell result that reports a non-zero exit
  code; in text, a line that reads as error output (``KeyError: 'x'``, ``FAILED test``,
  ``error: ...``, ``command not found``, ``npm ERR!``, ``fatal: ...``, ``panic``), not in
  the assistant's code blocks (code it wrote) nor in a hypothetical ("if you see ...") or
  already-fixed sentence. An error is *resolved* when, in a later turn,
  (1) the same command runs again and succeeds, or a broader one does (the same program with
  fewer arguments: ``pytest`` after ``pytest tests/test_cart.py``), or the same failing
  tool call (an ``Edit`` of the same file) succeeds; or
  (2) a sentence says something is fixed (``fixed``, ``resolved``, ``works now``, ``tests
  pass``, ``no longer fails``..., not negated: ``not fixed yet`` is not) and names one of
  the error's keys (its exception name, a test name, a file, an error code, or its
  command); or
  (3) such a sentence of the user names no key at all (``That fixed it.``): it resolves the
  latest open error, if that one appeared within the ``GENERIC_FIX_TURNS`` turns before.
  An error that comes back after it was resolved is open again. Open errors are blockers.
- Decisions: sentences such as "we'll use X instead of Y", "decided to X rather than Y",
  "going with X over Y", "chose X", "let's not do Y", with the rejected alternative.
- Constraints and preferences: the user's sentences with "must", "never", "always",
  "don't", "prefer", "make sure", "only use", "avoid"... (not questions).
- Corrections: the user's turns that open with "no,", "actually", "that's wrong", "I said",
  "I meant"..., or that say "not X but Y" or "instead".
- TODOs: ``TODO:``/``FIXME:``/``XXX:`` markers and unchecked ``- [ ]`` boxes.
- The user's requests: the first line of each, verbatim (shortened), the latest last.
- Suggested next steps: the list under the assistant's latest "Next steps" (or
  "Remaining", "Still to do", "Follow-ups"...) heading, and "the next step is ..." sentences.

Only the main thread's user turns are the user's words: a subagent's "user" is the agent
that called it. Tool results of reading tools (file contents, search hits) are not scanned
for text facts: a source file's ``except KeyError:`` is no error.
"""

from __future__ import annotations

import json
import re
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from orchestrator_tui.handoff.text import shorten

# Of a longer turn, the first and the last half of this many characters are read.
SCAN_TURN_CHARS = 8_000
# The service reads at most this many turns: the first SCAN_HEAD and the latest others.
SCAN_TURNS = 20_000
SCAN_HEAD = 200
MAX_TRACKED_FILES = 2_000  # distinct paths kept; beyond, the least mentioned are forgotten
MAX_OPEN_ERRORS = 100
KEEP = 24  # items kept per category: the latest ones
KEEP_TODOS = 100
KEEP_REQUESTS = 10
KEEP_STEPS = 12
PENDING_CALLS = 64  # tool calls waiting for their result, per tool and thread
GENERIC_FIX_TURNS = 10
ITEM_CHARS = 300  # a sentence or line kept as an item
ERROR_CHARS = 200
COMMAND_CHARS = 200
REQUEST_CHARS = 160
FILE_CHARS = 300

MAIN_THREAD = ""
SHELL_TOOLS = frozenset(
    {
        *("bash", "shell", "exec_command", "local_shell", "run_command", "run_shell_command"),
        *("terminal", "run_terminal_cmd", "execute_command", "container.exec", "exec"),
        "powershell",
    }
)
EDIT_TOOLS = frozenset(
    {
        *("edit", "multiedit", "notebookedit", "str_replace_editor", "str_replace"),
        *("str_replace_based_edit_tool", "edit_file", "replace", "search_replace"),
        *("apply_patch", "patch", "insert"),
    }
)
WRITE_TOOLS = frozenset({"write", "write_file", "create_file", "create"})
READ_TOOLS = frozenset(
    {
        *("read", "read_file", "view", "notebookread", "cat", "open_file"),
        *("grep", "glob", "ls", "list_dir", "list_files", "search", "file_search"),
        *("codebase_search", "find", "webfetch", "websearch", "web_search", "fetch"),
    }
)
_FILE_READERS = frozenset({"read", "read_file", "view", "notebookread", "open_file", "cat"})

_EXTENSIONS = (
    "py|pyi|ipynb|js|jsx|mjs|cjs|ts|tsx|json|toml|yaml|yml|md|txt|cfg|ini|conf|properties|sql|"
    "sh|rs|go|java|kt|kts|scala|c|h|cc|cpp|hpp|cs|rb|php|lua|dart|ex|exs|html|css|scss|vue|"
    "svelte|tcss|lock|env|dockerfile|mk|gradle|xml|plist|xcconfig|pbxproj|swift|tf|proto|"
    "graphql|prisma"
)
# The extension is found first (a fast literal search), the path is read backwards from it.
_EXTENSION_RE = re.compile(rf"\.(?:{_EXTENSIONS})\b")  # lower case: twice as fast
_PATH_RE = re.compile(rf"(?:~?/)?(?:[\w.-]+/)*[\w-][\w.-]*\.(?:{_EXTENSIONS})\b", re.IGNORECASE)
_PATH_BACK_RE = re.compile(r"[\w.~/-]*")  # matched on the reversed text before an extension
# Names of tools and libraries that look like files ("built with Next.js").
NOT_FILES = frozenset(
    {
        *("next.js", "node.js", "nuxt.js", "vue.js", "react.js", "express.js", "nest.js"),
        *("three.js", "d3.js", "chart.js", "ember.js", "backbone.js", "angular.js"),
        *("alpine.js", "solid.js", "svelte.js", "deno.js", "bun.js", "p5.js", "moment.js"),
        *("day.js", "socket.io", "anime.js", "vite.js"),
    }
)
# A patch's files ("*** Update File: src/app.py"); a path ends at white space, since a tool
# call's text may have its lines joined.
_PATCH_FILE_RE = re.compile(r"\*\*\* (?:Add|Update|Delete) File: *(\S+)|\*\*\* Move to: *(\S+)")

# Error output: a literal search finds a hint, a pattern anchored at it checks the line.
_ERROR_HINTS = ("rror", "xception", "FAILED", "panic", "not found", "ERR!", "fatal:")
_ERROR_HINT_RE = re.compile("|".join(_ERROR_HINTS))
_AFTER_NAME_RE = re.compile(r":[ \t]*\S|[ \t`'\"]*(?:\n|$)")
_AFTER_ERROR_RE = re.compile(r"(?:\[\w+\])?:[ \t]*\S")
_LINT_LINE_RE = re.compile(r"[ \t]*\d+:\d+[ \t]+error[ \t]")
# A compiler's or linter's diagnostic: "cli/table.py:3:1: F401 `os` imported but unused".
_DIAGNOSTIC_RE = re.compile(
    r"(?m)^[ \t]*[\w./\\-]+\.\w+:\d+(?::\d+)?:? (?:[A-Z]{1,4}\d{2,5}|error|fatal)\b.*"
)
_AFTER_WORD_RE = re.compile(r"(?:ked)?\b")
_NOT_FOUND_LINE_RE = re.compile(r"[\w./-]+:?\s*command not found")
_EXIT_CODE_RE = re.compile(
    r"(?i)\b(?:exit(?:ed)?(?: with)?(?: code| status)|exit code:?|return code:?)\s*(-?\d+)"
)
_EXCEPTION_RE = re.compile(r"\b([A-Za-z_][\w.]*(?:Error|Exception))\b")
_TEST_ID_RE = re.compile(r"\b(test_\w+)")
_CODE_ID_RE = re.compile(r"\b((?:E|TS|SC|PLR?|RUF|W)\d{3,5}|E[A-Z]{3,})\b")
_NOT_FOUND_RE = re.compile(r"([\w.-]+): (?:command )?not found")
_KEY_FILE_RE = re.compile(rf"[\w-]+\.(?:{_EXTENSIONS})\b", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d+")
_NORMAL_RE = re.compile(r"[^a-z#]+")
# Words before an error in its sentence that make it hypothetical ("if you see KeyError: x").
_HYPOTHETICAL_RE = re.compile(
    r"\b(?:if|might|could|would|e\.g\.|for example|such as|in case|avoid|prevent)\b"
)

# Each category: roots (cheap substring searches on the lower-case text), then a pattern
# checked on the sentence around each root found.
_FIXED_ROOTS = (
    "fix",
    "resolv",
    "solv",
    "work",
    "pass",
    "green",
    "no longer",
    "went away",
    "gone",
    "succeed",
)
_FIXED_RE = re.compile(
    r"\b(?:fixed|fixes|resolved|solved|works now|working now|now works|passes now|"
    r"passing now|now passes|now pass|pass now|tests pass|tests are passing|all green|"
    r"is green|are green|no longer|went away|is gone|are gone|succeeds now|now succeeds|"
    r"(?:that|it|this) worked|that did it)\b"
)
_NEGATION_RE = re.compile(
    r"\b(?:not|never|still|yet|isn't|aren't|wasn't|hasn't|haven't|didn't|doesn't|don't|"
    r"won't|can't|cannot|no)\b|n't\b"
)

_DECISION_ROOTS = (
    *("instead of", "rather than", "decid", "decision", "we'll use", "we will use", "we'll go"),
    *("going with", "go with", "chose ", "choose ", "opted", "settled on", "switch", "let's not"),
    *("let us not", "let's use", "let's stick", "stick with", "won't use", "not going to use"),
)
_DECISION_RE = re.compile(
    r"\b(?:instead of|rather than|decided|decision|we'll use|we will use|we'll go with|"
    r"going with|go with|chose|choose|chosen|opted|settled on|switch to|switched to|"
    r"switching to|let's not|let us not|let's use|let's stick|stick with|we won't use|"
    r"we will not use|not going to use)\b"
)
# With "instead of" and "rather than", a sentence is a decision only when someone acts in it:
# "we'll use X instead of Y", "Use X rather than Y", "decided to keep X rather than Y".
_AGENCY_RE = re.compile(
    r"\b(?:i|we)(?:'ll|'d| will| would| should| can| decided| chose| went| are going| plan)\b|"
    r"\blet's\b|\blet us\b|\b(?:use|using|go with|going with|switch to|switching to|"
    r"stick with|keep|prefer|pick|choose|chose|opt for|opted for|decided|replace|move|store|"
    r"read|write|put|do|try)\b"
)
_OVER_CUES = ("going with", "go with", "chose", "choose", "opted", "picked", "pick ", "prefer")
_REJECTED_RES = (
    re.compile(r"(?i)\b(?:instead of|rather than)\s+(?:using\s+|the\s+)?([^,.;:!?()\n]{2,60})"),
    re.compile(
        r"(?i)\b(?:decided against|let's not|let us not|we won't use|we will not use|"
        r"not going to use|won't use)\s+(?:use\s+|using\s+|do\s+|go with\s+)?"
        r"([^,.;:!?()\n]{2,60})"
    ),
    re.compile(r"(?i),\s*not\s+([^,.;:!?()\n]{2,60})"),
    re.compile(r"(?i)\bnot\s+([^,.;:!?()\n]{2,40}?)\s+but\b"),
)
_OVER_RE = re.compile(r"(?i)\bover\s+(?:using\s+|the\s+)?([^,.;:!?()\n]{2,60})")
_CHOICE_RE = re.compile(
    r"(?i)\b(?:use|using|go with|going with|chose|choose|chosen|opted for|settled on|"
    r"switch(?:ed|ing)? to|stick with|decided (?:to use|to go with|on|to))\s+"
    r"(.{2,80}?)(?=\s+(?:instead of|rather than|over|not)\b|[,.;:!?()\n]|$)"
)

_CONSTRAINT_ROOTS = (
    "must",
    "never",
    "always",
    "don't",
    "do not",
    "dont ",
    "prefer",
    "make sure",
    "ensure",
    "only use",
    "use only",
    "avoid",
    "should not",
    "shouldn't",
    "stick to",
    "no more than",
    "at most",
    "under no circumstances",
    "keep it",
)
_CONSTRAINT_RE = re.compile(
    r"\b(?:must|never|always|don't|do not|dont|prefer|make sure|ensure|only use|use only|"
    r"avoid|should not|shouldn't|stick to|no more than|at most|under no circumstances|"
    r"keep it)\b"
)
_NOT_CONSTRAINTS = re.compile(
    r"\b(?:i|we) (?:don't|do not|dont) (?:know|understand|see|think|get|have|remember|mind)\b"
)
_CORRECTION_START = re.compile(
    r"(?:no[,.!:;]|no\s+(?:it|that|this|you|i|we|not|don't|do not|use|the)\b|nope\b|"
    r"not quite\b|actually\b|wrong\b|that's (?:wrong|not|incorrect)|"
    r"that is (?:wrong|not|incorrect)|this is wrong|incorrect\b|you misunderstood|"
    r"you got it wrong|i said\b|i meant\b|i asked\b|wait[,.!]|hmm,? no\b|stop[,.!]|"
    r"undo\b|revert\b)"
)
_CORRECTION_ROOTS = (
    "wrong",
    "not what i",
    "i said",
    "i meant",
    "i asked for",
    "supposed to",
    "should have",
    "instead",
    " but ",
    "no,",
    "actually,",
)
# On a sentence (lower case) of the user's turn.
_CORRECTION_RE = re.compile(
    r"that's wrong|that is wrong|that's not what i|that is not what i|not what i asked|"
    r"\bi said\b|\bi meant\b|\bi asked for\b|you were supposed to|you should have|\binstead\b|"
    r"\bnot [^.,;!?\n]{1,40}? but\b|^(?:no|nope|actually),"
)
CORRECTION_SCAN = 1_000  # the first characters of a user turn looked at for a correction

_TODO_ROOTS = ("todo", "fixme", "xxx")
_TODO_AT_RE = re.compile(r"(?:TODO|FIXME|XXX)(?:\([^)]*\))?:[ \t]*(\S.*)", re.IGNORECASE)
_BOX_RE = re.compile(r"[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[ \][ \t]+(\S.*)")
_STEPS_ROOTS = (
    "next step",
    "remaining",
    "to do",
    "todo",
    "to-do",
    "what's left",
    "follow",
    "pending",
)
_STEPS_HEADING_RE = re.compile(
    r"[ \t]*(?:#{1,6}[ \t]*)?(?:\d+[.)][ \t]*)?(?:\*\*|__)?[ \t]*"
    r"(?:suggested |recommended |possible |proposed |optional )?"
    r"(?:next steps?|remaining(?: work| tasks| steps| items)?|still to do|left to do|"
    r"what's left|follow[- ]?ups?|pending tasks?|to[- ]?dos?)"
    r"[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*:?[ \t]*",
    re.IGNORECASE,
)
_NEXT_STEP_RE = re.compile(
    r"(?i)\b(?:the next step is(?: to)?|next step:|next steps?:)\s*(.{3,200}?)(?:[.!]|$)"
)
_LIST_ITEM_RE = re.compile(r"[ \t]*(?:[-*+•]|\d+[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(\S.*)")
SHELL_LANGUAGES = frozenset(
    {"bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "powershell", "ps1"}
)
_SENTENCE_END_RE = re.compile(r"[.!?](?=\s|$)|\n")
_SLASH_COMMAND_RE = re.compile(r"/[a-z][\w-]*(?:\s|$)")
_INTERRUPTED = "[Request interrupted"
# Programs that only look at things: their runs rank after the others among commands.
INSPECTION_PROGRAMS = frozenset(
    {
        "ls",
        "cat",
        "head",
        "tail",
        "sed",
        "grep",
        "rg",
        "find",
        "pwd",
        "echo",
        "wc",
        "which",
        "tree",
        "less",
        "stat",
        "file",
        "du",
        "df",
        "env",
        "printenv",
        "cd",
    }
)
_RUNNERS = ("uv", "poetry", "pipenv")  # "uv run pytest": the program is the third word
_PREFIXES = ("sudo", "time", "exec", "env", "npx", *_RUNNERS)
_ENV_ASSIGNMENT_RE = re.compile(r"[A-Za-z_]\w*=\S*")
_SHELL_WRAPPERS = ("bash -lc ", "bash -c ", "sh -c ", "sh -lc ", "zsh -lc ", "zsh -c ")


class TurnRecord(NamedTuple):
    """A turn as the extractor reads it (the columns the service selects)."""

    role: str
    content: str
    kind: str = "text"
    tool_name: str | None = None
    is_error: bool = False
    thread: str = MAIN_THREAD
    # The source's id: a tool result's is its call's and ":result" (Claude Code, Codex).
    source_id: str | None = None


@dataclass(frozen=True)
class ChangedFile:
    """A file the session created, modified or deleted (a ``ProjectFile`` row)."""

    path: str
    change: str = "modified"
    lines_added: int = 0
    lines_removed: int = 0
    importance: int = 3  # 1 (incidental) to 5 (critical): key files are ranked by it


@dataclass(frozen=True)
class FileFact:
    path: str
    edits: int  # edit, write and patch calls
    created: bool  # written whole or added by a patch
    reads: int
    mentions: int
    last: int  # the turn of its latest edit, read or mention


@dataclass(frozen=True)
class CommandFact:
    command: str
    runs: int
    failed: bool | None  # the latest run: failed, succeeded, or unknown (a command in text)
    last: int


@dataclass(frozen=True)
class ErrorFact:
    text: str
    source: str | None  # the command or tool call that gave it
    count: int
    turn: int  # its latest occurrence
    keys: tuple[str, ...]  # lower-case words that identify it (exception, test, file, command)
    resolution: str | None = None  # how it was resolved; None while open


@dataclass(frozen=True)
class Decision:
    text: str  # the sentence
    choice: str
    rejected: str


@dataclass(frozen=True)
class ConversationFacts:
    """What the conversation says, ranked; lists are latest first unless noted."""

    files: tuple[FileFact, ...] = ()  # edited first, then by mentions
    commands: tuple[CommandFact, ...] = ()
    open_errors: tuple[ErrorFact, ...] = ()
    resolved_errors: tuple[ErrorFact, ...] = ()
    decisions: tuple[Decision, ...] = ()
    constraints: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()
    todos: tuple[str, ...] = ()  # oldest first, each at its latest mention
    requests: tuple[str, ...] = ()  # oldest first
    suggested_steps: tuple[str, ...] = ()  # in the order the assistant listed them
    turns_read: int = 0
    chars_read: int = 0
    turns_skipped: int = 0


@dataclass
class _Error:
    text: str
    source: str | None
    family: str | None
    keys: frozenset[str]
    turn: int
    count: int = 0
    resolution: str | None = None

    def fact(self) -> ErrorFact:
        keys = tuple(sorted(self.keys))
        return ErrorFact(self.text, self.source, self.count, self.turn, keys, self.resolution)


@dataclass
class _Pending:
    """A tool call waiting for its result."""

    action: str  # "Bash: npm test"
    command: str | None  # for a shell call
    family: str | None


@dataclass
class _Latest:
    """The latest ``limit`` distinct items, ordered by their latest mention."""

    limit: int
    items: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def add(self, item: str) -> None:
        key = item.casefold()
        self.items.pop(key, None)
        self.items[key] = item
        if len(self.items) > self.limit:
            self.items.popitem(last=False)

    def oldest_first(self) -> tuple[str, ...]:
        return tuple(self.items.values())

    def latest_first(self) -> tuple[str, ...]:
        return tuple(reversed(self.items.values()))

    def __contains__(self, item: str) -> bool:
        return item.casefold() in self.items


def _lower(text: str) -> str:
    """``text`` in lower case with every character where it was (a few characters grow when
    lowered; those stay as they are)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


def _scanned(content: str) -> str:
    if len(content) <= SCAN_TURN_CHARS:
        return content
    half = SCAN_TURN_CHARS // 2
    return content[:half] + "\n" + content[-half:]


def _positions(low: str, roots: tuple[str, ...]) -> list[int]:
    """Where the roots occur in ``low``, in order."""
    if not any(map(low.__contains__, roots)):  # most texts: one pass in C, nothing found
        return []
    found: list[int] = []
    for root in roots:
        index = low.find(root)
        while index >= 0:
            found.append(index)
            index = low.find(root, index + 1)
    found.sort()
    return found


def _fences(text: str) -> list[tuple[int, int]]:
    """The spans of fenced code blocks (an unclosed fence runs to the end)."""
    spans: list[tuple[int, int]] = []
    for fence in ("```", "~~~"):
        start: int | None = None
        position = text.find(fence)
        while position >= 0:
            line_start = text.rfind("\n", 0, position) + 1
            if not text[line_start:position].strip(" \t"):  # a fence opens its line
                if start is None:
                    start = position
                else:
                    spans.append((start, position + len(fence)))
                    start = None
            position = text.find(fence, position + len(fence))
        if start is not None:
            spans.append((start, len(text)))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _line(text: str, position: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return start, end if end >= 0 else len(text)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around ``text[start:end]``: from the end of the previous
    sentence (or line) to the end of this one, at most ``ITEM_CHARS`` wide."""
    left = text.rfind("\n", 0, start) + 1
    for match in _SENTENCE_END_RE.finditer(text, max(left, start - ITEM_CHARS), start):
        left = match.end()
    found = _SENTENCE_END_RE.search(text, end, min(len(text), end + ITEM_CHARS))
    right = found.end() if found else min(len(text), end + ITEM_CHARS)
    if text[right - 1 : right] == "\n":
        right -= 1
    return left, right


def _sentences(text: str, positions: list[int]) -> list[tuple[int, int]]:
    """The distinct sentences around ``positions``, in order."""
    found: list[tuple[int, int]] = []
    for position in positions:
        if found and found[-1][0] <= position < found[-1][1]:
            continue
        bounds = _sentence(text, position, position + 1)
        if bounds not in found:
            found.append(bounds)
    return found


def _prose(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without its fenced code blocks."""
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        parts.append(text[last:start])
        last = max(last, end)
    parts.append(text[last:])
    return "\n".join(parts)


def _clean(text: str, limit: int = ITEM_CHARS) -> str:
    """A sentence as an item: one line, list markers and emphasis off, shortened."""
    text = text.strip().lstrip("-*•>#").strip().strip("*_").replace("**", "").strip()
    return shorten(text, limit)


def _normal(text: str) -> str:
    """An error's identity: lower case, digits as ``#``, punctuation and spaces collapsed."""
    return _NORMAL_RE.sub(" ", _DIGITS_RE.sub("#", text.lower())).strip()[:80]


def _family(command: str) -> str:
    """A command's program and first two arguments, flags and prefixes aside:
    ``cd web && FOO=1 npm run build -- --watch`` -> ``npm run build``."""
    command = command.rsplit("&&", 1)[-1].rsplit(";", 1)[-1].strip()
    words = [word for word in command.split() if not _ENV_ASSIGNMENT_RE.fullmatch(word)]
    while words and words[0] in _PREFIXES:
        words = words[2:] if words[0] in _RUNNERS and len(words) > 1 else words[1:]
    if not words:
        return ""
    rest = [word for word in words[1:] if not word.startswith("-")]
    return " ".join([words[0], *rest[:2]]).lower()


def _broader(later: str, earlier: str) -> bool:
    """Whether a run of the family ``later`` covers one of ``earlier`` (the same, or the same
    program with fewer arguments)."""
    return bool(later) and (later == earlier or earlier.startswith(later + " "))


def _shell_command(key: str) -> str:
    """The command of a shell tool call's input: the text itself, or the ``cmd`` or
    ``command`` of a JSON input (a list is joined, a ``bash -lc`` wrapper taken off)."""
    key = key.strip()
    if key.startswith("{"):
        try:
            data = json.loads(key)
        except ValueError:
            data = None
        if isinstance(data, dict):
            value = data.get("cmd", data.get("command"))
            if isinstance(value, list):
                parts = [str(part) for part in value]
                if len(parts) >= 3 and parts[1] in ("-lc", "-c"):
                    parts = parts[2:]
                key = " ".join(parts)
            elif isinstance(value, str):
                key = value
    for wrapper in _SHELL_WRAPPERS:
        if key.startswith(wrapper):
            key = key[len(wrapper) :].strip().strip("'\"")
            break
    return shorten(key, COMMAND_CHARS)


def _error_start(text: str, start: int, end: int, line_start: int) -> int | None:
    """Where the error output that the hint ``text[start:end]`` belongs to begins, or None
    when the hint is only a word (``error handling``, ``except KeyError:``)."""
    hint = text[start:end]
    if hint in ("rror", "xception"):  # the hint leaves out the first letter, for speed
        if start <= line_start or text[start - 1] not in ("E", "e"):
            return None
        start -= 1
        hint = text[start:end]
    before = text[start - 1] if start > line_start else " "
    if hint in ("Error", "Exception"):
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            return None  # ErrorHandler
        name = start
        while name > line_start and (text[name - 1].isalnum() or text[name - 1] in "_."):
            name -= 1
        if _AFTER_NAME_RE.match(text, end) is None:
            return None
        return name
    if before.isalnum() or before == "_":
        return None
    if hint == "error":
        if _AFTER_ERROR_RE.match(text, end):
            return start
        # a linter's line: "  4:10  error  'x' is defined but never used"
        return line_start if _LINT_LINE_RE.match(text, line_start) else None
    if hint == "FAILED":  # the whole line: "test result: FAILED", "FAILED tests/x.py::t"
        return line_start if end >= len(text) or not text[end].isalnum() else None
    if hint == "fatal:":
        return start
    if hint == "panic":
        return start if _AFTER_WORD_RE.match(text, end) else None
    if hint == "ERR!":
        return start - 4 if text[max(start - 4, 0) : start] == "npm " else None
    found = _NOT_FOUND_LINE_RE.search(text, max(line_start, start - 80), end)
    return found.start() if found is not None and found.end() == end else None


def _errors_in(text: str) -> list[tuple[int, str]]:
    """(position, error line) for every line of ``text`` that reads as error output."""
    found: list[tuple[int, str]] = []
    if not any(map(text.__contains__, _ERROR_HINTS)):  # most texts: one pass in C
        return found
    last_line = -1
    for hint in _ERROR_HINT_RE.finditer(text):
        line_start, line_end = _line(text, hint.start())
        if line_start == last_line:
            continue
        start = _error_start(text, hint.start(), hint.end(), line_start)
        if start is not None:
            last_line = line_start
            found.append((start, _clean(text[start:line_end].strip().strip("`"), ERROR_CHARS)))
    return found


def _error_line(text: str) -> str | None:
    """The first line of a tool's output that reads as error output (or as a compiler's or
    linter's diagnostic), shortened."""
    found = _errors_in(text)
    if found:
        return found[0][1]
    diagnostic = _DIAGNOSTIC_RE.search(text)
    return _clean(diagnostic.group(0), ERROR_CHARS) if diagnostic is not None else None


def _first_line(text: str) -> str:
    """The first line that says something (not a bare exit status), for a failed call."""
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        if len(line) > 40 or not _EXIT_CODE_RE.search(line):
            return _clean(line, ERROR_CHARS)
    return _clean(lines[0], ERROR_CHARS) if lines else "error"


def _fixed(low: str) -> bool:
    """Whether a (lower-case) sentence says something is fixed, not negated."""
    for match in _FIXED_RE.finditer(low):
        if match.group(0) == "no longer":
            return True
        if not _NEGATION_RE.search(low, max(0, match.start() - 25), match.start()):
            return True
    return False


def _error_keys(text: str) -> set[str]:
    """What names an error: exception names, test names, error codes, file names, the
    program a shell could not find (lower case)."""
    keys = {name.rsplit(".", 1)[-1].lower() for name in _EXCEPTION_RE.findall(text)}
    keys.discard("error")
    keys.discard("exception")
    keys.update(test.lower() for test in _TEST_ID_RE.findall(text))
    keys.update(code.lower() for code in _CODE_ID_RE.findall(text))
    keys.update(name.lower() for name in _NOT_FOUND_RE.findall(text))
    keys.update(name.lower() for name in _KEY_FILE_RE.findall(text))
    return keys


class Extractor:
    """Reads turns one at a time; ``facts`` gives what they said."""

    def __init__(self, working_directory: str | None = None, recent: int = 0) -> None:
        root = (working_directory or "").rstrip("/\\")
        self._root = root + "/" if root else ""
        self.recent: deque[tuple[str, str]] = deque(maxlen=max(recent, 0))
        self.turn = 0
        self.chars = 0
        self.skipped = 0
        self._files: dict[str, list[int]] = {}  # path -> [edits, created, reads, mentions, last]
        self._known: dict[str, str | None] = {}  # a path as written -> as kept (None: no path)
        self._commands: OrderedDict[str, list[int]] = OrderedDict()  # -> [runs, failed, last]
        self._open: OrderedDict[str, _Error] = OrderedDict()
        self._resolved: OrderedDict[str, _Error] = OrderedDict()
        self._pending: dict[tuple[str, str], deque[_Pending]] = {}
        self._calls: OrderedDict[str, _Pending] = OrderedDict()  # by the call's source id
        self._decisions: OrderedDict[str, Decision] = OrderedDict()
        self._constraints = _Latest(KEEP)
        self._corrections = _Latest(KEEP)
        self._todos = _Latest(KEEP_TODOS)
        self._requests = _Latest(KEEP_REQUESTS)
        self._steps: list[str] = []

    # --- input -----------------------------------------------------------------------------

    def add(self, turn: TurnRecord) -> None:
        self.turn += 1
        content = turn.content or ""
        self.chars += len(content)
        if self.recent.maxlen:
            self.recent.append((turn.role, content))
        text = _scanned(content)
        if not text.strip():
            return
        if turn.kind == "tool_call":
            self._tool_call(turn, text)
        elif turn.kind == "tool_result":
            self._tool_result(turn, text)
        else:
            self._text(turn, text)

    def add_all(self, turns: Iterable[TurnRecord | tuple[str, str]]) -> Extractor:
        for turn in turns:
            self.add(turn if isinstance(turn, TurnRecord) else TurnRecord(*turn))
        return self

    def skip(self, count: int) -> None:
        """Turns that were not read (the middle of a very long session)."""
        self.skipped += max(count, 0)
        self.turn += max(count, 0)

    # --- files -----------------------------------------------------------------------------

    def _path(self, raw: str) -> str | None:
        path = raw.strip().strip("`'\"()[]<>,;:")
        if self._root and path.startswith(self._root):
            path = path[len(self._root) :]
        path = path.removeprefix("./")
        if not path or "\n" in path or path.casefold() in NOT_FILES:
            return None
        return shorten(path, FILE_CHARS)

    def _file(self, path: str | None, slot: int, times: int = 1) -> None:
        """Counts events on a file: slot 0 edit, 1 created, 2 read, 3 mention."""
        if path is None:
            return
        entry = self._files.get(path)
        if entry is None:
            entry = self._files[path] = [0, 0, 0, 0, 0]
            if len(self._files) > 2 * MAX_TRACKED_FILES:
                self._files = dict(sorted(self._files.items(), key=_file_rank)[:MAX_TRACKED_FILES])
                entry = self._files.setdefault(path, entry)
        if slot == 1:
            entry[0] += times
            entry[1] = 1
        else:
            entry[slot] += times
        entry[4] = self.turn

    def _mentions(self, text: str) -> None:
        """Paths in ``text``: each extension found, the path read backwards from it (on the
        reversed text), then checked; a path seen before is looked up, not checked again.
        (The hottest loop of the extractor: kept to a few calls per match.)"""
        spans = [match.span() for match in _EXTENSION_RE.finditer(text)]
        if not spans:
            return
        size = len(text)
        reverse = text[::-1]
        back_from = _PATH_BACK_RE.match
        raws: list[str] = []
        for start, end in spans:
            if text.startswith("(", end):
                continue  # a call, not a file: res.json(...), express.json()
            back = back_from(reverse, size - start, size - max(0, start - FILE_CHARS))
            raws.append(text[size - back.end() if back else start : end])
        known = self._known
        for raw, times in Counter(raws).items():
            if raw in known:
                path = known[raw]
            else:
                found = _PATH_RE.search(raw)  # a leading "-" or "." no path starts with
                path = None
                if found is not None and found.end() == len(raw):
                    path = self._path(found.group(0))
                if len(known) >= MAX_TRACKED_FILES:
                    known.clear()
                known[raw] = path
            self._file(path, 3, times)

    # --- tool calls and results ------------------------------------------------------------

    def _tool_call(self, turn: TurnRecord, text: str) -> None:
        name = turn.tool_name or text.split(":", 1)[0].strip()
        key = text[len(name) + 1 :].strip() if text.startswith(name + ":") else text.strip()
        lower = name.lower()
        command: str | None = None
        if lower in SHELL_TOOLS:
            command = _shell_command(key)
            self._command(command)
        elif lower in EDIT_TOOLS or lower in WRITE_TOOLS:
            patched = [m.group(1) or m.group(2) for m in _PATCH_FILE_RE.finditer(key)]
            if patched:
                for path in patched:
                    created = f"*** Add File: {path}" in key
                    self._file(self._path(path.strip()), 1 if created else 0)
            elif key and "\n" not in key and " " not in key:
                self._file(self._path(key), 1 if lower in WRITE_TOOLS else 0)
            else:
                self._mentions(key)
        elif lower in _FILE_READERS and key and "\n" not in key:
            self._file(self._path(key.split()[0]), 2)
        action = shorten(f"{name}: {key}" if key else name, COMMAND_CHARS)
        family = _family(command) if command is not None else None
        pending = _Pending(action, command, family)
        self._expect(turn.thread, turn.tool_name or "", pending)
        if turn.source_id:
            self._calls[turn.source_id] = pending
            if len(self._calls) > PENDING_CALLS:
                self._calls.popitem(last=False)

    def _expect(self, thread: str, tool: str, call: _Pending) -> None:
        queue = self._pending.setdefault((thread, tool), deque())
        queue.append(call)
        if len(queue) > PENDING_CALLS:
            queue.popleft()

    def _call_of(self, turn: TurnRecord) -> _Pending | None:
        """The call a result answers: the one its source id names, else the oldest waiting
        call of the same tool in the same thread."""
        queue = self._pending.get((turn.thread, turn.tool_name or ""))
        call_id = (turn.source_id or "").removesuffix(":result")
        call = self._calls.pop(call_id, None) if call_id != turn.source_id else None
        if call is None:
            return queue.popleft() if queue else None
        if queue and call in queue:
            queue.remove(call)
        return call

    def _tool_result(self, turn: TurnRecord, text: str) -> None:
        call = self._call_of(turn)
        if call is not None and call.command is not None:
            self._shell_result(turn, text, call)
            return
        if turn.is_error:
            self._error(_error_line(text) or _first_line(text), call)
            return
        if call is not None:
            self._succeeded(call)
        if (turn.tool_name or "").lower() in READ_TOOLS:
            return  # file contents and search hits: their errors and paths are not facts
        self._mentions(text)
        if call is None:
            for _, line in _errors_in(text)[:1]:
                self._error(line, None)
        self._todo_markers(text, _lower(text))

    def _shell_result(self, turn: TurnRecord, text: str, call: _Pending) -> None:
        assert call.command is not None
        exit_code = _EXIT_CODE_RE.search(text)
        line = _error_line(text)
        failed = (
            turn.is_error
            or (exit_code is not None and exit_code.group(1) != "0")
            # Output without a structured status (aider's /run): error lines tell.
            or (turn.tool_name is None and exit_code is None and line is not None)
        )
        self._command(call.command, failed, run=False)
        self._mentions(text)
        if failed:
            self._error(line or _first_line(text), call)
        else:
            self._succeeded(call)

    def _command(self, command: str, failed: bool | None = None, *, run: bool = True) -> None:
        """A run of ``command`` (its outcome unknown yet), or the outcome of the latest run."""
        if not command:
            return
        entry = self._commands.pop(command, None) or [0, -1, 0]
        if run:
            entry[0] += 1
            entry[1] = -1
        if failed is not None:
            entry[1] = int(failed)
        entry[2] = self.turn
        self._commands[command] = entry
        if len(self._commands) > 2 * KEEP:
            self._commands.popitem(last=False)

    # --- errors ----------------------------------------------------------------------------

    def _error(self, line: str, call: _Pending | None) -> None:
        norm = _normal(line)
        if not norm:
            return
        source = (call.command or call.action) if call is not None else None
        family = call.family if call is not None else None
        keys = _error_keys(line)
        if family:
            keys.add(family)
        known = self._open.pop(norm, None) or self._resolved.pop(norm, None)
        if known is None:
            known = _Error(line, source, family, frozenset(keys), self.turn)
        known.count += 1
        known.turn = self.turn
        known.text = line
        known.source = source or known.source
        known.family = family or known.family
        known.keys = known.keys | keys
        known.resolution = None
        self._open[norm] = known
        if len(self._open) > MAX_OPEN_ERRORS:
            self._open.popitem(last=False)

    def _resolve(self, norm: str, how: str) -> None:
        error = self._open.pop(norm)
        error.resolution = how
        self._resolved[norm] = error
        if len(self._resolved) > KEEP:
            self._resolved.popitem(last=False)

    def _succeeded(self, call: _Pending) -> None:
        """A call succeeded: the earlier errors of the same command (or of a narrower one),
        or of the same failing tool call, are resolved."""
        for norm, error in list(self._open.items()):
            if error.turn >= self.turn:
                continue
            if call.family is not None:
                same = error.family is not None and _broader(call.family, error.family)
            else:
                same = error.source == call.action
            if same:
                how = f"later `{shorten(call.command or call.action, 80)}` succeeded"
                self._resolve(norm, how)

    def _fixes(self, text: str, low: str, user: bool) -> None:
        """Sentences that say something is fixed resolve the earlier open errors they name;
        the user's, naming nothing ("that worked"), the latest one if it is recent."""
        positions = _positions(low, _FIXED_ROOTS)
        for left, right in _sentences(text, positions):
            if not self._open:
                return
            sentence = low[left:right]
            if not _fixed(sentence):
                continue
            quote = f"“{_clean(text[left:right], 80)}”"
            named = [
                norm
                for norm, error in self._open.items()
                if error.turn < self.turn and any(key in sentence for key in error.keys)
            ]
            for norm in named:
                self._resolve(norm, quote)
            if user and not named and not _error_keys(text[left:right]):
                norm, error = next(reversed(self._open.items()))
                if 0 < self.turn - error.turn <= GENERIC_FIX_TURNS:
                    self._resolve(norm, quote)

    def _text_errors(self, text: str, spans: list[tuple[int, int]]) -> None:
        """Error lines of a text turn; not those told as hypothetical or as already fixed
        (a fix of an error seen before was read by ``_fixes``)."""
        for start, line in _errors_in(text):
            if not _inside(start, spans):
                left, right = _sentence(text, start, start + 1)
                before, sentence = _lower(text[left:start]), _lower(text[left:right])
                if _HYPOTHETICAL_RE.search(before) or _fixed(sentence):
                    continue
            self._error(line, None)

    # --- text ------------------------------------------------------------------------------

    def _text(self, turn: TurnRecord, text: str) -> None:
        self._mentions(text)
        if turn.thread != MAIN_THREAD:
            return
        # Sentences are read from the prose (code blocks aside); errors, TODOs and commands
        # from the whole text.
        spans = _fences(text)
        prose = _prose(text, spans)
        low = _lower(prose)
        summary = turn.kind == "summary"
        user = turn.role == "user" and not summary
        if not summary:
            if self._open:
                self._fixes(prose, low, user)
            if turn.role == "assistant":  # its code blocks are code it wrote, not output
                self._text_errors(prose, [])
            else:
                self._text_errors(text, spans)
        self._todo_markers(text, _lower(text) if spans else low)
        self._text_commands(text, user)
        self._decisions_in(prose, low)
        if user:
            self._user(text, prose, low)
        elif turn.role in ("assistant", "system") or summary:
            self._next_steps(prose, low)

    def _todo_markers(self, text: str, low: str) -> None:
        for position in _positions(low, _TODO_ROOTS):
            if position and (low[position - 1].isalnum() or low[position - 1] == "_"):
                continue
            found = _TODO_AT_RE.match(text, position)
            if found is not None:
                self._todos.add(_clean(found.group(1), ERROR_CHARS))
        for position in _positions(low, ("[ ]",)):
            line_start, line_end = _line(text, position)
            found = _BOX_RE.fullmatch(text, line_start, line_end)
            if found is not None:
                self._todos.add(_clean(found.group(1), ERROR_CHARS))

    def _text_commands(self, text: str, user: bool) -> None:
        if user and text.startswith(("/run ", "/test ")):
            command = _shell_command(text.split(None, 1)[1].splitlines()[0])
            self._command(command)
            self._expect(MAIN_THREAD, "", _Pending(f"run: {command}", command, _family(command)))
            return
        position = text.find("```")
        while position >= 0:
            line_end = text.find("\n", position)
            if line_end < 0:
                break
            close = text.find("```", line_end)
            if text[position + 3 : line_end].strip().lower() in SHELL_LANGUAGES:
                body = text[line_end + 1 : close if close >= 0 else len(text)]
                lines = [line.strip() for line in body.splitlines() if line.strip()]
                prompts = [line[2:] for line in lines if line.startswith("$ ")]
                for line in (prompts or lines)[:5]:
                    if not line.startswith(("#", "//")):
                        self._command(_shell_command(line))
            if close < 0:
                break
            position = text.find("```", close + 3)
        for position in _positions(text, ("$ ",)):
            line_start, line_end = _line(text, position)
            if not text[line_start:position].strip(" \t") and not text.startswith(
                "```", line_start
            ):
                self._command(_shell_command(text[position + 2 : line_end]))

    def _decisions_in(self, text: str, low: str) -> None:
        positions = _positions(low, _DECISION_ROOTS)
        for left, right in _sentences(text, positions):
            cue = _DECISION_RE.search(low, left, right)
            if cue is None:
                continue
            if cue.group(0) in ("instead of", "rather than") and not _AGENCY_RE.search(
                low, left, right
            ):
                continue  # a description ("handled by a flag rather than by a category")
            sentence = _clean(text[left:right])
            if not sentence or sentence.endswith("?"):
                continue
            key = sentence.casefold()
            self._decisions.pop(key, None)
            self._decisions[key] = _decision(sentence)
            if len(self._decisions) > KEEP:
                self._decisions.popitem(last=False)

    def _user(self, text: str, prose: str, low: str) -> None:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if first and not _SLASH_COMMAND_RE.match(first) and not first.startswith(_INTERRUPTED):
            self._requests.add(shorten(first, REQUEST_CHARS))
        text = prose
        correction = self._correction(text, low)
        if correction is not None:
            self._corrections.add(correction)
        positions = _positions(low, _CONSTRAINT_ROOTS)
        for left, right in _sentences(text, positions):
            if _CONSTRAINT_RE.search(low, left, right) is None:
                continue
            sentence = _clean(text[left:right])
            if (
                not sentence
                or sentence.endswith("?")
                or _NOT_CONSTRAINTS.search(low, left, right)
                or (correction is not None and sentence.casefold() in correction.casefold())
            ):
                continue
            self._constraints.add(sentence)

    def _correction(self, text: str, low: str) -> str | None:
        opening = low.lstrip()
        offset = len(low) - len(opening)
        if _CORRECTION_START.match(opening, 0, 60):
            _, right = _sentence(text, offset, offset + 1)
            if right - offset < 20:  # "No." alone says little: the next sentence with it
                _, right = _sentence(text, right + 1, right + 2)
            return _clean(text[offset:right]) or None
        head = low[:CORRECTION_SCAN]
        positions = _positions(head, _CORRECTION_ROOTS)
        for left, right in _sentences(text, positions):
            if _CORRECTION_RE.search(low[left:right].lstrip()) is None:
                continue
            sentence = _clean(text[left:right])
            if sentence and not sentence.endswith("?"):
                return sentence
        return None

    def _next_steps(self, text: str, low: str) -> None:
        found: list[str] = []
        lines_seen: set[int] = set()
        for position in _positions(low, _STEPS_ROOTS):
            line_start, line_end = _line(text, position)
            if line_start in lines_seen:
                continue
            lines_seen.add(line_start)
            if _STEPS_HEADING_RE.fullmatch(text, line_start, line_end):
                items = _list_after(text, line_end)
                found = items or found
                continue
            inline = _NEXT_STEP_RE.search(text, line_start, line_end)
            if inline is not None:
                step = _clean(inline.group(1))
                if step and step not in found:
                    found.append(step)
        if found:
            self._steps = found[:KEEP_STEPS]

    # --- output ----------------------------------------------------------------------------

    def _merged_files(self) -> dict[str, list[int]]:
        """The files, with the other spellings of a path counted into it: an absolute path
        from another folder into the relative path it ends with ("/Users/ana/app/src/a.py"
        into "src/a.py"), and a bare name ("a.py") into the one path that ends with it."""
        files = {path: list(entry) for path, entry in self._files.items()}
        for path in [path for path in files if path.startswith(("/", "~/"))]:
            parts = path.split("/")
            for cut in range(1, len(parts) - 1):
                suffix = "/".join(parts[cut:])
                if suffix != path and suffix in files and "/" in suffix:
                    _add_counts(files[suffix], files.pop(path))
                    break
        by_name: dict[str, list[str]] = {}
        for path in files:
            if "/" in path:
                by_name.setdefault(path.rsplit("/", 1)[1], []).append(path)
        for path in [path for path in files if "/" not in path]:
            owners = by_name.get(path, [])
            if len(owners) == 1:
                _add_counts(files[owners[0]], files.pop(path))
        return files

    def facts(self) -> ConversationFacts:
        ranked = sorted(self._merged_files().items(), key=_file_rank)[: 2 * KEEP]
        files = tuple(
            FileFact(path, entry[0], bool(entry[1]), entry[2], entry[3], entry[4])
            for path, entry in ranked
        )
        # reversed: of two commands of one turn, the one run later first (a stable sort)
        commands = sorted(
            (
                CommandFact(command, runs, None if failed < 0 else bool(failed), last)
                for command, (runs, failed, last) in reversed(self._commands.items())
            ),
            key=_command_rank,
        )
        return ConversationFacts(
            files=files,
            commands=tuple(commands[:KEEP]),
            open_errors=tuple(error.fact() for error in reversed(self._open.values()))[:KEEP],
            resolved_errors=tuple(error.fact() for error in reversed(self._resolved.values())),
            decisions=tuple(reversed(self._decisions.values())),
            constraints=self._constraints.latest_first(),
            corrections=self._corrections.latest_first(),
            todos=self._todos.oldest_first(),
            requests=self._requests.oldest_first(),
            suggested_steps=tuple(self._steps),
            turns_read=self.turn - self.skipped,
            chars_read=self.chars,
            turns_skipped=self.skipped,
        )

    def recent_turns(self) -> list[tuple[str, str]]:
        return list(self.recent)


def _list_after(text: str, position: int) -> list[str]:
    """The items of the list that starts after ``position``: blank lines may come before and
    between items, indented lines continue an item or nest items (those count too); the list
    ends at other text, or at an item less indented than its first (the summary's next
    numbered heading)."""
    items: list[str] = []
    indent = -1
    for line in text[position:].splitlines():
        if not line.strip():
            continue
        item = _LIST_ITEM_RE.fullmatch(line)
        depth = len(line) - len(line.lstrip())
        if item is not None and depth >= indent:
            indent = depth if indent < 0 else indent
            items.append(_clean(item.group(1)))
            if len(items) >= KEEP_STEPS:
                break
        elif not (items and depth > indent):
            break
    return [item for item in items if item]


def _add_counts(into: list[int], other: list[int]) -> None:
    """Counts of a file's other spelling added to its own: edits, reads, mentions; created
    if either was; the latest turn."""
    for slot in (0, 2, 3):
        into[slot] += other[slot]
    into[1] |= other[1]
    into[4] = max(into[4], other[4])


def _command_rank(command: CommandFact) -> tuple[bool, bool, int]:
    """Commands that did something before those that only looked (``git status``, ``ls``,
    ``cat``...); a failed one first; then the latest."""
    words = _family(command.command).split()
    looked = bool(words) and (
        words[0] in INSPECTION_PROGRAMS
        or words[:2]
        in (["git", "status"], ["git", "diff"], ["git", "log"], ["git", "show"], ["git", "branch"])
    )
    return (looked, command.failed is not True, -command.last)


def _file_rank(item: tuple[str, list[int]]) -> tuple[int, int, int, str]:
    """Edited or written files first; then by edits, reads and mentions; then the latest."""
    path, (edits, _created, reads, mentions, last) = item
    return (-int(edits > 0), -(edits + reads + mentions), -last, path)


def _decision(sentence: str) -> Decision:
    rejected = ""
    for pattern in _REJECTED_RES:
        found = pattern.search(sentence)
        if found is not None:
            rejected = found.group(1).strip()
            break
    low = sentence.lower()
    if not rejected and any(cue in low for cue in _OVER_CUES):
        found = _OVER_RE.search(sentence)
        if found is not None:
            rejected = found.group(1).strip()
    choice_match = _CHOICE_RE.search(sentence)
    choice = choice_match.group(1).strip() if choice_match is not None else ""
    return Decision(sentence, shorten(choice, 80), shorten(rejected, 80))


def extract(
    turns: Iterable[TurnRecord | tuple[str, str]], working_directory: str | None = None
) -> ConversationFacts:
    """The facts of a conversation held in memory (the service streams instead)."""
    return Extractor(working_directory).add_all(turns).facts()
