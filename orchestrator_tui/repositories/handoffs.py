"""Handoff versions: a session's handoff is its highest version."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import Handoff, WorkSession
from orchestrator_tui.records import HandoffVersionInfo, HandoffView


def latest_for_session(session: Session, session_id: int) -> Handoff | None:
    query = (
        select(Handoff)
        .where(Handoff.session_id == session_id)
        .order_by(col(Handoff.version).desc())
        .limit(1)
    )
    return session.exec(query).first()


def next_version(session: Session, session_id: int) -> int:
    query = select(func.coalesce(func.max(Handoff.version), 0)).where(
        Handoff.session_id == session_id
    )
    return int(session.exec(query).one()) + 1


def latest_in_project(session: Session, project_id: int) -> Handoff | None:
    """The newest version of the handoff of the latest session (by number) that has one."""
    newest_session = (
        select(WorkSession.id)
        .join(Handoff, col(Handoff.session_id) == WorkSession.id)
        .where(WorkSession.project_id == project_id)
        .order_by(col(WorkSession.number).desc())
        .limit(1)
    ).scalar_subquery()
    query = (
        select(Handoff)
        .where(Handoff.session_id == newest_session)
        .order_by(col(Handoff.version).desc())
        .limit(1)
    )
    return session.exec(query).first()


def versions(session: Session, session_id: int) -> list[HandoffVersionInfo]:
    table = Handoff.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(
            table.c.id,
            table.c.version,
            table.c.provider,
            table.c.model,
            table.c.handoff_chars,
            table.c.created_at,
        )
        .where(table.c.session_id == session_id)
        .order_by(table.c.version.desc())
    )
    return [
        HandoffVersionInfo(
            id=row.id,
            version=row.version,
            provider=row.provider,
            model=row.model,
            handoff_chars=row.handoff_chars,
            created_at=row.created_at,
        )
        for row in session.connection().execute(query)
    ]


def to_view(handoff: Handoff, session_number: int) -> HandoffView:
    assert handoff.id is not None
    return HandoffView(
        id=handoff.id,
        session_id=handoff.session_id,
        session_number=session_number,
        version=handoff.version,
        provider=handoff.provider,
        model=handoff.model,
        content=handoff.content,
        source_chars=handoff.source_chars,
        handoff_chars=handoff.handoff_chars,
        created_at=handoff.created_at,
    )


def view(session: Session, handoff: Handoff | None) -> HandoffView | None:
    if handoff is None:
        return None
    owner = session.get(WorkSession, handoff.session_id)
    return to_view(handoff, owner.number if owner is not None else 0)
