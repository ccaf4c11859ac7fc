"""`account add|list|edit|delete|batch|recommend|rotate|queue`.

Every account command first applies the credit resets that are due (and says so on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import (
    Result,
    common_options,
    every,
    open_db,
    to_jsonable,
    when,
)
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import PLATFORMS, RESET_CADENCES, AccountStatus

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.records import AccountReset, AccountView

STATUSES = tuple(status.value for status in AccountStatus)


def reset_notes(resets: list[AccountReset]) -> list[str]:
    notes = []
    for reset in resets:
        following = f"; next reset {when(reset.next_reset_at)} UTC" if reset.next_reset_at else ""
        notes.append(
            f"Credits reset: {reset.name} is back to {reset.credit_limit:,} credits "
            f"({reset.status}){following}."
        )
    return notes


def open_pool(url: str, *, create: bool = True) -> tuple[Database, list[str]]:
    """The database with the due credit resets applied, and a note for each one."""
    from orchestrator_tui.services.accounts import apply_due_resets

    db = open_db(url, create=create)
    try:
        return db, reset_notes(apply_due_resets(db))
    except BaseException:
        db.close()
        raise


def _account_line(account: AccountView) -> str:
    left = f"{account.credits_remaining:,}/{account.credit_limit:,}"
    resets = account.reset_cadence
    if account.next_reset_at is not None:
        resets += f" {when(account.next_reset_at)}"
    return (
        f"{account.id:>4}  {account.name[:24]:<24} {account.platform:<9} {left:>17}  "
        f"{account.status:<10} {resets:<24} {account.specialization}"
    )


def cmd_account_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import AccountFields, create_account

    fields_ = AccountFields(
        name=args.name,
        platform=args.platform,
        credit_limit=args.credits,
        specialization=args.specialization,
        reset_cadence=args.reset,
        next_reset_at=args.next_reset,
        notes=args.notes,
    )
    db, notes = open_pool(url)
    try:
        account = create_account(db, fields_)
    finally:
        db.close()
    resets = f", resets {account.reset_cadence}" if account.next_reset_at else ""
    return Result(
        {"account": to_jsonable(account)},
        f"Created account {account.name!r} (id {account.id}) on {account.platform} with "
        f"{account.credits_remaining:,} credits ({account.status}{resets}).",
        notes,
    )


def cmd_account_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import list_accounts

    db, notes = open_pool(url, create=False)
    try:
        items = every(lambda offset: list_accounts(db, offset=offset, limit=500))
    finally:
        db.close()
    if not items:
        text = "No accounts yet. `orchestrator-tui account add NAME --credits N` adds one."
    else:
        header = (
            f"{'ID':>4}  {'NAME':<24} {'PLATFORM':<9} {'CREDITS LEFT':>17}  {'STATUS':<10} "
            f"{'RESETS (UTC)':<24} SPECIALIZATION"
        )
        text = "\n".join([header, *(_account_line(account) for account in items)])
    return Result({"accounts": to_jsonable(items), "total": len(items)}, text, notes)


def cmd_account_edit(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import AccountChanges, edit_account

    changes = AccountChanges(
        name=args.new_name,
        platform=args.platform,
        credit_limit=args.credits,
        credits_remaining=args.remaining,
        status=args.status,
        specialization=args.specialization,
        notes=args.notes,
        reset_cadence=args.reset,
        next_reset_at=args.next_reset,
    )
    db, notes = open_pool(url)
    try:
        try:
            account = edit_account(db, args.name, changes)
        except ValidationError as error:  # the new name comes from --name, not NAME
            renamed = {("new_name" if key == "name" else key): v for key, v in error.errors.items()}
            raise ValidationError(renamed) from None
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Updated account {account.name!r} (id {account.id}): "
        f"{account.credits_remaining:,}/{account.credit_limit:,} credits, {account.status}.",
        notes,
    )


EDIT_OPTIONS = (
    "new_name",
    "platform",
    "credits",
    "remaining",
    "status",
    "specialization",
    "notes",
    "reset",
    "next_reset",
)


def _edit_usage(args: argparse.Namespace) -> str | None:
    if all(getattr(args, name) is None for name in EDIT_OPTIONS):
        return (
            "nothing to change: give at least one of --name, --platform, --credits, "
            "--remaining, --status, --specialization, --notes, --reset, --next-reset"
        )
    return None


def cmd_account_delete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import delete_account

    db, notes = open_pool(url)
    try:
        account = delete_account(db, args.name)
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Deleted account {account.name!r} (id {account.id}); its sessions keep its name.",
        notes,
    )


def _read_batch(source: str) -> str:
    try:
        if source == "-":
            return sys.stdin.read()
        return Path(source).expanduser().read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"FILE": f"{source} is not UTF-8 text"}) from None


def cmd_account_batch(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import batch_add

    text = _read_batch(args.file)
    db, notes = open_pool(url)
    try:
        created = batch_add(db, text)
    finally:
        db.close()
    names = ", ".join(account.name for account in created)
    return Result(
        {"created": len(created), "accounts": to_jsonable(created)},
        f"Added {len(created):,} account(s): {names}.",
        notes,
    )


def cmd_account_recommend(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.rotation import recommend
    from orchestrator_tui.validation import parse_credits

    minimum = parse_credits(args.min_credits, "min_credits") if args.min_credits else None
    db, notes = open_pool(url)
    try:
        plan = recommend(db, args.project, minimum, args.specialization)
    finally:
        db.close()
    where = f" for {plan.project}" if plan.project else ""
    cost = f"; its sessions usually cost {plan.typical_cost:,}" if plan.typical_cost else ""
    lines = [f"Accounts{where}, best first (at least {plan.min_credits:,} credits{cost}):"]
    if not plan.ranked:
        lines.append("  none qualifies.")
    for place, account in enumerate(plan.ranked, 1):
        lines.append(f"{place:>3}. {account.name} ({account.credits_remaining:,} credits)")
        lines += [f"       - {reason}" for reason in account.reasons]
    if plan.excluded:
        lines += ["", "Not recommended:"]
        lines += [f"  {item.name}: {item.reason}" for item in plan.excluded]
    if plan.queued_account:
        lines += ["", f"A rotation briefing waits in the queue for {plan.queued_account}."]
    return Result(to_jsonable(plan), "\n".join(lines), notes)


def cmd_account_rotate(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.rotation import rotate

    db, notes = open_pool(url)
    try:
        rotation = rotate(db, args.name, args.project)
    finally:
        db.close()
    new, queued = rotation.to_account, rotation.queued
    payload = {
        "from": rotation.from_account.name,
        "to": new.name,
        "credits_remaining": new.credits_remaining,
        "reasons": new.reasons,
        "queue_id": queued.id,
        "briefing": queued.content,
        "from_account": to_jsonable(rotation.from_account),
        "to_account": to_jsonable(new),
    }
    text = (
        f"{rotation.from_account.name} is {rotation.from_account.status}; {queued.project_name} "
        f"continues on {new.name} ({new.credits_remaining:,} credits left). The briefing "
        f"below is queued (id {queued.id}) for the project's next session:\n\n"
        + queued.content.rstrip()
    )
    return Result(payload, text, notes)


def cmd_account_queue(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.rotation import queue

    db, notes = open_pool(url, create=False)
    try:
        items = queue(db, args.project, status=None if args.all else "pending")
    finally:
        db.close()
    if not items:
        text = "The handoff queue is empty." if args.all else "No briefing is waiting."
    else:
        lines = []
        for item in items:
            lines.append(
                f"#{item.id} {item.project_name}: {item.from_account or '—'} → "
                f"{item.to_account or '—'}, {when(item.created_at)} UTC, {item.status}"
                + (
                    f" (session id {item.consumed_by_session_id})"
                    if item.consumed_by_session_id
                    else ""
                )
            )
        text = "\n".join(lines)
    return Result({"queue": to_jsonable(items), "total": len(items)}, text, notes)


def _account_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    """The options that set an account's fields (for an edit, absent means unchanged)."""

    def default(value: str) -> str | None:
        return None if editing else value

    parser.add_argument("--platform", default=default("other"), type=str.lower, choices=PLATFORMS)
    parser.add_argument(
        "--credits",
        default=default("0"),
        metavar="N",
        help="credit limit" + ("" if editing else " (and credits left)"),
    )
    parser.add_argument("--specialization", default=default(""), metavar="TEXT")
    parser.add_argument(
        "--reset",
        default=default("none"),
        type=str.lower,
        choices=RESET_CADENCES,
        help="reset cadence",
    )
    parser.add_argument(
        "--next-reset",
        dest="next_reset",
        metavar="ISO",
        help="when credits next come back, e.g. 2026-12-01 or 2026-12-01T09:00 (UTC unless "
        "an offset is given); default: one period of the cadence from now",
    )
    parser.add_argument("--notes", default=default(""), metavar="TEXT")


def register(commands: Commands) -> None:
    account = commands.add_parser(
        "account", help="the account pool: add, edit, batch add, recommend, rotate"
    )
    account_commands = account.add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )
    add = common_options(account_commands.add_parser("add", help="add an account to the pool"))
    add.add_argument("name", metavar="NAME")
    _account_options(add, editing=False)
    add.set_defaults(handler=cmd_account_add)

    common_options(
        account_commands.add_parser("list", help="list the account pool with every field")
    ).set_defaults(handler=cmd_account_list)

    edit = common_options(
        account_commands.add_parser("edit", help="change some fields of an account")
    )
    edit.add_argument("name", metavar="NAME", help="account name or id")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="the new name")
    _account_options(edit, editing=True)
    edit.add_argument("--remaining", metavar="N", help="credits left")
    edit.add_argument("--status", type=str.lower, choices=STATUSES)
    edit.set_defaults(handler=cmd_account_edit, usage_check=_edit_usage, command_parser=edit)

    delete = common_options(
        account_commands.add_parser(
            "delete", help="delete an account (its sessions stay and keep its name)"
        )
    )
    delete.add_argument("name", metavar="NAME", help="account name or id")
    delete.set_defaults(handler=cmd_account_delete)

    batch = common_options(
        account_commands.add_parser(
            "batch",
            help="add many accounts from CSV (name,platform,credits,specialization): all or none",
        )
    )
    batch.add_argument("file", metavar="FILE", help="a CSV file, or - for standard input")
    batch.set_defaults(handler=cmd_account_batch)

    recommend = common_options(
        account_commands.add_parser(
            "recommend", help="rank the accounts for a project's next session, with reasons"
        )
    )
    recommend.add_argument("--project", metavar="P", help="project name or id")
    recommend.add_argument(
        "--min-credits",
        dest="min_credits",
        metavar="N",
        help="fewest credits left to qualify (default: [accounts] min_credits, else 50)",
    )
    recommend.add_argument(
        "--specialization",
        metavar="S",
        help="match these skills (default: the project's name and description)",
    )
    recommend.set_defaults(handler=cmd_account_recommend)

    rotate = common_options(
        account_commands.add_parser(
            "rotate",
            help="mark an account exhausted, pick the next, queue a briefing for the project",
        )
    )
    rotate.add_argument("name", metavar="NAME", help="the account that ran out")
    rotate.add_argument("--project", required=True, metavar="P", help="project name or id")
    rotate.set_defaults(handler=cmd_account_rotate)

    queue = common_options(
        account_commands.add_parser("queue", help="the rotation briefings waiting in the queue")
    )
    queue.add_argument("--project", metavar="P", help="project name or id")
    queue.add_argument("--all", action="store_true", help="include the briefings already loaded")
    queue.set_defaults(handler=cmd_account_queue)
