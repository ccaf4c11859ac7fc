"""`file add|list|edit|delete`: the files of a project and of its sessions (F20)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import Result, common_options, every, open_db, to_jsonable, when
from orchestrator_tui.records import FILE_CHANGES, IMPORTANCE

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.records import FileSummary, ProjectFileView

IMPORTANCE_HELP = "importance 1-5: " + "; ".join(f"{k} {v}" for k, v in IMPORTANCE.items())


def _describe(item: ProjectFileView) -> str:
    where = f"session #{item.session_number}" if item.session_number else "the project"
    return (
        f"{item.path} ({item.change}, +{item.lines_added:,} −{item.lines_removed:,}, "
        f"importance {item.importance}) of {where}, id {item.id}"
    )


def cmd_file_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.files import FileFields, add_file

    fields = FileFields(
        path=args.path,
        change=args.change,
        lines_added=args.added,
        lines_removed=args.removed,
        importance=args.importance,
        notes=args.notes,
    )
    db = open_db(url)
    try:
        item = add_file(db, args.project, fields, args.session)
    finally:
        db.close()
    return Result({"file": to_jsonable(item)}, f"Added {_describe(item)}.")


def cmd_file_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import files

    db = open_db(url, create=False)
    try:
        if args.by_path:
            paths = every(lambda offset: files.summarize(db, args.project, offset, 500))
            return _by_path_result(paths)
        items = every(lambda offset: files.list_files(db, args.project, args.session, offset, 500))
    finally:
        db.close()
    if not items:
        return Result({"files": [], "total": 0}, "No files recorded.")
    lines = [f"{'ID':>5}  {'SESSION':>7}  {'CHANGE':<8} {'+':>7} {'−':>7}  IMP  PATH"]
    for item in items:
        number = f"#{item.session_number}" if item.session_number else "—"
        notes = f"  ({' '.join(item.notes.split())[:60]})" if item.notes.strip() else ""
        lines.append(
            f"{item.id:>5}  {number:>7}  {item.change:<8} {item.lines_added:>7,} "
            f"{item.lines_removed:>7,}  {item.importance:>3}  {item.path}{notes}"
        )
    return Result({"files": to_jsonable(items), "total": len(items)}, "\n".join(lines))


def _by_path_result(rows: list[FileSummary]) -> Result:
    if not rows:
        return Result({"paths": [], "total": 0}, "No files recorded.")
    lines = [f"{'IMP':>3}  {'+':>7} {'−':>7}  {'LAST CHANGE':<11} {'TOUCHED':<16}  PATH (SESSIONS)"]
    for item in rows:
        sessions = ", ".join(f"#{number}" for number in item.session_numbers) or "project"
        lines.append(
            f"{item.importance:>3}  {item.lines_added:>7,} {item.lines_removed:>7,}  "
            f"{item.last_change:<11} {when(item.last_touched_at):<16}  {item.path} ({sessions})"
        )
    return Result({"paths": to_jsonable(rows), "total": len(rows)}, "\n".join(lines))


def _list_usage(args: argparse.Namespace) -> str | None:
    if args.by_path and args.session is not None:
        return "--by-path lists the whole project: leave out --session"
    return None


def cmd_file_edit(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.files import FileFields, get_file, update_file

    db = open_db(url)
    try:
        current = get_file(db, args.id)
        fields = FileFields(
            path=current.path if args.path is None else args.path,
            change=current.change if args.change is None else args.change,
            lines_added=current.lines_added if args.added is None else args.added,
            lines_removed=current.lines_removed if args.removed is None else args.removed,
            importance=current.importance if args.importance is None else args.importance,
            notes=current.notes if args.notes is None else args.notes,
        )
        item = update_file(db, args.id, fields)
    finally:
        db.close()
    return Result({"file": to_jsonable(item)}, f"Updated {_describe(item)}.")


def _edit_usage(args: argparse.Namespace) -> str | None:
    given = (args.path, args.change, args.added, args.removed, args.importance, args.notes)
    if all(value is None for value in given):
        return (
            "nothing to change: give --path, --change, --added, --removed, --importance "
            "and/or --notes"
        )
    return None


def cmd_file_delete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.files import delete_file

    db = open_db(url)
    try:
        item = delete_file(db, args.id)
    finally:
        db.close()
    return Result({"file": to_jsonable(item)}, f"Deleted {_describe(item)}.")


def _file_options(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    default = (lambda value: None) if editing else (lambda value: value)
    parser.add_argument(
        "--change", default=default("modified"), type=str.lower, choices=FILE_CHANGES
    )
    parser.add_argument("--added", default=default("0"), metavar="N", help="lines added")
    parser.add_argument("--removed", default=default("0"), metavar="N", help="lines removed")
    parser.add_argument(
        "--importance", default=default("3"), metavar="N", help=IMPORTANCE_HELP + " (default 3)"
    )
    parser.add_argument("--notes", default=default(""), metavar="TEXT")


def register(commands: Commands) -> None:
    file_ = commands.add_parser(
        "file", help="add, list, edit and delete the files of a project and its sessions"
    )
    actions = file_.add_subparsers(dest="file_command", metavar="ACTION", required=True)

    add = common_options(actions.add_parser("add", help="record a file a session changed"))
    add.add_argument("project", metavar="PROJECT", help="project name or id")
    add.add_argument("path", metavar="PATH")
    add.add_argument(
        "--session",
        type=int,
        metavar="ID",
        help="the session (id) that changed it; without it, the file belongs to the project",
    )
    _file_options(add, editing=False)
    add.set_defaults(handler=cmd_file_add)

    list_ = common_options(actions.add_parser("list", help="list a project's files"))
    list_.add_argument("project", metavar="PROJECT", help="project name or id")
    list_.add_argument("--session", type=int, metavar="ID", help="only this session's files")
    list_.add_argument(
        "--by-path",
        action="store_true",
        help="one line per path: the sessions that touched it, lines in all, top importance",
    )
    list_.set_defaults(handler=cmd_file_list, usage_check=_list_usage, command_parser=list_)

    edit = common_options(actions.add_parser("edit", help="change a recorded file"))
    edit.add_argument("id", type=int, metavar="ID", help="the file's id (file list shows it)")
    edit.add_argument("--path", metavar="PATH")
    _file_options(edit, editing=True)
    edit.set_defaults(handler=cmd_file_edit, usage_check=_edit_usage, command_parser=edit)

    delete = common_options(actions.add_parser("delete", help="delete a recorded file"))
    delete.add_argument("id", type=int, metavar="ID", help="the file's id")
    delete.set_defaults(handler=cmd_file_delete)
