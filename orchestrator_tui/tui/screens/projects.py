"""The first screen: every project with its counters, or a welcome when there is none."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Footer, Header, Static

from orchestrator_tui.records import Page, ProjectSummary
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

PAGE = 500

WELCOME = (
    "Welcome to orchestrator-tui.\n\n"
    "It keeps your projects, their numbered AI sessions, the accounts they ran on and the "
    "credits they burned, and writes the handoff that the next session starts from.\n\n"
    "Press n to create your first project, or l to load a demo data set to look around."
)


class ProjectsScreen(BaseScreen):
    HELP_TITLE = "Projects"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", tooltip="Open the project's session timeline"),
        Binding("n", "new_project", "New", tooltip="Create a project"),
        Binding("e", "edit_project", "Edit", tooltip="Rename or describe the selected project"),
        Binding("x", "archive", "Archive", tooltip="Archive or unarchive the selected project"),
        Binding("i", "import", "Import", tooltip="Import transcripts (Claude Code, ChatGPT, ...)"),
        Binding("l", "load_demo", "Demo", tooltip="Load the demo data set (idempotent)"),
        Binding("r", "refresh", "Refresh", tooltip="Read the projects again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.projects: dict[int, ProjectSummary] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("projects")
        yield Static(
            "Opening the database…", id="projects-summary", classes="summary", markup=False
        )
        yield PlainTable(id="projects-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_fixed_columns(
            ("Project", 26),
            ("Status", 8),
            ("Sessions", 8),
            ("Open", 4),
            ("Credits used", 12),
            ("Last activity", 16),
            ("Description", 36),
        )

    def reload(self) -> None:

        db_work(
            self,
            lambda db: backend.projects.list_projects(db, 0, PAGE),
            self._show,
            group="projects",
            description="Loading projects",
        )

    def _show(self, page: Page[ProjectSummary]) -> None:
        table = self.query_one(PlainTable)
        selected = self.selected()
        table.clear()
        self.projects = {project.id: project for project in page.items}
        for project in page.items:
            table.add_row(
                project.name,
                project.status,
                fmt.number(project.session_count),
                "▶" if project.in_progress else "",
                fmt.number(project.credits_used),
                fmt.when(project.last_activity),
                fmt.one_line(project.description, 36),
                key=str(project.id),
            )
        table.move_to_id(selected.id if selected else None)
        empty = page.total == 0
        self._show_welcome(empty)
        table.set_class(empty, "hidden")
        summary = f"{page.total:,} project(s)"
        if page.has_more:
            summary += f" · showing the {len(page.items):,} most recent"
        self.query_one("#projects-summary", Static).update(summary)
        if empty:
            self.query_one("#welcome-new", Button).focus()
        else:
            table.focus()

    def _show_welcome(self, show: bool) -> None:
        """The welcome panel exists only while the database is empty (built on demand, so
        that it costs nothing on the way to the first frame)."""
        panels = self.query("#welcome")
        if show and not panels:
            welcome = Vertical(
                Static(WELCOME, id="welcome-text", markup=False),
                Horizontal(
                    Button("Create a project (n)", id="welcome-new", variant="primary"),
                    Button("Load demo data (l)", id="welcome-demo"),
                    id="welcome-buttons",
                ),
                id="welcome",
            )
            self.mount(welcome, before=self.query_one(PlainTable))
        elif not show:
            panels.remove()

    def selected(self) -> ProjectSummary | None:
        table = self.query_one(PlainTable)
        record_id = table.cursor_id()
        return self.projects.get(record_id) if record_id is not None else None

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        project = self.selected()
        if project is not None:
            self.orchestrator.open_project(project.id)

    def action_import(self) -> None:
        from orchestrator_tui.tui.screens.import_screen import ImportScreen

        self.app.push_screen(ImportScreen())

    def action_refresh(self) -> None:
        self.reload()

    @on(Button.Pressed, "#welcome-new")
    def action_new_project(self) -> None:
        from orchestrator_tui.tui.screens.forms import ProjectForm

        self.app.push_screen(ProjectForm(), self._saved)

    def action_edit_project(self) -> None:
        from orchestrator_tui.tui.screens.forms import ProjectForm

        project = self.selected()
        if project is not None:
            self.app.push_screen(ProjectForm(project), self._saved)

    def _saved(self, project: ProjectSummary | None) -> None:
        if project is not None:
            self.saved(f"Saved project {project.name}.")

    def action_archive(self) -> None:

        project = self.selected()
        if project is None:
            return
        archive = project.status != "archived"
        db_work(
            self,
            lambda db: backend.projects.set_archived(db, project.id, archive),
            lambda done: self.saved(f"{done.name} is now {done.status}."),
            group="projects-write",
            description="Archiving the project",
        )

    @on(Button.Pressed, "#welcome-demo")
    def action_load_demo(self) -> None:
        if not self.projects:
            self._load_demo()
            return

        from orchestrator_tui.tui.screens.forms import ConfirmModal

        def answer(load: bool | None) -> None:
            if load:
                self._load_demo()

        question = (
            "Load the demo data set (4 projects, 10 accounts, 19 sessions) into this database, "
            "beside your own projects?"
        )
        self.app.push_screen(ConfirmModal(question, "Load"), answer)

    def _load_demo(self) -> None:
        self.notify("Loading the demo data…")
        db_work(
            self,
            lambda db: backend.demo.load_demo(db),
            lambda result: self.saved(result.message()),
            group="projects-write",
            description="Loading the demo data",
        )
