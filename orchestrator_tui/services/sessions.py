"""Sessions: start (loading the previous handoff), complete (deducting credits), read."""

from __future__ import annotations

import shlex

from sqlalchemy import update
from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, Handoff, WorkSession, utcnow
from orchestrator_tui.errors import ConflictError, ValidationError
from orchestrator_tui.handoff.rules import split_items
from orchestrator_tui.records import (
    AccountStatus,
    Page,
    ProjectStatus,
    ProjectTimeline,
    SessionDetail,
    SessionRow,
    SessionStatus,
    StartedSession,
    TurnView,
)
from orchestrator_tui.redact import redact
from orchestrator_tui.repositories import accounts as account_repo
from orchestrator_tui.repositories import handoffs as handoff_repo
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import queue as queue_repo
from orchestrator_tui.repositories import sessions as repo
from orchestrator_tui.repositories import turns as turn_repo
from orchestrator_tui.validation import check_session_type, clean_text, completion_errors

COMPLETABLE = (SessionStatus.IN_PROGRESS, SessionStatus.IMPORTED)
ROLES = ("user", "assistant", "system", "tool")


def start_session(
    db: Database,
    project: int | str,
    account: str | None = None,
    objectives: str = "",
    session_type: str = "development",
    title: str = "",
) -> StartedSession:
    """Open the next numbered session of a project; it loads the latest handoff and the
    rotation briefings waiting in the handoff queue (marked consumed by this session)."""
    session_type = check_session_type(session_type)
    objectives = clean_text(objectives, "objectives")
    title = clean_text(title, "title")[:500]
    if not title and objectives:  # the timeline's one-line label: the first objective
        title = next(iter(split_items(objectives)), "")[:120]  # ";" or "none": no item
    with db.unit() as session:
        found = project_repo.require(session, project)
        assert found.id is not None
        if found.status == ProjectStatus.ARCHIVED:
            raise ConflictError(
                f"Project {found.name!r} is archived; unarchive it first "
                f"(`orchestrator-tui project unarchive {shlex.quote(found.name)}`)."
            )
        running = repo.in_progress(session, found.id)
        if running is not None:
            raise ConflictError(
                f"Session #{running.number} of {found.name!r} is still in progress "
                f"(id {running.id}); complete it before starting another."
            )
        chosen = account_repo.require(session, account) if account else None
        if chosen is not None:
            _check_usable(chosen)
            chosen.status = AccountStatus.ACTIVE
            chosen.last_used_at = utcnow()
        loaded = handoff_repo.latest_in_project(session, found.id)
        work = WorkSession(
            project_id=found.id,
            number=repo.next_number(session, found.id),
            account_id=chosen.id if chosen else None,
            account_name=chosen.name if chosen else None,
            session_type=session_type,
            title=title,
            objectives=objectives,
            loaded_handoff_id=loaded.id if loaded else None,
        )
        session.add(work)
        session.flush()
        assert work.id is not None
        queued = []
        for item in queue_repo.pending(session, found.id):
            item.status = queue_repo.CONSUMED
            item.consumed_by_session_id = work.id
            queued.append(queue_repo.to_view(item, found.name))
        detail = _detail(session, work)
    return StartedSession(
        session=detail, previous_handoff=detail.loaded_handoff, queued_handoffs=queued
    )


def _check_usable(account: Account) -> None:
    if account.status == AccountStatus.BLOCKED:
        raise ConflictError(f"Account {account.name!r} is blocked.")
    if account.status == AccountStatus.EXHAUSTED or account.credits_remaining <= 0:
        raise ConflictError(f"Account {account.name!r} has no credits left.")


def complete_session(
    db: Database,
    session_id: int,
    credits_used: str | int,
    accomplishments: str,
    blockers: str = "",
    next_steps: str = "",
) -> SessionDetail:
    """Record how a session ended and charge its account, all in one transaction.

    Refused with a ValidationError (nothing written) for bad input or credits above what
    the account has, with a ConflictError for a session that is not open.
    """
    with db.unit() as session:
        work = repo.require(session, session_id)
        # Before the input checks: a second completion is a conflict, not "too few credits".
        if work.status not in COMPLETABLE:
            raise ConflictError(f"Session #{work.number} is already {work.status}.")
        account = session.get(Account, work.account_id) if work.account_id else None
        available = account.credits_remaining if account else None
        errors, credits = completion_errors(
            credits_used,
            accomplishments,
            available,
            {"blockers": blockers, "next_steps": next_steps},
        )
        if errors:
            raise ValidationError(errors)
        assert credits is not None
        # Guarded updates: a second completion racing this one changes no row.
        claimed = session.exec(
            update(WorkSession)
            .where(col(WorkSession.id) == session_id, col(WorkSession.status).in_(COMPLETABLE))
            .values(
                status=SessionStatus.COMPLETED,
                credits_used=credits,
                accomplishments=accomplishments.strip(),
                blockers=blockers.strip(),
                next_steps=next_steps.strip(),
                ended_at=utcnow(),
            )
        )
        if claimed.rowcount != 1:
            raise ConflictError(f"Session #{work.number} was completed meanwhile.")
        if account is not None:
            _charge(session, account, credits, session_id)
        session.flush()
        session.refresh(work)
        return _detail(session, work)


def _charge(session: Session, account: Account, credits: int, session_id: int) -> None:
    charged = session.exec(
        update(Account)
        .where(col(Account.id) == account.id, col(Account.credits_remaining) >= credits)
        .values(credits_remaining=col(Account.credits_remaining) - credits, last_used_at=utcnow())
    )
    if charged.rowcount != 1:
        raise ValidationError({"credits": f"the account {account.name!r} has too few credits"})
    session.refresh(account)
    still_open = session.exec(
        select(WorkSession.id).where(
            WorkSession.account_id == account.id,
            WorkSession.status == SessionStatus.IN_PROGRESS,
            WorkSession.id != session_id,
        )
    ).first()
    if account.credits_remaining <= 0:
        account.status = AccountStatus.EXHAUSTED
    elif account.status == AccountStatus.ACTIVE and still_open is None:
        account.status = AccountStatus.AVAILABLE


def _detail(session: Session, work: WorkSession) -> SessionDetail:
    assert work.id is not None
    project = project_repo.get(session, work.project_id)
    account = session.get(Account, work.account_id) if work.account_id else None
    loaded = handoff_repo.view(
        session,
        session.get(Handoff, work.loaded_handoff_id) if work.loaded_handoff_id else None,
    )
    produced = handoff_repo.latest_for_session(session, work.id)
    return SessionDetail(
        id=work.id,
        project_id=work.project_id,
        project_name=project.name if project else "?",
        number=work.number,
        status=work.status,
        account_id=work.account_id,
        account_name=work.account_name,
        account_credits_remaining=account.credits_remaining if account else None,
        session_type=work.session_type,
        title=work.title,
        objectives=work.objectives,
        accomplishments=work.accomplishments,
        blockers=work.blockers,
        next_steps=work.next_steps,
        credits_used=work.credits_used,
        started_at=work.started_at,
        ended_at=work.ended_at,
        turn_count=turn_repo.count(session, work.id),
        loaded_handoff=loaded,
        produced_handoff=handoff_repo.to_view(produced, work.number) if produced else None,
    )


def get_session(db: Database, session_id: int) -> SessionDetail:
    with db.unit() as session:
        return _detail(session, repo.require(session, session_id))


def timeline(
    db: Database, project: int | str | None, offset: int = 0, limit: int = 100
) -> Page[SessionRow]:
    """One page of a project's sessions, newest first (all projects when ``project`` is None)."""
    with db.unit() as session:
        project_id = None
        if project is not None:
            project_id = project_repo.require(session, project).id
        rows = repo.timeline(session, project_id, offset, limit)
        return Page(items=rows, offset=offset, total=repo.count(session, project_id))


def project_timeline(db: Database, project: int | None, limit: int = 100) -> ProjectTimeline | None:
    """A project's summary with its newest sessions, read together. Without a project, the
    most recently active one's; None when there is no project at all."""
    with db.unit() as session:
        if project is None:
            recent = project_repo.summaries(session, 0, 1, include_archived=False)
        else:
            recent = project_repo.summaries(
                session, project_id=project_repo.require(session, project).id
            )
        if not recent:
            return None
        summary = recent[0]
        rows = repo.timeline(session, summary.id, 0, limit)
        page = Page(items=rows, offset=0, total=repo.count(session, summary.id))
    return ProjectTimeline(project=summary, page=page)


def turns(db: Database, session_id: int, offset: int = 0, limit: int = 50) -> Page[TurnView]:
    with db.unit() as session:
        repo.require(session, session_id)
        items = turn_repo.page(session, session_id, offset, limit)
        return Page(items=items, offset=offset, total=turn_repo.count(session, session_id))


def add_turns(db: Database, session_id: int, turns: list[tuple[str, str]]) -> int:
    """Append pasted or typed conversation turns (role, content) to a session."""
    bad = [role for role, _ in turns if role not in ROLES]
    if bad:
        raise ValidationError({"role": f"unknown role {bad[0]!r}; use one of {', '.join(ROLES)}"})
    with db.unit() as session:
        repo.require(session, session_id)
        return turn_repo.append(
            session, session_id, ((role, redact(text), utcnow(), None) for role, text in turns)
        )
