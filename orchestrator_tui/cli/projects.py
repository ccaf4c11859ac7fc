"""`project add|list|edit|archive|unarchive`."""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import (
    PROG,
    Result,
    common_options,
    every,
    open_db,
    to_jsonable,
    when,
)
from orchestrator_tui.errors import ValidationError

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands


def cmd_project_add(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import create_project

    db = open_db(url)
    try:
        project = create_project(db, args.name, args.description)
    finally:
        db.close()
    return Result(
        {"project": to_jsonable(project)},
        f"Created project {project.name!r} (id {project.id}).",
    )


def cmd_project_list(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import list_projects

    db = open_db(url, create=False)
    try:
        items = every(lambda offset: list_projects(db, offset=offset, limit=500))
    finally:
        db.close()
    if not items:
        text = "No projects yet. `orchestrator-tui project add NAME` creates one."
    else:
        lines = [f"{'ID':>4}  {'NAME':<32} {'SESSIONS':>8} {'CREDITS':>9}  LAST ACTIVITY"]
        for project in items:
            flags = " (archived)" if project.status == "archived" else ""
            flags += f" [{project.in_progress} in progress]" if project.in_progress else ""
            lines.append(
                f"{project.id:>4}  {project.name[:32]:<32} {project.session_count:>8} "
                f"{project.credits_used:>9,}  {when(project.last_activity)}{flags}"
            )
        text = "\n".join(lines)
    return Result({"projects": to_jsonable(items), "total": len(items)}, text)


def cmd_project_edit(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import update_project

    db = open_db(url)
    try:
        try:
            project = update_project(db, args.name, args.new_name, args.description)
        except ValidationError as error:  # the new name comes from --name, not NAME
            renamed = {("new_name" if key == "name" else key): v for key, v in error.errors.items()}
            raise ValidationError(renamed) from None
    finally:
        db.close()
    return Result(
        {"project": to_jsonable(project)},
        f"Updated project {project.name!r} (id {project.id}).",
    )


def _edit_usage(args: argparse.Namespace) -> str | None:
    if args.new_name is None and args.description is None:
        return "nothing to change: give --name NEW and/or --description TEXT"
    return None


def cmd_project_archive(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.projects import set_archived

    archive = args.project_command == "archive"
    db = open_db(url)
    try:
        project = set_archived(db, args.name, archive)
    finally:
        db.close()
    if archive:
        text = (
            f"Archived project {project.name!r} (id {project.id}); "
            f"`{PROG} project unarchive {shlex.quote(project.name)}` brings it back."
        )
    else:
        text = f"Project {project.name!r} (id {project.id}) is active again."
    return Result({"project": to_jsonable(project)}, text)


def register(commands: Commands) -> None:
    project = commands.add_parser("project", help="add, list, edit and archive projects")
    project_commands = project.add_subparsers(
        dest="project_command", metavar="ACTION", required=True
    )
    add = common_options(project_commands.add_parser("add", help="create a project"))
    add.add_argument("name", metavar="NAME")
    add.add_argument("--description", default="", metavar="TEXT")
    add.set_defaults(handler=cmd_project_add)
    common_options(project_commands.add_parser("list", help="list projects")).set_defaults(
        handler=cmd_project_list
    )
    edit = common_options(project_commands.add_parser("edit", help="rename or describe a project"))
    edit.add_argument("name", metavar="NAME", help="project name or id")
    edit.add_argument("--name", dest="new_name", metavar="NEW", help="the new name")
    edit.add_argument("--description", metavar="TEXT", help="the new description")
    edit.set_defaults(handler=cmd_project_edit, usage_check=_edit_usage, command_parser=edit)
    for action, help_ in (
        ("archive", "archive a project (its sessions stay; no new ones start)"),
        ("unarchive", "make an archived project active again"),
    ):
        archive = common_options(project_commands.add_parser(action, help=help_))
        archive.add_argument("name", metavar="NAME", help="project name or id")
        archive.set_defaults(handler=cmd_project_archive)
