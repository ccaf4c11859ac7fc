"""`knowledge add|list|edit|delete|suggest|promote|export`: the knowledge base."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import (
    CommandError,
    Result,
    check_output,
    common_options,
    every,
    open_db,
    to_jsonable,
    write_file,
)

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services.knowledge import KnowledgeView

CATEGORIES = ("pattern", "error_solution", "optimization", "best_practice", "tip")


def _body(args: argparse.Namespace, default: str = "") -> str:
    if args.body_file is None:
        return args.body if args.body is not None else default
    if args.body_file == "-":
        return sys.stdin.read()
    try:
        return Path(args.body_file).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"--body-file {args.body_file}: cannot read it ({error})") from None


def _line(item: KnowledgeView) -> str:
    scope = item.project or "global"
    tags = f" [{item.tags}]" if item.tags else ""
    return (
        f"{item.id:>4}  {item.category:<14} {item.title}{tags}  ({scope}, used {item.usage_count}×)"
    )


def _matching(db: Database, args: argparse.Namespace) -> list[KnowledgeView]:
    """Every item the filters keep, the most used first."""
    from orchestrator_tui.services.knowledge import list_items

    return every(
        lambda offset: list_items(
            db,
            category=args.category,
            tag=args.tag,
            project=args.project,
            text=args.text,
            offset=offset,
            limit=500,
        )
    )


def cmd_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import KnowledgeFields, add_item

    fields = KnowledgeFields(args.category, args.title, _body(args), args.tags, args.project)
    db = open_db(url)
    try:
        item = add_item(db, fields)
    finally:
        db.close()
    return Result({"item": to_jsonable(item)}, f"Added knowledge item {item.id}: {item.title}")


def cmd_list(args: argparse.Namespace, url: str) -> Result:
    db = open_db(url, create=False)
    try:
        items = _matching(db, args)
    finally:
        db.close()
    text = "\n".join(_line(item) for item in items) or "No knowledge items match."
    return Result({"items": to_jsonable(items), "total": len(items)}, text)


def cmd_edit(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import KnowledgeFields, get_item, update_item

    db = open_db(url)
    try:
        old = get_item(db, args.id)
        project: str | int | None = old.project_id
        if args.project is not None:
            project = args.project or None  # "" makes it global
        fields = KnowledgeFields(
            args.category or old.category,
            args.title if args.title is not None else old.title,
            _body(args, old.body),
            args.tags if args.tags is not None else old.tags,
            project,
        )
        item = update_item(db, args.id, fields)
    finally:
        db.close()
    return Result({"item": to_jsonable(item)}, f"Updated knowledge item {item.id}: {item.title}")


def cmd_delete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import delete_item

    db = open_db(url)
    try:
        item = delete_item(db, args.id)
    finally:
        db.close()
    return Result({"item": to_jsonable(item)}, f"Deleted knowledge item {item.id}: {item.title}")


def cmd_suggest(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import suggestions

    db = open_db(url, create=False)
    try:
        found = suggestions(db, args.session_id)
    finally:
        db.close()
    lines = [f"{n:>3}  {s.category:<14} {s.title}" for n, s in enumerate(found)]
    text = "\n".join(lines) or "Nothing to suggest from this session."
    if found:
        text += f"\n`knowledge promote {args.session_id} N` adds number N to the knowledge base."
    return Result({"session_id": args.session_id, "suggestions": to_jsonable(found)}, text)


def cmd_promote(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import promote

    db = open_db(url)
    try:
        item = promote(db, args.session_id, args.index, args.tags)
    finally:
        db.close()
    return Result({"item": to_jsonable(item)}, f"Added knowledge item {item.id}: {item.title}")


def cmd_export(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.knowledge import agents_snippet, project_name

    output = check_output(Path(args.output)) if args.output else None
    db = open_db(url, create=False)
    try:
        items = _matching(db, args)
        name = project_name(db, args.project) if args.project is not None else None
    finally:
        db.close()
    snippet = agents_snippet(items, name)
    payload = {"items": len(items), "snippet": snippet, "output": str(output) if output else None}
    if output is None:
        return Result(payload, snippet.rstrip("\n"))
    write_file(output, [snippet])
    return Result(payload, f"Wrote {len(items)} item(s) as an AGENTS.md section to {output}.")


def _item_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    parser.add_argument(
        "--category",
        required=adding,
        type=str.lower,
        choices=CATEGORIES,
        help="what kind of knowledge it is",
    )
    parser.add_argument("--body", metavar="TEXT")
    parser.add_argument(
        "--body-file", dest="body_file", metavar="FILE", help="the body from FILE (- for stdin)"
    )
    parser.add_argument("--tags", default="" if adding else None, metavar="a,b")
    parser.add_argument(
        "--project",
        metavar="P",
        help="the project it belongs to (name or id); without it, global"
        + ("" if adding else "; '' makes it global"),
    )


def register(commands: Commands) -> None:
    knowledge = commands.add_parser(
        "knowledge", help="the knowledge base: patterns, error fixes, tips (add, list, export...)"
    )
    actions = knowledge.add_subparsers(dest="knowledge_command", metavar="ACTION", required=True)

    add = common_options(actions.add_parser("add", help="add an item"))
    add.add_argument("title", metavar="TITLE")
    _item_options(add, adding=True)
    add.set_defaults(handler=cmd_add)

    listing = common_options(actions.add_parser("list", help="list items, the most used first"))
    listing.add_argument("--category", type=str.lower, choices=CATEGORIES)
    listing.add_argument("--tag", metavar="T")
    listing.add_argument("--project", metavar="P", help="this project's items and the global ones")
    listing.add_argument("--text", metavar="WORDS", help="in the title, body or tags")
    listing.set_defaults(handler=cmd_list)

    edit = common_options(actions.add_parser("edit", help="change an item"))
    edit.add_argument("id", type=int, metavar="ID")
    edit.add_argument("--title", metavar="TITLE")
    _item_options(edit, adding=False)
    edit.set_defaults(handler=cmd_edit)

    delete = common_options(actions.add_parser("delete", help="delete an item"))
    delete.add_argument("id", type=int, metavar="ID")
    delete.set_defaults(handler=cmd_delete)

    suggest = common_options(
        actions.add_parser("suggest", help="what a session established that could be kept")
    )
    suggest.add_argument("session_id", type=int, metavar="SESSION_ID")
    suggest.set_defaults(handler=cmd_suggest)

    promote = common_options(actions.add_parser("promote", help="add a suggestion to the base"))
    promote.add_argument("session_id", type=int, metavar="SESSION_ID")
    promote.add_argument("index", type=int, metavar="N", help="its number in `knowledge suggest`")
    promote.add_argument("--tags", default="", metavar="a,b")
    promote.set_defaults(handler=cmd_promote)

    export = common_options(
        actions.add_parser("export", help="items as an AGENTS.md / CLAUDE.md section")
    )
    export.add_argument("--category", type=str.lower, choices=CATEGORIES)
    export.add_argument("--tag", metavar="T")
    export.add_argument("--project", metavar="P", help="this project's items and the global ones")
    export.add_argument("--text", metavar="WORDS", help="in the title, body or tags")
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(handler=cmd_export)
