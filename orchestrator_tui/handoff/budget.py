"""Fitting a handoff into a size budget by priority, never by cutting its end off.

A document is a header, sections of bulleted items, and a closing section (the credits
budget) that is always kept whole. Each section has a priority and its items are ranked.
While the document is too long:

1. the lowest-ranked item of the lowest-priority section goes (a section keeps ``floor``
   items: the summary, the open blockers, the next steps and the last request keep one);
2. then items are shortened, lowest-priority sections first: to their short form and
   ``SHORT_CHARS``, then to ``TINY_CHARS``;
3. then the floors go too (not the items a section ``keep``s: the summary), and what is
   left is shortened to ``SUMMARY_CHARS``.

A line at the end says how many items were left out (by the level's caps or the budget).
Deterministic: the same sections and budget give the same text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator_tui.handoff.text import shorten

DEFAULT_BUDGET = 6_000  # characters, about 1,500 tokens
MIN_BUDGET = 1_200  # below this even the skeleton (headings, summary, credits) may not fit
SHORT_CHARS = 100
TINY_CHARS = 50
SUMMARY_CHARS = 200
LEFT_OUT = "_left out to fit the budget_"


@dataclass(frozen=True)
class Level:
    """A compression level: the share of the budget, the length of an item, and how many
    items each section shows at most (by section title; others: ``items``)."""

    name: str
    share: float
    item_chars: int
    items: int
    caps: dict[str, int] = field(default_factory=dict)
    sections: frozenset[str] | None = None  # None: every section
    short: bool = False  # items in their short form


@dataclass
class Item:
    text: str
    short: str = ""  # the compressed form (defaults to the text)

    def __post_init__(self) -> None:
        self.short = self.short or self.text


@dataclass
class Section:
    title: str
    priority: int  # higher stays longer
    items: list[Item]  # most important first
    empty: str | None = None  # shown when there is nothing; None: the section is omitted
    floor: int = 0  # items kept until the last phase
    keep: int = 0  # items kept in every phase (the summary)
    newest_last: bool = False  # shown in reverse rank order (requests: the latest last)
    available: int = -1  # items there were before any cap (-1: as many as ``items``)
    trimmed: bool = False  # items were left out: say so instead of the empty text
    plain: bool = False  # items as paragraphs, not bullets (the summary)

    def __post_init__(self) -> None:
        if self.available < 0:
            self.available = len(self.items)

    @property
    def left_out(self) -> int:
        return self.available - len(self.items)

    def lines(self) -> list[str]:
        if not self.items:
            if self.empty is None:  # an optional section: gone (the note counts its items)
                return []
            if self.left_out > 0 or self.trimmed:
                return [f"## {self.title}", LEFT_OUT, ""]
            return [f"## {self.title}", f"_{self.empty}_", ""]
        shown = reversed(self.items) if self.newest_last else iter(self.items)
        bullet = "" if self.plain else "- "
        return [f"## {self.title}", *(f"{bullet}{item.text}" for item in shown), ""]


def left_out_note(sections: list[Section], budget: int) -> str | None:
    """``Not shown to fit 6,000 characters: 12 items (Commands run 8, Decisions 4)``."""
    counts = [(section.left_out, section.title) for section in sections if section.left_out > 0]
    if not counts:
        return None
    total = sum(count for count, _ in counts)
    top = sorted(counts, key=lambda pair: -pair[0])[:3]
    detail = ", ".join(f"{title} {count:,}" for count, title in top)
    more = ", …" if len(counts) > 3 else ""
    noun = "item" if total == 1 else "items"
    return f"- Not shown, to fit {budget:,} characters: {total:,} {noun} ({detail}{more})"


def fit(
    header: list[str],
    sections: list[Section],
    closing: Callable[[str | None], list[str]],
    budget: int,
) -> str:
    """The document within ``budget`` characters, shrunk as the module says. ``closing``
    gives the last section's lines, given the note on what was left out."""

    def render() -> str:
        lines = list(header)
        for section in sections:
            lines += section.lines()
        lines += closing(left_out_note(sections, budget))
        return "\n".join(lines).rstrip() + "\n"

    text = render()
    if len(text) <= budget:
        return text
    by_priority = sorted(sections, key=lambda section: section.priority)
    # 1. Drop items, lowest priority first, down to each section's floor.
    for section in by_priority:
        while len(section.items) > section.floor:
            section.items.pop()
            text = render()
            if len(text) <= budget:
                return text
    # 2. Shorten items, lowest priority first.
    for limit in (SHORT_CHARS, TINY_CHARS):
        for section in by_priority:
            for item in section.items:
                item.text = clip(item.short, limit)
            text = render()
            if len(text) <= budget:
                return text
    # 3. The floors go, then what is kept shrinks.
    for section in by_priority:
        while len(section.items) > section.keep:
            section.items.pop()
            section.trimmed = True
            text = render()
            if len(text) <= budget:
                return text
    for section in sections:
        for item in section.items:
            item.text = clip(item.text, SUMMARY_CHARS)
    return render()


def clip(text: str, limit: int) -> str:
    """``text`` shortened to ``limit``; a code span or a quotation cut open is closed again."""
    if len(text) <= limit:
        return text
    cut = shorten(text, limit - 1)
    if cut.count("`") % 2:
        return cut + "`"
    if cut.count("“") > cut.count("”"):
        return cut + "”"
    return shorten(text, limit)
