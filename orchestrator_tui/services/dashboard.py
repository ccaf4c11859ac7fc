"""Dashboard totals, computed from the rows on every read."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, Handoff, WorkSession
from orchestrator_tui.records import AccountStatus, DashboardTotals, SessionStatus
from orchestrator_tui.repositories import accounts as account_repo
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import sessions as session_repo

RECENT = 8


def totals(db: Database) -> DashboardTotals:
    with db.unit() as session:
        credits_used = session.exec(select(func.coalesce(func.sum(WorkSession.credits_used), 0)))
        remaining = session.exec(select(func.coalesce(func.sum(Account.credits_remaining), 0)))
        handoffs = session.exec(select(func.count(func.distinct(Handoff.session_id))))
        return DashboardTotals(
            projects=project_repo.count(session),
            accounts=account_repo.count(session),
            active_accounts=account_repo.count(
                session, (AccountStatus.AVAILABLE, AccountStatus.ACTIVE)
            ),
            sessions=session_repo.count(session),
            in_progress=session_repo.count(session, status=SessionStatus.IN_PROGRESS),
            credits_used=int(credits_used.one() or 0),
            credits_remaining=int(remaining.one() or 0),
            handoffs=int(handoffs.one()),
            recent=session_repo.timeline(session, None, 0, RECENT),
        )
