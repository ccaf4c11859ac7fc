"""Project files in the TUI (session detail, the project's files view) and importing a
project export from the import screen, with the rename prompt; each checked in the database."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import export, files, projects, sessions
from orchestrator_tui.services.files import FileFields
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.files import FileForm, ProjectFilesScreen
from orchestrator_tui.tui.screens.forms import ConfirmModal
from orchestrator_tui.tui.screens.import_screen import ImportScreen, RenameForm
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.timeline import TimelineScreen
from orchestrator_tui.tui.widgets.plain_table import PlainTable

from .conftest import SIZE, press, settle, type_text


def text_of(app: OrchestratorApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_add_edit_and_delete_a_file_in_session_detail(
    app: OrchestratorApp, completed: int, seeded: Database
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "enter")  # the Webshop timeline, then session #1
        assert isinstance(app.screen, SessionDetailScreen)
        assert "Files: none recorded" in text_of(app, "#detail-files-title")

        await press(pilot, "f")
        assert isinstance(app.screen, FileForm)
        await type_text(pilot, "src/cart.py")
        await pilot.press("tab", "tab")  # past the change select, to the lines added
        await type_text(pilot, "x1")
        await press(pilot, "enter")
        assert isinstance(app.screen, FileForm)  # refused beside its field
        error = str(app.screen.query_one("#error-lines_added", Static).render())
        assert "'x1' is not a whole number of lines" in error
        await pilot.press("backspace", "backspace")
        await type_text(pilot, "120")
        await pilot.press("tab")
        await type_text(pilot, "4")
        await pilot.press("tab", "enter")  # open the importance list
        await pilot.press("down", "down", "enter")  # 3 -> 5
        await pilot.press("tab")
        await type_text(pilot, "the cart model")
        await press(pilot, "enter")
        assert isinstance(app.screen, SessionDetailScreen)
        assert "Files: 1" in text_of(app, "#detail-files-title")
        assert app.screen.query_one("#detail-files", PlainTable).row_count == 1

        [stored] = files.session_files(seeded, completed).items
        assert (stored.path, stored.lines_added, stored.lines_removed) == ("src/cart.py", 120, 4)
        assert (stored.importance, stored.notes, stored.change) == (5, "the cart model", "modified")

        await press(pilot, "e")
        assert isinstance(app.screen, FileForm)
        path = app.screen.query_one("#field-path", Input)
        assert path.value == "src/cart.py"
        path.value = "src/shop/cart.py"
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, SessionDetailScreen)
        assert files.get_file(seeded, stored.id).path == "src/shop/cart.py"
        assert files.get_file(seeded, stored.id).importance == 5  # what was not changed stays

        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert isinstance(app.screen, SessionDetailScreen)
        assert "Files: none recorded" in text_of(app, "#detail-files-title")
    assert files.session_files(seeded, completed).total == 0


async def test_the_files_of_a_project_from_the_timeline(
    app: OrchestratorApp, completed: int, seeded: Database
) -> None:
    second = sessions.start_session(seeded, "Webshop").session.id
    files.add_file(seeded, "Webshop", FileFields("src/cart.py", "created", 100, 0, 3), completed)
    files.add_file(seeded, "Webshop", FileFields("src/cart.py", "modified", 5, 2, 5), second)
    files.add_file(seeded, "Webshop", FileFields("README.md", "modified", 1, 0, 2))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "f")
        screen = app.screen
        assert isinstance(screen, ProjectFilesScreen)
        assert "2 path(s)" in text_of(app, "#files-summary")
        paths = screen.query_one("#files-paths", PlainTable)
        assert paths.row_count == 2
        first = [str(cell) for cell in paths.get_row_at(0)]
        assert first[:5] == ["src/cart.py", "#1, #2", "5", "+105", "−2"]
        rows = screen.query_one("#files-rows", PlainTable)
        assert rows.row_count == 2  # the rows of src/cart.py, one per session

        await press(pilot, "n")
        assert isinstance(app.screen, FileForm)
        await type_text(pilot, "docs/plan.md")
        await press(pilot, "enter")
        assert isinstance(app.screen, ProjectFilesScreen)
        assert "3 path(s)" in text_of(app, "#files-summary")

        await press(pilot, "down", "down", "tab", "x")  # README (importance 2, last), below
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        await press(pilot, "escape")
        assert isinstance(app.screen, TimelineScreen)
    assert sorted(item.path for item in files.summarize(seeded, "Webshop").items) == [
        "docs/plan.md",
        "src/cart.py",
    ]


async def test_importing_an_export_asks_for_a_new_name(
    app: OrchestratorApp, completed: int, seeded: Database, tmp_path: Path
) -> None:
    files.add_file(seeded, "Webshop", FileFields("src/cart.py", importance=4), completed)
    source = tmp_path / "webshop.json"
    source.write_text("".join(export.iter_json(seeded, "Webshop")), encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "enter", "i")
        screen = app.screen
        assert isinstance(screen, ImportScreen)
        field = screen.query_one("#import-path", Input)
        field.value = str(source)
        await press(pilot, "enter")
        preview = text_of(app, "#import-preview")
        assert "A project export (version 1" in preview and "Project: Webshop" in preview
        assert "A project named 'Webshop' exists here" in preview

        # Cancelled: nothing written.
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RenameForm)
        await press(pilot, "escape")
        assert isinstance(app.screen, ImportScreen)
        assert "nothing was written" in text_of(app, "#import-preview")
        assert projects.list_projects(seeded).total == 1

        # A name that is taken too is refused in the form; then another one.
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RenameForm)
        name = app.screen.query_one("#field-name", Input)
        assert name.value == "Webshop (imported)"
        name.value = "WEBSHOP"
        await press(pilot, "enter")
        assert isinstance(app.screen, RenameForm)
        assert "exists here too" in str(app.screen.query_one("#error-name", Static).render())
        name.value = "Webshop archive"
        await press(pilot, "enter")
        assert isinstance(app.screen, ImportScreen)
        assert "Imported the project Webshop archive (renamed from Webshop)" in text_of(
            app, "#import-preview"
        )
    names = sorted(p.name for p in projects.list_projects(seeded).items)
    assert names == ["Webshop", "Webshop archive"]
    [copy] = sessions.timeline(seeded, "Webshop archive").items
    assert copy.status == "completed" and copy.credits_used == 10
    assert [f.path for f in files.list_files(seeded, "Webshop archive").items] == ["src/cart.py"]
