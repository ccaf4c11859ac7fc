"""Project files (F20) in the TUI: the add/edit form, the actions shared by every table of
file rows (session detail, the project's files view), and the per-project files view: each
path once, with the sessions that touched it, the lines in all and the highest importance."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Select, Static

from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import (
    DEFAULT_IMPORTANCE,
    FILE_CHANGES,
    IMPORTANCE,
    FileSummary,
    Page,
    ProjectFileView,
)
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.form import FieldInput, FormModal
from orchestrator_tui.tui.screens.forms import ConfirmModal
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work
from orchestrator_tui.validation import check_importance, clean_path, parse_count

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services.files import FileFields

PAGE = 100
PREFETCH = 15
ROW_COLUMNS = (("Session", 8), ("Path", 40), ("Change", 9), ("+", 7), ("−", 7), ("Imp.", 4))


class FileForm(FormModal[ProjectFileView]):
    """Record a file of a session (or of the project), or edit one when ``item`` is given."""

    DESCRIPTION = "Saving the file"

    def __init__(
        self,
        *,
        project_id: int | None = None,
        session_id: int | None = None,
        item: ProjectFileView | None = None,
        where: str = "",
    ) -> None:
        title = f"Edit {item.path}" if item else f"New file of {where}" if where else "New file"
        super().__init__(title)
        self.project_id = project_id
        self.session_id = session_id
        self.item = item

    def intro(self) -> str:
        return (
            "Importance ranks the handoff's key files: 5 is read first by the next session, "
            "1 was touched in passing."
        )

    def fields(self) -> ComposeResult:
        item = self.item
        yield from self.field(
            "path", "Path", FieldInput(item.path if item else "", placeholder="e.g. src/cart.py")
        )
        yield from self.field(
            "change",
            "Change",
            Select(
                [(change, change) for change in FILE_CHANGES],
                value=item.change if item and item.change in FILE_CHANGES else "modified",
                allow_blank=False,
            ),
        )
        yield from self.field(
            "lines_added", "Lines added", FieldInput(str(item.lines_added) if item else "0")
        )
        yield from self.field(
            "lines_removed", "Lines removed", FieldInput(str(item.lines_removed) if item else "0")
        )
        yield from self.field(
            "importance",
            "Importance",
            Select(
                [(f"{level} — {meaning}", str(level)) for level, meaning in IMPORTANCE.items()],
                value=str(item.importance if item else DEFAULT_IMPORTANCE),
                allow_blank=False,
            ),
        )
        yield from self.field("notes", "Notes", FieldInput(item.notes if item else ""))

    def _select(self, name: str) -> str:
        return str(self.query_one(f"#field-{name}", Select).value)

    def _fields(self) -> FileFields:
        from orchestrator_tui.services.files import FileFields

        return FileFields(
            path=self.value("path"),
            change=self._select("change"),
            lines_added=self.value("lines_added"),
            lines_removed=self.value("lines_removed"),
            importance=self._select("importance"),
            notes=self.value("notes"),
        )

    def validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        checks = (
            ("path", lambda: clean_path(self.value("path"))),
            ("lines_added", lambda: parse_count(self.value("lines_added"), "lines_added")),
            ("lines_removed", lambda: parse_count(self.value("lines_removed"), "lines_removed")),
            ("importance", lambda: check_importance(self._select("importance"))),
        )
        for name, check in checks:
            try:
                check()
            except ValidationError as error:
                errors[name] = error.errors.popitem()[1]
        return errors

    def job(self, db: Database) -> ProjectFileView:
        if self.item is not None:
            return backend.files.update_file(db, self.item.id, self._fields())
        if self.session_id is not None:
            return backend.files.add_session_file(db, self.session_id, self._fields())
        assert self.project_id is not None
        return backend.files.add_file(db, self.project_id, self._fields())


def setup_rows_table(table: PlainTable) -> None:
    table.add_fixed_columns(*ROW_COLUMNS, ("Notes", 26))


def show_rows(table: PlainTable, items: list[ProjectFileView]) -> None:
    """Fill a table of file rows, keeping the cursor on the same row when it is still there."""
    selected = table.cursor_id()
    table.clear()
    for item in items:
        table.add_row(
            f"#{item.session_number}" if item.session_number else "project",
            fmt.one_line(item.path, 40),
            item.change,
            f"+{item.lines_added:,}",
            f"−{item.lines_removed:,}",
            str(item.importance),
            fmt.one_line(item.notes, 26),
            key=str(item.id),
        )
    table.move_to_id(selected)


def edit_file(screen: BaseScreen, item: ProjectFileView | None) -> None:
    if item is None:
        screen.notify("No file selected.", severity="warning")
        return
    screen.app.push_screen(FileForm(item=item), lambda saved: file_saved(screen, saved))


def file_saved(screen: BaseScreen, item: ProjectFileView | None) -> None:
    if item is not None:
        screen.saved(f"Saved {item.path} (importance {item.importance}).")


def delete_file(screen: BaseScreen, item: ProjectFileView | None) -> None:
    """Ask, then delete the file row."""
    if item is None:
        screen.notify("No file selected.", severity="warning")
        return

    def answer(yes: bool | None) -> None:
        if yes:
            db_work(
                screen,
                lambda db: backend.files.delete_file(db, item.id),
                lambda gone: screen.saved(f"Deleted the file row {gone.path}."),
                group="file-write",
                description="Deleting the file",
            )

    where = f"session #{item.session_number}" if item.session_number else "the project"
    question = f"Delete {item.path} from the files of {where}? The file itself is not touched."
    screen.app.push_screen(ConfirmModal(question, "Delete"), answer)


class ProjectFilesScreen(BaseScreen):
    """Every path of a project once, the most important first; below, the rows of the
    highlighted path (one per session that touched it), which e and x edit and delete."""

    CSS_PATH = "files.tcss"
    HELP_TITLE = "Project files"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "New file", tooltip="Record a file of the project (no session)"),
        Binding("e", "edit", "Edit", tooltip="Edit the file row selected below"),
        Binding("delete,x", "delete", "Delete", tooltip="Delete the file row selected below"),
        Binding("tab", "switch", "Paths / rows", tooltip="Move between the paths and their rows"),
        Binding("r", "refresh", "Refresh", tooltip="Read the files again"),
        Binding("escape", "close", "Back", tooltip="Back to the timeline"),
    ]

    def __init__(self, project_id: int, project_name: str) -> None:
        super().__init__()
        self.project_id = project_id
        self.project_name = project_name
        self.paths: list[FileSummary] = []
        self.total = 0
        self.rows: dict[int, ProjectFileView] = {}
        self._loading_more = False
        self._shown_path: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="files-summary", classes="summary", markup=False)
        yield PlainTable(id="files-paths", cursor_type="row", zebra_stripes=True)
        yield Static("", id="files-rows-title", classes="section-title", markup=False)
        yield PlainTable(id="files-rows", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.project_name} · files"
        self.query_one("#files-paths", PlainTable).add_fixed_columns(
            ("Path", 50),
            ("Sessions", 18),
            ("Imp.", 4),
            ("+", 8),
            ("−", 8),
            ("Last change", 11),
            ("Touched", 16),
        )
        setup_rows_table(self.query_one("#files-rows", PlainTable))

    def reload(self) -> None:
        project_id = self.project_id
        db_work(
            self,
            lambda db: backend.files.summarize(db, project_id, 0, PAGE),
            self._show_first,
            group="files",
            description="Loading the project's files",
        )

    def _show_first(self, page: Page[FileSummary]) -> None:
        table = self.query_one("#files-paths", PlainTable)
        cursor = table.cursor_row
        table.clear()
        self.paths = []
        self._append(page)
        if self.paths:
            table.move_cursor(row=min(cursor, len(self.paths) - 1))
            self._load_rows(self.paths[table.cursor_row].path)
        else:
            self._shown_path = None
            self.query_one("#files-rows", PlainTable).clear()
            self.query_one("#files-rows-title", Static).update("")
        if not self.query_one("#files-rows", PlainTable).has_focus:
            table.focus()

    def _append(self, page: Page[FileSummary]) -> None:
        table = self.query_one("#files-paths", PlainTable)
        self.total = page.total
        for item in page.items:
            sessions = ", ".join(f"#{number}" for number in item.session_numbers) or "project"
            table.add_row(
                fmt.one_line(item.path, 50),
                fmt.one_line(sessions, 18),
                str(item.importance),
                f"+{item.lines_added:,}",
                f"−{item.lines_removed:,}",
                item.last_change,
                fmt.when(item.last_touched_at),
                key=str(len(self.paths)),
            )
            self.paths.append(item)
        if self.total == 0:
            summary = f"No files recorded for {self.project_name} yet. Press n to add one."
        else:
            summary = (
                f"{self.project_name} · {self.total:,} path(s), the most important first"
                + (f" · {len(self.paths):,} loaded" if len(self.paths) < self.total else "")
                + " · tab moves to the rows of a path"
            )
        self.query_one("#files-summary", Static).update(summary)

    @on(DataTable.RowHighlighted, "#files-paths")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one("#files-paths", PlainTable)
        if 0 <= event.cursor_row < len(self.paths):
            self._load_rows(self.paths[event.cursor_row].path)
        near_end = event.cursor_row >= table.row_count - PREFETCH
        if near_end and len(self.paths) < self.total and not self._loading_more:
            self._load_more()

    def _load_more(self) -> None:
        project_id, offset = self.project_id, len(self.paths)
        self._loading_more = True

        def shown(page: Page[FileSummary]) -> None:
            self._loading_more = False
            self._append(page)

        db_work(
            self,
            lambda db: backend.files.summarize(db, project_id, offset, PAGE),
            shown,
            group="files-more",
            description="Loading more files",
            on_error=lambda error: setattr(self, "_loading_more", False),
        )

    def _load_rows(self, path: str) -> None:
        project_id = self.project_id
        self._shown_path = path

        def show(items: list[ProjectFileView]) -> None:
            if path != self._shown_path:
                return
            self.rows = {item.id: item for item in items}
            show_rows(self.query_one("#files-rows", PlainTable), items)
            self.query_one("#files-rows-title", Static).update(
                f"{fmt.one_line(path, 80)}: {len(items):,} row(s) (e edits, x deletes)"
            )

        db_work(
            self,
            lambda db: backend.files.path_rows(db, project_id, path),
            show,
            group="files-rows",
            description="Loading the rows of a file",
        )

    def selected_row(self) -> ProjectFileView | None:
        record_id = self.query_one("#files-rows", PlainTable).cursor_id()
        return self.rows.get(record_id) if record_id is not None else None

    def action_switch(self) -> None:
        paths, rows = self.query_one("#files-paths", PlainTable), self.query_one("#files-rows")
        (paths if rows.has_focus else rows).focus()

    def action_add(self) -> None:
        self.app.push_screen(
            FileForm(project_id=self.project_id, where=self.project_name),
            lambda saved: file_saved(self, saved),
        )

    def action_edit(self) -> None:
        edit_file(self, self.selected_row())

    def action_delete(self) -> None:
        delete_file(self, self.selected_row())

    def action_refresh(self) -> None:
        self.reload()

    def action_close(self) -> None:
        self.app.pop_screen()
