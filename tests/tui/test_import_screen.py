"""Importing transcripts from the TUI: pick, preview, import, and what the database holds."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import projects, sessions
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.import_screen import ImportScreen, complete_path
from orchestrator_tui.tui.screens.timeline import TimelineScreen

from .conftest import SIZE, press, settle

CHAT = """User: Please add a login page to src/login.py
Assistant: Done, the form is in src/login.py.
User: Now write tests for it
Assistant: Added tests/test_login.py.
"""


def preview_text(app: OrchestratorApp) -> str:
    return str(app.screen.query_one("#import-preview", Static).render())


def replace_value(field: Input, value: str) -> None:
    field.value = value
    field.cursor_position = len(value)


async def test_import_a_transcript_into_the_open_project(
    app: OrchestratorApp, seeded: Database, tmp_path: Path
) -> None:
    source = tmp_path / "chat.txt"
    source.write_text(CHAT, encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # the Webshop timeline
        assert isinstance(app.screen, TimelineScreen)
        await press(pilot, "i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        assert screen.query_one("#import-project", Input).value == "Webshop"
        path = screen.query_one("#import-path", Input)
        path.focus()
        replace_value(path, str(source))
        await press(pilot, "enter")  # preview now
        shown = preview_text(app)
        assert "1 file(s)" in shown and "1 text" in shown
        assert "user: Please add a login page to src/login.py" in shown
        assert sessions.timeline(seeded, "Webshop").total == 0  # a preview writes nothing

        await press(pilot, "ctrl+s")
        assert "1 new session(s)" in preview_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)
        await settle(pilot)
        assert app.screen.rows  # the timeline shows the imported session
    [row] = sessions.timeline(seeded, "Webshop").items
    assert (row.status, row.turn_count, row.number) == ("imported", 4, 1)
    assert row.title.startswith("Please add a login page")


async def test_a_bad_path_is_explained_and_nothing_is_written(
    app: OrchestratorApp, seeded: Database, tmp_path: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        path = screen.query_one("#import-path", Input)
        replace_value(path, str(tmp_path / "nowhere.jsonl"))
        await press(pilot, "enter")
        assert "does not exist" in preview_text(app)
        await press(pilot, "ctrl+s")
        assert "does not exist" in preview_text(app)
        assert isinstance(app.screen, ImportScreen)  # still here, to fix the path
    assert [p.name for p in projects.list_projects(seeded).items] == ["Webshop"]


def test_path_completion_from_disk(tmp_path: Path) -> None:
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcript.txt").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    # Both "transcript.txt" and "transcripts/" start so: the first in order is offered.
    assert complete_path(str(tmp_path / "transcr")) == str(tmp_path / "transcript.txt")
    assert complete_path(str(tmp_path / "transcripts")) == str(tmp_path / "transcripts") + "/"
    assert complete_path(str(tmp_path) + "/.hid") == str(tmp_path / ".hidden") + "/"
    assert complete_path(str(tmp_path / "zzz")) is None
    assert complete_path("") is None
