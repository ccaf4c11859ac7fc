"""An error's signature, read from pasted text: what failed, where, and a normalised form
that the same error from another run (other paths, line numbers, addresses, ids, values)
shares.

The paste may hold an error message, a stack trace, code and prose, in any order. Each line
is looked at by detectors for the usual shapes, each with a priority:

- Python tracebacks (the exception line after ``Traceback (most recent call last):``; of a
  chain, the last one), pytest's ``E   ...`` lines;
- Java ``Exception in thread ...`` and ``Caused by: ...`` (the last cause is the root);
- JavaScript and TypeScript ``TypeError: ...`` followed by ``at ...`` frames, ``tsc``'s
  ``error TS2345``, Node's ``Error [ERR_...]``;
- Rust ``error[E0382]: ...`` and panics, Go ``panic: ...`` and compiler lines;
- shells' ``command not found``, ``Permission denied``, ``No such file or directory``;
- compilers' and linters' ``path:line:col: error: ...``; ``npm ERR! code ...``;
- HTTP statuses (``HTTP/1.1 403 Forbidden``, ``401 Client Error``, ``status code 429``);
- generic ``Error: ...``/``fatal: ...`` lines, and last an exception name in prose.

The highest priority wins; among equals the first, except for Python chains and Java causes.
Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator_tui.handoff.text import shorten
from orchestrator_tui.records import ErrorSignature, StackFrame

# A longer paste is analysed by its start and its end (the error is at one or the other).
MAX_ANALYSED = 200_000
HEAD_CHARS = 50_000
MAX_LINE = 2_000  # characters of a line the detectors look at
MAX_FRAMES = 40
MAX_FILES = 20
MAX_KEYWORDS = 12
MESSAGE_CHARS = 300
VALUE_CHARS = 120
FRAME_LOOKAHEAD = 100  # lines after an error line where its frames are looked for

GENERIC_TYPES = frozenset(
    {"error", "exception", "panic", "fatal", "fatal error", "runtime error", "npm error"}
)
STOPWORDS = frozenset(
    {
        *("the", "and", "for", "with", "from", "that", "this", "was", "were", "are", "has"),
        *("have", "had", "been", "into", "onto", "its", "but", "you", "your", "our", "can"),
        *("could", "will", "would", "should", "there", "their", "then", "than", "when"),
        *("which", "while", "any", "all", "some", "such", "did", "does", "got", "get"),
    }
)
# Built-in exceptions only Python has (TypeError and the like are JavaScript's too).
PYTHON_EXCEPTIONS = frozenset(
    {
        *("AttributeError", "ImportError", "ModuleNotFoundError", "IndexError", "KeyError"),
        *("NameError", "ZeroDivisionError", "FileNotFoundError", "PermissionError", "OSError"),
        *("ValueError", "AssertionError", "RecursionError", "UnicodeDecodeError"),
        *("UnicodeEncodeError", "NotImplementedError", "JSONDecodeError", "IsADirectoryError"),
        *("ConnectionRefusedError", "TimeoutError", "StopIteration", "FileExistsError"),
    }
)
HTTP_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_LIBRARY_PARTS = (
    "site-packages",
    "dist-packages",
    "node_modules",
    "node:internal",
    "<frozen",
    "/usr/lib/",
    "/rustc/",
    "/go/src/runtime",
    "/.cargo/registry/",
    "java.base/",
)
_EXTENSIONS = (
    "py|pyi|js|jsx|mjs|cjs|ts|tsx|mts|cts|json|toml|yaml|yml|rs|go|java|kt|kts|scala|c|h|cc|cpp|"
    "hpp|cs|rb|php|swift|sh|sql|vue|svelte|html|css|scss|md|txt|cfg|ini|lock|xml|gradle|tf"
)

# --- normalisation ------------------------------------------------------------------------

_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_URL_RE = re.compile(r"\b[a-zA-Z][\w+.-]*://[^\s'\"<>()\[\]{}]+")
_QUOTED_RE = re.compile(
    r"(?<![\w'])'([^'\n]{0,200}?)'(?![\w'])"
    r'|"([^"\n]{0,200}?)"'
    r"|`([^`\n]{0,200}?)`"
    r"|‘([^’\n]{0,200}?)’"
    r"|“([^”\n]{0,200}?)”"
)
_UUID_RE = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_ADDRESS_RE = re.compile(r"\b0x[0-9a-fA-F]+\b")
_PATH_RE = re.compile(
    r"(?:\b[A-Za-z]:)?(?:~|\.{1,2})?(?:[\\/][\w.@+-]+)+[\\/]?"
    r"|\b[\w.@+-]+(?:[\\/][\w.@+-]+)+[\\/]?"
    rf"|\b[\w-]+\.(?:{_EXTENSIONS})\b"
)
_HEX_ID_RE = re.compile(r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{7,}\b")
_NUMBER_RE = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)*(?!\w)")
_PLACEHOLDER_RE = re.compile(r"<(?:url|q|id|addr|path|n)>")
_WORD_RE = re.compile(r"[a-z][a-z_]{2,}")
_TYPE_NAME_RE = re.compile(r"[A-Za-z_$][\w$]*|error\[E\d{4}\]")
# In order: a URL or a quoted path is one value, not a path inside a value.
_VARIABLE_PARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("<url>", _URL_RE),
    ("<q>", _QUOTED_RE),
    ("<id>", _UUID_RE),
    ("<addr>", _ADDRESS_RE),
    ("<path>", _PATH_RE),
    ("<id>", _HEX_ID_RE),
    ("<n>", _NUMBER_RE),
)


def strip_ansi(text: str) -> str:
    """Without terminal colour codes (a paste from a terminal often has them)."""
    return _ANSI_RE.sub("", text) if "\x1b" in text else text


def normalize(text: str) -> str:
    """``text`` in lower case on one line, with URLs, quoted values, ids, addresses, paths and
    numbers replaced by ``<url>``, ``<q>``, ``<id>``, ``<addr>``, ``<path>``, ``<n>``: the
    same error from another run normalises the same."""
    for placeholder, pattern in _VARIABLE_PARTS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split()).lower()


def quoted_values(text: str) -> tuple[str, ...]:
    """The values in quotes, in order, each once (what ``normalize`` replaces by ``<q>``)."""
    values: list[str] = []
    for found in _QUOTED_RE.finditer(text):
        value = next((group for group in found.groups() if group is not None), "")
        value = shorten(value, VALUE_CHARS)
        if value and value not in values:
            values.append(value)
    return tuple(values)


def words(normalized: str) -> list[str]:
    """The words of a normalised text, placeholders aside, each once, in order."""
    found: list[str] = []
    for word in _WORD_RE.findall(_PLACEHOLDER_RE.sub(" ", normalized)):
        if word not in STOPWORDS and word not in found:
            found.append(word)
    return found


def literal_fragments(text: str) -> list[str]:
    """The pieces of ``text`` between its variable parts, longest first: what a search for
    the same error elsewhere can look for literally."""
    for _, pattern in _VARIABLE_PARTS:
        text = pattern.sub("\x00", text)
    pieces = [piece.strip(" \t:;,.()[]{}<>=-") for piece in text.split("\x00")]
    pieces = [piece for piece in pieces if len(_WORD_RE.findall(piece.lower())) >= 1]
    return sorted(pieces, key=len, reverse=True)


def cap_text(text: str) -> tuple[str, bool]:
    """The part of a paste that is analysed: all of it up to MAX_ANALYSED characters, else
    its first HEAD_CHARS and its last ones; and whether it was cut."""
    if len(text) <= MAX_ANALYSED:
        return text, False
    tail = MAX_ANALYSED - HEAD_CHARS
    return text[:HEAD_CHARS] + "\n" + text[-tail:], True


def short_type(error_type: str) -> str:
    """``java.lang.NullPointerException`` -> ``NullPointerException``."""
    if " " in error_type or "[" in error_type:
        return error_type
    return error_type.rsplit(".", 1)[-1]


def searchable_type(signature: ErrorSignature) -> str | None:
    """The error's type when it is a distinctive word worth searching for
    (``ModuleNotFoundError``; not ``Error``, ``panic`` or ``command not found``)."""
    name = short_type(signature.error_type)
    if not _TYPE_NAME_RE.fullmatch(name) or name.lower() in GENERIC_TYPES:
        return None
    return name


# --- detectors ----------------------------------------------------------------------------

_PY_TRACEBACK = "Traceback (most recent call last)"
_PY_EXCEPTION_RE = re.compile(r"(?P<type>[A-Za-z_][\w.]*)(?::[ \t]?(?P<msg>.*))?")
_PYTEST_E_RE = re.compile(
    r"E\s{2,}(?P<type>(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Warning|Exit))"
    r"(?::\s*(?P<msg>.*))?"
)
_EXC_NAME = r"(?:[A-Za-z_$][\w$]*\.)*[A-Z][\w$]*(?:Error|Exception|Exit|Interrupt|Fault|Failure)"
_CAUSED_BY_RE = re.compile(rf"Caused by:\s+(?P<type>{_EXC_NAME}|[\w$.]+)(?::\s*(?P<msg>.*))?")
_JAVA_THREAD_RE = re.compile(r'Exception in thread "[^"]*"\s+(?P<type>[\w$.]+)(?::\s*(?P<msg>.*))?')
_JS_ERROR_RE = re.compile(
    r"(?:Uncaught\s+(?:\(in promise\)\s+)?)?(?P<type>[A-Z]\w*Error|Error)"
    r"(?:\s*\[(?P<code>[A-Z][A-Z0-9_]+)\])?:\s*(?P<msg>\S.*)"
)
_EXCEPTION_LINE_RE = re.compile(
    rf"(?:Uncaught\s+|Error:\s+|[\w.]+:\s+)?(?P<type>{_EXC_NAME})"
    r"(?:\s*\[(?P<code>[\w-]+)\])?(?::\s*(?P<msg>.*))?"
)
_EXCEPTION_IN_PROSE_RE = re.compile(rf"\b(?P<type>{_EXC_NAME})\b(?!\s*\()(?::\s*(?P<msg>.+))?")
# In prose, the message ends with its quoted value: "... named 'yaml' and then it stops".
_PROSE_END_RE = re.compile(r"(?<=['\"`)])\s+(?:and|but|when|while|so|because|after|if|in)\b")
_CODE_WORDS_RE = re.compile(
    r"\b(?:raise|throw|except|catch|new|import|from|class|def|instanceof|isinstance|extends|"
    r"implements|pytest\.raises|assertRaises)\b"
)
_TSC_RE = re.compile(
    r"(?P<file>[^\s(:]+?)(?:\((?P<line>\d+),\d+\)|:(?P<line2>\d+):\d+)\s*[:-]\s*error\s+"
    r"(?P<code>TS\d{4,5}):\s*(?P<msg>.+)"
)
_DIAGNOSTIC_RE = re.compile(
    r"(?P<file>[^\s:]+\.\w+):(?P<line>\d+)(?::\d+)?:?\s*(?:-\s*)?(?:fatal\s+)?error:\s*"
    r"(?P<msg>.+?)(?:\s+\[(?P<code>[\w-]+)\])?"
)
_GO_COMPILE_RE = re.compile(r"(?P<file>\S+\.go):(?P<line>\d+):\d+:\s*(?P<msg>.+)")
_RUST_ERROR_RE = re.compile(r"error\[(?P<code>E\d{4})\]:\s*(?P<msg>.+)")
_RUST_PANIC_RE = re.compile(r"thread '[^']*' panicked at (?P<rest>.+)")
_GO_PANIC_RE = re.compile(r"panic:\s*(?P<msg>.+?)(?:\s*\[recovered\])?")
_FATAL_ERROR_RE = re.compile(r"fatal error:\s*(?P<msg>.+)")
_NOT_FOUND_RE = re.compile(
    r"(?:(?:[\w./-]+):\s+)?(?:line\s+\d+:\s+|\d+:\s+)?(?P<cmd>[^\s:]+):\s*command not found"
)
_ZSH_NOT_FOUND_RE = re.compile(
    r"(?:zsh|fish):\s*(?:command not found|Unknown command):?\s*(?P<cmd>\S+)"
)
_DASH_NOT_FOUND_RE = re.compile(r"(?:sh|dash|/bin/sh):\s*\d+:\s*(?P<cmd>[^\s:]+):\s*not found")
_FS_ERROR_RE = re.compile(
    r"(?:[\w./-]+:\s+)+(?:line\s+\d+:\s+)?(?P<what>[^:]+?):\s*"
    r"(?P<kind>Permission denied|No such file or directory|Operation not permitted)"
)
_NPM_CODE_RE = re.compile(r"npm (?:ERR!|error)\s+code\s+(?P<code>E?[A-Z0-9_]+)")
_NPM_LINE_RE = re.compile(r"npm (?:ERR!|error)\s+(?P<msg>\S.*)")
_GENERIC_RE = re.compile(
    r"(?:\[?[\w.:-]+\]?\s+)?(?P<type>error|Error|ERROR|fatal|Fatal|FATAL|fatal error|"
    r"Fatal error|FATAL ERROR)(?:\[(?P<code>\w+)\])?:\s*(?P<msg>\S.*)"
)
_HTTP_RES = (
    re.compile(r"\bHTTP/\d(?:\.\d)?\s+(?P<status>[45]\d\d)\b"),
    re.compile(r"\bHTTP(?:\s+Error)?[\s:]+(?P<status>[45]\d\d)\b", re.IGNORECASE),
    re.compile(r"\b(?P<status>[45]\d\d)\s+(?:Client|Server) Error\b"),
    re.compile(r"\bstatus(?:[\s_]code)?\s*(?:[:=]|is|of)?\s*(?P<status>[45]\d\d)\b", re.I),
    re.compile(
        r"\b(?P<status>[45]\d\d)\s+(?:Bad Request|Unauthorized|Payment Required|Forbidden|"
        r"Not Found|Method Not Allowed|Conflict|Gone|Unprocessable (?:Entity|Content)|"
        r"Too Many Requests|Internal Server Error|Bad Gateway|Service Unavailable|"
        r"Gateway Time-?out)\b"
    ),
)
_CODE_RES = (
    re.compile(r"\b(E\d{4})\b"),
    re.compile(r"\b(TS\d{4,5})\b"),
    re.compile(r"\b(ERR_[A-Z0-9_]{3,})\b"),
    re.compile(
        r"\b(E(?:ACCES|ADDRINUSE|ADDRNOTAVAIL|AI_AGAIN|CONNABORTED|CONNREFUSED|CONNRESET|"
        r"EXIST|HOSTUNREACH|INTEGRITY|ISDIR|LIFECYCLE|MFILE|NETUNREACH|NOENT|NOMEM|NOSPC|"
        r"NOTDIR|NOTEMPTY|NOTFOUND|PERM|PIPE|RESOLVE|ROFS|TIMEDOUT))\b"
    ),
    re.compile(r"\[(Errno \d+)\]"),
    re.compile(r"\b(SQLSTATE\[?\w+\]?)"),
)

# A line without any of these is no error line for any detector (a cheap first look).
_HINT_RE = re.compile(
    r"rror|xception|Exit|Interrupt|Fault|Failure|panic|not found|Unknown command|denied|"
    r"No such file|not permitted|ERR|fatal|HTTP|[Ss]tatus|\b[45]\d\d\b|Caused by|\.go:\d"
)

# --- frames -------------------------------------------------------------------------------

_PY_FRAME_RE = re.compile(r'\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?')
_JAVA_FRAME_RE = re.compile(r"\s*at\s+(?P<func>[\w$.<>/]+)\((?P<file>[^():]+)(?::(?P<line>\d+))?\)")
_JS_FRAME_RE = re.compile(
    r"\s*at\s+(?:async\s+)?(?:(?P<func>[^\s()]+(?:\s\[as\s[^\]]+\])?)\s+\()?"
    r"(?P<file>[^\s()]+?):(?P<line>\d+)(?::\d+)?\)?(?:\s*\{)?"
)
_RUST_FRAME_RE = re.compile(r"\s*-->\s*(?P<file>[^\s:]+):(?P<line>\d+)(?::\d+)?")
_GO_FRAME_RE = re.compile(r"\s+(?P<file>\S+\.go):(?P<line>\d+)(?:\s+\+0x[0-9a-f]+)?")


@dataclass
class _Found:
    priority: int
    index: int
    language: str
    error_type: str
    message: str
    headline: str
    code: str | None = None
    last_wins: bool = False
    file: str | None = None  # a compiler's location
    line: int | None = None
    status: int | None = None

    def rank(self) -> tuple[int, int]:
        return self.priority, self.index if self.last_wins else -self.index


def _message(text: str | None) -> str:
    return shorten((text or "").strip(), MESSAGE_CHARS)


def _headline(error_type: str, message: str) -> str:
    return f"{error_type}: {message}" if message else error_type


def _exception(
    priority: int, index: int, language: str, match: re.Match[str], last_wins: bool = False
) -> _Found:
    error_type = match.group("type")
    message = _message(match.group("msg"))
    groups = match.groupdict()
    return _Found(
        priority,
        index,
        language,
        error_type,
        message,
        _headline(error_type, message),
        code=groups.get("code"),
        last_wins=last_wins,
    )


def _plausible_python_type(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return bool(last) and (last[0].isupper() or "Error" in last or "Exception" in last)


def _frames_follow(lines: list[str], index: int, within: int = 6) -> bool:
    for line in lines[index + 1 : index + 1 + within]:
        if _JS_FRAME_RE.fullmatch(line) or _JAVA_FRAME_RE.fullmatch(line):
            return True
    return False


def _next_text(lines: list[str], index: int) -> str:
    for line in lines[index + 1 : index + 6]:
        if line.strip():
            return line.strip()
    return ""


def _http(line: str, index: int) -> _Found | None:
    for pattern in _HTTP_RES:
        found = pattern.search(line)
        if found is not None:
            status = int(found.group("status"))
            reason = HTTP_REASONS.get(status, "")
            error_type = f"HTTP {status}"
            return _Found(
                40,
                index,
                "http",
                error_type,
                reason,
                f"{error_type} {reason}".strip(),
                code=str(status),
                status=status,
            )
    return None


def _line_findings(lines: list[str], index: int, line: str) -> Iterable[_Found]:
    """The detectors that look at one line (Python's traceback state is kept by the caller)."""
    text = line.strip()
    if found := _PYTEST_E_RE.fullmatch(text):
        yield _exception(95, index, "python", found)
    if found := _CAUSED_BY_RE.fullmatch(text):
        yield _exception(96, index, "java", found, last_wins=True)
    if found := _JAVA_THREAD_RE.fullmatch(text):
        yield _exception(92, index, "java", found)
    if found := _RUST_ERROR_RE.fullmatch(text):
        code = found.group("code")
        message = _message(found.group("msg"))
        error_type = f"error[{code}]"
        yield _Found(90, index, "rust", error_type, message, _headline(error_type, message), code)
    if found := _RUST_PANIC_RE.fullmatch(text):
        rest = found.group("rest").strip()
        location = rest.rstrip(":")
        if rest.startswith(("'", '"')):  # before Rust 1.73: the message, then where
            message, _, location = rest[1:].rpartition(rest[0] + ", ")
        else:
            message = _next_text(lines, index)
        message = _message(message)
        file, _, rest_location = location.partition(":")
        line_number = rest_location.split(":")[0]
        yield _Found(
            90,
            index,
            "rust",
            "panic",
            message,
            _headline("panic", message),
            file=file or None,
            line=int(line_number) if line_number.isdigit() else None,
        )
    if found := _GO_PANIC_RE.fullmatch(text):
        message = _message(found.group("msg"))
        yield _Found(90, index, "go", "panic", message, _headline("panic", message))
    if found := _FATAL_ERROR_RE.fullmatch(text):
        message = _message(found.group("msg"))
        yield _Found(60, index, "go", "fatal error", message, _headline("fatal error", message))
    if (found := _JS_ERROR_RE.fullmatch(text)) and _frames_follow(lines, index):
        yield _exception(90, index, "javascript", found)
    if found := _TSC_RE.fullmatch(text):
        code = found.group("code")
        message = _message(found.group("msg"))
        yield _Found(
            85,
            index,
            "typescript",
            code,
            message,
            _headline(code, message),
            code,
            file=found.group("file"),
            line=int(found.group("line") or found.group("line2")),
        )
    if found := _DIAGNOSTIC_RE.fullmatch(text):
        message = _message(found.group("msg"))
        file = found.group("file")
        yield _Found(
            80,
            index,
            _language_of(file),
            "error",
            message,
            _headline("error", message),
            found.group("code"),
            file=file,
            line=int(found.group("line")),
        )
    elif found := _GO_COMPILE_RE.fullmatch(text):
        message = _message(found.group("msg"))
        yield _Found(
            78,
            index,
            "go",
            "compile error",
            message,
            message,
            file=found.group("file"),
            line=int(found.group("line")),
        )
    if found := _EXCEPTION_LINE_RE.fullmatch(text):
        yield _exception(70, index, "", found)
    for pattern in (_NOT_FOUND_RE, _ZSH_NOT_FOUND_RE, _DASH_NOT_FOUND_RE):
        if found := pattern.fullmatch(text):
            command = found.group("cmd")
            message = f"{command}: command not found"
            yield _Found(60, index, "shell", "command not found", message, message)
            break
    if found := _FS_ERROR_RE.fullmatch(text):
        kind = found.group("kind")
        message = _message(f"{found.group('what')}: {kind}")
        yield _Found(55, index, "shell", kind, message, message)
    if found := _NPM_CODE_RE.match(text):
        code = found.group("code")
        message = ""
        for later in lines[index + 1 : index + 8]:
            more = _NPM_LINE_RE.match(later.strip())
            if more and not re.match(r"(?:code|errno|syscall|path)\b", more.group("msg")):
                message = _message(more.group("msg"))
                break
        yield _Found(
            55,
            index,
            "javascript",
            "npm error",
            message or code,
            _headline(f"npm error {code}", message),
            code,
        )
    if found := _GENERIC_RE.fullmatch(text):
        error_type = found.group("type")
        message = _message(found.group("msg"))
        yield _Found(
            50, index, "", error_type, message, _headline(error_type, message), found.group("code")
        )
    if http := _http(text, index):
        yield http
    if not _CODE_WORDS_RE.search(text) and (found := _EXCEPTION_IN_PROSE_RE.search(text)):
        prose = _exception(30, index, "", found)
        prose.message = _PROSE_END_RE.split(prose.message, maxsplit=1)[0]
        prose.headline = _headline(prose.error_type, prose.message)
        yield prose


def _language_of(path: str) -> str:
    extension = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {
        "py": "python",
        "pyi": "python",
        "js": "javascript",
        "jsx": "javascript",
        "mjs": "javascript",
        "cjs": "javascript",
        "ts": "typescript",
        "tsx": "typescript",
        "rs": "rust",
        "go": "go",
        "java": "java",
        "kt": "java",
        "sh": "shell",
    }.get(extension, "generic")


def _frames(lines: list[str]) -> dict[str, list[tuple[int, StackFrame]]]:
    """Every frame in the text, by language, with its line index."""
    found: dict[str, list[tuple[int, StackFrame]]] = {}

    def add(language: str, index: int, file: str, line: str | None, func: str | None) -> None:
        file = file.removeprefix("file://")
        frame = StackFrame(file, int(line) if line else None, func.strip() if func else None)
        found.setdefault(language, []).append((index, frame))

    for index, line in enumerate(lines):
        if 'File "' in line and (m := _PY_FRAME_RE.fullmatch(line)):
            add("python", index, m.group("file"), m.group("line"), m.group("func"))
        elif "at " in line and (m := _JAVA_FRAME_RE.fullmatch(line)):
            add("java", index, m.group("file"), m.group("line"), m.group("func"))
        elif "at " in line and (m := _JS_FRAME_RE.fullmatch(line)):
            add("javascript", index, m.group("file"), m.group("line"), m.group("func"))
        elif "-->" in line and (m := _RUST_FRAME_RE.fullmatch(line)):
            add("rust", index, m.group("file"), m.group("line"), None)
        elif ".go:" in line and (m := _GO_FRAME_RE.fullmatch(line)):
            previous = lines[index - 1].strip() if index else ""
            add(
                "go",
                index,
                m.group("file"),
                m.group("line"),
                previous if previous.endswith(")") else None,
            )
    return found


def _language(found: _Found, frames: dict[str, list[tuple[int, StackFrame]]]) -> str:
    if found.language:
        return found.language
    if short_type(found.error_type) in PYTHON_EXCEPTIONS and not frames.keys() - {"python"}:
        return "python"
    if not frames:
        return "generic"
    return max(frames, key=lambda language: len(frames[language]))


def _frames_for(
    found: _Found, language: str, frames: dict[str, list[tuple[int, StackFrame]]], lines: list[str]
) -> list[StackFrame]:
    """The frames of the chosen error, innermost first."""
    pool = frames.get("javascript" if language == "typescript" else language, [])
    if language == "python":
        start = max(
            (i for i in range(found.index) if lines[i].lstrip().startswith(_PY_TRACEBACK)),
            default=-1,
        )
        chosen = [frame for index, frame in pool if start < index < found.index]
        chosen = chosen or [frame for _, frame in pool]
        chosen.reverse()  # Python prints the innermost frame last
    else:
        after = [
            frame for index, frame in pool if found.index < index <= found.index + FRAME_LOOKAHEAD
        ]
        chosen = after or [frame for _, frame in pool]
    if found.file is not None:
        chosen.insert(0, StackFrame(found.file, found.line))
    return chosen[:MAX_FRAMES]


def _is_library(path: str) -> bool:
    return any(part in path for part in _LIBRARY_PARTS) or path.startswith(("<", "node:"))


def _files(frames: list[StackFrame]) -> tuple[str, ...]:
    """The files of the frames, the project's own before libraries', each once."""
    ordered = sorted(dict.fromkeys(frame.file for frame in frames if frame.file), key=_is_library)
    return tuple(path for path in ordered if not path.startswith("<"))[:MAX_FILES]


def _code(found: _Found) -> str | None:
    if found.code:
        return found.code
    for pattern in _CODE_RES:
        match = pattern.search(found.headline)
        if match is not None:
            return match.group(1)
    return None


def _status(found: _Found) -> int | None:
    if found.status is not None:
        return found.status
    http = _http(found.headline, found.index)
    return http.status if http is not None else None


def _matching_key(error_type: str, message: str) -> str:
    """What ``normalized`` is made of: the short type and the message. A generic type
    (``Error``, ``panic``) or a label (``command not found``) is left out, since tools word
    it differently; an HTTP status is its own message."""
    name = short_type(error_type)
    if name.startswith("HTTP "):
        return f"{name} {message}".strip()
    if not message:
        return name
    if name.lower() in GENERIC_TYPES or not _TYPE_NAME_RE.fullmatch(name):
        return message
    return f"{name}: {message}"


def parse_error(text: str) -> ErrorSignature:
    """The signature of the main error in ``text`` (call ``cap_text`` first on a long
    paste). A text with no recognisable error gets language ``unknown`` and its first line as
    the message, so that it can still be searched for."""
    lines = [line[:MAX_LINE] for line in strip_ansi(text).replace("\r", "").split("\n")]
    findings: list[_Found] = []
    in_traceback = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(_PY_TRACEBACK):
            in_traceback = True
            continue
        if in_traceback:
            if line[:1].isspace():
                continue  # frames and their source lines
            in_traceback = False
            found = _PY_EXCEPTION_RE.fullmatch(stripped)
            if found is not None and _plausible_python_type(found.group("type")):
                findings.append(_exception(100, index, "python", found, last_wins=True))
                continue
        if _HINT_RE.search(line):
            findings.extend(_line_findings(lines, index, line))
    frames = _frames(lines)
    if not findings:
        first = next((line.strip() for line in lines if line.strip()), "")
        message = _message(first)
        return ErrorSignature(
            language="unknown",
            error_type="",
            message=message,
            headline=message,
            normalized=normalize(message),
            keywords=tuple(words(normalize(message))[:MAX_KEYWORDS]),
            values=quoted_values(message),
        )
    best = max(findings, key=_Found.rank)
    language = _language(best, frames)
    chosen = _frames_for(best, language, frames, lines)
    normalized = normalize(_matching_key(best.error_type, best.message))
    return ErrorSignature(
        language=language,
        error_type=best.error_type,
        message=best.message,
        headline=best.headline,
        normalized=normalized,
        code=_code(best),
        http_status=_status(best),
        frames=tuple(chosen),
        files=_files(chosen),
        keywords=tuple(words(normalize(best.message))[:MAX_KEYWORDS]),
        values=quoted_values(best.message),
    )


def matching_key(signature: ErrorSignature) -> str:
    """The error as it is compared with other texts, before normalisation."""
    return _matching_key(signature.error_type, signature.message)
