"""The tables. Times are timezone-aware UTC; ``utcnow`` is the one clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: object) -> datetime | None:
    """A time read outside the column types (aggregates on SQLite come back as text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Project(SQLModel, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    description: str = Field(default="", sa_type=Text)
    status: str = Field(default="active", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Account(SQLModel, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    platform: str = Field(default="other", max_length=40)
    credit_limit: int = Field(default=0)
    credits_remaining: int = Field(default=0)
    status: str = Field(default="available", max_length=20, index=True)
    specialization: str = Field(default="", max_length=400)
    notes: str = Field(default="", sa_type=Text)
    reset_cadence: str = Field(default="none", max_length=20)
    next_reset_at: datetime | None = Field(default=None)
    last_used_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)


class WorkSession(SQLModel, table=True):
    """A numbered work session of a project (table ``session``)."""

    __tablename__ = "session"
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_session_project_number"),
        Index("ix_session_project_status", "project_id", "status"),
        # An imported transcript is stored once: importing it again only adds new turns.
        Index("uq_session_source", "source_format", "source_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE", index=True)
    number: int
    status: str = Field(default="in_progress", max_length=20)
    account_id: int | None = Field(
        default=None, foreign_key="account.id", ondelete="SET NULL", index=True
    )
    # The account's name as it was, kept when the account is deleted.
    account_name: str | None = Field(default=None, max_length=200)
    session_type: str = Field(default="development", max_length=40)
    title: str = Field(default="", max_length=500)
    objectives: str = Field(default="", sa_type=Text)
    accomplishments: str = Field(default="", sa_type=Text)
    blockers: str = Field(default="", sa_type=Text)
    next_steps: str = Field(default="", sa_type=Text)
    credits_used: int | None = Field(default=None)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = Field(default=None)
    working_directory: str | None = Field(default=None, max_length=1000)
    git_branch: str | None = Field(default=None, max_length=300)
    source_path: str | None = Field(default=None, max_length=2000)
    # Imported sessions: where they came from (format and the transcript's own id), the
    # model, the tokens the transcript reports, and notes such as the commits it made.
    source_format: str | None = Field(default=None, max_length=40)
    source_id: str | None = Field(default=None, max_length=300)
    model: str | None = Field(default=None, max_length=200)
    input_tokens: int | None = Field(default=None)
    output_tokens: int | None = Field(default=None)
    cache_read_input_tokens: int | None = Field(default=None)
    cache_creation_input_tokens: int | None = Field(default=None)
    notes: str = Field(default="", sa_type=Text)
    loaded_handoff_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("handoff.id", ondelete="SET NULL", use_alter=True, name="fk_session_loaded"),
            nullable=True,
        ),
    )


class Handoff(SQLModel, table=True):
    """One version of the handoff a session produced. Edits add versions; none is overwritten."""

    __tablename__ = "handoff"
    __table_args__ = (UniqueConstraint("session_id", "version", name="uq_handoff_version"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE", index=True)
    version: int
    provider: str = Field(max_length=40)
    model: str | None = Field(default=None, max_length=200)
    content: str = Field(sa_type=Text)
    source_chars: int = Field(default=0)
    handoff_chars: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)


class ConversationTurn(SQLModel, table=True):
    __tablename__ = "conversation_turn"
    __table_args__ = (
        UniqueConstraint("session_id", "position", name="uq_turn_position"),
        UniqueConstraint("session_id", "source_message_id", name="uq_turn_source_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    position: int
    role: str = Field(max_length=20)
    content: str = Field(sa_type=Text)
    created_at: datetime | None = Field(default=None)
    source_message_id: str | None = Field(default=None, max_length=200)
    kind: str = Field(default="text", max_length=20)  # text, tool_call, tool_result, summary
    tool_name: str | None = Field(default=None, max_length=100)
    is_error: bool = Field(default=False)
    thread: str = Field(default="", max_length=100)  # "" is the main thread; else a sidechain


class ProjectFile(SQLModel, table=True):
    __tablename__ = "project_file"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE", index=True)
    session_id: int | None = Field(
        default=None, foreign_key="session.id", ondelete="SET NULL", index=True
    )
    path: str = Field(max_length=2000)
    change: str = Field(default="modified", max_length=20)
    lines_added: int = Field(default=0)
    lines_removed: int = Field(default=0)
    importance: int = Field(default=3)
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow)


class KnowledgeItem(SQLModel, table=True):
    __tablename__ = "knowledge_item"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(
        default=None, foreign_key="project.id", ondelete="CASCADE", index=True
    )
    category: str = Field(max_length=40, index=True)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_type=Text)
    tags: str = Field(default="", max_length=1000)
    source_session_id: int | None = Field(
        default=None, foreign_key="session.id", ondelete="SET NULL"
    )
    usage_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class HandoffQueueItem(SQLModel, table=True):
    """A handoff waiting for the next session of a project (fed by account rotation)."""

    __tablename__ = "handoff_queue"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE", index=True)
    from_account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    to_account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    from_account_name: str | None = Field(default=None, max_length=200)
    to_account_name: str | None = Field(default=None, max_length=200)
    content: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    consumed_by_session_id: int | None = Field(
        default=None, foreign_key="session.id", ondelete="SET NULL"
    )
