"""`session start|complete|show` and `handoff`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator_tui.cli.common import (
    ERROR_PREFIX,
    EXIT_ERROR,
    PROG,
    Result,
    check_output,
    clipboard_payload,
    common_options,
    copy_out,
    credits_text,
    handoff_settings,
    llm_options,
    open_db,
    to_jsonable,
    when,
    write_file,
)
from orchestrator_tui.records import SESSION_TYPES

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.records import HandoffView, SessionDetail


def cmd_session_start(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.cli.accounts import open_pool
    from orchestrator_tui.services.sessions import start_session

    db, notes = open_pool(url)
    try:
        started = start_session(
            db,
            args.project,
            account=args.account,
            objectives=args.objectives,
            session_type=args.type,
        )
    finally:
        db.close()
    work, previous = started.session, started.previous_handoff
    payload = {
        "session_id": work.id,
        "number": work.number,
        "project": work.project_name,
        "account": work.account_name,
        "status": work.status,
        "previous_handoff": previous.content if previous else None,
        "previous_handoff_id": previous.id if previous else None,
        "previous_session_number": previous.session_number if previous else None,
        "queued_handoffs": to_jsonable(started.queued_handoffs),
    }
    account = f" on {work.account_name}" if work.account_name else ""
    text = f"Started session #{work.number} of {work.project_name!r} (id {work.id}){account}."
    for queued in started.queued_handoffs:
        text += f"\n\nRotation briefing from the handoff queue:\n\n{queued.content.rstrip()}"
    if previous is not None:
        text += (
            f"\n\nHandoff from session #{previous.session_number} "
            f"(version {previous.version}):\n\n{previous.content.rstrip()}"
        )
    else:
        text += "\nNo earlier handoff to load: this is a fresh start."
    return Result(payload, text, notes)


def cmd_session_complete(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.cli.accounts import open_pool
    from orchestrator_tui.services import handoffs
    from orchestrator_tui.services.sessions import complete_session

    provider = args.provider
    settings = handoff_settings(args)
    db, notes = open_pool(url)
    try:
        detail = complete_session(
            db,
            args.session_id,
            args.credits,
            args.accomplishments,
            blockers=args.blockers,
            next_steps=args.next_steps,
        )
        # The completion is committed; a failing generator must not undo it.
        handoff: HandoffView | None = None
        failure: str | None = None
        try:
            handoff = handoffs.generate_handoff(db, detail.id, provider, settings=settings)
        except Exception as error:
            failure = str(error) or type(error).__name__
    finally:
        db.close()
    payload = {
        "session_id": detail.id,
        "number": detail.number,
        "project": detail.project_name,
        "status": detail.status,
        "credits_used": detail.credits_used,
        "account": detail.account_name,
        "account_credits_remaining": detail.account_credits_remaining,
        "handoff_id": handoff.id if handoff else None,
        "handoff_version": handoff.version if handoff else None,
        "provider": handoff.provider if handoff else provider,
        "handoff": handoff.content if handoff else None,
        "handoff_error": failure,
        "fallback_reason": handoff.fallback_reason if handoff else None,
    }
    text = (
        f"Completed session #{detail.number} of {detail.project_name!r} (id {detail.id}): "
        f"{credits_text(detail.credits_used)} credits used"
    )
    if detail.account_name is not None:
        text += f"; {detail.account_name} has {credits_text(detail.account_credits_remaining)} left"
    text += "."
    result = Result(payload, text, notes)
    if handoff is not None:
        result.text += (
            f"\n\nHandoff (version {handoff.version}, {handoff.provider}, id {handoff.id}):"
            f"\n\n{handoff.content.rstrip()}"
        )
    else:
        result.notes.append(
            f"{ERROR_PREFIX}session #{detail.number} is completed, but its handoff could not "
            f"be generated: {failure}. Retry with `{PROG} handoff {detail.id}`."
        )
        result.status = EXIT_ERROR
    return result


def _detail_text(detail: SessionDetail, versions: int) -> str:
    lines = [
        f"Session #{detail.number} of {detail.project_name!r} (id {detail.id})"
        + (f": {detail.title}" if detail.title else ""),
        f"  Status:       {detail.status}",
        f"  Type:         {detail.session_type}",
        f"  Account:      {detail.account_name or '—'}"
        + (
            f" ({detail.account_credits_remaining:,} credits left)"
            if detail.account_credits_remaining is not None
            else ""
        ),
        f"  Started:      {when(detail.started_at)} UTC",
        f"  Ended:        {when(detail.ended_at)}" + (" UTC" if detail.ended_at else ""),
        f"  Credits used: {credits_text(detail.credits_used)}",
        f"  Turns:        {detail.turn_count:,}",
    ]
    if detail.loaded_handoff is not None:
        lines.append(
            f"  Loaded:       handoff of session #{detail.loaded_handoff.session_number} "
            f"(version {detail.loaded_handoff.version}, id {detail.loaded_handoff.id})"
        )
    for title, value in (
        ("Objectives", detail.objectives),
        ("Accomplishments", detail.accomplishments),
        ("Blockers", detail.blockers),
        ("Next steps", detail.next_steps),
    ):
        lines += ["", f"{title}:"]
        body = value.strip() or "(none)"
        lines += [f"  {line}" for line in body.splitlines()]
    produced = detail.produced_handoff
    lines.append("")
    if produced is None:
        lines.append("Handoff: none yet.")
    else:
        lines += [
            f"Handoff (version {produced.version} of {versions}, {produced.provider}, "
            f"{when(produced.created_at)} UTC):",
            "",
            produced.content.rstrip(),
        ]
    return "\n".join(lines)


def cmd_session_show(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services import handoffs
    from orchestrator_tui.services.sessions import get_session

    db = open_db(url, create=False)
    try:
        detail = get_session(db, args.session_id)
        versions = handoffs.versions(db, args.session_id)
    finally:
        db.close()
    payload = to_jsonable(detail)
    payload["session_id"] = detail.id
    payload["handoff"] = detail.produced_handoff.content if detail.produced_handoff else None
    payload["handoff_versions"] = to_jsonable(versions)
    return Result(payload, _detail_text(detail, len(versions)))


def cmd_handoff(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.redact import redact
    from orchestrator_tui.services import handoffs

    output = check_output(Path(args.output)) if args.output else None
    settings = handoff_settings(args) if args.provider is not None else None
    # Without --provider it prints what is stored (generating only for a session that has
    # none, which a database that does not exist cannot hold).
    db = open_db(url, create=args.provider is not None)
    try:
        view = None if args.provider else handoffs.latest_handoff(db, args.session_id)
        generated = view is None
        if view is None:
            view = handoffs.generate_handoff(
                db, args.session_id, args.provider or "rules", settings=settings
            )
    finally:
        db.close()
    content = redact(view.content)  # on its way out: printed, written, copied
    payload: dict[str, Any] = {
        "handoff_id": view.id,
        "session_id": view.session_id,
        "session_number": view.session_number,
        "version": view.version,
        "provider": view.provider,
        "model": view.model,
        "generated": generated,
        "fallback_reason": view.fallback_reason,
        "handoff": content,
        "output": None,
    }
    result = Result(payload)
    if generated:
        result.notes.append(
            f"Generated handoff version {view.version} ({view.provider}) for session "
            f"#{view.session_number}."
        )
    if view.fallback_reason:
        result.notes.append(f"The LLM failed, so the rules engine wrote it: {view.fallback_reason}")
    if output is not None:
        write_file(output, [content])
        payload["output"] = str(output)
        result.notes.append(f"Wrote the handoff ({len(content):,} characters) to {output}.")
    if args.copy:
        outcome = copy_out(content, f"handoff-session-{view.session_id}")
        payload["clipboard"] = clipboard_payload(outcome)
        result.notes.append(outcome.message())
        if not outcome.methods and outcome.file is None:
            result.status = EXIT_ERROR
            result.notes.append(
                ERROR_PREFIX + "the handoff could not be copied: " + "; ".join(outcome.problems)
            )
    if output is None and not args.copy:
        result.text = content.rstrip("\n")
    return result


def register(commands: Commands) -> None:
    session = commands.add_parser("session", help="start, complete and show sessions")
    session_commands = session.add_subparsers(
        dest="session_command", metavar="ACTION", required=True
    )
    start = common_options(
        session_commands.add_parser(
            "start", help="start the next session of a project (loads the previous handoff)"
        )
    )
    start.add_argument("project", metavar="PROJECT", help="project name or id")
    start.add_argument("--account", metavar="NAME", help="account from the pool")
    start.add_argument("--objectives", default="", metavar="TEXT")
    start.add_argument(
        "--type", default="development", type=str.lower, choices=SESSION_TYPES, metavar="TYPE"
    )
    start.set_defaults(handler=cmd_session_start)

    complete = common_options(
        session_commands.add_parser(
            "complete", help="complete a session, charge its account, generate its handoff"
        )
    )
    complete.add_argument("session_id", type=int, metavar="SESSION_ID")
    complete.add_argument("--credits", required=True, metavar="N", help="credits used")
    complete.add_argument("--accomplishments", required=True, metavar="TEXT")
    complete.add_argument("--blockers", default="", metavar="TEXT")
    complete.add_argument("--next-steps", dest="next_steps", default="", metavar="TEXT")
    complete.add_argument(
        "--provider", default="rules", metavar="NAME", help="rules (default), huggingface, openai"
    )
    llm_options(complete)
    complete.set_defaults(handler=cmd_session_complete)

    show = common_options(
        session_commands.add_parser("show", help="a session's details and handoff")
    )
    show.add_argument("session_id", type=int, metavar="SESSION_ID")
    show.set_defaults(handler=cmd_session_show)

    handoff = common_options(
        commands.add_parser(
            "handoff",
            help="print, copy or save a session's handoff (generating one when asked or "
            "when there is none yet)",
        )
    )
    handoff.add_argument("session_id", type=int, metavar="SESSION_ID")
    handoff.add_argument(
        "--provider",
        metavar="NAME",
        help="generate a new version with this provider: rules, huggingface or openai",
    )
    llm_options(handoff)
    handoff.add_argument("--copy", action="store_true", help="copy it to the clipboard")
    handoff.add_argument("--output", metavar="FILE", help="write the Markdown to FILE")
    handoff.set_defaults(handler=cmd_handoff)
