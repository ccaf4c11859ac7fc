"""Small text helpers shared by the extractor and the renderer."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD_RE = re.compile(r"[a-z0-9]+")


def shorten(text: str, limit: int) -> str:
    """``text`` on one line of at most ``limit`` characters, cut with an ellipsis (at a space
    when one is near the end, so that a word, or a ``[REDACTED:...]`` marker, stays whole)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space >= max(len(cut) - 24, 1):
        cut = cut[:space]
    return cut.rstrip() + "…"


def unique(items: Iterable[str]) -> list[str]:
    """The items in order, each once whatever its case."""
    seen: set[str] = set()
    result = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def words(text: str) -> set[str]:
    """The words of three letters or more, casefolded: what "covers" compares."""
    return {word for word in _WORD_RE.findall(text.casefold()) if len(word) > 2}


def code(text: str) -> str:
    """Inline code that survives backticks inside the text (Markdown's longer fence)."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def uncode(item: str) -> str:
    """The text of the code span an item starts with (``- `path` — modified``), else the
    item itself."""
    for fence in ("``", "`"):
        if item.startswith(fence) and not item.startswith(fence + "`"):
            end = item.find(fence, len(fence))
            while end >= 0 and item.startswith("`", end + len(fence)):
                end = item.find(fence, end + len(fence) + 1)
            if end > len(fence):
                return item[len(fence) : end].strip()
    return item
