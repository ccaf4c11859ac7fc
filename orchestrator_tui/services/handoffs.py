"""Handoffs: gather the context, generate, store a new version. Edits are versions too."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import NamedTuple

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, Handoff, WorkSession
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.rules import render_minimal_handoff, render_rules_handoff
from orchestrator_tui.records import HandoffVersionInfo, HandoffView
from orchestrator_tui.repositories import handoffs as repo
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import sessions as session_repo
from orchestrator_tui.repositories import turns as turn_repo
from orchestrator_tui.settings import HandoffSettings
from orchestrator_tui.validation import MAX_TEXT

log = logging.getLogger(__name__)

# The latest turns kept as text for generators that quote them (the LLM prompt); the extractor
# still reads the whole conversation (see build_context).
CONTEXT_TURNS = 2000
# Offline generators by name; the LLM providers are in orchestrator_tui.llm.
PROVIDERS: dict[str, Callable[[HandoffContext], str]] = {"rules": render_rules_handoff}
LLM_PROVIDERS = ("huggingface", "openai")
EDITED = "edited"
# The provider stored with the minimal handoff written when a generator failed, so that nobody
# takes it for that generator's output.
MINIMAL = "rules-minimal"


class Rendered(NamedTuple):
    content: str
    provider: str  # the generator asked for, or MINIMAL when it failed


def build_context(
    db: Database,
    session_id: int,
    *,
    budget_chars: int | None = None,
    compress: str = "low",
) -> HandoffContext:
    """Everything the generators use, in one read. The conversation is streamed through the
    extractor page by page (columns only): every turn of a session of up to ``SCAN_TURNS``,
    else its first ``SCAN_HEAD`` and its latest others. ``turns`` keeps the latest
    ``CONTEXT_TURNS`` of them for generators that want the text itself."""
    from sqlmodel import col, select

    from orchestrator_tui.db.models import ProjectFile
    from orchestrator_tui.handoff.budget import DEFAULT_BUDGET
    from orchestrator_tui.handoff.extract import (
        SCAN_HEAD,
        SCAN_TURNS,
        ChangedFile,
        Extractor,
        TurnRecord,
    )

    with db.unit() as session:
        work = session_repo.require(session, session_id)
        assert work.id is not None
        project = project_repo.get(session, work.project_id)
        account = session.get(Account, work.account_id) if work.account_id else None
        previous: Handoff | None = None
        if work.loaded_handoff_id is not None:
            previous = session.get(Handoff, work.loaded_handoff_id)
        previous_session = session.get(WorkSession, previous.session_id) if previous else None
        total = turn_repo.count(session, work.id)
        extractor = Extractor(work.working_directory, recent=CONTEXT_TURNS)
        latest = total
        if total > SCAN_TURNS:
            for view in turn_repo.page(session, work.id, 0, SCAN_HEAD):
                record = TurnRecord(
                    view.role, view.content, view.kind, view.tool_name, view.is_error, view.thread
                )
                extractor.add(record)
            extractor.skip(total - SCAN_TURNS)
            latest = SCAN_TURNS - SCAN_HEAD
        for row in turn_repo.tail(session, work.id, latest):
            extractor.add(TurnRecord(*row))
        changed = session.execute(
            select(ProjectFile.path, ProjectFile.change, ProjectFile.lines_added)
            .add_columns(col(ProjectFile.lines_removed), col(ProjectFile.importance))
            .where(col(ProjectFile.session_id) == work.id)
            .order_by(col(ProjectFile.importance).desc(), col(ProjectFile.id))
            .limit(1000)
        ).all()
        return HandoffContext(
            project_name=project.name if project else "?",
            session_number=work.number,
            session_type=work.session_type,
            status=work.status,
            account_name=work.account_name,
            account_credits_remaining=account.credits_remaining if account else None,
            account_credit_limit=account.credit_limit if account else None,
            credits_used=work.credits_used,
            objectives=work.objectives,
            accomplishments=work.accomplishments,
            blockers=work.blockers,
            next_steps=work.next_steps,
            started_at=work.started_at,
            ended_at=work.ended_at,
            previous_handoff=previous.content if previous else None,
            previous_session_number=previous_session.number if previous_session else None,
            turns=extractor.recent_turns(),
            total_turns=total,
            facts=extractor.facts(),
            files=tuple(ChangedFile(*row) for row in changed),
            working_directory=work.working_directory,
            budget_chars=DEFAULT_BUDGET if budget_chars is None else budget_chars,
            compress=compress,
        )


def render_handoff(context: HandoffContext, provider: str = "rules") -> Rendered:
    """Run a generator. The rules engine must never cost a completion its handoff: if it
    fails on some odd input, the minimal handoff (the form fields) is used instead, and
    marked as such (provider MINIMAL). The failure goes to the package's logger (the TUI's
    log file; nowhere for the CLI), not to the user's terminal."""
    generator = PROVIDERS.get(provider)
    if generator is None:
        raise ValidationError({"provider": f"unknown provider {provider!r}"})
    try:
        return Rendered(generator(context), provider)
    except Exception:
        log.exception("handoff generator %s failed; using the minimal handoff", provider)
        return Rendered(render_minimal_handoff(context), MINIMAL)


def render(context: HandoffContext, provider: str = "rules") -> str:
    """The handoff text alone (see ``render_handoff``)."""
    return render_handoff(context, provider).content


def store_handoff(
    db: Database,
    session_id: int,
    content: str,
    provider: str,
    model: str | None = None,
    source_chars: int = 0,
) -> HandoffView:
    with db.unit() as session:
        work = session_repo.require(session, session_id)
        handoff = Handoff(
            session_id=session_id,
            version=repo.next_version(session, session_id),
            provider=provider,
            model=model,
            content=content,
            source_chars=source_chars,
            handoff_chars=len(content),
        )
        session.add(handoff)
        session.flush()
        return repo.to_view(handoff, work.number)


def known_providers() -> list[str]:
    return [*PROVIDERS, *LLM_PROVIDERS]


def generate_handoff(
    db: Database,
    session_id: int,
    provider: str | None = None,
    *,
    settings: HandoffSettings | None = None,
    on_piece: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> HandoffView:
    """Generate and store a new handoff version for a session, with ``provider`` (default:
    the settings' provider) and the settings' model, server and budgets.

    An LLM streams its text to ``on_piece`` (from the calling thread) and stops when
    ``cancel`` is set (LLMCancelled, nothing stored). Any other LLM failure falls back to the
    rules engine: the completion always gets its handoff, and ``fallback_reason`` says why."""
    settings = settings or HandoffSettings()
    provider = provider or settings.provider
    if provider not in known_providers():
        known = ", ".join(known_providers())
        raise ValidationError({"provider": f"unknown provider {provider!r}; use one of {known}"})
    context = build_context(
        db, session_id, budget_chars=settings.budget_chars, compress=settings.compress
    )
    if provider not in LLM_PROVIDERS:
        rendered = render_handoff(context, provider)
        return store_handoff(
            db, session_id, rendered.content, rendered.provider, source_chars=context.source_chars
        )
    from orchestrator_tui.llm import LLMCancelled, LLMConfig, LLMError, llm_handoff

    draft = render_handoff(context, "rules")
    try:
        config = LLMConfig(
            provider=provider,
            model=settings.model,
            base_url=settings.base_url,
            input_budget=settings.input_budget,
        )
        content = llm_handoff(
            context, config, on_piece=on_piece, cancel=cancel, draft=draft.content
        )
    except LLMCancelled:
        raise
    except LLMError as error:
        log.warning("%s handoff failed (%s); falling back to rules", provider, error.reason)
        view = store_handoff(
            db, session_id, draft.content, draft.provider, source_chars=context.source_chars
        )
        return replace(view, fallback_reason=f"{provider}: {error.reason}")
    return store_handoff(
        db, session_id, content, provider, model=config.model, source_chars=context.source_chars
    )


def save_edit(db: Database, session_id: int, content: str) -> HandoffView:
    """Store the user's edit as a new version; saving unchanged text adds nothing."""
    if not content.strip():
        raise ValidationError({"handoff": "an empty handoff is not saved"})
    if len(content) > MAX_TEXT:
        raise ValidationError({"handoff": f"too long: {len(content):,} characters"})
    latest = latest_handoff(db, session_id)
    if latest is not None and latest.content == content:
        return latest
    source = latest.handoff_chars if latest else 0
    return store_handoff(db, session_id, content, EDITED, source_chars=source)


def latest_handoff(db: Database, session_id: int) -> HandoffView | None:
    with db.unit() as session:
        session_repo.require(session, session_id)
        return repo.view(session, repo.latest_for_session(session, session_id))


def versions(db: Database, session_id: int) -> list[HandoffVersionInfo]:
    with db.unit() as session:
        session_repo.require(session, session_id)
        return repo.versions(session, session_id)


def get_handoff(db: Database, handoff_id: int) -> HandoffView:
    with db.unit() as session:
        view = repo.view(session, session.get(Handoff, handoff_id))
        if view is None:
            raise NotFoundError(f"No handoff with id {handoff_id}.")
        return view
