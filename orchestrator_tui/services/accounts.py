"""The account pool: add, edit, batch add, delete, list, and the credit resets.

Sessions keep an account's name when it goes. Planning across the pool (recommend, rotate,
the handoff queue) is in ``services.rotation``.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, utcnow
from orchestrator_tui.errors import ConflictError, ValidationError
from orchestrator_tui.records import AccountReset, AccountStatus, AccountView, Page
from orchestrator_tui.repositories import accounts as repo
from orchestrator_tui.validation import (
    MAX_TEXT,
    check_choice,
    check_platform,
    check_reset_cadence,
    clean_name,
    clean_text,
    parse_credits,
    parse_time,
)

STATUSES = tuple(status.value for status in AccountStatus)
# What a batch holds: one account a line, ``name,platform,credits,specialization``.
BATCH_COLUMNS = ("name", "platform", "credits", "specialization")
MAX_BATCH_ROWS = 5000
MAX_BATCH_ERRORS = 20  # reported one by one; the rest are counted
_GROUPED_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})*")
_GROUP_RE = re.compile(r"[0-9]{3}")


# --- resets --------------------------------------------------------------------------------


def _add_months(moment: datetime, count: int) -> datetime:
    """The same day ``count`` months later (the month's last day when it is shorter)."""
    index = moment.month - 1 + count
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, _days_in(year, month)))


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_periods(moment: datetime, cadence: str, count: int = 1) -> datetime:
    """``moment`` moved ``count`` periods of the cadence (daily, weekly or monthly) on."""
    if cadence == "daily":
        return moment + timedelta(days=count)
    if cadence == "weekly":
        return moment + timedelta(weeks=count)
    if cadence == "monthly":
        return _add_months(moment, count)
    raise ValueError(f"no periods for the cadence {cadence!r}")


def first_reset(cadence: str, now: datetime) -> datetime | None:
    """When credits first come back for an account given a cadence now: one period on (to
    the minute)."""
    if cadence == "none":
        return None
    return add_periods(now.replace(second=0, microsecond=0), cadence)


def reset_after(cadence: str, scheduled: datetime, now: datetime) -> datetime | None:
    """The first time of the schedule through ``scheduled`` that is later than ``now``:
    several missed periods are skipped at once. None for a one-off reset (cadence none)."""
    if cadence == "none":
        return None
    if scheduled > now:
        return scheduled
    if cadence == "monthly":
        months = (now.year - scheduled.year) * 12 + now.month - scheduled.month
        following = _add_months(scheduled, months)
        while following <= now:
            months += 1
            following = _add_months(scheduled, months)
        return following
    period = timedelta(days=1 if cadence == "daily" else 7)
    return scheduled + period * ((now - scheduled) // period + 1)


def apply_due_resets(db: Database, now: datetime | None = None) -> list[AccountReset]:
    """Restore the credits of every account whose reset time has passed: credits back to the
    limit, exhausted back to available, the reset time moved to the next one of its cadence.

    One transaction; running it again changes nothing (and a reset applied meanwhile by
    another process is not applied twice: each update is guarded by the time it read).
    """
    now = now or utcnow()
    resets: list[AccountReset] = []
    with db.unit() as session:
        due = session.exec(
            select(Account)
            .where(col(Account.next_reset_at).is_not(None), col(Account.next_reset_at) <= now)
            .order_by(col(Account.name))
        ).all()
        for account in due:
            scheduled = account.next_reset_at
            assert scheduled is not None
            following = reset_after(account.reset_cadence, scheduled, now)
            status = account.status
            if status == AccountStatus.EXHAUSTED and account.credit_limit > 0:
                status = AccountStatus.AVAILABLE
            done = session.exec(
                update(Account)
                .where(col(Account.id) == account.id, col(Account.next_reset_at) == scheduled)
                .values(
                    credits_remaining=account.credit_limit,
                    status=status,
                    next_reset_at=following,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount == 1:
                resets.append(
                    AccountReset(
                        name=account.name,
                        credits_restored=account.credit_limit - account.credits_remaining,
                        credit_limit=account.credit_limit,
                        previous_status=account.status,
                        status=status,
                        next_reset_at=following,
                    )
                )
    return resets


# --- add and edit --------------------------------------------------------------------------


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
    # ISO 8601 text or a time; None, "" or "none": one period of the cadence from now.
    next_reset_at: str | datetime | None = None

    def cleaned(self, now: datetime | None = None) -> dict[str, Any]:
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
            "next_reset_at": self._next_reset,
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
        if values["next_reset_at"] is None:
            values["next_reset_at"] = first_reset(values["reset_cadence"], now or utcnow())
        usable = (AccountStatus.AVAILABLE, AccountStatus.ACTIVE)
        if values["credits_remaining"] == 0 and values["status"] in usable:
            values["status"] = AccountStatus.EXHAUSTED
        return values

    def _next_reset(self) -> datetime | None:
        raw = self.next_reset_at
        if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("", "none")):
            return None
        return parse_time(raw, "next_reset_at")


@dataclass(frozen=True)
class AccountChanges:
    """An edit from the command line: only the fields given change (None keeps the value)."""

    name: str | None = None
    platform: str | None = None
    credit_limit: str | None = None
    credits_remaining: str | None = None
    status: str | None = None
    specialization: str | None = None
    notes: str | None = None
    reset_cadence: str | None = None
    next_reset_at: str | None = None

    def applied_to(self, current: AccountView) -> AccountFields:
        """The account's fields with these changes. A new limit caps the credits left; new
        credits on an exhausted account make it available (unless a status is given); a new
        cadence without a reset time starts its schedule from now."""
        remaining: str | int = current.credits_remaining
        if self.credits_remaining is not None:
            remaining = self.credits_remaining
        elif self.credit_limit is not None:
            with suppress(ValidationError):  # a bad limit is reported by cleaned()
                remaining = min(current.credits_remaining, parse_credits(self.credit_limit))
        status = self.status
        if status is None:
            status = current.status
            credited = self.credits_remaining is not None or self.credit_limit is not None
            if credited and status == AccountStatus.EXHAUSTED:
                status = AccountStatus.AVAILABLE  # back to exhausted when 0 are left
        cadence = self.reset_cadence if self.reset_cadence is not None else current.reset_cadence
        next_reset: str | datetime | None = self.next_reset_at
        if next_reset is None and cadence.strip().lower() == current.reset_cadence:
            next_reset = current.next_reset_at  # kept; a new cadence starts from now
        return AccountFields(
            name=self.name if self.name is not None else current.name,
            platform=self.platform if self.platform is not None else current.platform,
            credit_limit=self.credit_limit
            if self.credit_limit is not None
            else current.credit_limit,
            credits_remaining=remaining,
            status=status,
            specialization=self.specialization
            if self.specialization is not None
            else current.specialization,
            notes=self.notes if self.notes is not None else current.notes,
            reset_cadence=cadence,
            next_reset_at=next_reset,
        )


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


def _check_future(values: dict[str, Any], now: datetime, stored: datetime | None) -> None:
    """A reset time typed by the user lies ahead (the one already stored may have passed)."""
    moment = values["next_reset_at"]
    if moment is not None and moment != stored and moment <= now:
        raise ValidationError({"next_reset_at": "that time has passed; give a future one"})


def create_account(db: Database, fields: AccountFields, now: datetime | None = None) -> AccountView:
    now = now or utcnow()
    values = fields.cleaned(now)
    _check_future(values, now, None)
    with db.unit() as session:
        _check_name_free(session, str(values["name"]))
        account = Account(**values)
        session.add(account)
        session.flush()
        return repo.to_view(account)


def _save(session: Session, account: Account, fields: AccountFields, now: datetime) -> AccountView:
    values = fields.cleaned(now)
    _check_future(values, now, account.next_reset_at)
    _check_name_free(session, str(values["name"]), account.id)
    for key, value in values.items():
        setattr(account, key, value)
    session.flush()
    return repo.to_view(account)


def update_account(
    db: Database, ref: int | str, fields: AccountFields, now: datetime | None = None
) -> AccountView:
    """Replace every field of an account with what the form holds."""
    with db.unit() as session:
        return _save(session, repo.require(session, ref), fields, now or utcnow())


def edit_account(
    db: Database, ref: int | str, changes: AccountChanges, now: datetime | None = None
) -> AccountView:
    """Change only the given fields of an account (the command line's ``account edit``)."""
    with db.unit() as session:
        account = repo.require(session, ref)
        fields = changes.applied_to(repo.to_view(account))
        return _save(session, account, fields, now or utcnow())


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


# --- batch add -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    line: int
    fields: AccountFields


def _refuse(errors: dict[int, str]) -> ValidationError:
    """One error per refused line, in line order; past ``MAX_BATCH_ERRORS`` only a count."""
    lines = sorted(errors)
    shown = {f"line {line}": errors[line] for line in lines[:MAX_BATCH_ERRORS]}
    if len(lines) > MAX_BATCH_ERRORS:
        shown["more"] = f"{len(lines) - MAX_BATCH_ERRORS:,} more lines refused"
    return ValidationError(shown)


def _describe(error: ValidationError) -> str:
    names = {"credit_limit": "credits", "credits_remaining": "credits"}
    return "; ".join(f"{names.get(field, field)}: {why}" for field, why in error.errors.items())


def parse_batch(text: str) -> tuple[list[BatchRow], dict[int, str]]:
    """The accounts of a batch, one a line: ``name,platform,credits,specialization``, and
    why each refused line was refused (by line number).

    CSV: a specialization with commas is quoted, or simply written on (the cells after the
    third are its tags); credits written ``2,500`` without quotes are read as 2500. A first
    line that starts with ``name`` is a header; empty lines and lines starting with ``#`` are
    skipped; an empty platform is "other".
    """
    if len(text) > MAX_TEXT * 10:
        raise ValidationError({"batch": f"too long: {len(text):,} characters"})
    rows: list[BatchRow] = []
    errors: dict[int, str] = {}
    first_seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text), skipinitialspace=True, strict=True)
    header_possible = True
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors[line] = f"not CSV ({error})"
            break  # the reader cannot go on past a broken line
        cells = [cell.strip() for cell in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header_possible and cells[0].casefold() == "name":
            header_possible = False
            continue
        header_possible = False
        if len(cells) < 3:
            errors[line] = f"expected {','.join(BATCH_COLUMNS)} (got {len(cells)} value(s))"
            continue
        name, platform, credits, *tags = cells
        while tags and _GROUP_RE.fullmatch(tags[0]) and _GROUPED_RE.fullmatch(credits):
            credits += "," + tags.pop(0)  # 2,500 unquoted: thousands, not a tag "500"
        fields = AccountFields(
            name=name,
            platform=platform or "other",
            credit_limit=credits,
            specialization=", ".join(tag for tag in tags if tag),
        )
        try:
            cleaned = fields.cleaned()
        except ValidationError as error:
            errors[line] = _describe(error)
            continue
        key = str(cleaned["name"]).casefold()
        if key in first_seen:
            errors[line] = f"{cleaned['name']!r} is listed twice (first on line {first_seen[key]})"
            continue
        first_seen[key] = line
        rows.append(BatchRow(line=line, fields=replace(fields, name=str(cleaned["name"]))))
    if len(rows) + len(errors) > MAX_BATCH_ROWS:
        raise ValidationError({"batch": f"at most {MAX_BATCH_ROWS:,} accounts at once"})
    if not rows and not errors:
        raise ValidationError({"batch": "no accounts in it (one a line: name,platform,credits)"})
    return rows, errors


def batch_add(db: Database, text: str, now: datetime | None = None) -> list[AccountView]:
    """Add every account of a batch, or none: a refused line (bad value, a name listed twice
    or already in the pool) refuses the whole batch, with every such line reported (a
    ValidationError keyed ``line N``)."""
    now = now or utcnow()
    rows, errors = parse_batch(text)
    with db.unit() as session:
        taken = {name.casefold(): name for name in session.exec(select(Account.name)).all()}
        for row in rows:
            if (key := row.fields.name.casefold()) in taken:
                errors[row.line] = f"an account named {taken[key]!r} already exists"
        if errors:
            raise _refuse(errors)
        accounts = [Account(**row.fields.cleaned(now)) for row in rows]
        session.add_all(accounts)
        session.flush()
        return [repo.to_view(account) for account in accounts]
