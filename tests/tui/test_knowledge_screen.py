"""The knowledge base with Pilot: k opens it; an item added through the form, filtered by
#tag, deleted after confirming; a suggestion from the open project promoted with Enter; ctrl+o in
the handoff editor inserts an item at the cursor and counts its use. Each checks the
database afterwards."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Select

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import handoffs, knowledge, sessions
from orchestrator_tui.services.knowledge import KnowledgeFields
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen
from orchestrator_tui.tui.screens.knowledge import (
    KnowledgeForm,
    KnowledgePicker,
    KnowledgeScreen,
    SuggestionsScreen,
)
from orchestrator_tui.tui.widgets.plain_table import PlainTable

from .conftest import SIZE, press, settle, type_text


async def test_add_filter_and_delete(app: OrchestratorApp, db: Database) -> None:
    knowledge.add_item(db, KnowledgeFields("tip", "Existing tip", tags="misc"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "k")
        screen = app.screen
        assert isinstance(screen, KnowledgeScreen)
        await press(pilot, "n")
        form = app.screen
        assert isinstance(form, KnowledgeForm)
        form.query_one("#field-category", Select).value = "error_solution"
        form.query_one("#field-title", Input).value = "Raw body for Stripe"
        form.query_one("#field-body", Input).value = "Read request.body()"
        form.query_one("#field-tags", Input).value = "Stripe, webhooks"
        await press(pilot, "ctrl+s")
        assert app.screen is screen
        saved = knowledge.list_items(db, tag="stripe").items
        assert [(i.title, i.category, i.tags) for i in saved] == [
            ("Raw body for Stripe", "error_solution", "stripe, webhooks")
        ]
        await press(pilot, "ctrl+f")
        await type_text(pilot, "#webhooks")
        await press(pilot, "enter")
        table = screen.query_one(PlainTable)
        assert table.row_count == 1 and table.has_focus
        await press(pilot, "x")
        await press(pilot, "y")
        assert knowledge.list_items(db).total == 1
        assert table.row_count == 0


async def test_promote_a_suggestion_of_the_open_project(
    app: OrchestratorApp, db: Database, completed: int
) -> None:
    sessions.add_turns(db, completed, [("user", "Never push to main.")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter")  # opens Webshop
        await press(pilot, "k", "g")
        suggestions = app.screen
        assert isinstance(suggestions, SuggestionsScreen)
        listed = suggestions.query_one("#suggestions", OptionList)
        assert listed.option_count == 1
        await press(pilot, "enter")
        assert isinstance(app.screen, KnowledgeScreen)
    (item,) = knowledge.list_items(db).items
    assert (item.title, item.category, item.project, item.source_session_id) == (
        "Never push to main.",
        "best_practice",
        "Webshop",
        completed,
    )
    assert knowledge.suggestions(db, completed) == []


async def test_ctrl_o_inserts_an_item_into_the_handoff_and_counts_a_use(
    app: OrchestratorApp, db: Database, completed: int
) -> None:
    handoffs.generate_handoff(db, completed, "rules")
    item = knowledge.add_item(db, KnowledgeFields("tip", "Small commits", "One change each"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(HandoffEditorScreen(completed))
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, HandoffEditorScreen)
        editor.editor.move_cursor((0, 0))
        await press(pilot, "ctrl+o")
        picker = app.screen
        assert isinstance(picker, KnowledgePicker)
        await type_text(pilot, "small")
        await pilot.pause(0.4)
        await settle(pilot)
        await press(pilot, "enter", "enter")
        assert app.screen is editor
        assert "**Small commits** (tip)\nOne change each" in editor.editor.text
    assert knowledge.get_item(db, item.id).usage_count == 1
