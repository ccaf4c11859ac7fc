"""The prompt for a handoff written by a model, and the tidying of its reply.

The prompt never holds the whole conversation: the session's fields, the open items of the
previous handoff and the rules engine's Markdown come first, then as many of the latest turns
as the character budget leaves room for (newest kept, each one cut to a sensible length).
Every text is redacted before it is cut, so that a cut never leaves half a secret behind.

The model is asked for the sections of the rules engine's draft, in its order: whatever the
engine writes (its sections vary with the compression level) is what the model mirrors.
"""

from __future__ import annotations

import re

from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.rules import MAX_ITEMS, previous_open_items
from orchestrator_tui.redact import redact

# Below this the system prompt and the session's facts leave no room for anything else.
MIN_BUDGET = 4_000
# The sections asked for when the draft has none (the rules engine's usual ones).
DEFAULT_SECTIONS = (
    "Summary",
    "Done",
    "Open blockers",
    "Next steps",
    "Key files",
    "Recent requests",
    "Budget",
)
# What goes under the sections the rules engine may write; others get no hint.
_HINTS = {
    "summary": "two or three sentences on the goal and where it stands",
    "objectives": "the session's objectives",
    "done": "what was finished, one bullet each",
    "open blockers": "what stops progress now, with unresolved ones carried over",
    "next steps": "concrete actions, in the order to take them",
    "constraints and preferences": "rules and preferences the user set for the work",
    "corrections": "where the user corrected the assistant",
    "decisions": "choices made, with their reason",
    "key files": "paths in backticks",
    "commands run": "commands in backticks",
    "errors seen": "error messages, verbatim in backticks",
    "errors resolved": "errors that were fixed, and how",
    "recent requests": "the user's latest requests, briefly quoted",
    "budget": "credits and account, as given",
}
# The fields and the draft may take at most this share of the room when turns need the rest.
FIXED_SHARE = 0.6
TURN_CAP = 2_000  # a user or assistant turn is cut to this
OTHER_TURN_CAP = 800  # tool output and the like: long and noisy
MIN_PIECE = 200  # a turn cut shorter than this is left out
_NAME_CAP = 200
_SECTION_HEADING = re.compile(r"(?m)^##[ \t]+(.+?)[ \t]*$")

_SYSTEM_PROMPT = """\
You write handoff briefings: the note that lets the next AI-assistant session pick up the \
work where this session stopped.

Reply with the handoff only, in plain Markdown. No preamble, no closing remarks, no code \
fence around the reply.

Start with the title line "# Handoff: <project> · session #<number>", then these sections as \
"##" headings, in this order:
{sections}

Be concise: bullets, no filler. Use only facts from the material given and never invent any. \
Keep paths, commands, names and error messages exact. Write "_none_" under an empty section. \
The draft from the offline rules engine is reliable on facts and has the sections to write: \
improve its wording and fill its gaps from the conversation."""


def draft_sections(draft: str) -> list[str]:
    """The ``##`` section names of a handoff, in order, each once."""
    names: list[str] = []
    for name in _SECTION_HEADING.findall(draft):
        if name.casefold() not in (known.casefold() for known in names):
            names.append(name)
    return names


def system_prompt(sections: list[str] | tuple[str, ...]) -> str:
    """The system prompt asking for ``sections``, with a hint for each known one."""
    lines = []
    for name in sections:
        hint = _HINTS.get(name.casefold())
        lines.append(f"## {name}: {hint}." if hint else f"## {name}")
    return _SYSTEM_PROMPT.format(sections="\n".join(lines))


def _clip(text: str, limit: int) -> str:
    """At most ``limit`` characters: the head and the tail, with a note of what was left out
    between them (a turn's request is at its start, its conclusion at its end)."""
    if len(text) <= limit:
        return text
    note = f"\n[… {len(text):,} characters left out …]\n"
    if limit < len(note) + 40:
        return text[: max(limit - 1, 0)] + "…" if limit > 0 else ""
    keep = limit - len(note)
    head = keep * 2 // 3
    tail = keep - head
    omitted = len(text) - head - tail
    return f"{text[:head]}\n[… {omitted:,} characters left out …]\n{text[len(text) - tail :]}"


def _tidy(text: str) -> str:
    """Stripped, trailing spaces and runs of blank lines removed."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _fair_cap(lengths: list[int], room: int) -> int:
    """The largest cap that keeps the sum of ``min(length, cap)`` within ``room``."""
    remaining = max(room, 0)
    ordered = sorted(lengths)
    for index, length in enumerate(ordered):
        share = remaining // (len(ordered) - index)
        if length > share:
            return share
        remaining -= length
    return max(ordered, default=0)


def _section(label: str, body: str) -> str:
    return f"=== {label} ===\n{body}"


def _session_block(ctx: HandoffContext) -> str:
    def name(text: str) -> str:
        return _clip(" ".join(text.split()), _NAME_CAP)

    when = ctx.started_at.strftime("%Y-%m-%d %H:%M")
    if ctx.ended_at is not None:
        when += " → " + ctx.ended_at.strftime("%Y-%m-%d %H:%M")
    kind = f" ({name(ctx.session_type)})" if ctx.session_type.strip() else ""
    lines = [
        f"Project: {name(ctx.project_name)}",
        f"Session: #{ctx.session_number}{kind}, status {name(ctx.status)}",
        f"Time: {when} UTC",
    ]
    if ctx.account_name:
        account = f"Account: {name(ctx.account_name)}"
        if ctx.account_credits_remaining is not None and ctx.account_credit_limit:
            account += (
                f", {ctx.account_credits_remaining:,} of {ctx.account_credit_limit:,} credits left"
            )
        lines.append(account)
    else:
        lines.append("Account: none recorded")
    if ctx.credits_used is not None:
        lines.append(f"Credits used this session: {ctx.credits_used:,}")
    lines.append(f"Conversation: {max(ctx.total_turns, len(ctx.turns)):,} turns in all")
    if ctx.previous_session_number is not None:
        lines.append(f"Continues from session #{ctx.previous_session_number}")
    return _section("Session", "\n".join(lines))


def _previous_items(previous: str) -> str:
    blockers, steps = previous_open_items(previous)
    lines = ["Open blockers:", *(f"- {item}" for item in blockers[:MAX_ITEMS])]
    if not blockers:
        lines.append("(none)")
    lines += ["Next steps:", *(f"- {item}" for item in steps[:MAX_ITEMS])]
    if not steps:
        lines.append("(none)")
    return "\n".join(lines)


def _recent_turns(turns: list[tuple[str, str]], room: int) -> list[tuple[str, str]]:
    """The latest non-empty turns, newest first, redacted and tidied, as many as could share
    ``room`` characters (each at least MIN_PIECE of it): the only ones ever redacted."""
    recent: list[tuple[str, str]] = []
    needed = 0
    for role, content in reversed(turns):
        if needed > room:
            break
        text = _tidy(redact(content))
        if text:
            role = " ".join(role.split())[:20] or "unknown"
            recent.append((role, text))
            needed += min(len(text), MIN_PIECE)
    return recent


def _turn_blocks(recent: list[tuple[str, str]], room: int) -> list[str]:
    """The blocks of the newest turns that fit in ``room`` characters (each block plus one
    separator), returned oldest first. ``recent`` is newest first."""
    blocks: list[str] = []
    left = room
    for role, text in recent:
        label = f"--- {role} ---\n"
        cap = TURN_CAP if role in ("user", "assistant") else OTHER_TURN_CAP
        block = label + _clip(text, cap)
        if len(block) + 2 <= left:
            blocks.append(block)
            left -= len(block) + 2
            continue
        fit = left - len(label) - 2
        if fit >= MIN_PIECE:
            blocks.append(label + _clip(text, fit))
        break
    blocks.reverse()
    return blocks


def _turns_heading(shown: int, total: int) -> str:
    if shown == total:
        return f"Conversation: all {total:,} turns, oldest first"
    return f"Recent conversation: the last {shown:,} of {total:,} turns, oldest first"


def build_messages(
    context: HandoffContext, rules_extract: str, budget_chars: int
) -> list[dict[str, str]]:
    """The system and user messages; their contents together stay within ``budget_chars``
    (at least MIN_BUDGET). ``rules_extract`` is the rules engine's handoff Markdown: its
    sections are the ones asked for."""
    if budget_chars < MIN_BUDGET:
        raise ValueError(f"budget_chars must be at least {MIN_BUDGET:,}")
    system = system_prompt(draft_sections(rules_extract) or DEFAULT_SECTIONS)
    room = budget_chars - len(system)
    intro = "Write the handoff for this session."
    session = _session_block(context)
    fields = [
        ("Objectives (as recorded)", _tidy(redact(context.objectives))),
        ("Accomplishments (as recorded)", _tidy(redact(context.accomplishments))),
        ("Blockers (as recorded)", _tidy(redact(context.blockers))),
        ("Next steps (as recorded)", _tidy(redact(context.next_steps))),
    ]
    if context.previous_handoff is not None:
        number = context.previous_session_number
        label = "Open items of the previous handoff" + (f" (session #{number})" if number else "")
        fields.append((label, _previous_items(redact(context.previous_handoff))))
    fields.append(("Draft from the offline rules engine", _tidy(redact(rules_extract))))

    total_turns = max(context.total_turns, len(context.turns))
    # The longest heading the turns can get (fewer turns shown never need more digits).
    turns_heading = _section(_turns_heading(total_turns, total_turns + 1), "")
    recent = _recent_turns(context.turns, room)
    wanted_turns = sum(len(block) + 2 for block in _turn_blocks(recent, room - len(turns_heading)))
    # Everything but the field texts: the intro, the session, labels and separators.
    frame = len(intro) + len(session) + len(turns_heading) + 2 * (len(fields) + 2)
    frame += sum(len(_section(label, "")) for label, _ in fields)
    turn_room = min(wanted_turns, int(room * (1 - FIXED_SHARE)))
    cap = _fair_cap([len(text) for _, text in fields], room - frame - turn_room)
    parts = [intro, session]
    parts += [_section(label, _clip(text, cap) if text else "(none)") for label, text in fields]

    used = sum(len(part) + 2 for part in parts)
    blocks = _turn_blocks(recent, room - used - len(turns_heading))
    if blocks:
        parts.append(_section(_turns_heading(len(blocks), total_turns), "\n\n".join(blocks)))
    else:
        parts.append(_section("Conversation", "(no turns recorded)"))
    user = _clip("\n\n".join(parts), room)  # never needed but for odd fields; keeps the promise
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


_REASONING_TAGS = "think|thinking|analysis|reasoning|reflection"
_REASONING_BLOCK = re.compile(rf"<({_REASONING_TAGS})>.*?</\1>\s*", re.DOTALL | re.IGNORECASE)
_REASONING_CLOSE = re.compile(rf"</(?:{_REASONING_TAGS})>", re.IGNORECASE)
_REASONING_OPEN = re.compile(rf"\s*<(?:{_REASONING_TAGS})>", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s")
_FENCE_OPEN = re.compile(r"^```\s*(?:markdown|md|text)?\s*$", re.IGNORECASE)
_PREAMBLE = re.compile(
    r"^(?:here(?:'s|’s| is| are)\b|sure\b|certainly\b|okay\b|ok\b|of course\b|absolutely\b|"
    r"below is\b|the following\b|as requested\b|i(?:'ve|’ve| have) (?:written|prepared|drafted))",
    re.IGNORECASE,
)
_CHATTER = re.compile(
    r"^(?:let me know\b|i hope\b|hope this\b|feel free\b|please let me know\b|"
    r"if you(?:'d| would)? (?:like|need|want|have)\b|is there anything\b|would you like\b|"
    r"happy to help\b|good luck\b|this handoff (?:should|will|covers)\b)",
    re.IGNORECASE,
)
_RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})$")


def _without_reasoning(text: str) -> str:
    text = _REASONING_BLOCK.sub("", text)
    first_heading = re.search(r"(?m)^#{1,6}\s", text)
    close = _REASONING_CLOSE.search(text)
    if close and (first_heading is None or close.start() < first_heading.start()):
        text = text[close.end() :]  # the opening tag was in the prompt template
    opening = _REASONING_OPEN.match(text)
    if opening:
        text = ""  # reasoning that never ended: there is no answer after it
    return text


def _without_preamble(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _HEADING.match(stripped) or stripped.startswith("```"):
            before = [item.strip() for item in lines[:index] if item.strip()]
            chatty = all(
                _PREAMBLE.match(item) or (item.endswith(":") and len(item) < 120) for item in before
            )
            return lines[index:] if chatty else lines
    return lines


def _without_fence(lines: list[str]) -> list[str]:
    if not lines or not _FENCE_OPEN.match(lines[0].strip()):
        return lines
    closes = [index for index, line in enumerate(lines) if index and line.strip() == "```"]
    if closes:
        after = lines[closes[-1] + 1 :]
        if not any(_HEADING.match(line.strip()) for line in after):
            return lines[1 : closes[-1]]
    fences = sum(1 for line in lines if line.strip().startswith("```"))
    if fences % 2 and lines[0].strip() != "```":
        return lines[1:]  # a ```markdown fence the model never closed
    return lines


def _without_chatter(lines: list[str]) -> list[str]:
    headings = [index for index, line in enumerate(lines) if _HEADING.match(line.strip())]
    if not headings:
        return lines
    end = len(lines)
    while True:
        while end > headings[-1] + 1 and not lines[end - 1].strip():
            end -= 1
        start = end
        while start > headings[-1] + 1 and lines[start - 1].strip():
            start -= 1
        paragraph = lines[start:end]
        if start == end or start == headings[-1] + 1:
            break
        first = paragraph[0].strip()
        if _CHATTER.match(first) or all(_RULE.match(line.strip()) for line in paragraph):
            end = start
            continue
        break
    return lines[:end]


def clean_reply(text: str) -> str:
    """The handoff inside a model's reply: without reasoning blocks (<think>, <analysis>...),
    a preamble ("Here is the handoff:"), a ```markdown fence around it, or closing chatter
    ("Let me know if..."). Anything else is kept as written. "" when nothing is left."""
    text = _without_reasoning(text.replace("\r\n", "\n")).strip()
    lines = text.splitlines()
    lines = _without_preamble(lines)
    lines = _without_fence(lines)
    lines = _without_preamble(lines)
    lines = _without_chatter(lines)
    cleaned = "\n".join(lines).strip()
    return cleaned + "\n" if cleaned else ""
