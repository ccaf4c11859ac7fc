"""`account add|list|delete`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import Result, common_options, every, open_db, to_jsonable
from orchestrator_tui.records import PLATFORMS, RESET_CADENCES

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands


def cmd_account_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import AccountFields, create_account

    fields_ = AccountFields(
        name=args.name,
        platform=args.platform,
        credit_limit=args.credits,
        specialization=args.specialization,
        reset_cadence=args.reset,
    )
    db = open_db(url)
    try:
        account = create_account(db, fields_)
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Created account {account.name!r} (id {account.id}) on {account.platform} with "
        f"{account.credits_remaining:,} credits ({account.status}).",
    )


def cmd_account_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import list_accounts

    db = open_db(url, create=False)
    try:
        items = every(lambda offset: list_accounts(db, offset=offset, limit=500))
    finally:
        db.close()
    if not items:
        text = "No accounts yet. `orchestrator-tui account add NAME --credits N` adds one."
    else:
        lines = [
            f"{'ID':>4}  {'NAME':<24} {'PLATFORM':<9} {'CREDITS LEFT':>17}  {'STATUS':<10} "
            "SPECIALIZATION"
        ]
        for account in items:
            left = f"{account.credits_remaining:,}/{account.credit_limit:,}"
            lines.append(
                f"{account.id:>4}  {account.name[:24]:<24} {account.platform:<9} {left:>17}  "
                f"{account.status:<10} {account.specialization}"
            )
        text = "\n".join(lines)
    return Result({"accounts": to_jsonable(items), "total": len(items)}, text)


def cmd_account_delete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.accounts import delete_account

    db = open_db(url)
    try:
        account = delete_account(db, args.name)
    finally:
        db.close()
    return Result(
        {"account": to_jsonable(account)},
        f"Deleted account {account.name!r} (id {account.id}); its sessions keep its name.",
    )


def register(commands: Commands) -> None:
    account = commands.add_parser("account", help="add, list and delete accounts of the pool")
    account_commands = account.add_subparsers(
        dest="account_command", metavar="ACTION", required=True
    )
    add = common_options(account_commands.add_parser("add", help="add an account to the pool"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--platform", default="other", type=str.lower, choices=PLATFORMS)
    add.add_argument("--credits", default="0", metavar="N", help="credit limit (and credits left)")
    add.add_argument("--specialization", default="", metavar="TEXT")
    add.add_argument(
        "--reset", default="none", type=str.lower, choices=RESET_CADENCES, help="reset cadence"
    )
    add.set_defaults(handler=cmd_account_add)
    common_options(account_commands.add_parser("list", help="list the account pool")).set_defaults(
        handler=cmd_account_list
    )
    delete = common_options(
        account_commands.add_parser(
            "delete", help="delete an account (its sessions stay and keep its name)"
        )
    )
    delete.add_argument("name", metavar="NAME", help="account name or id")
    delete.set_defaults(handler=cmd_account_delete)
