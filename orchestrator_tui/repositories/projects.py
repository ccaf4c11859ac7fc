"""Project queries. Counters come from the session rows, never from stored totals."""

from __future__ import annotations

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import Project, WorkSession, as_utc
from orchestrator_tui.records import ProjectSummary
from orchestrator_tui.repositories import named


def get(session: Session, project_id: int) -> Project | None:
    return session.get(Project, project_id)


def get_by_name(session: Session, name: str) -> Project | None:
    return named.get_by_name(session, Project, name)


def same_name(session: Session, name: str) -> list[Project]:
    return named.same_name(session, Project, name)


def require(session: Session, ref: int | str) -> Project:
    return named.require(session, Project, ref, "`orchestrator-tui project add NAME` creates one.")


def count(session: Session, include_archived: bool = True) -> int:
    query = select(func.count()).select_from(Project)
    if not include_archived:
        query = query.where(Project.status == "active")
    return session.exec(query).one()


def summaries(
    session: Session,
    offset: int = 0,
    limit: int = 200,
    include_archived: bool = True,
    project_id: int | None = None,
) -> list[ProjectSummary]:
    stats = (
        sa_select(
            col(WorkSession.project_id).label("project_id"),
            func.count().label("sessions"),
            func.coalesce(func.sum(WorkSession.credits_used), 0).label("credits"),
            func.max(func.coalesce(WorkSession.ended_at, WorkSession.started_at)).label("last"),
            func.sum(case((col(WorkSession.status) == "in_progress", 1), else_=0)).label("open"),
        )
        .group_by(col(WorkSession.project_id))
        .subquery()
    )
    project = Project.__table__  # type: ignore[attr-defined]
    query = (
        sa_select(project, stats.c.sessions, stats.c.credits, stats.c.last, stats.c.open)
        .outerjoin(stats, stats.c.project_id == project.c.id)
        .order_by(
            project.c.status,
            func.coalesce(stats.c.last, project.c.created_at).desc(),
            project.c.id,
        )
        .offset(offset)
        .limit(limit)
    )
    if not include_archived:
        query = query.where(project.c.status == "active")
    if project_id is not None:
        query = query.where(project.c.id == project_id)
    return [
        ProjectSummary(
            id=row.id,
            name=row.name,
            description=row.description,
            status=row.status,
            created_at=row.created_at,
            session_count=row.sessions or 0,
            credits_used=int(row.credits or 0),
            last_activity=as_utc(row.last) or row.created_at,
            in_progress=int(row.open or 0),
        )
        for row in session.connection().execute(query)
    ]
