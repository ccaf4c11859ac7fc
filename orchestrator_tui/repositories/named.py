"""Lookups shared by the records users refer to by name: projects and accounts."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, col, select

from orchestrator_tui.db.models import Account, Project
from orchestrator_tui.errors import NotFoundError

Named = TypeVar("Named", Project, Account)


def get_by_name(session: Session, model: type[Named], name: str) -> Named | None:
    return session.exec(select(model).where(col(model.name) == name)).first()


def same_name(session: Session, model: type[Named], name: str) -> list[Named]:
    """The rows whose name is ``name`` ignoring case (names are unique that way).

    Compared with ``casefold`` in Python rather than SQL ``lower()``, which folds ASCII
    only on SQLite; only ids and names are read, and such rows are few.
    """
    folded = name.casefold()
    rows = session.exec(select(model.id, model.name)).all()
    ids = [row_id for row_id, row_name in rows if row_name.casefold() == folded]
    return [found for row_id in ids if (found := session.get(model, row_id)) is not None]


def require(session: Session, model: type[Named], ref: int | str, create_hint: str) -> Named:
    """A row by id or by name: the exact name first, then the one row whose name matches
    ignoring case; a numeric string that names nothing is taken as an id."""
    kind = str(model.__tablename__)
    found = None
    if isinstance(ref, str):
        found = get_by_name(session, model, ref)
        if found is None:
            matches = same_name(session, model, ref)
            if len(matches) > 1:  # written before names were unique ignoring case
                names = ", ".join(repr(match.name) for match in matches)
                raise NotFoundError(
                    f"No {kind} named exactly {ref!r}; {names} match ignoring case. "
                    "Give the exact name or the id."
                )
            found = matches[0] if matches else None
    if found is None and (isinstance(ref, int) or ref.isdigit()):
        found = session.get(model, int(ref))
    if found is None:
        raise NotFoundError(f"No {kind} {ref!r}. {create_hint}")
    return found
