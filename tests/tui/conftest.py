"""Helpers for driving the real app with Pilot on a temporary database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import accounts, projects
from orchestrator_tui.services.accounts import AccountFields
from orchestrator_tui.tui.app import OrchestratorApp

SIZE = (130, 40)


async def settle(pilot: Pilot[None], rounds: int = 4) -> None:
    """Wait until the workers are done and what they handed back has been drawn."""
    for _ in range(rounds):
        await pilot.pause()
        # A DirectoryTree keeps a loader worker alive for as long as it is mounted.
        # (An empty list would mean "all of them" to wait_for_complete.)
        finite = [worker for worker in pilot.app.workers if worker.group != "_loader"]
        if finite:
            await pilot.app.workers.wait_for_complete(finite)
    await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> None:
    """Press keys one at a time, letting the workers finish after each (as a user waits)."""
    for key in keys:
        await pilot.press(key)
        await settle(pilot, rounds=6)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


def freeze_cursors(app: OrchestratorApp) -> None:
    """Snapshots must not depend on when the cursor blinked."""
    for widget in app.screen.query("Input, TextArea").results():
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False  # a focused widget now always draws its cursor
            if isinstance(widget, TextArea):
                # Textual 8.2.8 keys its line cache the same way for "blink off" and "cursor
                # in the dark phase of a blink", so a line cached in that phase would be
                # reused without its cursor: drop the cache.
                widget._line_cache.clear()
            widget.refresh()


@pytest.fixture
def seeded(db: Database) -> Iterator[Database]:
    """A project and an account with 500 credits."""
    projects.create_project(db, "Webshop", "The online shop")
    accounts.create_account(
        db, AccountFields(name="claude-pro", platform="claude", credit_limit=500)
    )
    yield db


@pytest.fixture
def completed(seeded: Database) -> int:
    """The id of Webshop's session #1, completed on claude-pro with 10 credits, no handoff."""
    from orchestrator_tui.services import sessions

    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 10, "Done")
    return started.session.id


@pytest.fixture
def app(db_url: str) -> OrchestratorApp:
    """The real app on the test database (opened by the app itself, like a user's)."""
    return OrchestratorApp(db_url)
