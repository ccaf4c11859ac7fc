"""Account queries."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import Account
from orchestrator_tui.records import AccountView
from orchestrator_tui.repositories import named


def get_by_name(session: Session, name: str) -> Account | None:
    return named.get_by_name(session, Account, name)


def same_name(session: Session, name: str) -> list[Account]:
    return named.same_name(session, Account, name)


def require(session: Session, ref: int | str) -> Account:
    return named.require(session, Account, ref, "`orchestrator-tui account add NAME` creates one.")


def count(session: Session, statuses: tuple[str, ...] | None = None) -> int:
    query = select(func.count()).select_from(Account)
    if statuses:
        query = query.where(col(Account.status).in_(statuses))
    return session.exec(query).one()


def page(session: Session, offset: int = 0, limit: int = 200) -> list[Account]:
    query = select(Account).order_by(col(Account.name)).offset(offset).limit(limit)
    return list(session.exec(query).all())


def to_view(account: Account) -> AccountView:
    assert account.id is not None
    return AccountView(
        id=account.id,
        name=account.name,
        platform=account.platform,
        credit_limit=account.credit_limit,
        credits_remaining=account.credits_remaining,
        status=account.status,
        specialization=account.specialization,
        notes=account.notes,
        reset_cadence=account.reset_cadence,
        next_reset_at=account.next_reset_at,
        last_used_at=account.last_used_at,
        created_at=account.created_at,
    )
