"""Conversation turns, always read by page or by column, never a whole session of objects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import ConversationTurn
from orchestrator_tui.records import TurnView


def count(session: Session, session_id: int) -> int:
    query = select(func.count()).where(ConversationTurn.session_id == session_id)
    return session.exec(query).one()


def page(session: Session, session_id: int, offset: int, limit: int) -> list[TurnView]:
    query = (
        select(ConversationTurn)
        .where(ConversationTurn.session_id == session_id)
        .order_by(col(ConversationTurn.position))
        .offset(offset)
        .limit(limit)
    )
    return [
        TurnView(
            id=turn.id or 0,
            position=turn.position,
            role=turn.role,
            content=turn.content,
            created_at=turn.created_at,
            kind=turn.kind,
            tool_name=turn.tool_name,
            is_error=turn.is_error,
            thread=turn.thread,
        )
        for turn in session.exec(query).all()
    ]


def tail(
    session: Session, session_id: int, limit: int, *, page_size: int = 1000
) -> Iterable[tuple[str, str, str, str | None, bool, str, str | None]]:
    """The last ``limit`` turns, oldest first, as (role, content, kind, tool_name, is_error,
    thread, source_message_id): columns only, read ``page_size`` rows at a time, so that
    memory stays bounded whatever ``limit`` is. A generator: consume it inside the session's
    unit of work."""
    if limit <= 0:
        return
    own = col(ConversationTurn.session_id) == session_id
    position = col(ConversationTurn.position)
    first = session.exec(
        select(ConversationTurn.position)
        .where(own)
        .order_by(position.desc())
        .offset(limit - 1)
        .limit(1)
    ).first()
    after = None if first is None else first - 1
    while True:
        query = (
            select(ConversationTurn.position, ConversationTurn.role, ConversationTurn.content)
            .add_columns(
                col(ConversationTurn.kind),
                col(ConversationTurn.tool_name),
                col(ConversationTurn.is_error),
                col(ConversationTurn.thread),
                col(ConversationTurn.source_message_id),
            )
            .where(own)
            .order_by(position)
            .limit(page_size)
        )
        if after is not None:
            query = query.where(position > after)
        rows = session.execute(query).all()
        for _, role, content, kind, tool_name, is_error, thread, source_id in rows:
            yield role, content, kind, tool_name, bool(is_error), thread, source_id
        if len(rows) < page_size:
            return
        after = rows[-1][0]


def append(
    session: Session,
    session_id: int,
    turns: Iterable[tuple[str, str, datetime | None, str | None]],
) -> int:
    """Append (role, content, time, source id) turns after the last one; returns how many."""
    query = select(func.coalesce(func.max(ConversationTurn.position), -1)).where(
        ConversationTurn.session_id == session_id
    )
    position = int(session.exec(query).one())
    added = 0
    for role, content, created_at, source_id in turns:
        position += 1
        session.add(
            ConversationTurn(
                session_id=session_id,
                position=position,
                role=role,
                content=content,
                created_at=created_at,
                source_message_id=source_id,
            )
        )
        added += 1
    return added
