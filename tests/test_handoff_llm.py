"""Handoffs written by an LLM over the real wire protocol (a loopback server), and the
fallback to the rules engine when the LLM fails: the completion never loses its handoff."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.llm import LLMCancelled
from orchestrator_tui.services import handoffs, projects, sessions
from orchestrator_tui.settings import HandoffSettings
from tests.llm_server import LLMServer, Reply, error_body, stream

REPLY = (
    "## Summary\nThe login page works.\n\n## Done\n- Login form\n\n"
    "## Open blockers\n- none\n\n## Next steps\n- Write tests\n"
)
PIECES = [REPLY[i : i + 12] for i in range(0, len(REPLY), 12)]
SECRET = "gh" + "p_" + "R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng0"


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


@pytest.fixture
def session_id(db: Database) -> int:
    project = projects.create_project(db, "Shop")
    started = sessions.start_session(db, project.id, objectives="Login page")
    sessions.add_turns(db, started.session.id, [("user", f"use the token {SECRET} please")])
    sessions.complete_session(db, started.session.id, 3, "Login form; " + SECRET)
    return started.session.id


def settings_for(server: LLMServer) -> HandoffSettings:
    return HandoffSettings(provider="openai", model="llama3.1:8b", base_url=server.base_url)


def test_an_openai_compatible_server_writes_the_handoff(
    db: Database, server: LLMServer, session_id: int
) -> None:
    server.script(Reply(events=stream(*PIECES)))
    pieces: list[str] = []
    view = handoffs.generate_handoff(
        db, session_id, settings=settings_for(server), on_piece=pieces.append
    )
    assert (view.provider, view.model, view.fallback_reason) == ("openai", "llama3.1:8b", None)
    assert view.content.strip() == REPLY.strip()
    assert len(pieces) > 3 and "".join(pieces).strip() == REPLY.strip()
    [request] = server.requests
    assert request.body["model"] == "llama3.1:8b" and request.body["stream"] is True
    prompt = json.dumps(request.body["messages"])
    assert SECRET not in prompt and "[REDACTED:github-token]" in prompt
    assert handoffs.latest_handoff(db, session_id) == replace(view, fallback_reason=None)


def test_a_failing_llm_falls_back_to_rules_with_the_reason(
    db: Database, server: LLMServer, session_id: int
) -> None:
    server.script(Reply(status=401, body=error_body("bad token")))
    view = handoffs.generate_handoff(db, session_id, settings=settings_for(server))
    assert view.provider == "rules"
    assert view.fallback_reason is not None and "401" in view.fallback_reason
    assert "## Next steps" in view.content
    assert handoffs.latest_handoff(db, session_id) == replace(view, fallback_reason=None)


def test_a_cancelled_llm_stores_nothing(db: Database, server: LLMServer, session_id: int) -> None:
    server.script(Reply(events=stream(*PIECES), event_delay=0.2))
    cancel = threading.Event()
    with pytest.raises(LLMCancelled):
        handoffs.generate_handoff(
            db,
            session_id,
            settings=settings_for(server),
            on_piece=lambda piece: cancel.set(),
            cancel=cancel,
        )
    assert handoffs.versions(db, session_id) == []


def test_cli_handoff_with_a_provider_and_its_fallback(
    db: Database,
    db_url: str,
    server: LLMServer,
    session_id: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["--db", db_url, "handoff", str(session_id), "--json"]
    llm = ["--provider", "openai", "--model", "qwen", "--base-url", server.base_url]
    server.script(Reply(events=stream(REPLY)))
    assert main([*base, *llm]) == 0
    written = json.loads(capsys.readouterr().out)
    assert (written["provider"], written["model"], written["fallback_reason"]) == (
        "openai",
        "qwen",
        None,
    )

    server.script(Reply(status=404, body=error_body("no such model")))
    assert main([*base, *llm]) == 0
    captured = capsys.readouterr()
    fallen = json.loads(captured.out)
    assert fallen["provider"] == "rules" and "404" in fallen["fallback_reason"]
    assert "rules engine wrote it" in captured.err
    assert SECRET not in captured.out + captured.err

    assert main([*base, "--provider", "gpt9"]) == 1
    assert "unknown provider" in capsys.readouterr().err
