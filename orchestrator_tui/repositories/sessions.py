"""Session queries. The timeline is read one page at a time, newest first."""

from __future__ import annotations

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import ConversationTurn, Handoff, Project, WorkSession
from orchestrator_tui.errors import NotFoundError
from orchestrator_tui.records import SessionRow


def require(session: Session, session_id: int) -> WorkSession:
    found = session.get(WorkSession, session_id)
    if found is None:
        raise NotFoundError(f"No session with id {session_id}.")
    return found


def next_number(session: Session, project_id: int) -> int:
    query = select(func.coalesce(func.max(WorkSession.number), 0)).where(
        WorkSession.project_id == project_id
    )
    return int(session.exec(query).one()) + 1


def in_progress(session: Session, project_id: int) -> WorkSession | None:
    query = select(WorkSession).where(
        WorkSession.project_id == project_id, WorkSession.status == "in_progress"
    )
    return session.exec(query.limit(1)).first()


def count(session: Session, project_id: int | None = None, status: str | None = None) -> int:
    query = select(func.count()).select_from(WorkSession)
    if project_id is not None:
        query = query.where(WorkSession.project_id == project_id)
    if status is not None:
        query = query.where(WorkSession.status == status)
    return session.exec(query).one()


def timeline(session: Session, project_id: int | None, offset: int, limit: int) -> list[SessionRow]:
    """A page of sessions, newest first, with turn counts and handoff presence per row.

    The per-row subqueries run only for the rows of the page (the unique index on
    (session_id, position) answers the count), so a page costs the same at 10 or 10,000.
    """
    turns = (
        select(func.count())
        .where(ConversationTurn.session_id == WorkSession.id)
        .correlate(WorkSession)
        .scalar_subquery()
    )
    has_handoff = (
        exists().where(col(Handoff.session_id) == col(WorkSession.id)).correlate(WorkSession)
    )
    query = select(WorkSession, col(Project.name), turns, has_handoff).join(
        Project, col(Project.id) == col(WorkSession.project_id)
    )
    if project_id is not None:
        query = query.where(WorkSession.project_id == project_id).order_by(
            col(WorkSession.number).desc()
        )
    else:
        query = query.order_by(col(WorkSession.started_at).desc(), col(WorkSession.id).desc())
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return [
        to_row(work, project, int(turn_count), bool(handoff))
        for work, project, turn_count, handoff in rows
    ]


def to_row(work: WorkSession, project_name: str, turn_count: int, has_handoff: bool) -> SessionRow:
    assert work.id is not None
    return SessionRow(
        id=work.id,
        project_id=work.project_id,
        project_name=project_name,
        number=work.number,
        status=work.status,
        account_name=work.account_name,
        session_type=work.session_type,
        credits_used=work.credits_used,
        started_at=work.started_at,
        ended_at=work.ended_at,
        turn_count=turn_count,
        has_handoff=has_handoff,
        title=work.title,
    )


def completed_credits(session: Session, project_id: int) -> list[int]:
    """The credits each completed session of a project used."""
    query = select(WorkSession.credits_used).where(
        WorkSession.project_id == project_id,
        WorkSession.status == "completed",
        col(WorkSession.credits_used).is_not(None),
    )
    return [credits for credits in session.exec(query).all() if credits is not None]
