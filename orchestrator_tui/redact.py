"""Removing tokens, keys and passwords from transcript text.

Every imported text goes through ``redact``, and again on every way out (LLM prompt,
clipboard, exports, saved files). A secret is replaced by ``[REDACTED:<kind>]``; for
``url-password`` and ``secret-assignment`` only the value goes, the scheme, user, host or
name stay. A value that holds a recognisable token is labelled with the token's kind
(``OPENAI_API_KEY=[REDACTED:openai-key]``).

``redact`` repeats its pass until nothing is found, so ``redact(redact(x)) == redact(x)``;
text that looks like a marker is never touched.

Tokens are found by their prefixes and need a word boundary in front (``task-``,
``sk-learn`` are safe); git SHAs, UUIDs, base64 data URLs and URLs without a password
never match.

Secret assignments: ``NAME=value``, ``NAME: value``, ``"NAME": "value"``, ``export
NAME=value``, ``NAME => value``, ``?name=value&``, where NAME ends in KEY, TOKEN, SECRET,
PASSWORD, PASSWD or PWD, in any case.

- A bare ``key`` is no such name (``key=value``, ``self.key = 0``), nor a word that merely
  ends in "key" (``monkey``, ``hotkey``); ``api_key``, ``apiKey``, ``X-Api-Key`` and
  ``apikey`` are. Names of keys and tokens that are not secrets are left alone
  (``primary_key``, ``foreign_key``, ``public_key``, ``cache_key``, ``page_token``, ...).
- Quoted values are redacted whatever they hold. Unquoted ones end at whitespace, quotes,
  JSON escapes and ``, ; ) } ]`` (in a URL query, at ``&`` and ``#``). After a colon the
  value must end the line or be followed by punctuation: ``password: the user must enter
  it`` is prose.
- Never redacted: empty values, markers, values without a letter or digit (``***``),
  placeholders (``${VAR}``, ``$VAR``, ``$(cmd)``, ``{{ x }}``, ``%VAR%``, ``%s``,
  ``<your-key>``, ``[hidden]``, ``xxx``, ``sk-...``, ``your_...``, ``..._here``,
  ``changeme``, ``example``, ``none``, ``true``, ``password``, type names like ``str``),
  values opening with a bracket (code: tuples, dicts, f-string fields), integers of up to
  4 digits, colours, URLs (whose secrets have patterns of their own) and file paths.
  ``changeme`` stays visible on purpose: it tells the reader a default was in use, and is
  no secret.
- Unquoted code is not a value: calls and subscripts (``getpass()``, ``os.environ[...]``),
  dotted names without digits (``settings.SECRET_KEY``), and plain identifiers
  (``api_key=api_key``, ``token = make_token2``) except in configuration: after an
  upper-case environment name (``DB_PASSWORD=postgres``), at the end of a ``NAME: value``
  line (YAML), or with a digit after an unspaced ``=`` (``password=hunter2``).

Speed, measured by hand (Python 3.11, one core of a 2-core development VM, 4 MB inputs
without secrets): about 70-75 MB/s on English prose (which holds a few non-Latin-1
characters, so Python stores it with 4 bytes a character) and 80-90 MB/s on Python
source. Every pattern begins with a literal that the regex engine scans for at about
1 GB/s; the assignment keywords are searched in an ASCII lower-case copy for that reason.
A text with secrets costs a second pass. Most texts match no pattern at all: those cost the
scans alone, without building, sorting and checking findings, which halves the time an
import spends redacting (short texts such as tool calls gain most).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

HUGGINGFACE_TOKEN = "huggingface-token"
OPENAI_KEY = "openai-key"
ANTHROPIC_KEY = "anthropic-key"
GITHUB_TOKEN = "github-token"
GITLAB_TOKEN = "gitlab-token"
SLACK_TOKEN = "slack-token"
AWS_ACCESS_KEY = "aws-access-key"
PRIVATE_KEY = "private-key"
JWT = "jwt"
URL_PASSWORD = "url-password"
SECRET_ASSIGNMENT = "secret-assignment"

KINDS: tuple[str, ...] = (
    PRIVATE_KEY,
    AWS_ACCESS_KEY,
    ANTHROPIC_KEY,
    OPENAI_KEY,
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    SLACK_TOKEN,
    HUGGINGFACE_TOKEN,
    JWT,
    URL_PASSWORD,
    SECRET_ASSIGNMENT,
)
"""Every kind, most specific first: of two findings with the same span, the earlier kind
names the marker."""

_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_GENERIC = frozenset({URL_PASSWORD, SECRET_ASSIGNMENT})

MARKER_RE = re.compile(r"\[REDACTED:[a-z-]+\]")
_MARKER_START = "[REDACTED:"


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


class Finding(NamedTuple):
    kind: str
    start: int
    end: int


# --- Tokens recognised by their shape -------------------------------------------------------

_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class _TokenRule:
    kind: str
    pattern: re.Pattern[str]
    bounded: bool = True  # a word character right before the match disqualifies it
    group: str | int = 0  # the part that is replaced

    def find(self, text: str) -> Iterator[Finding]:
        for match in self.pattern.finditer(text):
            start = match.start()
            if self.bounded and start and text[start - 1] in _WORD_CHARS:
                continue
            yield Finding(self.kind, match.start(self.group), match.end(self.group))


_KEY_HEADER = r"(?:Proc-Type|DEK-Info|Version|Comment|Hash|Charset|MessageID): [^\r\n\\]*"
_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    # the whole block, up to its END line (and not across another BEGIN) ...
    r"(?:(?:(?!-----BEGIN )[\s\S]){0,65536}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    # ... or, when the text was cut before the END line, the key lines that follow
    rf"|(?:(?:\s|\\[rn])+(?:[A-Za-z0-9+/=]{{16,}}|{_KEY_HEADER}))+"
    # (a short last piece only where the text or its quoted string ends)
    r"(?:(?:\s|\\[rn])+[A-Za-z0-9+/=]{1,15}(?=\s*\Z|[\\\"']))?)"
)

_TOKEN_RULES: tuple[_TokenRule, ...] = (
    _TokenRule(PRIVATE_KEY, _PRIVATE_KEY_RE, bounded=False),
    _TokenRule(AWS_ACCESS_KEY, re.compile(r"A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])")),
    _TokenRule(ANTHROPIC_KEY, re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}")),
    # legacy keys are letters and digits only, so hyphenated words after "sk-" never match
    _TokenRule(
        OPENAI_KEY,
        re.compile(r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20,})"),
    ),
    _TokenRule(
        GITHUB_TOKEN, re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}")
    ),
    _TokenRule(
        GITLAB_TOKEN,
        re.compile(
            r"gl(?:pat|dt|rt|ptt|cbt|ft|imt|oas|soat|agent)-[A-Za-z0-9_-]{20,}"
            r"(?:\.[A-Za-z0-9_-]+)*"
        ),
    ),
    _TokenRule(
        SLACK_TOKEN,
        re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"),
    ),
    _TokenRule(
        SLACK_TOKEN,
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/-]{8,})"),
        bounded=False,
        group="s",
    ),
    _TokenRule(HUGGINGFACE_TOKEN, re.compile(r"hf_[A-Za-z0-9]{30,}")),
    _TokenRule(
        JWT,
        re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    ),
)

# scheme://user:PASSWORD@host: the password runs to the last "@" before the host
_URL_PASSWORD_RE = re.compile(r"://[^\s:/?#@\[\]\"'<>]*:(?P<s>[^\s/?#\"'<>\\]+)@(?=[A-Za-z0-9\[])")


# --- Values of secret-looking names ---------------------------------------------------------

# Searched in an ASCII, lower-case copy of the text (same length, non-ASCII as "?"): each
# pattern begins with a literal, which the engine finds fast, unlike a case-insensitive
# alternation. A quote (and a bracket) may close the name: "apiKey": , headers['Api-Key'] =
_KEYWORD_RES: tuple[re.Pattern[bytes], ...] = tuple(
    re.compile(
        rb"(?P<kw>" + keyword + rb")(?![a-z0-9_.-])(?:\\?[\"']\]?)?"
        rb"(?P<sep>[ \t]*(?:=>|:=|=(?![=~])|:(?![:/]))[ \t]*)"
    )
    for keyword in (rb"key", rb"token", rb"secret", rb"passw(?:or)?d", rb"pwd")
)

_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
# words that may run into "key" without a separator ("apikey", "SECRETKEY")
_KEY_COMPOUNDS = (
    "api",
    "access",
    "account",
    "app",
    "auth",
    "client",
    "encryption",
    "hmac",
    "license",
    "master",
    "private",
    "secret",
    "service",
    "session",
    "signing",
    "ssh",
)
# names that end in "key" or "token" but hold no secret (database, dict and cache keys,
# public keys, pagination cursors)
_HARMLESS_NAME_RE = re.compile(
    r"(?:public|pub|primary|foreign|sort|partition|range|hash|cache|idempotency|lookup|group"
    r"|index|unique|composite|natural|row|shard|routing|object|dict|map|parent|child"
    r"|translation|i18n|shortcut)[_.-]?key"
    r"|(?:page|continuation|cancellation|pagination)[_.-]?token"
)

_QUOTED_VALUE_RE = re.compile(
    r"\"(?P<dq>(?:[^\"\\\n]|\\.)*)\""
    r"|'(?P<sq>(?:[^'\\\n]|\\.)*)'"
    r"|`(?P<bq>[^`\n]*)`"
    r"|\\\"(?P<edq>[^\n]*?)\\\""  # JSON inside a JSON string: \"apiKey\": \"...\"
    r"|\\'(?P<esq>[^\n]*?)\\'"
)
# unquoted: up to whitespace, a quote, a JSON escape (\n, \") or , ; ) } ]
_BARE_VALUE_RE = re.compile(r"(?:[^\s\"'`,;)}\]\\]|\\(?![nrt\"'\\]))+")
_QUERY_VALUE_RE = re.compile(r"[^\s\"'`&#<>\\]+")  # ?token=...&
# what may follow an unquoted value after a colon, when the line is not prose
_AFTER_COLON_VALUE_RE = re.compile(r"[ \t]*(?:$|[\r\n,;)}\]#&|\"'`]|\\[nrt])", re.MULTILINE)
_LINE_END_RE = re.compile(r"[ \t]*(?:$|[\r\n#]|\\[nr])", re.MULTILINE)

_PLACEHOLDER_RE = re.compile(
    r"""
    \$[{(].* | \$[A-Za-z_][A-Za-z0-9_]*     # ${VAR}  $(cmd)  $VAR
    | \{\{.* | %[A-Za-z_][A-Za-z0-9_]*%      # {{ secrets.X }}  %VAR%
    | %[-#0 +]*[0-9]*(?:\.[0-9]+)?[a-zA-Z]   # %s  %r  %-10.3f
    | [<\[({].*                            # <your-key>  [hidden]  (tuple, ...)  {name}
    | x+ | X+                               # xxxx (*** and ... hold no letter or digit)
    | .*(?:\.\.\.|\u2026)                     # sk-...  (shortened on purpose)
    | [0-9]{1,4}                            # counters and indexes in code
    | \#[0-9A-Fa-f]{3,8}                    # colours
    | [A-Za-z][A-Za-z0-9+.-]*://.*          # URLs: their secrets have patterns of their own
    | (?:~|\.{1,2})?/[\w.@%+-]*(?:/[\w.@%+-]*)* | [A-Za-z]:\\.*   # file paths
    | (?i: your[-_ ]?.* | .*[-_ ]here
      | change[-_]?me | changeit | placeholder | redacted | hidden | removed | todo | tbd
      | fixme | dummy | example | none | null | nil | true | false | undefined | empty
      | str | string | bytes | int | number | bool | boolean | any | object | secretstr
      | password | passwd | pass | pwd | secret | token )
    """,
    re.VERBOSE,
)
_IDENTIFIER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CODE_REFERENCE_RE = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::|->)[A-Za-z_][A-Za-z0-9_]*)*(?P<call>[(\[].*)?"
)
_AWS_SECRET_NAME_RE = re.compile(r"secret_?access_?key")
_AWS_SECRET_VALUE_RE = re.compile(r"[A-Za-z0-9/+]{40}")


def _is_placeholder(value: str) -> bool:
    return not any(char.isalnum() for char in value) or _PLACEHOLDER_RE.fullmatch(value) is not None


def _keyword_boundary(text: str, name_start: int, start: int, end: int) -> bool:
    """Does the name end in the keyword text[start:end] as a word of its own?"""
    key = text[start:end].lower() == "key"
    stem = text[name_start:start].lstrip("-.")
    if not stem:  # the keyword is the whole name
        return not key
    before = text[start - 1]
    if key and before == ".":  # self.key, item.key
        return False
    if not before.isalnum():  # api_key, X-Api-Key, config.token
        return True
    if text[start].isupper() and (before.islower() or before.isdigit()):  # apiKey
        return True
    if not key:  # dbpassword, ACCESSTOKEN
        return True
    return stem.lower().endswith(_KEY_COMPOUNDS)  # apikey, not monkey


def _assignment_findings(text: str) -> Iterator[Finding]:
    if "=" not in text and ":" not in text:
        return
    folded = text.encode("ascii", "replace").lower()
    for pattern in _KEYWORD_RES:
        for match in pattern.finditer(folded):
            finding = _assignment_at(text, match)
            if finding is not None:
                yield finding


def _assignment_at(text: str, match: re.Match[bytes]) -> Finding | None:
    start, end = match.span("kw")
    name_start = start
    while name_start > 0 and start - name_start < 128 and text[name_start - 1] in _NAME_CHARS:
        name_start -= 1
    name = text[name_start:end]
    if not _keyword_boundary(text, name_start, start, end) or _HARMLESS_NAME_RE.search(
        name.lower()
    ):
        return None
    in_query = name_start > 0 and text[name_start - 1] in "?&"
    value_start = match.end()
    quoted = _QUOTED_VALUE_RE.match(text, value_start)
    if quoted is not None:
        group = next(key for key, part in quoted.groupdict().items() if part is not None)
        value_start, value_end = quoted.span(group)
    else:
        bare = (_QUERY_VALUE_RE if in_query else _BARE_VALUE_RE).match(text, value_start)
        if bare is None:
            return None
        value_end = bare.end()
    value = text[value_start:value_end]
    if _is_placeholder(value):
        return None
    if _AWS_SECRET_NAME_RE.search(name.lower()) and _AWS_SECRET_VALUE_RE.fullmatch(value):
        return Finding(AWS_ACCESS_KEY, value_start, value_end)
    if quoted is None and not in_query and not _bare_value_is_literal(text, match, name, value):
        return None
    return Finding(SECRET_ASSIGNMENT, value_start, value_end)


def _bare_value_is_literal(text: str, match: re.Match[bytes], name: str, value: str) -> bool:
    """Is an unquoted value a literal, rather than prose or code?"""
    value_end = match.end() + len(value)
    spaced_separator = match["sep"]
    separator = spaced_separator.strip()
    if separator == b":" and _AFTER_COLON_VALUE_RE.match(text, value_end) is None:
        return False  # "password: the user must enter it"
    reference = _CODE_REFERENCE_RE.fullmatch(value)
    if reference is None:
        return True  # sk-..., p@ss!, 1234
    if not _IDENTIFIER_RE.fullmatch(value):  # getpass(), os.environ[...], settings.KEY
        return reference["call"] is None and any(char.isdigit() for char in value)
    # a plain identifier: a variable in code, a literal in configuration
    if separator == b"=" and spaced_separator == b"=" and not any(c.islower() for c in name):
        return True  # DB_PASSWORD=postgres
    if separator == b":":
        return _LINE_END_RE.match(text, value_end) is not None or any(c.isdigit() for c in value)
    return spaced_separator == b"=" and any(char.isdigit() for char in value)


def _url_password_findings(text: str) -> Iterator[Finding]:
    for match in _URL_PASSWORD_RE.finditer(text):
        if not _is_placeholder(match["s"]):
            yield Finding(URL_PASSWORD, match.start("s"), match.end("s"))


# --- Choosing and applying ------------------------------------------------------------------


def _may_hold_secrets(text: str) -> bool:
    """Whether any of the patterns matches somewhere. Every finding is a match of one of
    them, so a text none matches holds none: most texts, which then cost the scans only
    (about half of the whole work, the rest being the findings' checks and sorting)."""
    for rule in _TOKEN_RULES:
        if rule.pattern.search(text) is not None:
            return True
    if _URL_PASSWORD_RE.search(text) is not None:
        return True
    if "=" not in text and ":" not in text:
        return False
    folded = text.encode("ascii", "replace").lower()
    return any(pattern.search(folded) is not None for pattern in _KEYWORD_RES)


def _candidates(text: str) -> Iterator[Finding]:
    for rule in _TOKEN_RULES:
        yield from rule.find(text)
    yield from _url_password_findings(text)
    yield from _assignment_findings(text)


def _overlaps_marker(finding: Finding, starts: list[int], ends: list[int]) -> bool:
    index = bisect_right(starts, finding.end - 1) - 1  # last marker starting inside or before
    return index >= 0 and ends[index] > finding.start


def find_secrets(text: str) -> list[Finding]:
    """The spans one pass replaces, in order: leftmost first, then longest; overlapping
    candidates are merged. A value containing a recognised token takes the token's kind.
    ``redact_counting`` gives the exact counts of a whole redaction."""
    if not _may_hold_secrets(text):
        return []
    candidates = sorted(_candidates(text), key=lambda f: (f.start, -f.end, _RANK[f.kind]))
    if not candidates:
        return []
    if _MARKER_START in text:
        spans = [match.span() for match in MARKER_RE.finditer(text)]
        starts, ends = [span[0] for span in spans], [span[1] for span in spans]
        candidates = [f for f in candidates if not _overlaps_marker(f, starts, ends)]
    chosen: list[Finding] = []
    for finding in candidates:
        if not chosen or finding.start >= chosen[-1].end:
            chosen.append(finding)
            continue
        last = chosen[-1]
        if finding.end > last.end:  # overlapping secrets go together: no piece survives
            chosen[-1] = last._replace(end=finding.end)
        elif finding.kind not in _GENERIC and _RANK[finding.kind] < _RANK[last.kind]:
            chosen[-1] = last._replace(kind=finding.kind)
    return chosen


def _replace(text: str, findings: list[Finding]) -> str:
    parts: list[str] = []
    position = 0
    for kind, start, end in findings:
        parts.append(text[position:start])
        parts.append(marker(kind))
        position = end
    parts.append(text[position:])
    return "".join(parts)


def redact_counting(text: str) -> tuple[str, Counter[str]]:
    """The redacted text, and how many secrets of each kind it lost.

    Passes repeat until one finds nothing, which makes ``redact`` idempotent by
    construction rather than by an argument about how patterns overlap (a second pass has
    not been seen to find anything; it costs one more scan of texts that had secrets).
    This ends: each pass turns at least one character that is not part of a marker into a
    marker, and leaves existing markers alone."""
    counts: Counter[str] = Counter()
    while findings := find_secrets(text):
        counts.update(finding.kind for finding in findings)
        text = _replace(text, findings)
    return text, counts


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``; idempotent."""
    return redact_counting(text)[0]
