"""`demo` and `db upgrade`."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import (
    Result,
    common_options,
    describe_url,
    open_db,
    safe_url,
    to_jsonable,
)
from orchestrator_tui.errors import ValidationError

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands


def cmd_demo(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.demo import load_demo

    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise ValidationError({"now": f"{args.now!r} is not an ISO 8601 time"}) from None
    db = open_db(url)
    try:
        result = load_demo(db, now)
    finally:
        db.close()
    payload = to_jsonable(result)
    payload["message"] = result.message()
    return Result(payload, result.message())


def cmd_db_upgrade(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.db.engine import create_db_engine
    from orchestrator_tui.db.migrate import current_revision, upgrade

    engine = create_db_engine(url)
    try:
        before = current_revision(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    where = describe_url(url)
    if before == after:
        text = f"{where} is up to date at revision {after}."
    else:
        text = f"{where} upgraded from {before or 'an empty database'} to revision {after}."
    return Result({"database": safe_url(url), "revision": after, "previous": before}, text)


def register(commands: Commands) -> None:
    demo = common_options(commands.add_parser("demo", help="load the demo data set"))
    demo.add_argument("--now", help="date the demo relative to this ISO 8601 time")
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = common_options(
        db_commands.add_parser("upgrade", help="bring the schema up to date, print its revision")
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)
