"""Plain objects that leave the services: what the CLI prints and the TUI shows.

No SQLAlchemy here, so that widgets never lazy-load and the TUI can import this module
before the database layer has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
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


# --- Credit analytics (services/analytics.py) ----------------------------------------------


class RatingBand(StrEnum):
    """The original tool's rating of the average credits per completed session."""

    OPTIMAL = "optimal"
    GOOD = "good"
    NEEDS_IMPROVEMENT = "needs_improvement"


@dataclass(frozen=True)
class NamedRef:
    """A project or an account by id and name (the analytics scope picker lists them)."""

    id: int
    name: str


@dataclass(frozen=True)
class StatsScopes:
    """What the analytics can be narrowed to, sorted by name."""

    projects: list[NamedRef]
    accounts: list[NamedRef]


@dataclass(frozen=True)
class StatsScope:
    """Which sessions the figures cover: a project, an account, both, or (all None) all."""

    project_id: int | None = None
    project_name: str | None = None
    account_id: int | None = None
    account_name: str | None = None

    @property
    def label(self) -> str:
        parts = []
        if self.project_name is not None:
            parts.append(f"project {self.project_name}")
        if self.account_name is not None:
            parts.append(f"account {self.account_name}")
        return " · ".join(parts) or "all projects and accounts"


@dataclass(frozen=True)
class StatsPeriod:
    """One bar of a chart: the sessions that started from ``start`` to ``end`` (UTC days,
    both included, ``days`` of them inside the window)."""

    start: date
    end: date
    days: int
    sessions: int  # started, whatever their status
    completed: int  # completed with credits recorded
    credits: int  # credits of the completed ones
    average_credits: float | None  # per completed session; None when there was none


@dataclass(frozen=True)
class CreditRating:
    band: RatingBand | None  # None: no completed session to rate
    label: str
    advice: str


@dataclass(frozen=True)
class PoolForecast:
    """When the credits left run out at the window's burn rate (resets are not counted)."""

    pool_credits: int
    pool_accounts: int
    burn_rate: float  # credits per day
    days_left: float | None  # None: nothing was burned, or more than a century
    runs_out_at: datetime | None
    next_reset_at: datetime | None
    next_reset_account: str | None
    summary: str


@dataclass(frozen=True)
class ModelPoint:
    sessions: int
    efficiency: float
    knowledge: float
    output: float


@dataclass(frozen=True)
class GrowthProjection:
    """The growth model (F19) at this scope's number of completed sessions: a model with
    fixed formulas, not fitted to any measurement."""

    completed_sessions: int  # all time, in this scope: the model's N
    points: list[ModelPoint]  # N now and a few steps ahead
    curve: list[float]  # output at evenly spaced N from 0, for a plot
    curve_step: int  # sessions between two values of ``curve``
    target_output: float
    sessions_to_target: int | None  # the model's N where output first reaches the target
    sessions_to_go: int | None  # how many more completed sessions that is


@dataclass(frozen=True)
class CreditStats:
    scope: StatsScope
    days: int
    window_start: date  # the first UTC day of the window
    window_end: date  # today (UTC)
    now: datetime
    bucket: str  # "day" or "week": the length of a credits_over_time period
    sessions: int
    completed: int
    total_credits: int
    average_credits: float | None
    min_credits: int | None
    max_credits: int | None
    rating: CreditRating
    credits_over_time: list[StatsPeriod]
    sessions_per_week: list[StatsPeriod]
    burn_rate: float
    accomplishments: int
    credits_per_accomplishment: float | None
    forecast: PoolForecast
    model: GrowthProjection


# --- Troubleshooting (F17) ---------------------------------------------------------------


@dataclass(frozen=True)
class StackFrame:
    """One frame of a stack trace (or a compiler's location): file, line, function."""

    file: str
    line: int | None = None
    function: str | None = None


@dataclass(frozen=True)
class ErrorSignature:
    """What identifies an error, whatever run it came from.

    ``headline`` is the error as one line ("ModuleNotFoundError: No module named 'x'");
    ``normalized`` is the same with paths, numbers, addresses, ids and quoted values replaced
    by placeholders (``values`` keeps what the quotes held), in lower case."""

    language: str  # python, javascript, typescript, rust, go, java, shell, http, generic, unknown
    error_type: str  # ModuleNotFoundError, TypeError, error[E0382], panic, command not found...
    message: str
    headline: str
    normalized: str
    code: str | None = None  # E0382, TS2345, EADDRINUSE, Errno 98, an HTTP status...
    http_status: int | None = None
    frames: tuple[StackFrame, ...] = ()
    files: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """Whether an error was recognised at all (else the text is searched as it is)."""
        return self.language != "unknown"


@dataclass(frozen=True)
class TroubleshootMatch:
    """A past mention of the same error: a conversation turn, a handoff, a session's field
    (blockers, accomplishments, notes) or a knowledge item."""

    kind: str  # turn, handoff, session, knowledge
    level: str  # exact (the same message), signature (same but for values), similar
    session_id: int | None
    project: str | None
    number: int | None
    title: str
    snippet: str
    occurred_at: datetime | None = None
    # For a turn: whether a later turn of that conversation resolved it (None: unknown), how,
    # and what the assistant said next.
    resolved: bool | None = None
    resolution: str | None = None
    followup: str | None = None
    turn_index: int | None = None  # the turn's place in its session, from 0
    occurrences: int = 1  # turns of that session that mention it (as far as searched)
    field: str | None = None  # for a session: which field
    knowledge_id: int | None = None
    category: str | None = None  # for a knowledge item


@dataclass(frozen=True)
class Heuristic:
    """A rule of thumb for a common kind of error: not an analysis of the user's code."""

    name: str
    cause: str
    steps: tuple[str, ...]
    prevention: str


@dataclass(frozen=True)
class TroubleshootAnalysis:
    """The offline part: the error read from the paste, its past mentions, the rules of
    thumb that apply, and the answer written from them."""

    text: str  # the text analysed (a long paste: its start and its end)
    input_chars: int
    truncated: bool
    signature: ErrorSignature
    matches: tuple[TroubleshootMatch, ...]
    heuristics: tuple[Heuristic, ...]
    answer: str  # Markdown
    turns_searched: int
    search_capped: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TroubleshootAnswer:
    text: str  # Markdown
    provider: str  # the one that wrote it: rules, or the LLM provider
    model: str | None = None
    fallback_reason: str | None = None  # why an LLM asked for did not write it


# --- project files (F20) ------------------------------------------------------------------

FILE_CHANGES: tuple[str, ...] = ("created", "modified", "deleted")
# What a file's importance (1-5) says; the handoff's key files are ranked by it.
IMPORTANCE: dict[int, str] = {
    1: "incidental: touched in passing",
    2: "minor: a small or supporting change",
    3: "normal: part of the work (the default)",
    4: "important: central to the session's work",
    5: "critical: the next session must read it first",
}
DEFAULT_IMPORTANCE = 3


@dataclass(frozen=True)
class ProjectFileView:
    """One file a session (or the project, when ``session_id`` is None) changed."""

    id: int
    project_id: int
    session_id: int | None
    session_number: int | None
    path: str
    change: str
    lines_added: int
    lines_removed: int
    importance: int
    notes: str
    created_at: datetime


@dataclass(frozen=True)
class FileSummary:
    """A path of a project, over every row that names it: the per-project files view."""

    path: str
    session_numbers: tuple[int, ...]  # the sessions that touched it, in order
    rows: int  # how many file rows name it (several sessions, or project-level notes)
    lines_added: int
    lines_removed: int
    importance: int  # the highest of its rows
    last_change: str  # the change of its latest row
    last_touched_at: datetime


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
