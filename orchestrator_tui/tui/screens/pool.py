"""The account pool's planning in the TUI: batch add (a paste area), rotate an account out
(from the pool or from an in-progress session), and the briefing a rotation queued."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Markdown, Select, Static, TextArea

from orchestrator_tui.records import AccountView, ProjectSummary, QueuedHandoff, Rotation
from orchestrator_tui.tui import backend
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.form import FormModal
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database


class BatchAccountsForm(FormModal[list[AccountView]]):
    """Paste many accounts at once, one a line; all are added or none."""

    TITLE = "Add accounts in a batch"
    SUBMIT_LABEL = "Add all"
    DESCRIPTION = "Adding the accounts"
    FIRST_FIELD = "batch"

    def intro(self) -> str:
        return (
            "Paste or type one account a line: name,platform,credits,specialization (a header "
            "line is fine; the specialization may go on with more commas). All or nothing: "
            "if any line is refused (a bad value, a name listed twice or already in the pool), "
            "nothing is added and every such line is listed. ctrl+s adds them."
        )

    def fields(self) -> ComposeResult:
        area = TextArea(
            "",
            soft_wrap=False,
            tab_behavior="focus",
            show_line_numbers=True,
            placeholder="claude-team-2,claude,5000,python, testing",
        )
        yield from self.field("batch", "Accounts (CSV)", area)

    def text(self) -> str:
        return self.query_one("#field-batch", TextArea).text

    def validate(self) -> dict[str, str]:
        return {} if self.text().strip() else {"batch": "paste at least one line"}

    def job(self, db: Database) -> list[AccountView]:
        return backend.accounts.batch_add(db, self.text(), self.orchestrator.clock())


class RotateForm(FormModal[Rotation]):
    """Rotate an account out of a project: which project (the open one preselected)."""

    TITLE = "Rotate an account out"
    SUBMIT_LABEL = "Rotate"
    DESCRIPTION = "Rotating the account"
    FIRST_FIELD = "project"

    def __init__(self, account: str, projects: list[ProjectSummary], project_id: int | None):
        super().__init__(f"Rotate {account} out")
        self.account = account
        self.projects = projects
        self.project_id = project_id if any(p.id == project_id for p in projects) else None

    def intro(self) -> str:
        return (
            f"{self.account} is marked exhausted; the next account for the project is picked "
            "by the same ranking as the recommendation, and a rotation briefing (the last "
            "accomplishments, open blockers, credits left, the latest handoff's key parts) is "
            "queued for the project's next session. If no account qualifies, nothing changes."
        )

    def fields(self) -> ComposeResult:
        options = [(project.name, project.id) for project in self.projects]
        select: Select[int] = Select(
            options,
            value=self.project_id if self.project_id is not None else Select.NULL,
            prompt="Which project continues on another account?",
        )
        yield from self.field("project", "Project", select)

    def _project(self) -> int | None:
        value = self.query_one("#field-project", Select).value
        return value if isinstance(value, int) else None

    def validate(self) -> dict[str, str]:
        return {} if self._project() is not None else {"project": "pick the project"}

    def job(self, db: Database) -> Rotation:
        project = self._project()
        assert project is not None
        return backend.rotation.rotate(db, self.account, project, self.orchestrator.clock())


class BriefingScreen(BaseScreen):
    """A rotation briefing to read and copy (with the handoff a new session loaded)."""

    CSS_PATH = "accounts.tcss"
    HELP_TITLE = "Rotation briefing"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy", tooltip="Copy it all to the clipboard"),
        Binding("escape", "close", "Back", tooltip="Close"),
    ]

    def __init__(self, heading: str, content: str) -> None:
        super().__init__()
        self.heading = heading
        self.content = content

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            f"{self.heading} · y copies it", id="briefing-title", classes="summary", markup=False
        )
        with VerticalScroll(id="briefing-view"):
            yield Markdown(self.content, id="briefing-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#briefing-view").focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.content)

    def action_close(self) -> None:
        self.app.pop_screen()


def briefings_and_handoff(queued: list[QueuedHandoff], handoff: str | None) -> str:
    """What a session that loaded rotation briefings starts with: the briefings, newest first,
    then the previous session's handoff."""
    parts = [item.content.rstrip() for item in queued]
    if handoff:
        parts.append(handoff.rstrip())
    return "\n\n---\n\n".join(parts) + "\n"


def open_rotate_form(screen: BaseScreen, account: str, project_id: int | None = None) -> None:
    """Ask which project (none open: the user picks), rotate, then show the queued briefing."""

    def rotated(rotation: Rotation | None) -> None:
        if rotation is None:
            return
        screen.changed()
        new = rotation.to_account
        screen.notify(
            f"{rotation.from_account.name} is exhausted; {rotation.queued.project_name} "
            f"continues on {new.name} ({new.credits_remaining:,} credits left)."
        )
        screen.app.push_screen(
            BriefingScreen(
                f"Queued for the next session of {rotation.queued.project_name}: "
                f"{rotation.from_account.name} → {new.name}",
                rotation.queued.content,
            )
        )

    def ask(projects: list[ProjectSummary]) -> None:
        if not screen.is_current:  # the user may have moved on while they loaded
            return
        if not projects:
            screen.notify("There is no active project to rotate for.", severity="warning")
            return
        screen.app.push_screen(RotateForm(account, projects, project_id), rotated)

    db_work(
        screen,
        lambda db: backend.projects.list_projects(db, 0, 500, include_archived=False).items,
        ask,
        group="rotate-form",
        description="Loading the projects",
    )
