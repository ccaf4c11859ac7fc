"""The handoff queue: briefings written by account rotation for a project's next session."""

from __future__ import annotations

from sqlmodel import Session, col, select

from orchestrator_tui.db.models import HandoffQueueItem, Project
from orchestrator_tui.records import QueuedHandoff

PENDING = "pending"
CONSUMED = "consumed"


def pending(session: Session, project_id: int) -> list[HandoffQueueItem]:
    """A project's waiting briefings, newest first."""
    query = (
        select(HandoffQueueItem)
        .where(HandoffQueueItem.project_id == project_id, HandoffQueueItem.status == PENDING)
        .order_by(col(HandoffQueueItem.created_at).desc(), col(HandoffQueueItem.id).desc())
    )
    return list(session.exec(query).all())


def items(
    session: Session, project_id: int | None, status: str | None, limit: int
) -> list[QueuedHandoff]:
    """Briefings of one project (or all), of one status (or any), newest first."""
    query = select(HandoffQueueItem, col(Project.name)).join(
        Project, col(Project.id) == col(HandoffQueueItem.project_id)
    )
    if project_id is not None:
        query = query.where(HandoffQueueItem.project_id == project_id)
    if status is not None:
        query = query.where(HandoffQueueItem.status == status)
    query = query.order_by(col(HandoffQueueItem.created_at).desc(), col(HandoffQueueItem.id).desc())
    return [to_view(item, name) for item, name in session.exec(query.limit(limit)).all()]


def to_view(item: HandoffQueueItem, project_name: str) -> QueuedHandoff:
    assert item.id is not None
    return QueuedHandoff(
        id=item.id,
        project_id=item.project_id,
        project_name=project_name,
        from_account=item.from_account_name,
        to_account=item.to_account_name,
        content=item.content,
        status=item.status,
        created_at=item.created_at,
        consumed_by_session_id=item.consumed_by_session_id,
    )
