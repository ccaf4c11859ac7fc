"""Names and texts that look like markup are shown as typed, everywhere, and crash nothing."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import accounts, projects, sessions
from orchestrator_tui.services.accounts import AccountFields
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.forms import CompleteSessionForm
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen

from .conftest import SIZE, settle, type_text

NAME = "notes [/] arr[i] [wip]"
DESCRIPTION = "configs live in [/home/me/.config] [bold]here"
ACCOUNT = "acc1 [/]"


def cells(app: OrchestratorApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]


async def test_markup_like_text_is_shown_as_typed(app: OrchestratorApp, db: Database) -> None:
    projects.create_project(db, NAME, DESCRIPTION)
    accounts.create_account(db, AccountFields(name=ACCOUNT, credit_limit=100, specialization="[/]"))
    started = sessions.start_session(db, NAME, ACCOUNT, objectives="[b]Fix[/b] [/]")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert NAME in cells(app)
        assert any(cell.startswith("configs live in [/home/me/.config]") for cell in cells(app))
        await pilot.press("a")
        await settle(pilot)
        assert ACCOUNT in cells(app) and "[/]" in cells(app)
        await pilot.press("d")
        await settle(pilot)
        assert NAME in cells(app)
        await pilot.press("t")
        await settle(pilot)
        title = str(app.screen.query_one("#timeline-title", Static).render())
        assert title.startswith(NAME)
        assert "[b]Fix[/b] [/]" in cells(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionDetailScreen)
        meta = str(app.screen.query_one("#detail-meta", Static).render())
        assert NAME in meta and ACCOUNT in meta
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompleteSessionForm)
        await type_text(pilot, "[/]")
        await pilot.press("enter")
        await settle(pilot)
        error = str(app.screen.query_one("#error-credits", Static).render())
        assert error == "'[/]' is not a number"
    assert sessions.get_session(db, started.session.id).status == "in_progress"
