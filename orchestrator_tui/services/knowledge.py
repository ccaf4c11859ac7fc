"""The knowledge base: patterns, error solutions, optimizations, best practices and tips that
outlive a session. Items are global or belong to a project; inserting one into a handoff
counts a use. Suggestions come from what a session's conversation established (an error and
its fix, a decision and the alternative it rejected, a constraint the user stated), read by the
rules engine's extractor; one call promotes a suggestion into the base."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import func, or_
from sqlmodel import col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import KnowledgeItem, Project, WorkSession, utcnow
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.handoff.text import shorten
from orchestrator_tui.records import Page
from orchestrator_tui.redact import redact
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import sessions as session_repo

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

CATEGORIES = ("pattern", "error_solution", "optimization", "best_practice", "tip")
CATEGORY_TITLES = {
    "pattern": "Patterns",
    "error_solution": "Errors and their fixes",
    "optimization": "Optimizations",
    "best_practice": "Best practices",
    "tip": "Tips",
}
MAX_TITLE = 300
MAX_BODY = 20_000
MAX_TAGS = 1000
MAX_PAGE = 500
SUGGESTION_TITLE = 90


@dataclass(frozen=True)
class KnowledgeView:
    id: int
    category: str
    title: str
    body: str
    tags: str  # "a, b, c"
    project: str | None  # None: global
    project_id: int | None
    source_session_id: int | None
    usage_count: int
    created_at: datetime
    updated_at: datetime

    def markdown(self) -> str:
        """The item as inserted into a handoff."""
        body = self.body.strip()
        return f"**{self.title}** ({self.category.replace('_', ' ')})" + (
            f"\n{body}\n" if body else "\n"
        )


@dataclass(frozen=True)
class KnowledgeFields:
    category: str
    title: str
    body: str = ""
    tags: str = ""
    project: str | int | None = None  # None: global


@dataclass(frozen=True)
class Suggestion:
    category: str
    title: str
    body: str
    source_session_id: int


def normalise_tags(raw: str) -> str:
    """Lower case, comma separated, each once, in the order given."""
    seen: list[str] = []
    for part in raw.replace(";", ",").split(","):
        tag = " ".join(part.strip().lower().lstrip("#").split())
        if tag and tag not in seen:
            seen.append(tag)
    return ", ".join(seen)


def _checked(fields: KnowledgeFields) -> KnowledgeFields:
    errors: dict[str, str] = {}
    category = fields.category.strip().lower().replace("-", "_").replace(" ", "_")
    if category not in CATEGORIES:
        errors["category"] = f"use one of {', '.join(CATEGORIES)}"
    title = " ".join(fields.title.split())
    if not title:
        errors["title"] = "required"
    elif len(title) > MAX_TITLE:
        errors["title"] = f"at most {MAX_TITLE} characters (this one has {len(title):,})"
    if len(fields.body) > MAX_BODY:
        errors["body"] = f"at most {MAX_BODY:,} characters (this one has {len(fields.body):,})"
    tags = normalise_tags(fields.tags)
    if len(tags) > MAX_TAGS:
        errors["tags"] = f"at most {MAX_TAGS} characters"
    if errors:
        raise ValidationError(errors)
    return replace(
        fields, category=category, title=redact(title), body=redact(fields.body.strip()), tags=tags
    )


def _view(session: Session, item: KnowledgeItem) -> KnowledgeView:
    assert item.id is not None
    project = project_repo.get(session, item.project_id) if item.project_id else None
    return KnowledgeView(
        id=item.id,
        category=item.category,
        title=item.title,
        body=item.body,
        tags=item.tags,
        project=project.name if project else None,
        project_id=item.project_id,
        source_session_id=item.source_session_id,
        usage_count=item.usage_count,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _require(session: Session, item_id: int) -> KnowledgeItem:
    item = session.get(KnowledgeItem, item_id)
    if item is None:
        raise NotFoundError(f"No knowledge item with id {item_id}.")
    return item


def _project_id(session: Session, project: str | int | None) -> int | None:
    if project is None or project == "":
        return None
    return project_repo.require(session, project).id


def add_item(
    db: Database, fields: KnowledgeFields, source_session_id: int | None = None
) -> KnowledgeView:
    checked = _checked(fields)
    with db.unit() as session:
        if source_session_id is not None:
            session_repo.require(session, source_session_id)
        item = KnowledgeItem(
            project_id=_project_id(session, checked.project),
            category=checked.category,
            title=checked.title,
            body=checked.body,
            tags=checked.tags,
            source_session_id=source_session_id,
        )
        session.add(item)
        session.flush()
        return _view(session, item)


def update_item(db: Database, item_id: int, fields: KnowledgeFields) -> KnowledgeView:
    checked = _checked(fields)
    with db.unit() as session:
        item = _require(session, item_id)
        item.project_id = _project_id(session, checked.project)
        item.category = checked.category
        item.title = checked.title
        item.body = checked.body
        item.tags = checked.tags
        item.updated_at = utcnow()
        session.flush()
        return _view(session, item)


def delete_item(db: Database, item_id: int) -> KnowledgeView:
    with db.unit() as session:
        item = _require(session, item_id)
        view = _view(session, item)
        session.delete(item)
        return view


def get_item(db: Database, item_id: int) -> KnowledgeView:
    with db.unit() as session:
        return _view(session, _require(session, item_id))


def use_item(db: Database, item_id: int) -> KnowledgeView:
    """Count a use (the item went into a handoff); committed at once."""
    with db.unit() as session:
        item = _require(session, item_id)
        item.usage_count += 1
        session.flush()
        return _view(session, item)


def list_items(
    db: Database,
    *,
    category: str | None = None,
    tag: str | None = None,
    project: str | int | None = None,
    text: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[KnowledgeView]:
    """Items, the most used first, then the newest. ``project``: that project's items and the
    global ones. ``text``: in the title, body or tags (any case)."""
    if category is not None and category not in CATEGORIES:
        raise ValidationError({"category": f"use one of {', '.join(CATEGORIES)}"})
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationError({"limit": f"from 1 to {MAX_PAGE}, from offset 0 or more"})
    with db.unit() as session:
        query = select(KnowledgeItem)
        if category is not None:
            query = query.where(col(KnowledgeItem.category) == category)
        if project is not None:
            project_id = project_repo.require(session, project).id
            query = query.where(
                or_(
                    col(KnowledgeItem.project_id) == project_id,
                    col(KnowledgeItem.project_id).is_(None),
                )
            )
        if tag:
            wanted = normalise_tags(tag)
            # One whole tag, whether stored "a, b" or "a,b".
            stored = "," + func.replace(col(KnowledgeItem.tags), ", ", ",") + ","
            query = query.where(func.instr(stored, f",{wanted.split(', ')[0]},") > 0)
        if text and text.strip():
            needle = f"%{text.strip().lower()}%"
            query = query.where(
                or_(
                    func.lower(col(KnowledgeItem.title)).like(needle),
                    func.lower(col(KnowledgeItem.body)).like(needle),
                    func.lower(col(KnowledgeItem.tags)).like(needle),
                )
            )
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(
                col(KnowledgeItem.usage_count).desc(),
                col(KnowledgeItem.updated_at).desc(),
                col(KnowledgeItem.id).desc(),
            )
            .offset(offset)
            .limit(limit)
        ).all()
        return Page([_view(session, item) for item in rows], offset, int(total))


# --- suggestions ----------------------------------------------------------------------------


def suggestions(db: Database, session_id: int) -> list[Suggestion]:
    """What this session's conversation established that could outlive it, minus what was
    already promoted from it (same title)."""
    from orchestrator_tui.services.handoffs import build_context

    context = build_context(db, session_id)
    facts = context.facts
    found: list[Suggestion] = []
    if facts is not None:
        for error in facts.resolved_errors:
            body = f"Error: `{error.text}`"
            if error.source:
                body += f"\nWhile running: `{error.source}`"
            body += f"\nFix: {error.resolution}"
            found.append(
                Suggestion("error_solution", _title("Fix: ", error.text), body, session_id)
            )
        for decision in facts.decisions:
            body = f"{decision.text}\nChosen: {decision.choice}. Rejected: {decision.rejected}."
            found.append(Suggestion("pattern", _title("", decision.text), body, session_id))
        for constraint in facts.constraints:
            found.append(
                Suggestion("best_practice", _title("", constraint), constraint, session_id)
            )
    with db.unit() as session:
        promoted = set(
            session.exec(
                select(col(KnowledgeItem.title)).where(
                    col(KnowledgeItem.source_session_id) == session_id
                )
            ).all()
        )
    unique: dict[str, Suggestion] = {}
    for suggestion in found:
        suggestion = replace(
            suggestion, title=redact(suggestion.title), body=redact(suggestion.body)
        )
        if suggestion.title not in promoted and suggestion.title not in unique:
            unique[suggestion.title] = suggestion
    return list(unique.values())


def _title(prefix: str, text: str) -> str:
    line = " ".join(text.split())
    return prefix + shorten(line, SUGGESTION_TITLE - len(prefix))


def promote(db: Database, session_id: int, index: int, tags: str = "") -> KnowledgeView:
    """Suggestion number ``index`` (from 0, as ``suggestions`` lists them) into the base, for
    the session's project."""
    found = suggestions(db, session_id)
    if not 0 <= index < len(found):
        raise ValidationError(
            {"index": f"this session has {len(found)} suggestion(s); use 0 to {len(found) - 1}"}
            if found
            else {"index": "this session has no suggestion left to promote"}
        )
    chosen = found[index]
    with db.unit() as session:
        work = session_repo.require(session, session_id)
        project_id = work.project_id
    fields = KnowledgeFields(chosen.category, chosen.title, chosen.body, tags, project_id)
    return add_item(db, fields, source_session_id=session_id)


def recent_suggestions(db: Database, project: str | int, sessions: int = 10) -> list[Suggestion]:
    """The suggestions of a project's latest sessions, newest first."""
    with db.unit() as session:
        project_id = project_repo.require(session, project).id
        ids = session.exec(
            select(col(WorkSession.id))
            .where(col(WorkSession.project_id) == project_id)
            .order_by(col(WorkSession.started_at).desc(), col(WorkSession.id).desc())
            .limit(sessions)
        ).all()
    return [
        suggestion
        for session_id in ids
        if session_id is not None
        for suggestion in suggestions(db, session_id)
    ]


# --- export -----------------------------------------------------------------------------


def agents_snippet(items: list[KnowledgeView], project: str | None = None) -> str:
    """The items as a section for AGENTS.md / CLAUDE.md, grouped by category."""
    scope = f" for {project}" if project else ""
    lines = [
        f"## Project knowledge{scope}",
        "",
        "<!-- Written by orchestrator-tui from its knowledge base. -->",
    ]
    for category in CATEGORIES:
        chosen = [item for item in items if item.category == category]
        if not chosen:
            continue
        lines += ["", f"### {CATEGORY_TITLES[category]}", ""]
        for item in chosen:
            body = " ".join(item.body.split())
            tags = f" _({item.tags})_" if item.tags else ""
            lines.append(f"- **{item.title}**" + (f": {body}" if body else "") + tags)
    if len(lines) == 3:
        lines += ["", "_No items yet._"]
    return "\n".join(lines) + "\n"


def project_name(db: Database, project: str | int) -> str:
    with db.unit() as session:
        found: Project = project_repo.require(session, project)
        return found.name
