"""Account queries."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator_tui.db.models import Account
from orchestrator_tui.errors import NotFoundError
from orchestrator_tui.records import AccountView


def get_by_name(session: Session, name: str) -> Account | None:
    return session.exec(select(Account).where(Account.name == name)).first()


def same_name(session: Session, name: str) -> list[Account]:
    """The accounts whose name is ``name`` ignoring case (names are unique that way).

    Compared with ``casefold`` in Python rather than SQL ``lower()``, which folds ASCII
    only on SQLite; only ids and names are read, and accounts are few.
    """
    folded = name.casefold()
    rows = session.exec(select(Account.id, Account.name)).all()
    ids = [row_id for row_id, row_name in rows if row_name.casefold() == folded]
    return [found for row_id in ids if (found := session.get(Account, row_id)) is not None]


def require(session: Session, ref: int | str) -> Account:
    """An account by id or by name: the exact name first, then the one account whose name
    matches ignoring case; a numeric string that names no account is taken as an id."""
    account = None
    if isinstance(ref, str):
        account = get_by_name(session, ref)
        if account is None:
            matches = same_name(session, ref)
            if len(matches) > 1:  # written before names were unique ignoring case
                names = ", ".join(repr(match.name) for match in matches)
                raise NotFoundError(
                    f"No account named exactly {ref!r}; {names} match ignoring case. "
                    "Give the exact name or the id."
                )
            account = matches[0] if matches else None
    if account is None and (isinstance(ref, int) or ref.isdigit()):
        account = session.get(Account, int(ref))
    if account is None:
        raise NotFoundError(f"No account {ref!r}. `orchestrator-tui account add NAME` creates one.")
    return account


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
