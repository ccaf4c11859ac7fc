"""The account pool's planning through the keys: batch paste, rotate (from the pool and from
an in-progress session), the queued briefing a new session loads, the recommended account
preselected, credit resets at start-up and while running; checked against the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual import events
from textual.widgets import DataTable, Select, Static, TextArea

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import accounts, handoffs, projects, rotation, sessions
from orchestrator_tui.services.accounts import AccountChanges, AccountFields
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.accounts import AccountsScreen
from orchestrator_tui.tui.screens.forms import NewSessionForm
from orchestrator_tui.tui.screens.pool import BatchAccountsForm, BriefingScreen, RotateForm
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.timeline import TimelineScreen

from .conftest import SIZE, press, settle

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def add(db: Database, name: str, credits: int, skills: str = "") -> None:
    fields = AccountFields(
        name=name, platform="claude", credit_limit=credits, specialization=skills
    )
    accounts.create_account(db, fields, now=NOW)


def form_error(app: OrchestratorApp) -> str:
    return str(app.screen.query_one("#form-error", Static).render())


async def test_batch_paste_adds_all_or_nothing(db_url: str, seeded: Database) -> None:
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "a", "b")
        form = app.screen
        assert isinstance(form, BatchAccountsForm)
        area = form.query_one("#field-batch", TextArea)
        assert area.has_focus  # a paste from the terminal reaches the app, which forwards it
        app.post_message(
            events.Paste("name,platform,credits\nteam-1,claude,1000\nCLAUDE-PRO,claude,5\n")
        )
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, BatchAccountsForm)  # refused: the form stays open
        assert form_error(app) == "line 3: an account named 'claude-pro' already exists"
        assert [a.name for a in accounts.list_accounts(seeded).items] == ["claude-pro"]

        area.text = ""
        area.focus()
        app.post_message(events.Paste('team-1,claude,1000\ngem,gemini,2,500,"research, docs"\n'))
        await settle(pilot)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, AccountsScreen)
        assert app.screen.query_one(DataTable).row_count == 3
    pool = {a.name: a for a in accounts.list_accounts(seeded).items}
    assert sorted(pool) == ["claude-pro", "gem", "team-1"]
    assert (pool["gem"].credit_limit, pool["gem"].specialization) == (2500, "research, docs")


async def test_rotate_from_the_pool_asks_for_the_project_and_queues_the_briefing(
    db_url: str, seeded: Database, completed: int
) -> None:
    """claude-pro ran out on Webshop: the pool's rotate key, the project picked in the form
    (none is open), the briefing shown; the next session loads it with the handoff."""
    handoffs.generate_handoff(seeded, completed)
    add(seeded, "gpt-team", 900, "shop")
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "a")  # claude-pro is the first row
        await press(pilot, "o")
        form = app.screen
        assert isinstance(form, RotateForm)
        await press(pilot, "ctrl+s")
        assert "pick the project" in str(form.query_one("#error-project", Static).render())
        await press(pilot, "enter", "down", "enter")  # open the list, take Webshop
        assert form.query_one("#field-project", Select).value is not Select.NULL
        await press(pilot, "ctrl+s")
        screen = app.screen
        assert isinstance(screen, BriefingScreen)
        assert "claude-pro → gpt-team" in str(screen.query_one("#briefing-title").render())
        assert "continue on **gpt-team**" in screen.content

        await press(pilot, "escape")
        assert isinstance(app.screen, AccountsScreen)
        status = str(app.screen.query_one(DataTable).get_row_at(0)[3])
        assert status == "exhausted"
        assert "1 briefing(s) waiting" in str(app.screen.query_one("#accounts-queue").render())
    [queued] = rotation.queue(seeded, "Webshop")
    assert (queued.from_account, queued.to_account) == ("claude-pro", "gpt-team")
    assert accounts.get_account(seeded, "claude-pro").status == "exhausted"

    # The next session, started from the timeline, loads the briefing and the handoff.
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "n")
        form = app.screen
        assert isinstance(form, NewSessionForm)
        assert form.query_one("#field-account", Select).value == "gpt-team"
        reasons = str(form.query_one("#account-reasons", Static).render())
        assert "the last rotation queued its briefing for this account" in reasons
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, BriefingScreen)
        assert "started with the rotation briefing and the previous handoff" in str(
            screen.query_one("#briefing-title").render()
        )
        assert screen.content.startswith("# Rotation briefing: Webshop")
        assert "# Handoff: Webshop · session #1" in screen.content
    newest = sessions.timeline(seeded, "Webshop").items[0]
    assert (newest.number, newest.account_name) == (2, "gpt-team")
    [consumed] = rotation.queue(seeded, "Webshop", status=None)
    assert (consumed.status, consumed.consumed_by_session_id) == ("consumed", newest.id)


async def test_rotate_on_an_in_progress_session(db_url: str, seeded: Database) -> None:
    add(seeded, "spare", 400)
    started = sessions.start_session(seeded, "Webshop", "claude-pro", "Build the cart")
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "enter")
        assert isinstance(app.screen, SessionDetailScreen)
        await press(pilot, "o")
        form = app.screen
        assert isinstance(form, RotateForm)
        assert form.query_one("#field-project", Select).value == started.session.project_id
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, BriefingScreen)
        assert "Session #1 on claude-pro is in progress" in app.screen.content
        assert "its objectives: Build the cart" in app.screen.content
    assert accounts.get_account(seeded, "claude-pro").status == "exhausted"
    [queued] = rotation.queue(seeded, "Webshop")
    assert queued.to_account == "spare"
    # The open session still completes, charged to the account it ran on.
    sessions.complete_session(seeded, started.session.id, 100, "Cart half done")
    assert accounts.get_account(seeded, "claude-pro").credits_remaining == 400


async def test_rotate_with_no_candidate_says_when_and_changes_nothing(
    db_url: str, seeded: Database
) -> None:
    sessions.start_session(seeded, "Webshop", "claude-pro")
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "o")
        assert isinstance(app.screen, RotateForm)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RotateForm)  # stays open, saying why
        assert "No account can take over from claude-pro" in form_error(app)
        assert "No account has a reset scheduled" in form_error(app)
    assert accounts.get_account(seeded, "claude-pro").status == "active"
    assert rotation.queue(seeded, status=None) == []


async def test_the_start_form_preselects_the_recommended_account(
    db_url: str, seeded: Database
) -> None:
    """Not the account with the most credits: the one whose specialization matches."""
    projects.update_project(seeded, "Webshop", "Webshop", "Online shop: Django and Postgres")
    add(seeded, "django-seat", 300, "Django, Python")
    add(seeded, "big", 5000)
    add(seeded, "tiny", 40, "django")  # below the minimum: offered, not recommended
    app = OrchestratorApp(db_url, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "n")
        form = app.screen
        assert isinstance(form, NewSessionForm)
        select = form.query_one("#field-account", Select)
        assert select.value == "django-seat"
        reasons = str(form.query_one("#account-reasons", Static).render())
        assert "• ranked first: a closer specialization match than big" in reasons
        assert "• specialization matches: Django" in reasons
        select.value = "tiny"
        await settle(pilot)
        reasons = str(form.query_one("#account-reasons", Static).render())
        assert "not recommended: only 40 credits left (the minimum is 50)" in reasons
        select.value = "django-seat"
        await settle(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, TimelineScreen)  # no earlier handoff: a notification
    [started] = sessions.timeline(seeded, "Webshop").items
    assert started.account_name == "django-seat"
    assert accounts.get_account(seeded, "django-seat").status == "active"


async def test_resets_apply_at_start_up_and_while_running(db_url: str, seeded: Database) -> None:
    accounts.edit_account(
        seeded,
        "claude-pro",
        AccountChanges(
            credits_remaining="0", reset_cadence="daily", next_reset_at="2026-11-20 18:00"
        ),
        now=NOW,
    )
    clock = [NOW + timedelta(hours=7)]  # the reset at 18:00 passed while the app was closed
    app = OrchestratorApp(db_url, clock=lambda: clock[0])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        restored = accounts.get_account(seeded, "claude-pro")
        assert (restored.credits_remaining, restored.status) == (500, "available")
        assert restored.next_reset_at == datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
        assert any("Credits reset: claude-pro" in n.message for n in app._notifications)

        # Spent while the app runs, then the next reset passes: the timer applies it and the
        # pool on screen shows it.
        accounts.edit_account(seeded, "claude-pro", AccountChanges(credits_remaining="0"))
        await press(pilot, "a")
        table = app.screen.query_one(DataTable)
        assert str(table.get_row_at(0)[3]) == "exhausted"
        clock[0] = datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
        app._check_resets()
        await settle(pilot)
        assert str(table.get_row_at(0)[3]) == "available"
        assert "500/500" in str(table.get_row_at(0)[2])
        assert "daily 11-22 18:00" in str(table.get_row_at(0)[5])
    assert accounts.get_account(seeded, "claude-pro").credits_remaining == 500
