"""The LLM in the TUI: settings saved from F9, a handoff streamed into the editor from a
loopback server, Escape stopping it, and the rules fallback with its notice."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from textual.widgets import Input, Select, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import handoffs, sessions
from orchestrator_tui.settings import HandoffSettings, load_settings, save_settings
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen
from orchestrator_tui.tui.screens.settings import SettingsForm
from tests.llm_server import LLMServer, Reply, error_body, stream

from .conftest import SIZE, press, settle

REPLY = (
    "## Summary\nShipped the cart.\n\n## Done\n- Cart\n\n## Open blockers\n- none\n\n"
    "## Next steps\n- Checkout page\n"
)
PIECES = [REPLY[i : i + 8] for i in range(0, len(REPLY), 8)]


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


@pytest.fixture
def finished(seeded: Database) -> int:
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 20, "Cart")
    return started.session.id


def use_server(server: LLMServer) -> None:
    save_settings(HandoffSettings(provider="openai", model="tiny", base_url=server.base_url))


async def wait_for(pilot: object, condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)  # type: ignore[attr-defined]


async def test_settings_are_saved_from_f9(app: OrchestratorApp, seeded: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f9")
        form = app.screen
        assert isinstance(form, SettingsForm)
        form.query_one("#field-provider", Select).value = "openai"
        await press(pilot, "ctrl+s")  # an OpenAI-compatible server needs a model
        assert isinstance(app.screen, SettingsForm)
        assert "model" in str(form.query_one("#error-model", Static).render())
        form.query_one("#field-model", Input).value = "llama3.1:8b"
        form.query_one("#field-budget_chars", Input).value = "4,000"
        await press(pilot, "ctrl+s")
        assert not isinstance(app.screen, SettingsForm)
    saved = load_settings()
    assert (saved.provider, saved.model, saved.budget_chars) == ("openai", "llama3.1:8b", 4000)


async def test_test_connection_reports_the_reply(
    app: OrchestratorApp, seeded: Database, server: LLMServer
) -> None:
    use_server(server)
    server.script(Reply(events=stream("OK")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "f9")
        form = app.screen
        assert isinstance(form, SettingsForm)
        await pilot.press("ctrl+t")
        message = form.query_one("#form-error", Static)
        await wait_for(pilot, lambda: "Connected" in str(message.render()))
        assert "'OK'" in str(message.render())
    assert server.requests[0].body["model"] == "tiny"


async def test_an_llm_handoff_streams_into_the_editor(
    app: OrchestratorApp, seeded: Database, server: LLMServer, finished: int
) -> None:
    use_server(server)
    server.script(Reply(events=stream(*PIECES), event_delay=0.15))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t")
        await pilot.press("h")  # no handoff yet: one is written
        editor = app.screen
        assert isinstance(editor, HandoffEditorScreen)
        seen: set[str] = set()

        def done() -> bool:
            seen.add(editor.editor.text)
            return editor.handoff is not None

        await wait_for(pilot, done)
        assert any(0 < len(text) < len(REPLY.strip()) for text in seen), sorted(map(len, seen))
        assert editor.editor.text.strip() == REPLY.strip()
    [view] = [handoffs.latest_handoff(seeded, finished)]
    assert view is not None and (view.provider, view.model) == ("openai", "tiny")


async def test_escape_stops_the_llm_and_a_failure_falls_back(
    app: OrchestratorApp, seeded: Database, server: LLMServer, finished: int
) -> None:
    use_server(server)
    server.script(
        Reply(events=stream(*PIECES), event_delay=0.3),
        Reply(status=503, headers={"Retry-After": "0"}, body=error_body("busy")),
        Reply(status=503, headers={"Retry-After": "0"}, body=error_body("busy")),
        Reply(status=503, headers={"Retry-After": "0"}, body=error_body("busy")),
        Reply(status=503, headers={"Retry-After": "0"}, body=error_body("busy")),
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t")
        await pilot.press("h")
        editor = app.screen
        assert isinstance(editor, HandoffEditorScreen)
        await wait_for(pilot, lambda: bool(editor.editor.text))  # the first pieces are in
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HandoffEditorScreen)  # stopped, not closed
        assert handoffs.versions(seeded, finished) == []  # nothing stored
        assert any("Stopped" in n.message for n in app._notifications)

        await pilot.press("ctrl+r")  # the server is busy every time: rules write it
        await wait_for(pilot, lambda: editor.handoff is not None, seconds=20)
        assert "## Next steps" in editor.editor.text
        assert any("rules engine wrote it" in n.message for n in app._notifications)
    view = handoffs.latest_handoff(seeded, finished)
    assert view is not None and view.provider == "rules"
