"""The account pool: add, edit, delete, list. Sessions keep an account's name when it goes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account
from orchestrator_tui.errors import ConflictError, ValidationError
from orchestrator_tui.records import AccountStatus, AccountView, Page
from orchestrator_tui.repositories import accounts as repo
from orchestrator_tui.validation import (
    check_choice,
    check_platform,
    check_reset_cadence,
    clean_name,
    clean_text,
    parse_credits,
)

STATUSES = tuple(status.value for status in AccountStatus)


@dataclass(frozen=True)
class AccountFields:
    """What a user types into the account form or passes on the command line."""

    name: str
    platform: str = "other"
    credit_limit: str | int = 0
    credits_remaining: str | int | None = None  # None: same as the limit
    status: str = AccountStatus.AVAILABLE
    specialization: str = ""
    notes: str = ""
    reset_cadence: str = "none"

    def cleaned(self) -> dict[str, Any]:
        """The validated column values; every problem is reported at once."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        checks: dict[str, Callable[[], object]] = {
            "name": lambda: clean_name(self.name),
            "platform": lambda: check_platform(self.platform),
            "credit_limit": lambda: parse_credits(self.credit_limit, "credit_limit"),
            "status": lambda: check_choice(self.status, STATUSES, "status"),
            "specialization": lambda: clean_text(self.specialization, "specialization"),
            "notes": lambda: clean_text(self.notes, "notes"),
            "reset_cadence": lambda: check_reset_cadence(self.reset_cadence),
        }
        for field, check in checks.items():
            try:
                values[field] = check()
            except ValidationError as error:
                errors.update(error.errors)
        remaining_raw = self.credits_remaining
        if remaining_raw is None or (isinstance(remaining_raw, str) and not remaining_raw.strip()):
            remaining_raw = values.get("credit_limit", 0)
        try:
            remaining = parse_credits(remaining_raw, "credits_remaining")
            limit = values.get("credit_limit")
            if isinstance(limit, int) and remaining > limit:
                errors["credits_remaining"] = f"more than the credit limit ({limit:,})"
            values["credits_remaining"] = remaining
        except ValidationError as error:
            errors.update(error.errors)
        if errors:
            raise ValidationError(errors)
        if values["credits_remaining"] == 0 and values["status"] == AccountStatus.AVAILABLE:
            values["status"] = AccountStatus.EXHAUSTED
        return values


def _check_name_free(session: Session, name: str, own_id: int | None = None) -> None:
    """Names are unique ignoring case: ``Claude-Pro`` is taken when ``claude-pro`` exists."""
    for other in repo.same_name(session, name):
        if other.id == own_id:
            continue
        if other.name == name:
            raise ConflictError(f"An account named {name!r} already exists.")
        raise ConflictError(
            f"An account named {other.name!r} already exists; names are not case-sensitive, "
            f"so {name!r} is taken."
        )


def create_account(db: Database, fields: AccountFields) -> AccountView:
    values = fields.cleaned()
    with db.unit() as session:
        _check_name_free(session, str(values["name"]))
        account = Account(**values)
        session.add(account)
        session.flush()
        return repo.to_view(account)


def update_account(db: Database, ref: int | str, fields: AccountFields) -> AccountView:
    values = fields.cleaned()
    with db.unit() as session:
        account = repo.require(session, ref)
        _check_name_free(session, str(values["name"]), account.id)
        for key, value in values.items():
            setattr(account, key, value)
        session.flush()
        return repo.to_view(account)


def delete_account(db: Database, ref: int | str) -> AccountView:
    """Delete an account. Its sessions stay, with the account's name (the FK is SET NULL)."""
    with db.unit() as session:
        account = repo.require(session, ref)
        view = repo.to_view(account)
        session.delete(account)
    return view


def list_accounts(db: Database, offset: int = 0, limit: int = 200) -> Page[AccountView]:
    with db.unit() as session:
        items = [repo.to_view(account) for account in repo.page(session, offset, limit)]
        return Page(items=items, offset=offset, total=repo.count(session))


def get_account(db: Database, ref: int | str) -> AccountView:
    with db.unit() as session:
        return repo.to_view(repo.require(session, ref))
