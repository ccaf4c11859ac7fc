"""Everything a handoff generator may use, gathered by the service in one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class HandoffContext:
    project_name: str
    session_number: int
    session_type: str
    status: str
    account_name: str | None
    account_credits_remaining: int | None
    account_credit_limit: int | None
    credits_used: int | None
    objectives: str
    accomplishments: str
    blockers: str
    next_steps: str
    started_at: datetime
    ended_at: datetime | None
    previous_handoff: str | None = None
    previous_session_number: int | None = None
    # The most recent turns, oldest first, as (role, content); total_turns counts them all.
    turns: list[tuple[str, str]] = field(default_factory=list)
    total_turns: int = 0

    @property
    def source_chars(self) -> int:
        """How much text the generator was given: the measure stored beside each handoff."""
        fields = (
            self.objectives,
            self.accomplishments,
            self.blockers,
            self.next_steps,
            self.previous_handoff or "",
        )
        return sum(len(text) for text in fields) + sum(len(content) for _, content in self.turns)
