"""The offline handoff: deterministic Markdown from the session fields, the previous handoff
and the whole conversation, fitted into a size budget by priority.

The conversation's facts come from ``extract`` (files changed, commands, errors open and
resolved, decisions, constraints, corrections, TODOs, requests, suggested next steps). Open
blockers and next steps of the previous handoff carry over until an accomplishment covers
them; so do its key files and constraints, after this session's own. Open errors are
blockers. Every text is redacted before it is placed (``orchestrator_tui.redact``).

``compress``: ``low`` uses the whole budget and full items; ``medium`` about 60% of it, with
short items and fewer per section; ``high`` about 30%, with only the summary, the open
blockers, the next steps, the key files and the last request (and the credits).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from orchestrator_tui.handoff.budget import (
    MIN_BUDGET,
    SHORT_CHARS,
    Item,
    Level,
    Section,
    clip,
    fit,
)
from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.extract import (
    ChangedFile,
    ConversationFacts,
    ErrorFact,
    FileFact,
    extract,
)
from orchestrator_tui.handoff.text import code, shorten, uncode, unique, words
from orchestrator_tui.redact import redact

MAX_ITEM = 300
MAX_ITEMS = 12
MAX_FILES = 12
MAX_REQUESTS = 5
MAX_ERRORS = 5
CARRIED = " (carried over)"

SUMMARY = "Summary"
OBJECTIVES = "Objectives"
DONE = "Done"
BLOCKERS = "Open blockers"
STEPS = "Next steps"
CONSTRAINTS = "Constraints and preferences"
CORRECTIONS = "Corrections"
DECISIONS = "Decisions"
FILES = "Key files"
COMMANDS = "Commands run"
RESOLVED = "Errors resolved"
REQUESTS = "Recent requests"
BUDGET = "Budget"

# Higher stays longer when the budget is tight.
PRIORITY = {
    SUMMARY: 100,
    BLOCKERS: 95,
    STEPS: 90,
    REQUESTS: 70,
    FILES: 65,
    DONE: 60,
    CORRECTIONS: 55,
    CONSTRAINTS: 50,
    DECISIONS: 40,
    OBJECTIVES: 30,
    RESOLVED: 20,
    COMMANDS: 10,
}
LOW_CAPS = {
    FILES: MAX_FILES,
    REQUESTS: MAX_REQUESTS,
    CONSTRAINTS: 10,
    CORRECTIONS: 6,
    DECISIONS: 8,
    COMMANDS: 8,
    RESOLVED: MAX_ERRORS,
}
LEVELS = {
    "low": Level("low", 1.0, MAX_ITEM, MAX_ITEMS, LOW_CAPS),
    "medium": Level(
        "medium",
        0.6,
        140,
        6,
        {
            FILES: 8,
            REQUESTS: 3,
            CONSTRAINTS: 6,
            CORRECTIONS: 3,
            DECISIONS: 4,
            COMMANDS: 4,
            RESOLVED: 3,
        },
        short=True,
    ),
    "high": Level(
        "high",
        0.3,
        120,
        5,
        {FILES: 6, REQUESTS: 1},
        sections=frozenset({SUMMARY, BLOCKERS, STEPS, FILES, REQUESTS}),
        short=True,
    ),
}
COMPRESS_LEVELS = tuple(LEVELS)

_SPLIT_RE = re.compile(r"\r?\n|;\s+|;$")
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\[[ xX]\])\s*")
# An item that only says there is nothing ("none", "N/A.", "—"): not an item.
_NOTHING_RE = re.compile(r"(?:none|n/a|na|-|—|–|no|nothing|nil)\.?", re.IGNORECASE)
_HEADING_RE = re.compile(r"^#{1,6}\s+(.*)")
_FIX_WORDS = ("fix", "resolv", "solv", "repair", "handl", "work around", "worked around")


def split_items(text: str) -> list[str]:
    """Items from a form field: one per line or per ``;``, bullets and blanks removed."""
    items = []
    for part in _SPLIT_RE.split(text or ""):
        item = _BULLET_RE.sub("", part).strip()
        if item and not _NOTHING_RE.fullmatch(item):
            items.append(shorten(item, MAX_ITEM))
    return unique(items)


def _covering(items: list[str]) -> list[tuple[str, set[str]]]:
    """Items casefolded with their words, computed once (``_is_done`` compares many pairs)."""
    return [(item.casefold(), words(item)) for item in items]


def _is_done(item: str, covering: list[tuple[str, set[str]]]) -> bool:
    """An open item counts as done when an accomplishment covers most of its words."""
    item_words = words(item)
    if not item_words:
        return False
    folded = item.casefold()
    for done, done_words in covering:
        if folded in done or len(item_words & done_words) / len(item_words) >= 0.6:
            return True
    return False


def _previous_sections(previous: str | None) -> dict[str, list[str]]:
    """The items under "Open blockers", "Next steps", "Key files" and "Constraints and
    preferences" of an earlier handoff: bullets, numbered items or plain lines (the minimal
    handoff and users' edits have those)."""
    sections: dict[str, list[str]] = {
        "open blockers": [],
        "next steps": [],
        "key files": [],
        "constraints and preferences": [],
    }
    current: list[str] | None = None
    for line in (previous or "").splitlines():
        heading = _HEADING_RE.match(line)
        if heading:
            current = sections.get(heading.group(1).strip().casefold())
            continue
        if current is not None:
            for item in split_items(line):
                item = item.removesuffix(CARRIED).strip()
                if item and not item.startswith("_"):
                    current.append(item)
    return sections


def previous_open_items(previous: str | None) -> tuple[list[str], list[str]]:
    """The open blockers and next steps of an earlier handoff."""
    sections = _previous_sections(previous)
    return sections["open blockers"], sections["next steps"]


def previous_key_files(previous: str | None) -> list[str]:
    """The paths under "Key files" of an earlier handoff (what follows a path's code span,
    such as "— modified, +3", is not part of it)."""
    paths = (uncode(item) for item in _previous_sections(previous)["key files"])
    return unique(path for path in paths if path)


def _latest_todos(
    todos: Iterable[str], room: int, covering: list[tuple[str, set[str]]]
) -> list[str]:
    """The latest TODOs that nothing done or planned covers, at most ``room``, oldest first."""
    kept: list[str] = []
    for todo in reversed(list(todos)):
        if len(kept) >= room:
            break
        if not _is_done(todo, covering):
            kept.append(todo)
    return kept[::-1]


def _quantity(count: int, singular: str, plural: str) -> str:
    """``no blockers``, ``1 blocker``, ``2 blockers``."""
    if count == 0:
        return f"no {plural}"
    return f"{count:,} {singular if count == 1 else plural}"


def _summary(
    ctx: HandoffContext, objective: str | None, done: int, blockers: int, steps: int
) -> str:
    """Two or three sentences that read well with or without account, objective, previous."""
    opening = f"Session #{ctx.session_number}"
    if ctx.session_type.strip():
        opening += f" ({shorten(ctx.session_type, 40)})"
    if ctx.account_name:
        opening += f" on {shorten(ctx.account_name, 60)}"
    if objective:
        opening += f" set out to: {objective}"
        if not objective.endswith((".", "!", "?", "…")):
            opening += "."
    else:
        opening += " had no objectives recorded."
    counts = (
        f"{_quantity(done, 'item', 'items')} done, "
        f"{_quantity(blockers, 'blocker', 'blockers')} open, "
        f"{_quantity(steps, 'next step', 'next steps')}."
    )
    summary = f"{opening} {counts[0].upper()}{counts[1:]}"
    if ctx.previous_session_number is not None:
        summary += f" Continues from session #{ctx.previous_session_number}."
    return summary


def _budget_lines(ctx: HandoffContext, facts: ConversationFacts, level: Level) -> list[str]:
    lines = []
    account = shorten(ctx.account_name, 60) if ctx.account_name else None
    if ctx.credits_used is not None:
        lines.append(f"- Credits used this session: {ctx.credits_used:,}")
    if account:
        if ctx.account_credits_remaining is not None and ctx.account_credit_limit:
            share = ctx.account_credits_remaining / ctx.account_credit_limit
            lines.append(
                f"- Account **{account}**: {ctx.account_credits_remaining:,} of "
                f"{ctx.account_credit_limit:,} credits left ({share:.0%})"
            )
            if ctx.credits_used:
                left = ctx.account_credits_remaining // ctx.credits_used
                if left:
                    more = _quantity(left, "more session", "more sessions")
                    lines.append(f"- At this session's rate: about {more} on it")
                else:
                    lines.append("- At this session's rate: not enough left for another session")
        else:
            lines.append(f"- Account **{account}**")
    else:
        lines.append("- No account recorded for this session")
    if ctx.total_turns:
        line = f"- Conversation: {ctx.total_turns:,} turns"
        if facts.turns_skipped:
            line += f" ({facts.turns_read:,} read: the first and the latest)"
        lines.append(line)
    if level.name != "low":
        lines.append(f"- Compression: {level.name}")
    return lines


def _level(compress: str) -> Level:
    try:
        return LEVELS[compress]
    except KeyError:
        raise ValueError(
            f"unknown compression {compress!r}; use one of {COMPRESS_LEVELS}"
        ) from None


def _relative(path: str, root: str | None) -> str:
    root = (root or "").rstrip("/\\")
    if root and path.startswith(root + "/"):
        return path[len(root) + 1 :]
    return path


def _error_item(error: ErrorFact) -> Item:
    text = f"Error: {code(redact(error.text))}"
    short = text
    if error.source and error.source.casefold() not in error.text.casefold():
        text += f" (from {code(shorten(redact(error.source), 80))})"
    if error.count > 1:
        text += f" ×{error.count:,}"
    return Item(text, short)


def _resolved_item(error: ErrorFact, how: str) -> Item:
    short = code(shorten(redact(error.text), 80))
    return Item(f"{code(redact(error.text))} — {redact(how)}", short)


def _fixed_by_done(error: ErrorFact, done: list[str]) -> str | None:
    """The accomplishment that says this error was fixed (a fix word and one of its keys)."""
    for item in done:
        folded = item.casefold()
        if any(word in folded for word in _FIX_WORDS) and any(
            key in folded for key in error.keys if len(key) > 3
        ):
            return item
    return None


def _file_items(ctx: HandoffContext, facts: ConversationFacts, carried: list[str]) -> list[Item]:
    rows: dict[str, ChangedFile] = {}
    for row in ctx.files:
        path = shorten(_relative(row.path, ctx.working_directory), MAX_ITEM)
        rows.setdefault(path, row)
    # The most important first (1-5, set by hand or 3 by default), then the most changed.
    ordered = sorted(
        rows.items(),
        key=lambda pair: (
            -pair[1].importance,
            -(pair[1].lines_added + pair[1].lines_removed),
            pair[0],
        ),
    )
    items: list[Item] = []
    for path, row in ordered:
        counts = "".join(
            part
            for part in (
                f", +{row.lines_added:,}" if row.lines_added else "",
                f" −{row.lines_removed:,}" if row.lines_removed else "",
                f", importance {row.importance}" if row.importance != 3 else "",
            )
        )
        items.append(Item(f"{code(path)} — {row.change}{counts}", code(path)))
    seen = {path.casefold() for path in rows}
    for fact in facts.files:
        if fact.path.casefold() in seen:
            continue
        seen.add(fact.path.casefold())
        items.append(Item(_file_text(fact), code(fact.path)))
    for path in carried:
        if path.casefold() not in seen:
            seen.add(path.casefold())
            items.append(Item(code(path) + CARRIED))
    return items


def _file_text(fact: FileFact) -> str:
    if fact.edits:
        verb = "created" if fact.created else "edited"
        return f"{code(fact.path)} — {verb}" + (f" ×{fact.edits:,}" if fact.edits > 1 else "")
    if fact.reads and not fact.mentions:
        return f"{code(fact.path)} — read"
    return code(fact.path)


def _decision_items(facts: ConversationFacts) -> list[Item]:
    items = []
    for decision in facts.decisions:
        text = redact(decision.text)
        if decision.choice and decision.rejected:
            short = f"{decision.choice} (not {decision.rejected})"
        else:
            short = shorten(text, SHORT_CHARS)
        items.append(Item(text, redact(short)))
    return items


def _command_items(facts: ConversationFacts) -> list[Item]:
    items = []
    for command in facts.commands:
        text = code(redact(command.command))
        short = code(shorten(redact(command.command), 60))
        if command.runs > 1:
            text += f" ×{command.runs:,}"
        if command.failed is True:
            text += " — failed"
        elif command.failed is False:
            text += " — ok"
        items.append(Item(text, short))
    return items


def _section(
    title: str,
    items: list[Item],
    level: Level,
    *,
    empty: str | None = None,
    floor: int = 0,
    keep: int = 0,
    newest_last: bool = False,
    plain: bool = False,
) -> Section:
    """A section with the level's cap and item length applied."""
    cap = level.caps.get(title, level.items)
    shown = items[:cap]
    for item in shown:
        if level.short:
            item.text = item.short
        item.text = clip(item.text, level.item_chars)
    return Section(
        title,
        PRIORITY[title],
        shown,
        empty=empty,
        floor=floor,
        keep=keep,
        newest_last=newest_last,
        available=len(items),
        plain=plain,
    )


@dataclass(frozen=True)
class _Open:
    """This session's open items, with what carries over from the previous handoff."""

    blockers: list[Item]
    steps: list[str]
    resolved: list[Item]


def _open_items(
    ctx: HandoffContext, facts: ConversationFacts, old: dict[str, list[str]], level: Level
) -> tuple[list[str], _Open]:
    """(done, open items). Blockers: the stated ones, the open errors (not those a blocker
    states or an accomplishment says were fixed), then the carried ones. Next steps: the
    stated ones, the carried ones, the assistant's suggestions, then the latest TODOs in the
    room left. An old item stated again is listed once, as this session's; one that an
    accomplishment covers, or that names an error of this session, is not carried."""
    done = split_items(redact(ctx.accomplishments))
    blockers = split_items(redact(ctx.blockers))
    next_steps = split_items(redact(ctx.next_steps))
    covered = _covering(done)
    errors = [error.text.casefold() for error in (*facts.open_errors, *facts.resolved_errors)]
    stated = {item.casefold() for item in blockers}
    carried_blockers = [
        item
        for item in old["open blockers"]
        if item.casefold() not in stated
        and not _is_done(item, covered)
        and not any(error in item.casefold() for error in errors)
    ]
    stated = {item.casefold() for item in next_steps}
    carried_steps = [
        item
        for item in old["next steps"]
        if item.casefold() not in stated and not _is_done(item, covered)
    ]

    blocker_text = " ".join(blockers).casefold()
    open_errors: list[ErrorFact] = []
    resolved: list[Item] = []
    for error in facts.open_errors:
        fixed = _fixed_by_done(error, done)
        if fixed is not None:
            resolved.append(_resolved_item(error, f"done: {shorten(fixed, 80)}"))
        elif error.text.casefold() not in blocker_text and not any(
            key in blocker_text for key in error.keys if len(key) > 3
        ):
            open_errors.append(error)
    resolved += [_resolved_item(error, error.resolution or "") for error in facts.resolved_errors]
    blocker_items = [Item(item) for item in blockers]
    blocker_items += [_error_item(error) for error in open_errors[:MAX_ERRORS]]
    blocker_items += [Item(item + CARRIED) for item in carried_blockers]

    steps = unique([*next_steps, *(item + CARRIED for item in carried_steps)])
    planned = covered + _covering(steps)
    listed = {step.casefold() for step in steps}
    steps += [
        step
        for step in (redact(item) for item in facts.suggested_steps)
        if step.casefold() not in listed and not _is_done(step, planned)
    ]
    room = max(level.items - len(steps), 0)
    todos = [redact(todo) for todo in facts.todos]
    steps += [f"TODO: {todo}" for todo in _latest_todos(todos, room, covered + _covering(steps))]
    if not steps and blocker_items:
        steps = [f"Resolve: {blocker}" for blocker in blockers or carried_blockers]
        steps = steps or ["Fix the open errors listed under Open blockers"]
    return done, _Open(_unique_items(blocker_items), unique(steps), _unique_items(resolved))


def _said_items(
    facts: ConversationFacts, old: dict[str, list[str]]
) -> tuple[list[str], list[str], list[Item]]:
    """(corrections, constraints, decisions): a sentence is listed once, in the first of
    these it belongs to; the previous handoff's constraints carry over after this session's."""
    corrections = unique(redact(item) for item in facts.corrections)
    said = {item.casefold() for item in corrections}
    constraints = [
        item for item in unique(redact(i) for i in facts.constraints) if item.casefold() not in said
    ]
    said |= {item.casefold() for item in constraints}
    constraints += [
        item + CARRIED for item in old["constraints and preferences"] if item.casefold() not in said
    ]
    decisions = [item for item in _decision_items(facts) if item.text.casefold() not in said]
    return corrections, constraints, decisions


def render_rules_handoff(
    ctx: HandoffContext, budget_chars: int | None = None, compress: str | None = None
) -> str:
    """The handoff Markdown at the compression ``compress`` (the context's when None), in at
    most ``budget_chars`` (the context's when None) times the level's share (low 100%, medium
    60%, high 30%) characters, or ``MIN_BUDGET`` if that is more. Deterministic: the same
    context gives the same text."""
    level = _level(compress or ctx.compress)
    base = ctx.budget_chars if budget_chars is None else budget_chars
    budget = max(MIN_BUDGET, round(base * level.share))
    facts = ctx.facts if ctx.facts is not None else extract(ctx.turns, ctx.working_directory)
    previous = redact(ctx.previous_handoff) if ctx.previous_handoff else None
    old = _previous_sections(previous)
    done, open_items = _open_items(ctx, facts, old, level)
    corrections, constraints, decisions = _said_items(facts, old)
    objectives = split_items(redact(ctx.objectives))
    requests = [f"“{redact(request)}”" for request in reversed(facts.requests)]
    summary = _summary(
        ctx,
        objectives[0] if objectives else None,
        len(done),
        len(open_items.blockers),
        len(open_items.steps),
    )
    sections = [
        _section(SUMMARY, [Item(summary)], level, floor=1, keep=1, plain=True),
        _section(
            OBJECTIVES, [Item(item) for item in (objectives if len(objectives) > 1 else [])], level
        ),
        _section(DONE, [Item(item) for item in done], level, empty="nothing recorded"),
        _section(BLOCKERS, open_items.blockers, level, empty="none", floor=1),
        _section(
            STEPS, [Item(step) for step in open_items.steps], level, empty="none recorded", floor=1
        ),
        _section(CONSTRAINTS, [Item(item) for item in constraints], level),
        _section(CORRECTIONS, [Item(item) for item in corrections], level),
        _section(DECISIONS, decisions, level),
        _section(
            FILES,
            _file_items(ctx, facts, previous_key_files(previous)),
            level,
            empty="none mentioned",
        ),
        _section(COMMANDS, _command_items(facts), level),
        _section(RESOLVED, open_items.resolved, level),
        _section(
            REQUESTS,
            [Item(item, shorten(item, SHORT_CHARS)) for item in requests],
            level,
            empty="none recorded",
            floor=1,
            newest_last=True,
        ),
    ]
    if level.sections is not None:
        sections = [section for section in sections if section.title in level.sections]
    when = ctx.started_at.strftime("%Y-%m-%d %H:%M")
    if ctx.ended_at is not None:
        when += " → " + ctx.ended_at.strftime("%Y-%m-%d %H:%M")
    header = [
        f"# Handoff: {shorten(ctx.project_name, 80)} · session #{ctx.session_number}",
        "",
        f"_{when} UTC · status {shorten(ctx.status, 40)}_",
        "",
    ]
    budget_lines = _budget_lines(ctx, facts, level)

    def closing(note: str | None) -> list[str]:
        return [f"## {BUDGET}", *budget_lines, *([note] if note else [])]

    return fit(header, sections, closing, budget)


def _unique_items(items: list[Item]) -> list[Item]:
    seen: set[str] = set()
    kept = []
    for item in items:
        key = item.text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def render_minimal_handoff(ctx: HandoffContext) -> str:
    """The last resort when the full generator fails: the form fields, nothing derived
    (redacted like everything the rules engine writes)."""
    return redact(
        f"# Handoff: {ctx.project_name} · session #{ctx.session_number}\n\n"
        f"## Done\n{ctx.accomplishments or '_nothing recorded_'}\n\n"
        f"## Open blockers\n{ctx.blockers or '_none_'}\n\n"
        f"## Next steps\n{ctx.next_steps or '_none recorded_'}\n"
    )
