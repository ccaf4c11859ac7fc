"""The core loop driven through the keys, checked against what the database holds."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import DataTable, Static, TextArea

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import accounts, handoffs, projects, sessions
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.forms import (
    CompleteSessionForm,
    ConfirmModal,
    NewSessionForm,
    ProjectForm,
)
from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen, HandoffViewScreen
from orchestrator_tui.tui.screens.projects import ProjectsScreen
from orchestrator_tui.tui.screens.timeline import TimelineScreen

from .conftest import SIZE, press, settle, type_text


def field_error(app: OrchestratorApp, name: str) -> str:
    return str(app.screen.query_one(f"#error-{name}", Static).render())


async def test_empty_database_welcomes_and_creates_a_project(
    app: OrchestratorApp, db: Database
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProjectsScreen)
        assert not screen.query_one("#welcome").has_class("hidden")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ProjectForm)
        await pilot.press("enter")  # empty name: refused in the form
        await settle(pilot)
        assert "required" in field_error(app, "name")
        assert projects.list_projects(db).total == 0
        await type_text(pilot, "Webshop")
        await pilot.press("tab")
        await type_text(pilot, "The online shop")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ProjectsScreen)
        assert not app.screen.query("#welcome")  # gone once there is a project
        assert app.screen.query_one(DataTable).row_count == 1
    [project] = projects.list_projects(db).items
    assert (project.name, project.description) == ("Webshop", "The online shop")


async def test_load_demo_from_the_welcome_screen(app: OrchestratorApp, db: Database) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot, rounds=8)
        table = app.screen.query_one(DataTable)
        assert table.row_count == projects.list_projects(db).total >= 3


async def test_whole_session_loop_from_the_keyboard(
    app: OrchestratorApp, seeded: Database, isolated_environment: Path
) -> None:
    db = seeded
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")  # the most recently active project opens
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        assert app.screen.project is not None and app.screen.project.name == "Webshop"

        # 1. start a session: objectives typed, the best account preselected
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewSessionForm)
        await type_text(pilot, "Build the checkout; add payment tests")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        [first] = sessions.timeline(db, "Webshop").items
        assert (first.number, first.status, first.account_name) == (1, "in_progress", "claude-pro")

        # 2. complete it: bad input is refused in the form and nothing is written
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompleteSessionForm)
        await type_text(pilot, "abc")
        await pilot.press("enter")
        await settle(pilot)
        assert "not a number" in field_error(app, "credits")
        assert "required" in field_error(app, "accomplishments")
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "900")
        await pilot.press("tab")
        await type_text(pilot, "Built checkout; wrote 5 payment tests")
        await pilot.press("enter")
        await settle(pilot)
        assert "more than the account has left (500)" in field_error(app, "credits")
        assert sessions.get_session(db, first.id).status == "in_progress"

        # Escape keeps the draft for the next try
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CompleteSessionForm)
        assert form.value("accomplishments") == "Built checkout; wrote 5 payment tests"
        assert form.value("credits") == "900"
        await pilot.press("backspace", "backspace", "backspace")
        await type_text(pilot, "120")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Stripe webhook flaky")
        await pilot.press("tab")
        await type_text(pilot, "Add retries to the webhook handler")
        await pilot.press("enter")
        await settle(pilot, rounds=6)

        # 3. the handoff was written in a worker and pushed into the editor
        editor = app.screen
        assert isinstance(editor, HandoffEditorScreen)
        text = editor.query_one(TextArea).text
        assert "## Open blockers\n- Stripe webhook flaky" in text
        assert "- Add retries to the webhook handler" in text
        assert editor.query_one("#handoff-progress").has_class("hidden")

        # 4. edit and save: a new version; earlier versions stay
        editor.query_one(TextArea).focus()
        await pilot.press("ctrl+home")
        await type_text(pilot, "Remember the staging keys. ")
        await pilot.press("ctrl+s")
        await settle(pilot)
        edited_text = editor.query_one(TextArea).text

        # 5. copy it with one key
        await pilot.press("f2")
        await settle(pilot)
        assert app.clipboard == edited_text
        assert app.last_copy is not None and app.last_copy.file is not None
        assert app.last_copy.file.read_text() == edited_text
        assert app.last_copy.file.is_relative_to(isolated_environment)

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)

        # 6. the next session loads the edited handoff, shown at once; y copies it
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoffViewScreen)
        assert app.screen.handoff.content == edited_text
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == edited_text

    done = sessions.get_session(db, first.id)
    assert (done.status, done.credits_used) == ("completed", 120)
    assert accounts.get_account(db, "claude-pro").credits_remaining == 380
    versions = handoffs.versions(db, first.id)
    assert [(v.version, v.provider) for v in versions] == [(2, "edited"), (1, "rules")]
    assert done.produced_handoff is not None and done.produced_handoff.content == edited_text
    second = sessions.timeline(db, "Webshop").items[0]
    assert second.number == 2
    loaded = sessions.get_session(db, second.id).loaded_handoff
    assert loaded is not None and (loaded.id, loaded.version) == (versions[0].id, 2)


async def test_a_session_cannot_be_completed_twice_from_the_timeline(
    app: OrchestratorApp, seeded: Database
) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 50, "Done")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, TimelineScreen)  # no form opened
        assert any("only an open session" in n.message for n in app._notifications)
    assert accounts.get_account(seeded, "claude-pro").credits_remaining == 450


async def test_regenerate_and_versions_from_the_editor(
    app: OrchestratorApp, seeded: Database
) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, started.session.id, 50, "Shipped v1")
    handoffs.generate_handoff(seeded, started.session.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HandoffEditorScreen)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down", "enter")  # the older version into the editor
        await settle(pilot)
        assert isinstance(app.screen, HandoffEditorScreen)
        assert app.screen.dirty is False  # v1 and v2 have the same text
    assert [v.version for v in handoffs.versions(seeded, started.session.id)] == [2, 1]


async def test_pasting_into_the_completion_form(app: OrchestratorApp, seeded: Database) -> None:
    """A multi-line paste keeps every line; a 50 MB paste is refused and loses nothing."""
    started = sessions.start_session(seeded, "Webshop", "claude-pro")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CompleteSessionForm)
        await type_text(pilot, "30")
        await pilot.press("tab")
        field = form.query_one("#field-accomplishments")
        field.post_message(events.Paste("- Built the cart\n\n- Wrote 5 tests\n"))
        await settle(pilot)
        assert form.value("accomplishments") == "- Built the cart; - Wrote 5 tests"
        field.post_message(events.Paste("x" * 50_000_000))
        await settle(pilot)
        assert form.value("accomplishments") == "- Built the cart; - Wrote 5 tests"
        assert any("Nothing was pasted" in n.message for n in app._notifications)
        await pilot.press("enter")
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, HandoffEditorScreen)
    done = sessions.get_session(seeded, started.session.id)
    assert done.accomplishments == "- Built the cart; - Wrote 5 tests"
    assert done.produced_handoff is not None
    assert "- Built the cart\n- Wrote 5 tests" in done.produced_handoff.content


async def test_unsaved_edits_are_not_lost_without_a_question(
    app: OrchestratorApp, seeded: Database, completed: int
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "h")
        editor = app.screen
        assert isinstance(editor, HandoffEditorScreen)
        editor.editor.focus()
        await type_text(pilot, "MY NOTE ")
        await pilot.press("ctrl+r")  # regenerate: asks, and "no" keeps the text
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert editor.editor.text.startswith("MY NOTE ")
        await pilot.press("ctrl+q")  # quit: asks too
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and app.screen is editor
    assert [v.version for v in handoffs.versions(seeded, completed)] == [1]


async def test_closing_the_editor_while_it_writes_loses_nothing(
    app: OrchestratorApp, seeded: Database, completed: int
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("h", "escape")  # generation starts; the editor closes at once
        await settle(pilot, rounds=6)
        assert isinstance(app.screen, TimelineScreen)
        assert app.screen.rows[completed].has_handoff  # the timeline was refreshed
    assert [v.version for v in handoffs.versions(seeded, completed)] == [1]


async def test_an_open_session_gets_a_checkpoint_handoff_and_stays_open(
    app: OrchestratorApp, seeded: Database
) -> None:
    started = sessions.start_session(seeded, "Webshop", "claude-pro", "Refactor checkout")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "t", "h")
        assert isinstance(app.screen, HandoffEditorScreen)
        assert "Refactor checkout" in app.screen.editor.text
    assert sessions.get_session(seeded, started.session.id).status == "in_progress"


async def test_the_new_session_is_selected_and_escape_waits_for_a_busy_form(
    app: OrchestratorApp, seeded: Database
) -> None:
    first = sessions.start_session(seeded, "Webshop", "claude-pro")
    sessions.complete_session(seeded, first.session.id, 10, "Done")
    handoffs.generate_handoff(seeded, first.session.id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("down")  # the cursor away from the top row
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")  # close the loaded handoff
        await settle(pilot)
        timeline = app.screen
        assert isinstance(timeline, TimelineScreen)
        selected = timeline.selected()
        assert selected is not None and (selected.number, selected.status) == (2, "in_progress")
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CompleteSessionForm)
        form._busy = True  # as while the completion is being written
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form
        assert any("cannot be cancelled now" in n.message for n in app._notifications)
