"""The analytics mode through its keys: scope picker, window, charts and tables, empty state."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Sparkline, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Project
from orchestrator_tui.services import projects, sessions
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.analytics import AnalyticsScreen, ScopePicker
from orchestrator_tui.tui.widgets.plain_table import PlainTable

from .conftest import SIZE, press, settle, type_text


def _complete(db: Database, project: str, credits: int, accomplishments: str) -> None:
    started = sessions.start_session(db, project, "claude-pro")
    sessions.complete_session(db, started.session.id, credits, accomplishments)


def _text(screen: AnalyticsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_scope_and_window(app: OrchestratorApp, seeded: Database) -> None:
    projects.create_project(seeded, "Docs")
    _complete(seeded, "Webshop", 90, "Cart\nCheckout")
    _complete(seeded, "Webshop", 80, "Tests")
    _complete(seeded, "Docs", 200, "Guide")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        stats = screen.stats
        assert stats is not None and stats.days == 30 and stats.scope.project_id is None
        assert (stats.sessions, stats.completed, stats.total_credits) == (3, 3, 370)
        assert "3 started · 3 completed" in _text(screen, "#figures")
        assert "All projects and accounts · last 30 days" in _text(screen, "#analytics-summary")
        assert screen.query_one("#credits-table", PlainTable).row_count == 30
        assert len(screen.query_one("#credits-chart", Sparkline).data or []) == 30
        assert "Needs improvement" in _text(screen, "#rating-label")  # average 123.3
        assert screen.query_one("#model-panel").border_title == "Model (not measured)"

        await press(pilot, "w")
        assert screen.stats is not None and screen.stats.days == 90
        assert screen.stats.bucket == "week"
        assert screen.query_one("#credits-table", PlainTable).row_count == 13
        assert "per week" in _text(screen, "#credits-title")
        await press(pilot, "W", "W")
        assert screen.stats is not None and screen.stats.days == 7
        await press(pilot, "W")
        assert screen.stats is not None and screen.stats.days == 365

        await press(pilot, "c")
        assert isinstance(app.screen, ScopePicker)
        await type_text(pilot, "webs")
        await settle(pilot)
        await press(pilot, "enter")
        assert app.screen is screen
        assert screen.stats is not None and screen.stats.scope.project_name == "Webshop"
        assert (screen.stats.completed, screen.stats.total_credits) == (2, 170)
        assert screen.stats.rating.band == "optimal"  # an average of exactly 85.0
        assert "Project Webshop · last 365 days" in _text(screen, "#analytics-summary")

        await press(pilot, "c", "down", "down", "enter")  # Docs, then Webshop: sorted by name
        assert screen.stats is not None and screen.stats.scope.project_name == "Webshop"
        await press(pilot, "c")
        await type_text(pilot, "claude")
        await settle(pilot)
        await press(pilot, "enter")
        assert screen.stats is not None and screen.stats.scope.account_name == "claude-pro"
        assert screen.stats.total_credits == 370
        assert screen.stats.forecast.pool_credits == 500 - 370

        await press(pilot, "c", "escape")  # keeps the scope
        assert screen.stats is not None and screen.stats.scope.account_name == "claude-pro"


async def test_empty_state(app: OrchestratorApp, seeded: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        assert screen.query_one("#analytics-body").has_class("hidden")
        notice = screen.query_one("#analytics-empty", Static)
        assert not notice.has_class("hidden")
        assert "No session started in the last 30 days" in str(notice.render())

        # a session appears once it starts, and the screen shows it when it comes back
        started = sessions.start_session(seeded, "Webshop", "claude-pro")
        sessions.complete_session(seeded, started.session.id, 88, "Done")
        await press(pilot, "p", "s")
        assert not screen.query_one("#analytics-body").has_class("hidden")
        assert screen.stats is not None and screen.stats.rating.band == "optimal"


async def test_a_deleted_scope_falls_back_to_everything(
    app: OrchestratorApp, seeded: Database
) -> None:
    _complete(seeded, "Webshop", 50, "Done")
    projects.create_project(seeded, "Gone soon")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "s", "c")
        await type_text(pilot, "gone")
        await settle(pilot)
        with seeded.unit() as session:
            gone = session.exec(select(Project).where(Project.name == "Gone soon")).one()
            session.delete(gone)
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, AnalyticsScreen)
        assert screen.stats is not None and screen.stats.scope.project_id is None
        assert screen.stats.total_credits == 50
