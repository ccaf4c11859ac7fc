"""A handoff context to vary, and readers of the Markdown the handoff engines write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from orchestrator_tui.handoff.context import HandoffContext


def context(**overrides: Any) -> HandoffContext:
    """Session #2 of "Shop", completed on the "main" account; ``overrides`` change fields."""
    base = HandoffContext(
        project_name="Shop",
        session_number=2,
        session_type="development",
        status="completed",
        account_name="main",
        account_credits_remaining=70,
        account_credit_limit=100,
        credits_used=30,
        objectives="ship the checkout",
        accomplishments="built the cart",
        blockers="",
        next_steps="",
        started_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        ended_at=datetime(2026, 1, 5, 11, 0, tzinfo=UTC),
    )
    return replace(base, **overrides)


def headings(markdown: str) -> list[str]:
    return [line[3:] for line in markdown.splitlines() if line.startswith("## ")]


def section(markdown: str, title: str) -> list[str]:
    """The non-blank lines under ``## title`` (none when it is missing), bullets without
    their ``- ``."""
    lines = markdown.splitlines()
    if f"## {title}" not in lines:
        return []
    found: list[str] = []
    for line in lines[lines.index(f"## {title}") + 1 :]:
        if line.startswith("## "):
            break
        if line.strip():
            found.append(line.removeprefix("- "))
    return found
