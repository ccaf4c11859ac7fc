"""The other screens through their keys: account pool, detail, paging, help, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from textual.widgets import DataTable, Digits, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import WorkSession
from orchestrator_tui.services import accounts, dashboard, projects, sessions
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.accounts import AccountsScreen
from orchestrator_tui.tui.screens.forms import AccountForm, ConfirmModal, SaveFileForm
from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen
from orchestrator_tui.tui.screens.help import HelpScreen, MessageScreen
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.timeline import PAGE, TimelineScreen

from .conftest import SIZE, press, settle, type_text


async def test_account_pool_add_edit_delete(app: OrchestratorApp, seeded: Database) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 100, "Done")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, AccountForm)
        await type_text(pilot, "gpt-team")
        await pilot.press("tab", "tab")  # past the platform select
        await type_text(pilot, "-5")
        await pilot.press("enter")
        await settle(pilot)
        assert "negative" in str(app.screen.query_one("#error-credit_limit", Static).render())
        await pilot.press("backspace", "backspace")
        await type_text(pilot, "1000")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        assert app.screen.query_one(DataTable).row_count == 2

        # edit: the table is sorted by name, claude-pro first
        await pilot.press("home", "e")
        await settle(pilot)
        assert isinstance(app.screen, AccountForm)
        await pilot.press("tab", "tab", "tab")  # to "credits remaining"
        await pilot.press(*["backspace"] * 5)
        await type_text(pilot, "250")
        await pilot.press("enter")
        await settle(pilot)
        assert accounts.get_account(seeded, "claude-pro").credits_remaining == 250

        # delete, confirmed
        await pilot.press("home", "delete")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.query_one(DataTable).row_count == 1

    assert [a.name for a in accounts.list_accounts(seeded).items] == ["gpt-team"]
    assert accounts.get_account(seeded, "gpt-team").credit_limit == 1000
    kept = sessions.get_session(seeded, started.session.id)
    assert (kept.account_id, kept.account_name) == (None, "claude-pro")


async def test_session_detail_shows_fields_and_pages_turns(
    app: OrchestratorApp, seeded: Database
) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro", "Ship the cart")
    session_id = started.session.id
    sessions.add_turns(seeded, session_id, [("user", f"turn {i}") for i in range(60)])
    sessions.complete_session(seeded, session_id, 40, "Cart shipped", "Tax rules unclear")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionDetailScreen)
        fields = str(screen.query_one("#detail-fields", Static).render())
        assert "Cart shipped" in fields and "Tax rules unclear" in fields
        title = screen.query_one("#detail-turns-title", Static)
        assert "turns 1-25 of 60" in str(title.render())
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "turns 26-50 of 60" in str(title.render())
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert "turns 51-60 of 60" in str(title.render())
        shown = [str(w.render()) for w in screen.query(".turn-text").results(Static)]
        assert shown == [f"turn {i}" for i in range(50, 60)]


async def test_timeline_loads_pages_as_the_cursor_moves(
    app: OrchestratorApp, seeded: Database
) -> None:
    [project] = projects.list_projects(seeded).items
    with seeded.unit() as unit:
        for number in range(1, 251):
            unit.add(WorkSession(project_id=project.id, number=number, status="completed"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == PAGE
        assert str(table.get_row_at(0)[0]) == "#250"
        await pilot.press("ctrl+end")  # DataTable: last row
        await settle(pilot)
        assert table.row_count == 2 * PAGE
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == 250
        assert str(table.get_row_at(249)[0]) == "#1"


async def test_help_lists_every_screen_and_the_palette_offers_actions(
    app: OrchestratorApp, seeded: Database
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        commands = [command.title for command in app.get_system_commands(app.screen)]
        for wanted in ("Detail", "New", "Complete", "Copy", "Handoff", "Go to accounts"):
            assert wanted in commands
        assert "Cursor down" not in commands  # the table's own keys stay out of the palette
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(DataTable)
        sections = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"Everywhere", "Session timeline", "Handoff editor", "Account pool"} <= sections
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)


async def test_dashboard_totals_match_the_rows(app: OrchestratorApp, seeded: Database) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 75, "Done")
    sessions.start_session(seeded, "Webshop", "claude-pro")
    totals = dashboard.totals(seeded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        shown = {
            key: app.screen.query_one(f"#card-{key}", Digits).value
            for key in ("projects", "sessions", "in_progress", "credits_used")
        }
    assert shown == {"projects": "1", "sessions": "2", "in_progress": "1", "credits_used": "75"}
    assert (totals.sessions, totals.credits_used, totals.in_progress) == (2, 75, 1)


async def test_save_handoff_to_a_file(
    app: OrchestratorApp, seeded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the dialog suggests the home folder
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 10, "Wrote the README")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "h")
        assert isinstance(app.screen, HandoffEditorScreen)
        content = app.screen.editor.text
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, SaveFileForm)
        await pilot.press("enter")
        await settle(pilot)
    written = tmp_path / "handoff-webshop-session-1.md"
    assert written.read_text() == content
    assert "- Wrote the README" in content


async def test_save_to_a_missing_directory_is_refused_in_the_form(
    app: OrchestratorApp, seeded: Database, completed: int, tmp_path: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "h")
        await pilot.press("f3")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SaveFileForm)
        form.query_one("#field-path").value = str(tmp_path / "no" / "such" / "dir" / "h.md")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form
        assert "Cannot write" in str(form.query_one("#form-error", Static).render())


async def test_database_newer_than_the_code_is_refused(app: OrchestratorApp, db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "newer version" in app.screen.message


async def test_save_asks_before_replacing_a_file(
    app: OrchestratorApp, seeded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    existing = tmp_path / "handoff-webshop-session-1.md"
    existing.write_text("keep me")
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 10, "Done")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "h")
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SaveFileForm)
        assert "press Enter again" in str(form.query_one("#error-path", Static).render())
        assert existing.read_text() == "keep me"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffEditorScreen)
    assert existing.read_text().startswith("# Handoff: Webshop")


async def test_an_unusable_database_keeps_its_message_on_screen(
    app: OrchestratorApp, tmp_path: Path
) -> None:
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("these are my notes, not a database\n" * 100)
    app.database_url = f"sqlite:///{not_a_database}"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "file is not a database" in app.screen.message
        assert "sqlalche.me" not in app.screen.message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)  # nothing behind it works
    assert not_a_database.read_text().startswith("these are my notes")


async def test_demo_data_is_loaded_beside_real_projects_only_when_confirmed(
    app: OrchestratorApp, seeded: Database
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert projects.list_projects(seeded).total == 1
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot, rounds=8)
    assert projects.list_projects(seeded).total == 5
