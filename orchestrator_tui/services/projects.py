"""Projects: create, edit, archive, list with counters computed from the sessions."""

from __future__ import annotations

from sqlmodel import Session

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Project, utcnow
from orchestrator_tui.errors import ConflictError
from orchestrator_tui.records import Page, ProjectStatus, ProjectSummary
from orchestrator_tui.repositories import projects as repo
from orchestrator_tui.repositories import sessions as session_repo
from orchestrator_tui.validation import clean_name, clean_text


def _summary(db: Database, project_id: int) -> ProjectSummary:
    with db.unit() as session:
        return repo.summaries(session, project_id=project_id)[0]


def _check_name_free(session: Session, name: str, own_id: int | None = None) -> None:
    """Names are unique ignoring case: ``webshop`` is taken when ``Webshop`` exists."""
    for other in repo.same_name(session, name):
        if other.id == own_id:
            continue
        if other.name == name:
            raise ConflictError(f"A project named {name!r} already exists.")
        raise ConflictError(
            f"A project named {other.name!r} already exists; names are not case-sensitive, "
            f"so {name!r} is taken."
        )


def create_project(db: Database, name: str, description: str = "") -> ProjectSummary:
    name = clean_name(name)
    description = clean_text(description, "description")
    with db.unit() as session:
        _check_name_free(session, name)
        project = Project(name=name, description=description)
        session.add(project)
        session.flush()
        assert project.id is not None
        project_id = project.id
    return _summary(db, project_id)


def update_project(
    db: Database, ref: int | str, name: str | None, description: str | None
) -> ProjectSummary:
    """Rename and/or describe a project; ``None`` keeps the current value."""
    new_name = clean_name(name) if name is not None else None
    new_description = clean_text(description, "description") if description is not None else None
    with db.unit() as session:
        project = repo.require(session, ref)
        if new_name is not None:
            _check_name_free(session, new_name, project.id)
            project.name = new_name
        if new_description is not None:
            project.description = new_description
        project.updated_at = utcnow()
        assert project.id is not None
        project_id = project.id
    return _summary(db, project_id)


def set_archived(db: Database, ref: int | str, archived: bool) -> ProjectSummary:
    """Archive or unarchive a project; a project with a session in progress stays active."""
    with db.unit() as session:
        project = repo.require(session, ref)
        assert project.id is not None
        running = session_repo.in_progress(session, project.id) if archived else None
        if running is not None:
            raise ConflictError(
                f"Session #{running.number} of {project.name!r} is still in progress "
                f"(id {running.id}); complete session #{running.number} first."
            )
        project.status = ProjectStatus.ARCHIVED if archived else ProjectStatus.ACTIVE
        project.updated_at = utcnow()
        project_id = project.id
    return _summary(db, project_id)


def list_projects(
    db: Database, offset: int = 0, limit: int = 200, include_archived: bool = True
) -> Page[ProjectSummary]:
    with db.unit() as session:
        items = repo.summaries(session, offset, limit, include_archived)
        total = repo.count(session, include_archived)
    return Page(items=items, offset=offset, total=total)


def get_project(db: Database, ref: int | str) -> ProjectSummary:
    with db.unit() as session:
        project = repo.require(session, ref)
        assert project.id is not None
        return repo.summaries(session, project_id=project.id)[0]
