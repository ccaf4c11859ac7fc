"""Everything a handoff generator may use, gathered by the service in one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from orchestrator_tui.handoff.budget import DEFAULT_BUDGET
from orchestrator_tui.handoff.extract import ChangedFile, ConversationFacts


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
    # What the whole conversation says, read by the service as it streamed the turns. None:
    # the rules engine reads ``turns`` itself.
    facts: ConversationFacts | None = None
    # The files the session changed (its ProjectFile rows), and its folder (paths under it
    # are shown relative to it).
    files: tuple[ChangedFile, ...] = ()
    working_directory: str | None = None
    # The handoff's size budget in characters and its compression: low, medium or high.
    budget_chars: int = DEFAULT_BUDGET
    compress: str = "low"

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
        if self.facts is not None:
            conversation = self.facts.chars_read
        else:
            conversation = sum(len(content) for _, content in self.turns)
        return sum(len(text) for text in fields) + conversation
