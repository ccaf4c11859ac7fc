"""A project's session timeline, newest first. Rows are fetched one page at a time as the
cursor nears the end, so a project with 10,000 sessions opens as fast as one with ten."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import (
    AccountView,
    HandoffView,
    Page,
    ProjectSummary,
    ProjectTimeline,
    Recommendation,
    SessionDetail,
    SessionRow,
    StartedSession,
)
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.forms import CompleteSessionForm, NewSessionForm
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database

PAGE = 100
TITLE_COLUMN = "Objective / title"
PREFETCH = 15  # rows before the end at which the next page is requested
COMPLETABLE = ("in_progress", "imported")


class TimelineScreen(BaseScreen):
    HELP_TITLE = "Session timeline"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "detail", "Detail", tooltip="Open the selected session"),
        Binding("n", "new_session", "New", tooltip="Start the next session"),
        Binding("c", "complete", "Complete", tooltip="Complete the selected open session"),
        Binding(
            "h",
            "handoff",
            "Handoff",
            tooltip="Open the selected session's handoff (writes one if it has none yet)",
        ),
        Binding("y", "copy", "Copy", tooltip="Copy the selected session's handoff"),
        Binding("i", "import", "Import", tooltip="Import transcripts into this project"),
        Binding("f", "files", "Files", tooltip="The project's files: each path, who touched it"),
        Binding(
            "o",
            "rotate",
            "Rotate",
            tooltip="The open session's account ran out: rotate to the next, queue a briefing",
        ),
        Binding("r", "refresh", "Refresh", tooltip="Read the sessions again"),
        Binding("escape", "back", "Projects", tooltip="Back to the project list", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.project: ProjectSummary | None = None
        self.rows: dict[int, SessionRow] = {}
        self.total = 0
        self._loading_more = False
        self._project_id: int | None = None  # the project shown
        self._requested_project: int | None = None  # the project last asked for
        self._select_after_load: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("timeline")
        yield Static("", id="timeline-title", classes="summary", markup=False)
        yield PlainTable(id="timeline-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        # Widths fit 130 columns with the cell padding; the title is cut to fit.
        table.add_fixed_columns(
            ("#", 6),
            ("Status", 13),
            ("Account", 16),
            ("Type", 11),
            ("Credits", 7),
            ("Started", 16),
            ("Ended", 11),
            ("Turns", 5),
            ("Handoff", 7),
            (TITLE_COLUMN, 16),
        )

    def on_screen_resume(self) -> None:
        opened = self.orchestrator.take_opened_timeline()
        if opened is not None:  # read by the key that opened this screen
            self._loaded_version, timeline = opened
            self._requested_project = timeline.project.id
            self._show_first(timeline)
        elif self._requested_project != self.orchestrator.current_project_id:
            self._loaded_version = -1
        super().on_screen_resume()

    def reload(self) -> None:
        wanted = self._requested_project = self.orchestrator.current_project_id
        db_work(
            self,
            lambda db: backend.sessions.project_timeline(db, wanted),
            self._show_first,
            group="timeline",
            description="Loading sessions",
        )

    def _show_first(self, timeline: ProjectTimeline | None) -> None:
        if timeline is None:
            self.query_one("#timeline-title", Static).update(
                "No project yet. Press p for the projects, then n to create one."
            )
            return
        self.orchestrator.current_project_id = self._project_id = timeline.project.id
        table = self.query_one(PlainTable)
        selected = self.selected()
        wanted = self._select_after_load or (selected.id if selected else None)
        self._select_after_load = None
        table.clear()
        self.rows.clear()
        self.project = timeline.project
        self._append(timeline.page)
        table.move_to_id(wanted)
        table.focus()

    def _append(self, page: Page[SessionRow]) -> None:
        table = self.query_one(PlainTable)
        self.total = page.total
        for row in page.items:
            if row.id in self.rows:
                continue
            self.rows[row.id] = row
            table.add_row(
                f"#{row.number}",
                fmt.status(row.status),
                row.account_name or "—",
                row.session_type,
                fmt.number(row.credits_used),
                fmt.when(row.started_at),
                fmt.end_time(row.started_at, row.ended_at),
                fmt.number(row.turn_count),
                "✔" if row.has_handoff else "",
                fmt.one_line(row.title, 16),
                key=str(row.id),
            )
        self._update_title()

    def _update_title(self) -> None:
        project = self.project
        if project is None:
            return
        parts = [
            f"{project.name}",
            f"{self.total:,} session(s)",
            f"{project.credits_used:,} credits used",
        ]
        if len(self.rows) < self.total:
            parts.append(f"{len(self.rows):,} loaded (more load as you scroll)")
        open_rows = [row for row in self.rows.values() if row.status == "in_progress"]
        if open_rows:
            parts.append(f"▶ session #{open_rows[0].number} in progress")
        self.query_one("#timeline-title", Static).update(" · ".join(parts))

    @on(DataTable.RowHighlighted)
    def _maybe_load_more(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(PlainTable)
        near_end = event.cursor_row >= table.row_count - PREFETCH
        if near_end and len(self.rows) < self.total and not self._loading_more:
            self._load_more()

    def _load_more(self) -> None:

        project_id, offset = self._project_id, len(self.rows)
        self._loading_more = True

        def shown(page: Page[SessionRow]) -> None:
            self._loading_more = False
            self._append(page)

        db_work(
            self,
            lambda db: backend.sessions.timeline(db, project_id, offset, PAGE),
            shown,
            group="timeline-more",
            description="Loading more sessions",
            on_error=lambda error: setattr(self, "_loading_more", False),
        )

    def selected(self) -> SessionRow | None:
        table = self.query_one(PlainTable)
        record_id = table.cursor_id()
        return self.rows.get(record_id) if record_id is not None else None

    # -- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.orchestrator.switch_mode("projects")

    def action_import(self) -> None:
        from orchestrator_tui.tui.screens.import_screen import ImportScreen

        self.app.push_screen(ImportScreen(self.project.name if self.project else ""))

    def action_files(self) -> None:
        from orchestrator_tui.tui.screens.files import ProjectFilesScreen

        if self.project is None:
            self.notify("Open a project first (p, then Enter).", severity="warning")
            return
        self.app.push_screen(ProjectFilesScreen(self.project.id, self.project.name))

    def action_refresh(self) -> None:
        self.reload()

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen

        row = self.selected()
        if row is not None:
            self.app.push_screen(SessionDetailScreen(row.id))

    def action_new_session(self) -> None:

        project = self.project
        if project is None:
            self.notify("Open a project first (p, then Enter).", severity="warning")
            return
        if project.status == "archived":
            self.notify(f"{project.name} is archived; unarchive it first (p, x).", markup=False)
            return

        clock = self.orchestrator.clock

        def job(db: Database) -> tuple[Page[AccountView], Recommendation]:
            from orchestrator_tui.settings import AccountSettings, load_account_settings

            try:
                settings = load_account_settings()
            except ValidationError:  # a broken settings file must not stop a session
                settings = AccountSettings()
            plan = backend.rotation.recommend(db, project.id, now=clock(), settings=settings)
            return backend.accounts.list_accounts(db, 0, 500), plan

        def ask(loaded: tuple[Page[AccountView], Recommendation]) -> None:
            if self.is_current:  # the user may have moved on while the pool loaded
                page, plan = loaded
                self.app.push_screen(NewSessionForm(project, page.items, plan), self._started)

        db_work(self, job, ask, group="timeline-form", description="Loading the account pool")

    def _started(self, started: StartedSession | None) -> None:
        from orchestrator_tui.tui.screens.handoff import HandoffViewScreen
        from orchestrator_tui.tui.screens.pool import BriefingScreen, briefings_and_handoff

        if started is None:
            return
        self._select_after_load = started.session.id  # the new session, ready for `c`
        self.changed()
        number = started.session.number
        previous = started.previous_handoff
        if started.queued_handoffs:
            loaded = "the rotation briefing" + (" and the previous handoff" if previous else "")
            content = briefings_and_handoff(
                started.queued_handoffs, previous.content if previous else None
            )
            self.app.push_screen(
                BriefingScreen(f"Session #{number} started with {loaded}", content)
            )
            return
        if started.previous_handoff is None:
            self.notify(f"Session #{number} started. No earlier handoff to load.")
            return
        self.app.push_screen(
            HandoffViewScreen(started.previous_handoff, f"Session #{number} started with")
        )

    def action_complete(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.status not in COMPLETABLE:
            self.notify(
                f"Session #{row.number} is {row.status.replace('_', ' ')}; "
                "only an open session can be completed.",
                severity="warning",
            )
            return
        open_complete_form(self, row.id)

    def action_handoff(self) -> None:
        from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen

        row = self.selected()
        if row is not None:  # an open session without one gets a checkpoint handoff
            self.app.push_screen(HandoffEditorScreen(row.id, generate=not row.has_handoff))

    def action_copy(self) -> None:
        row = self.selected()
        if row is not None:
            copy_latest_handoff(self, row.id, row.number)

    def action_rotate(self) -> None:
        row = self.selected()
        if row is not None:
            rotate_session_account(self, row.status, row.account_name, row.project_id, row.number)


def rotate_session_account(
    screen: BaseScreen, status: str, account: str | None, project_id: int, number: int
) -> None:
    """The rotate key on a session: only an in-progress one on an account can rotate."""
    from orchestrator_tui.tui.screens.pool import open_rotate_form

    if status != "in_progress":
        screen.notify(
            f"Session #{number} is not in progress; rotate accounts from the pool (a, o).",
            severity="warning",
        )
    elif account is None:
        screen.notify(f"Session #{number} runs on no account.", severity="warning")
    else:
        open_rotate_form(screen, account, project_id)


def open_complete_form(screen: BaseScreen, session_id: int) -> None:
    """Load the session (for the account's credits), then ask; on success, write the handoff."""
    from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen

    def completed(detail: SessionDetail | None) -> None:
        if detail is None:
            return
        screen.orchestrator.completion_drafts.pop(detail.id, None)
        screen.changed()
        screen.notify(
            f"Session #{detail.number} completed: {detail.credits_used:,} credits. "
            "Writing the handoff…"
        )
        screen.app.push_screen(HandoffEditorScreen(detail.id, generate=True))

    def ask(detail: SessionDetail) -> None:
        from orchestrator_tui.tui.app import CompletionDraft

        if not screen.is_current:  # the user may have moved on while it loaded
            return
        draft = screen.orchestrator.completion_drafts.setdefault(detail.id, CompletionDraft())
        screen.app.push_screen(CompleteSessionForm(detail, draft), completed)

    db_work(
        screen,
        lambda db: backend.sessions.get_session(db, session_id),
        ask,
        group="complete-form",
        description="Loading the session",
    )


def copy_latest_handoff(screen: BaseScreen, session_id: int, number: int) -> None:

    def copy(handoff: HandoffView | None) -> None:
        if handoff is None:
            screen.notify(f"Session #{number} has no handoff yet.", severity="warning")
        else:
            screen.app.copy_to_clipboard(handoff.content)

    db_work(
        screen,
        lambda db: backend.handoffs.latest_handoff(db, session_id),
        copy,
        group="copy",
        description="Reading the handoff",
    )
