"""The offline handoff: deterministic Markdown from the session fields, the previous handoff
and the conversation. Every section is bounded so that the result fits a paste."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from orchestrator_tui.handoff.context import HandoffContext

MAX_ITEM = 300
MAX_ITEMS = 12
MAX_FILES = 12
MAX_REQUESTS = 5
MAX_ERRORS = 5
CARRIED = " (carried over)"

# A path-like token with an extension, or a dotted module path ending in a known extension.
_FILE_RE = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w-][\w.-]*\.(?:py|pyi|js|jsx|ts|tsx|json|toml|yaml|yml|md|txt|"
    r"cfg|ini|sql|sh|rs|go|java|kt|c|h|cc|cpp|hpp|cs|rb|php|html|css|scss|vue|svelte|tcss|lock|"
    r"env|dockerfile|mk|gradle|xml|swift))\b",
    re.IGNORECASE,
)
# Names of tools and libraries that look like files ("built with Next.js").
_NOT_FILES = frozenset(
    {
        *("next.js", "node.js", "nuxt.js", "vue.js", "react.js", "express.js", "nest.js"),
        *("three.js", "d3.js", "chart.js", "ember.js", "backbone.js", "angular.js"),
        *("alpine.js", "solid.js", "svelte.js", "deno.js", "bun.js", "p5.js", "moment.js"),
        *("day.js", "socket.io", "anime.js", "vite.js"),
    }
)
_ERROR_RE = re.compile(
    r"(Traceback \(most recent call last\)|\b\w*(?:Error|Exception)\b:.*|\berror(?:\[\w+\])?:.*|"
    r"\bFAILED\b.*|\bpanic(?:ked)?\b.*|command not found.*)",
)
# A marker followed by a colon ("TODO: x", "fixme(ana): y"), so that prose such as
# "like the TODO says" is not taken for one.
_TODO_RE = re.compile(r"\b(?:TODO|FIXME|XXX)(?:\([^)]*\))?:\s*(.+)", re.IGNORECASE)
_SPLIT_RE = re.compile(r"\r?\n|;\s+|;$")
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)]|\[[ xX]\])\s*")
_WORD_RE = re.compile(r"[a-z0-9]+")
# An item that only says there is nothing ("none", "N/A.", "—"): not an item.
_NOTHING_RE = re.compile(r"(?:none|n/a|na|-|—|–|no|nothing|nil)\.?", re.IGNORECASE)


def split_items(text: str) -> list[str]:
    """Items from a form field: one per line or per ``;``, bullets and blanks removed."""
    items = []
    for part in _SPLIT_RE.split(text or ""):
        item = _BULLET_RE.sub("", part).strip()
        if item and not _NOTHING_RE.fullmatch(item):
            items.append(_shorten(item))
    return _unique(items)


def _shorten(text: str, limit: int = MAX_ITEM) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _words(text: str) -> set[str]:
    return {word for word in _WORD_RE.findall(text.casefold()) if len(word) > 2}


def _covering(items: list[str]) -> list[tuple[str, set[str]]]:
    """Items casefolded with their words, computed once (``_is_done`` compares many pairs)."""
    return [(item.casefold(), _words(item)) for item in items]


def _is_done(item: str, covering: list[tuple[str, set[str]]]) -> bool:
    """An open item counts as done when an accomplishment covers most of its words."""
    words = _words(item)
    if not words:
        return False
    folded = item.casefold()
    for done, done_words in covering:
        if folded in done or len(words & done_words) / len(words) >= 0.6:
            return True
    return False


def _previous_sections(previous: str | None) -> dict[str, list[str]]:
    """The items under "Open blockers", "Next steps" and "Key files" of an earlier handoff:
    bullets, numbered items or plain lines (the minimal handoff and users' edits have those)."""
    sections: dict[str, list[str]] = {"open blockers": [], "next steps": [], "key files": []}
    current: list[str] | None = None
    for line in (previous or "").splitlines():
        heading = re.match(r"^#{1,6}\s+(.*)", line)
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


def _uncode(item: str) -> str:
    """A path as written in a "Key files" item (``- `path` `` or ``- `` a`b `` ``)."""
    for fence in ("``", "`"):
        if len(item) > 2 * len(fence) and item.startswith(fence) and item.endswith(fence):
            return item[len(fence) : -len(fence)].strip()
    return item


def previous_key_files(previous: str | None) -> list[str]:
    """The paths under "Key files" of an earlier handoff."""
    paths = (_uncode(item) for item in _previous_sections(previous)["key files"])
    return _unique(path for path in paths if path)


def _conversation_facts(
    turns: list[tuple[str, str]],
) -> tuple[list[str], list[str], list[str], list[str]]:
    """(files by mentions, errors, TODOs, last user requests) from the recent turns.

    Files are ranked by mentions, the most recently mentioned first among equals (so that a
    long conversation's recent files are not cut off by older ones); every TODO is returned,
    oldest first, each at its latest mention (the caller keeps the latest ones).
    """
    files: Counter[str] = Counter()
    last_mention: dict[str, int] = {}
    errors: list[str] = []
    todos: list[str] = []
    requests: list[str] = []
    mention = 0
    for role, content in turns:
        for match in _FILE_RE.finditer(content):
            if match.group(1).casefold() not in _NOT_FILES:
                files[match.group(1)] += 1
                mention += 1
                last_mention[match.group(1)] = mention
        if role in ("assistant", "tool", "system"):
            for match in _ERROR_RE.finditer(content):
                errors.append(_shorten(match.group(1), 200))
        for match in _TODO_RE.finditer(content):
            todos.append(_shorten(match.group(1), 200))
        if role == "user" and content.strip():
            requests.append(_shorten(content.strip().splitlines()[0], 160))
    ranked = sorted(files.items(), key=lambda kv: (-kv[1], -last_mention[kv[0]]))
    ranked_files = [_shorten(path, MAX_ITEM) for path, _ in ranked]  # a path can be any length
    return (
        ranked_files[:MAX_FILES],
        _unique(reversed(errors))[:MAX_ERRORS],
        list(reversed(_unique(reversed(todos)))),
        list(reversed(_unique(reversed(requests))[:MAX_REQUESTS])),
    )


def _latest_todos(todos: list[str], room: int, covering: list[tuple[str, set[str]]]) -> list[str]:
    """The latest TODOs that nothing done or planned covers, at most ``room``, oldest first."""
    kept: list[str] = []
    for todo in reversed(todos):
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
        opening += f" ({ctx.session_type.strip()})"
    if ctx.account_name:
        opening += f" on {ctx.account_name}"
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


def _code(text: str) -> str:
    """Inline code that survives backticks inside the text (Markdown's longer fence)."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def _bullets(items: list[str], empty: str) -> list[str]:
    if not items:
        return [f"_{empty}_"]
    return [f"- {item}" for item in items[:MAX_ITEMS]]


def _budget_lines(ctx: HandoffContext) -> list[str]:
    lines = []
    if ctx.credits_used is not None:
        lines.append(f"- Credits used this session: {ctx.credits_used:,}")
    if ctx.account_name:
        if ctx.account_credits_remaining is not None and ctx.account_credit_limit:
            share = ctx.account_credits_remaining / ctx.account_credit_limit
            lines.append(
                f"- Account **{ctx.account_name}**: {ctx.account_credits_remaining:,} of "
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
            lines.append(f"- Account **{ctx.account_name}**")
    else:
        lines.append("- No account recorded for this session")
    if ctx.total_turns:
        lines.append(f"- Conversation: {ctx.total_turns:,} turns")
    return lines


def render_rules_handoff(ctx: HandoffContext) -> str:
    """The handoff Markdown. Deterministic: the same context gives the same text."""
    done = split_items(ctx.accomplishments)
    blockers = split_items(ctx.blockers)
    next_steps = split_items(ctx.next_steps)
    old_blockers, old_steps = previous_open_items(ctx.previous_handoff)
    covered = _covering(done)
    # An old item stated again this session is listed once, as this session's.
    stated_blockers = {item.casefold() for item in blockers}
    stated_steps = {item.casefold() for item in next_steps}
    carried_blockers = [
        item
        for item in old_blockers
        if item.casefold() not in stated_blockers and not _is_done(item, covered)
    ]
    carried_steps = [
        item
        for item in old_steps
        if item.casefold() not in stated_steps and not _is_done(item, covered)
    ]
    files, errors, todos, requests = _conversation_facts(ctx.turns)
    # Files the previous handoff named come after this session's own, while there is room.
    own_files = {path.casefold() for path in files}
    carried_files = [
        path
        for path in previous_key_files(ctx.previous_handoff)
        if path.casefold() not in own_files
    ][: MAX_FILES - len(files)]

    open_blockers = _unique([*blockers, *(item + CARRIED for item in carried_blockers)])
    steps = _unique([*next_steps, *(item + CARRIED for item in carried_steps)])
    covered_or_planned = covered + _covering(steps)
    room = max(MAX_ITEMS - len(steps), 0)
    steps += [f"TODO: {todo}" for todo in _latest_todos(todos, room, covered_or_planned)]
    if not steps and open_blockers:
        steps = [f"Resolve: {blocker}" for blocker in blockers or carried_blockers]
    steps = _unique(steps)

    when = ctx.started_at.strftime("%Y-%m-%d %H:%M")
    if ctx.ended_at is not None:
        when += " → " + ctx.ended_at.strftime("%Y-%m-%d %H:%M")
    objective = split_items(ctx.objectives)
    summary = _summary(
        ctx, objective[0] if objective else None, len(done), len(open_blockers), len(steps)
    )

    lines = [
        f"# Handoff: {ctx.project_name} · session #{ctx.session_number}",
        "",
        f"_{when} UTC · status {ctx.status}_",
        "",
        "## Summary",
        summary,
        "",
    ]
    if len(objective) > 1:
        lines += ["## Objectives", *_bullets(objective, "none"), ""]
    lines += ["## Done", *_bullets(done, "nothing recorded"), ""]
    lines += ["## Open blockers", *_bullets(open_blockers, "none"), ""]
    lines += ["## Next steps", *_bullets(steps, "none recorded"), ""]
    if errors:
        lines += ["## Errors seen", *(f"- {_code(error)}" for error in errors), ""]
    key_files = [_code(path) for path in files] + [_code(path) + CARRIED for path in carried_files]
    lines += ["## Key files", *_bullets(key_files, "none mentioned"), ""]
    lines += ["## Recent requests", *_bullets([f"“{r}”" for r in requests], "none recorded"), ""]
    lines += ["## Budget", *_budget_lines(ctx)]
    return "\n".join(lines).rstrip() + "\n"


def render_minimal_handoff(ctx: HandoffContext) -> str:
    """The last resort when the full generator fails: the form fields, nothing derived."""
    return (
        f"# Handoff: {ctx.project_name} · session #{ctx.session_number}\n\n"
        f"## Done\n{ctx.accomplishments or '_nothing recorded_'}\n\n"
        f"## Open blockers\n{ctx.blockers or '_none_'}\n\n"
        f"## Next steps\n{ctx.next_steps or '_none recorded_'}\n"
    )
