"""The troubleshooting assistant's prompt, and the reading of the model's answer.

The model gets the error's signature, what fixed the same error before (the offline matches:
past conversations, handoffs, session notes, knowledge items), the rules of thumb that
apply, and the paste itself, within the character budget: the paste is cut in the middle if
it must be (a stack trace's error is at its end, the code at its start). Everything is
redacted before it is cut.

The answer must have three sections, Root cause, Fix steps and Prevention. Models word
headings their own way ("### 1. Root Cause", "**Fix:**", "How to prevent it:"), so the reply
is read tolerantly and rewritten with the canonical ``##`` headings.
"""

from __future__ import annotations

import re

from orchestrator_tui.handoff.text import shorten
from orchestrator_tui.llm.prompt import MIN_BUDGET, clean_reply
from orchestrator_tui.records import TroubleshootAnalysis, TroubleshootMatch
from orchestrator_tui.redact import redact

SECTIONS = ("Root cause", "Fix steps", "Prevention")
MISSING = "_The model did not say._"
PAST_SHARE = 0.35  # of the room, at most, for the past matches
MAX_PAST = 8
SNIPPET_CHARS = 400
KNOWLEDGE_CHARS = 700
MIN_PASTE = 500

_SYSTEM_PROMPT = """\
You are a senior software engineer helping a developer fix an error. They pasted an error \
message, a stack trace and maybe code.

Reply in plain Markdown with exactly these three sections, as "##" headings, in this order:
## Root cause: what goes wrong and why, in a few sentences; name the file and line when the \
trace shows them.
## Fix steps: numbered, concrete steps; commands and code in backticks or short fenced blocks.
## Prevention: how to keep it from coming back (tests, types, configuration, checks).

No preamble, no closing remarks, no other sections. Use only what the material shows; when \
something is uncertain, say what to check rather than guessing. When the developer's own past \
sessions fixed the same error, build on what worked there and say so."""

_NAMES = {
    "Root cause": r"root causes?|(?:the |likely |probable )?cause|what went wrong|diagnosis",
    "Fix steps": r"fix(?:es)?|fix steps|steps to fix|how to fix(?: it| this)?|(?:the )?solution|"
    r"the fix|steps",
    "Prevention": r"prevention|preventing (?:it|this)|(?:how )?to prevent (?:it|this)"
    r"(?: in the future| from happening again)?",
}
_HEADING_RE = re.compile(
    r"\s{0,3}(?P<hash>#{1,6}\s*)?(?:\d+[.)]\s*)?(?P<bold>\*\*|__)?\s*(?P<name>"
    + "|".join(f"(?P<g{index}>{pattern})" for index, pattern in enumerate(_NAMES.values()))
    + r")\s*(?:\*\*|__)?\s*(?P<colon>:)?\s*(?:\*\*|__)?\s*(?P<rest>.*)",
    re.IGNORECASE,
)


def system_prompt() -> str:
    return _SYSTEM_PROMPT


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters: the first third and the last two thirds, with a note of
    what was left out between them."""
    if len(text) <= limit:
        return text
    note = f"\n[… {len(text):,} characters in all; the middle left out …]\n"
    keep = max(limit - len(note), 0)
    head = keep // 3
    return text[:head] + note + text[len(text) - (keep - head) :] if keep else text[:limit]


def _error_block(analysis: TroubleshootAnalysis) -> str:
    signature = analysis.signature
    if not signature.found:
        return "=== Error ===\nNo error line recognised; see the pasted text."
    lines = [
        "=== Error ===",
        f"Type: {signature.error_type} ({signature.language})",
        f"Message: {signature.message or '(none)'}",
    ]
    if signature.code:
        lines.append(f"Code: {signature.code}")
    if signature.frames:
        lines.append("Frames, innermost first:")
        for frame in signature.frames[:8]:
            where = f"{frame.file}:{frame.line}" if frame.line else frame.file
            lines.append(f"- {where}" + (f" in {frame.function}" if frame.function else ""))
    return redact("\n".join(lines))


def _match_line(index: int, match: TroubleshootMatch) -> str:
    if match.kind == "knowledge":
        scope = f", project {match.project}" if match.project else ""
        head = f"{index}. Knowledge item ({match.category}{scope}): {match.title}"
        return f"{head}\n   {shorten(match.snippet, KNOWLEDGE_CHARS)}"
    where = {"turn": "conversation", "handoff": "handoff", "session": match.field or "notes"}
    head = (
        f"{index}. {match.project} session #{match.number} “{shorten(match.title, 80)}”, "
        f"{where.get(match.kind, match.kind)}, {match.level} match"
    )
    lines = [head, f"   Mention: {shorten(match.snippet, SNIPPET_CHARS)}"]
    if match.resolved is True:
        lines.append(f"   Resolved later in that session: {match.resolution}")
    elif match.resolved is False:
        lines.append("   No fix recorded after it in that session.")
    if match.followup:
        lines.append(f"   The assistant then said: {shorten(match.followup, SNIPPET_CHARS)}")
    return "\n".join(lines)


def _past_block(analysis: TroubleshootAnalysis, limit: int) -> str:
    if not analysis.matches:
        return ""
    title = "=== Seen before in the developer's own sessions and knowledge base ==="
    lines = [
        _match_line(index, match) for index, match in enumerate(analysis.matches[:MAX_PAST], 1)
    ]
    return _clip(redact(title + "\n" + "\n".join(lines)), limit)


def _hints_block(analysis: TroubleshootAnalysis) -> str:
    if not analysis.heuristics:
        return ""
    lines = ["=== Rules of thumb that may apply (generic, not about this code) ==="]
    for heuristic in analysis.heuristics:
        lines.append(f"- {heuristic.cause} Usual fix: {' '.join(heuristic.steps)}")
    return "\n".join(lines)


def build_troubleshoot_messages(
    analysis: TroubleshootAnalysis, budget_chars: int
) -> list[dict[str, str]]:
    """The system and user messages; their contents together stay within ``budget_chars``
    (at least MIN_BUDGET), everything redacted."""
    if budget_chars < MIN_BUDGET:
        raise ValueError(f"budget_chars must be at least {MIN_BUDGET:,}")
    system = system_prompt()
    room = budget_chars - len(system)
    intro = "Find the root cause of this error, how to fix it and how to prevent it."
    parts = [intro, _error_block(analysis)]
    hints = _hints_block(analysis)
    if hints:
        parts.append(hints)
    past = _past_block(analysis, int(room * PAST_SHARE))
    if past:
        parts.append(past)
    heading = "=== The pasted text (error, stack trace, code) ==="
    used = sum(len(part) + 2 for part in parts) + len(heading) + 1
    paste = redact(analysis.text.strip())
    left = max(room - used, MIN_PASTE)
    parts.append(f"{heading}\n{_clip(paste, left)}")
    user = _clip("\n\n".join(parts), room)  # only for odd inputs; keeps the promise
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _heading(line: str) -> tuple[str, str] | None:
    """The canonical section a heading-like line opens, and any text after it on the line."""
    found = _HEADING_RE.fullmatch(line)
    if found is None:
        return None
    rest = found.group("rest").strip()
    marked = found.group("hash") or found.group("bold") or found.group("colon")
    if not marked and rest:
        return None  # a sentence that starts with "Fix the ..." is not a heading
    for index, name in enumerate(_NAMES):
        if found.group(f"g{index}"):
            return name, rest
    return None


def read_answer(reply: str) -> str:
    """The three sections of a model's reply with their canonical headings, in order (a
    missing one says so); "" when the reply has none of them."""
    text = clean_reply(reply)
    sections: dict[str, list[str]] = {}
    before: list[str] = []
    current: list[str] = before
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        heading = None if fenced else _heading(line)
        if heading is None:
            current.append(line)
            continue
        name, rest = heading
        current = sections.setdefault(name, [])
        if rest:
            current.append(rest)
    if not sections:
        return ""
    lead = [line for line in before if line.strip() and not line.startswith("# ")]
    if lead:
        sections.setdefault(SECTIONS[0], [])[:0] = [*lead, ""]
    blocks = []
    for name in SECTIONS:
        body = "\n".join(sections.get(name, [])).strip()
        body = re.sub(r"\n{3,}", "\n\n", body)
        blocks.append(f"## {name}\n\n{body or MISSING}")
    return "\n\n".join(blocks) + "\n"
