"""The troubleshooting screen with Pilot: f6 opens it, a paste is analysed with ctrl+s, the
past mentions are listed and open their session, the LLM's answer streams in from a
loopback server, Escape stops it, a failing LLM leaves the offline answer, and the paste is
never lost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Markdown, OptionList, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.settings import HandoffSettings, save_settings
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.troubleshoot import TroubleshootScreen
from tests.llm_server import LLMServer, Reply, error_body, stream
from tests.test_troubleshoot import PY_TRACE, _session, _text

from .conftest import SIZE, press, settle

ANSWER = (
    "## Root cause\nrequests is not installed in the venv.\n\n"
    "## Fix steps\n1. `python -m pip install requests`\n\n"
    "## Prevention\nDeclare it in pyproject.toml.\n"
)
PIECES = [ANSWER[i : i + 10] for i in range(0, len(ANSWER), 10)]


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


@pytest.fixture
def fixed(db: Database) -> int:
    """A session where pytest failed on a missing module, then passed after an install."""
    return _session(
        db,
        "Shop",
        1,
        "Checkout flow",
        [
            *[_text("user", f"step {index}") for index in range(30)],
            ("assistant", "Bash: pytest", "tool_call", "Bash", False),
            ("tool", PY_TRACE, "tool_result", "Bash", True),
            _text("assistant", "requests is missing from the venv; installing it."),
            ("assistant", "Bash: python -m pip install requests", "tool_call", "Bash", False),
            ("tool", "Successfully installed requests-2.32.3", "tool_result", "Bash", False),
            ("assistant", "Bash: pytest", "tool_call", "Bash", False),
            ("tool", "3 passed in 0.41s", "tool_result", "Bash", False),
        ],
    )


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def open_and_paste(pilot: Pilot[None], text: str) -> TroubleshootScreen:
    await settle(pilot)
    await press(pilot, "f6")
    screen = pilot.app.screen
    assert isinstance(screen, TroubleshootScreen)
    pilot.app.post_message(events.Paste(text))  # as the terminal sends a paste
    await pilot.pause()
    return screen


def answer_of(screen: TroubleshootScreen) -> str:
    return screen.query_one("#ts-answer", Markdown).source


def title_of(screen: TroubleshootScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_paste_analyse_stream_and_open_a_match(
    app: OrchestratorApp, fixed: int, server: LLMServer
) -> None:
    save_settings(HandoffSettings(provider="openai", model="tiny", base_url=server.base_url))
    server.script(Reply(events=stream(*PIECES), event_delay=0.05))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_and_paste(pilot, PY_TRACE)
        assert screen.paste_box.text == PY_TRACE
        await pilot.press("ctrl+s")
        matches = screen.query_one("#ts-matches", OptionList)
        await wait_for(pilot, lambda: matches.option_count == 1)
        assert "1 match" in title_of(screen, "#ts-matches-title")
        assert "Shop #1" in str(matches.get_option_at_index(0).prompt)
        seen: set[str] = set()
        await wait_for(
            pilot,
            lambda: (
                bool(seen.add(answer_of(screen)))
                or (screen.answer is not None and screen.answer.provider == "openai")
            ),
        )
        partial = [text for text in seen if text.startswith("## Root") and text != ANSWER]
        assert partial, "the answer streamed in pieces"
        assert answer_of(screen).startswith("## Root cause\n\nrequests is not installed")
        assert "openai tiny" in title_of(screen, "#ts-answer-title")
        assert "Checkout flow" in server.requests[0].body["messages"][1]["content"]

        await press(pilot, "ctrl+l", "enter")  # the match opens its session, at the turn
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        assert (detail.session_id, detail.turn_offset) == (fixed, 25)
        assert "turns 26-" in title_of(detail, "#detail-turns-title")
        await press(pilot, "escape")
        assert app.screen is screen and screen.paste_box.text == PY_TRACE


async def test_offline_without_an_llm_and_copy(app: OrchestratorApp, fixed: int) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_and_paste(pilot, PY_TRACE)
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: screen.answer is not None)
        text = answer_of(screen)
        assert text.startswith("## Error") and "later `pytest` succeeded" in text
        assert "python -m pip install requests" in text  # the rule of thumb
        assert "offline (rules)" in title_of(screen, "#ts-answer-title")
        await press(pilot, "f2")
        assert app.last_copy is not None and app.last_copy.chars == len(text)
        await press(pilot, "escape")  # nothing runs: back to where it was opened from
        assert not isinstance(app.screen, TroubleshootScreen)


async def test_escape_stops_the_llm_and_the_offline_answer_stands(
    app: OrchestratorApp, fixed: int, server: LLMServer
) -> None:
    save_settings(HandoffSettings(provider="openai", model="tiny", base_url=server.base_url))
    server.script(Reply(events=stream(*PIECES * 20), event_delay=0.1))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_and_paste(pilot, PY_TRACE)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: answer_of(screen).startswith("## Root"))
        assert screen.busy
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.busy)
        await settle(pilot)
        assert screen.answer is not None and screen.answer.provider == "rules"
        assert answer_of(screen).startswith("## Error")
        assert "the LLM did not answer" in title_of(screen, "#ts-answer-title")
        assert isinstance(app.screen, TroubleshootScreen)  # Escape stopped, did not leave
        assert screen.paste_box.text == PY_TRACE


async def test_a_failing_llm_is_reported_and_an_empty_paste_refused(
    app: OrchestratorApp, fixed: int, server: LLMServer
) -> None:
    save_settings(HandoffSettings(provider="openai", model="tiny", base_url=server.base_url))
    server.script(Reply(status=401, body=error_body("bad key")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_and_paste(pilot, "   ")
        await press(pilot, "ctrl+s")
        assert screen.analysis is None
        assert any("Paste an error" in note.message for note in app._notifications)
        screen.paste_box.load_text("zsh: command not found: pnpm")
        await press(pilot, "ctrl+s")
        await wait_for(pilot, lambda: screen.answer is not None)
        assert screen.answer is not None and screen.answer.fallback_reason is not None
        assert "401" in screen.answer.fallback_reason
        assert "no past mention" in title_of(screen, "#ts-matches-title")
        assert "command -v pnpm" in answer_of(screen)
        assert any("401" in note.message for note in app._notifications)
