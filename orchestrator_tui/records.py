"""Plain objects that leave the services: what the CLI prints and the TUI shows.

No SQLAlchemy here, so that widgets never lazy-load and the TUI can import this module
before the database layer has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar


class SessionStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    HANDED_OFF = "handed_off"
    IMPORTED = "imported"


class AccountStatus(StrEnum):
    AVAILABLE = "available"
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    BLOCKED = "blocked"


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


PLATFORMS: tuple[str, ...] = ("genspark", "claude", "chatgpt", "gemini", "cursor", "other")
SESSION_TYPES: tuple[str, ...] = (
    "development",
    "debugging",
    "planning",
    "review",
    "research",
    "other",
)
RESET_CADENCES: tuple[str, ...] = ("none", "daily", "weekly", "monthly")

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    total: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class ProjectSummary:
    id: int
    name: str
    description: str
    status: str
    created_at: datetime
    session_count: int
    credits_used: int
    last_activity: datetime | None
    in_progress: int


@dataclass(frozen=True)
class AccountView:
    id: int
    name: str
    platform: str
    credit_limit: int
    credits_remaining: int
    status: str
    specialization: str
    notes: str
    reset_cadence: str
    next_reset_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class SessionRow:
    """One line of a project's timeline."""

    id: int
    project_id: int
    project_name: str
    number: int
    status: str
    account_name: str | None
    session_type: str
    credits_used: int | None
    started_at: datetime
    ended_at: datetime | None
    turn_count: int
    has_handoff: bool
    title: str


@dataclass(frozen=True)
class ProjectTimeline:
    """What the timeline screen opens with: the project and its newest sessions."""

    project: ProjectSummary
    page: Page[SessionRow]


@dataclass(frozen=True)
class HandoffView:
    id: int
    session_id: int
    session_number: int
    version: int
    provider: str
    model: str | None
    content: str
    source_chars: int
    handoff_chars: int
    created_at: datetime
    # Set when an LLM was asked and failed, so the rules engine wrote this one (not stored).
    fallback_reason: str | None = None


@dataclass(frozen=True)
class HandoffVersionInfo:
    """A handoff version without its text, for version lists."""

    id: int
    version: int
    provider: str
    model: str | None
    handoff_chars: int
    created_at: datetime


@dataclass(frozen=True)
class TurnView:
    id: int
    position: int
    role: str
    content: str
    created_at: datetime | None
    kind: str = "text"  # text, tool_call, tool_result, summary
    tool_name: str | None = None
    is_error: bool = False
    thread: str = ""  # "" for the main thread; a sidechain (subagent) names its own

    @property
    def label(self) -> str:
        """How the turn is introduced in a listing: role, what kind, which thread."""
        parts = [self.role]
        if self.kind == "tool_call":
            parts = [f"{self.role} → {self.tool_name or 'tool'}"]
        elif self.kind == "tool_result":
            parts = [f"result of {self.tool_name}" if self.tool_name else "tool result"]
        elif self.kind == "summary":
            parts = ["summary of the earlier conversation"]
        if self.is_error:
            parts.append("error")
        if self.thread:
            parts.append(f"sidechain {self.thread}")
        return " · ".join(parts)


@dataclass(frozen=True)
class SessionDetail:
    id: int
    project_id: int
    project_name: str
    number: int
    status: str
    account_id: int | None
    account_name: str | None
    account_credits_remaining: int | None
    session_type: str
    title: str
    objectives: str
    accomplishments: str
    blockers: str
    next_steps: str
    credits_used: int | None
    started_at: datetime
    ended_at: datetime | None
    turn_count: int
    loaded_handoff: HandoffView | None
    produced_handoff: HandoffView | None


@dataclass(frozen=True)
class StartedSession:
    session: SessionDetail
    previous_handoff: HandoffView | None
    # Rotation briefings that were waiting in the handoff queue, newest first.
    queued_handoffs: list[QueuedHandoff] = field(default_factory=list)


@dataclass(frozen=True)
class DashboardTotals:
    projects: int
    accounts: int
    active_accounts: int
    sessions: int
    in_progress: int
    credits_used: int
    credits_remaining: int
    handoffs: int
    recent: list[SessionRow] = field(default_factory=list)


# --- The account pool's planning: resets, recommendations, rotation, the handoff queue ----


@dataclass(frozen=True)
class AccountReset:
    """One account whose credits came back when its reset time passed."""

    name: str
    credits_restored: int  # what it had before: credits_remaining went back to the limit
    credit_limit: int
    previous_status: str
    status: str
    next_reset_at: datetime | None  # the one after this reset (None: a one-off reset)


@dataclass(frozen=True)
class RankedAccount:
    """An account that qualifies for a project's next session, with why it ranks where it
    does (``reasons``, in plain words, most important first)."""

    id: int
    name: str
    platform: str
    status: str
    credits_remaining: int
    credit_limit: int
    reset_cadence: str
    next_reset_at: datetime | None
    last_used_at: datetime | None
    specialization_matches: list[str]
    covers_typical_cost: bool
    resets_soon: bool
    reasons: list[str]


@dataclass(frozen=True)
class ExcludedAccount:
    """An account that does not qualify, and why not."""

    name: str
    status: str
    credits_remaining: int
    reason: str


@dataclass(frozen=True)
class Recommendation:
    ranked: list[RankedAccount]
    excluded: list[ExcludedAccount]
    min_credits: int
    project: str | None
    typical_cost: int | None  # median credits of the project's completed sessions
    keywords: list[str]  # what specializations were matched against
    # The account the newest pending rotation briefing of the project was written for.
    queued_account: str | None = None

    @property
    def best(self) -> RankedAccount | None:
        return self.ranked[0] if self.ranked else None


@dataclass(frozen=True)
class QueuedHandoff:
    """A briefing in the handoff queue, waiting for (or loaded by) a project's next session."""

    id: int
    project_id: int
    project_name: str
    from_account: str | None
    to_account: str | None
    content: str
    status: str  # pending, consumed
    created_at: datetime
    consumed_by_session_id: int | None


@dataclass(frozen=True)
class Rotation:
    """What rotating an account out did: the account marked exhausted, the one picked next
    and the briefing queued for the project's next session."""

    from_account: AccountView
    to_account: RankedAccount
    queued: QueuedHandoff
