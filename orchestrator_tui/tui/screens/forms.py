"""The dialogs: project, account, new session, complete session, save to file, confirm."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Select, Static

from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import (
    PLATFORMS,
    RESET_CADENCES,
    SESSION_TYPES,
    AccountStatus,
    AccountView,
    ProjectSummary,
    Recommendation,
    SessionDetail,
    StartedSession,
)
from orchestrator_tui.tui import backend
from orchestrator_tui.tui.screens.form import FieldInput, FormModal
from orchestrator_tui.validation import clean_name, completion_errors, parse_credits, parse_time

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services.accounts import AccountFields
    from orchestrator_tui.tui.app import CompletionDraft

NO_ACCOUNT = "—"
RESET_FORMAT = "%Y-%m-%d %H:%M"


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value.replace("_", " "), value) for value in values]


class ProjectForm(FormModal[ProjectSummary]):
    """Create a project, or edit one when ``project`` is given."""

    DESCRIPTION = "Saving the project"

    def __init__(self, project: ProjectSummary | None = None) -> None:
        super().__init__(f"Edit project {project.name}" if project else "New project")
        self.project = project

    def fields(self) -> ComposeResult:
        project = self.project
        yield from self.field(
            "name", "Name", FieldInput(project.name if project else "", max_length=200)
        )
        description = project.description if project else ""
        yield from self.field("description", "Description", FieldInput(description))

    def validate(self) -> dict[str, str]:
        try:
            clean_name(self.value("name"))
        except ValidationError as error:
            return error.errors
        return {}

    def job(self, db: Database) -> ProjectSummary:

        name, description = self.value("name"), self.value("description")
        if self.project is None:
            return backend.projects.create_project(db, name, description)
        return backend.projects.update_project(db, self.project.id, name, description)


class AccountForm(FormModal[AccountView]):
    """Add an account to the pool, or edit one when ``account`` is given."""

    DESCRIPTION = "Saving the account"

    def __init__(self, account: AccountView | None = None) -> None:
        super().__init__(f"Edit account {account.name}" if account else "New account")
        self.account = account

    def fields(self) -> ComposeResult:
        a = self.account
        yield from self.field("name", "Name", FieldInput(a.name if a else "", max_length=200))
        yield from self.field(
            "platform",
            "Platform",
            Select(_choices(PLATFORMS), value=a.platform if a else "claude", allow_blank=False),
        )
        yield from self.field(
            "credit_limit",
            "Credit limit",
            FieldInput(str(a.credit_limit) if a else "", placeholder="e.g. 1000"),
        )
        yield from self.field(
            "credits_remaining",
            "Credits remaining (empty: the limit)",
            FieldInput(str(a.credits_remaining) if a else ""),
        )
        statuses = tuple(status.value for status in AccountStatus)
        yield from self.field(
            "status",
            "Status",
            Select(_choices(statuses), value=a.status if a else "available", allow_blank=False),
        )
        yield from self.field(
            "specialization",
            "Specialization (comma-separated tags)",
            FieldInput(a.specialization if a else "", placeholder="e.g. python, refactoring"),
        )
        yield from self.field(
            "reset_cadence",
            "Credits reset",
            Select(
                _choices(RESET_CADENCES),
                value=a.reset_cadence if a else "none",
                allow_blank=False,
            ),
        )
        yield from self.field(
            "next_reset_at",
            "Next reset, UTC (blank: one period of the cadence from now)",
            FieldInput(
                a.next_reset_at.astimezone(UTC).strftime(RESET_FORMAT)
                if a and a.next_reset_at
                else "",
                placeholder="e.g. 2026-12-01 00:00",
            ),
        )
        yield from self.field("notes", "Notes", FieldInput(a.notes if a else ""))

    def _select(self, name: str) -> str:
        return str(self.query_one(f"#field-{name}", Select).value)

    def _fields(self) -> AccountFields:
        from orchestrator_tui.services.accounts import AccountFields

        return AccountFields(
            name=self.value("name"),
            platform=self._select("platform"),
            credit_limit=self.value("credit_limit"),
            credits_remaining=self.value("credits_remaining"),
            status=self._select("status"),
            specialization=self.value("specialization"),
            notes=self.value("notes"),
            reset_cadence=self._select("reset_cadence"),
            next_reset_at=self.value("next_reset_at"),
        )

    def validate(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        checks: tuple[tuple[str, Callable[[str], object]], ...] = (
            ("name", clean_name),
            ("credit_limit", parse_credits),
            ("next_reset_at", lambda raw: parse_time(raw, "next_reset_at") if raw.strip() else 0),
        )
        for name, check in checks:
            try:
                check(self.value(name))
            except ValidationError as error:
                errors[name] = error.errors.popitem()[1]
        return errors

    def job(self, db: Database) -> AccountView:
        now = self.orchestrator.clock()
        if self.account is None:
            return backend.accounts.create_account(db, self._fields(), now)
        return backend.accounts.update_account(db, self.account.id, self._fields(), now)


class NewSessionForm(FormModal[StartedSession]):
    """Start the next session of a project on an account from the pool: the recommended one
    is preselected, and why it (or any other picked) is recommended shows below the choice."""

    TITLE = "New session"
    SUBMIT_LABEL = "Start"
    DESCRIPTION = "Starting the session"
    FIRST_FIELD = "objectives"

    def __init__(
        self, project: ProjectSummary, accounts: list[AccountView], plan: Recommendation
    ) -> None:
        super().__init__(f"New session of {project.name}")
        self.project = project
        self.accounts = accounts
        self.plan = plan
        self.ranked = {account.name: account for account in plan.ranked}
        self.excluded = {account.name: account.reason for account in plan.excluded}

    def intro(self) -> str:
        return (
            "The recommended account is preselected, with why. The previous handoff (and any "
            "queued rotation briefing) loads as the session starts."
        )

    def _preselected(self) -> str:
        queued = self.plan.queued_account
        if queued is not None and queued in self.ranked:
            return queued
        best = self.plan.best
        return best.name if best else NO_ACCOUNT

    def fields(self) -> ComposeResult:
        usable = {
            a.name: a
            for a in self.accounts
            if a.status in ("available", "active") and a.credits_remaining > 0
        }
        options: list[tuple[Text, str]] = []
        for place, ranked in enumerate(self.plan.ranked, 1):
            label = (
                f"{place}. {ranked.name} · {ranked.platform} · {ranked.credits_remaining:,} left"
            )
            options.append((Text(label), ranked.name))
        for name, account in usable.items():
            if name not in self.ranked:
                label = f"{name} · {account.credits_remaining:,} left · not recommended"
                options.append((Text(label), name))
        options.append((Text("No account"), NO_ACCOUNT))
        chosen = self._preselected()
        yield from self.field(
            "account", "Account", Select(options, value=chosen, allow_blank=False)
        )
        yield Static(self._why(chosen), id="account-reasons", classes="form-intro", markup=False)
        yield from self.field(
            "session_type",
            "Type",
            Select(_choices(SESSION_TYPES), value="development", allow_blank=False),
        )
        yield from self.field(
            "objectives",
            "Objectives (separate several with ;)",
            FieldInput(placeholder="e.g. Finish the importer; add tests"),
        )

    def _why(self, name: str) -> str:
        if name == NO_ACCOUNT:
            return "No account: the credits are recorded, nothing is deducted."
        lines: list[str] = []
        if name == self.plan.queued_account:
            lines.append("• the last rotation queued its briefing for this account")
        ranked = self.ranked.get(name)
        if ranked is not None:
            lines += [f"• {reason}" for reason in ranked.reasons]
        else:
            lines.append(f"• not recommended: {self.excluded.get(name, 'not ranked')}")
        return "\n".join(lines)

    @on(Select.Changed, "#field-account")
    def _account_changed(self, event: Select.Changed) -> None:
        self.query_one("#account-reasons", Static).update(self._why(str(event.value)))

    def job(self, db: Database) -> StartedSession:

        account = str(self.query_one("#field-account", Select).value)
        return backend.sessions.start_session(
            db,
            self.project.id,
            account=None if account == NO_ACCOUNT else account,
            objectives=self.value("objectives"),
            session_type=str(self.query_one("#field-session_type", Select).value),
        )


class CompleteSessionForm(FormModal[SessionDetail]):
    """Credits used, accomplishments, blockers, next steps. Escape keeps the draft."""

    SUBMIT_LABEL = "Complete"
    DESCRIPTION = "Completing the session"
    FIELDS = ("credits", "accomplishments", "blockers", "next_steps")

    def __init__(self, session: SessionDetail, draft: CompletionDraft) -> None:
        super().__init__(f"Complete session #{session.number} of {session.project_name}")
        self.session = session
        self.draft = draft

    def intro(self) -> str:
        if self.session.account_name is None:
            return "No account: the credits are recorded, nothing is deducted."
        left = self.session.account_credits_remaining
        where = f"{left:,} credits left" if left is not None else "deleted since"
        return f"Account {self.session.account_name}: {where}."

    def fields(self) -> ComposeResult:
        d = self.draft
        yield from self.field(
            "credits", "Credits used", FieldInput(d.credits, placeholder="e.g. 85")
        )
        yield from self.field(
            "accomplishments",
            "Accomplishments (required; separate items with ;)",
            FieldInput(d.accomplishments, placeholder="e.g. Built the parser; 12 tests pass"),
        )
        yield from self.field("blockers", "Blockers", FieldInput(d.blockers))
        yield from self.field("next_steps", "Next steps", FieldInput(d.next_steps))

    def keep_draft(self) -> None:
        for name in self.FIELDS:
            setattr(self.draft, name, self.value(name))

    def validate(self) -> dict[str, str]:
        self.keep_draft()
        errors, _ = completion_errors(
            self.value("credits"),
            self.value("accomplishments"),
            self.session.account_credits_remaining,
            {"blockers": self.value("blockers"), "next_steps": self.value("next_steps")},
        )
        return errors

    def job(self, db: Database) -> SessionDetail:

        return backend.sessions.complete_session(
            db,
            self.session.id,
            self.value("credits"),
            self.value("accomplishments"),
            self.value("blockers"),
            self.value("next_steps"),
        )


class SaveFileForm(FormModal[Path]):
    """Write text to a file. An existing file is replaced only after a second Enter."""

    TITLE = "Save the handoff to a file"
    DESCRIPTION = "Writing the file"

    def __init__(self, text: str, suggested: str) -> None:
        super().__init__()
        self.text = text
        self.suggested = suggested
        self._replace_confirmed: Path | None = None

    def fields(self) -> ComposeResult:
        yield from self.field("path", "File (Markdown)", FieldInput(self.suggested))

    def validate(self) -> dict[str, str]:
        raw = self.value("path").strip()
        if not raw:
            return {"path": "enter a file name"}
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            return {"path": "that is a directory; add a file name"}
        if path.exists() and path != self._replace_confirmed:
            self._replace_confirmed = path
            return {"path": "that file exists: press Enter again to replace it"}
        return {}

    def job(self, db: Database) -> Path:
        from orchestrator_tui.errors import OrchestratorError
        from orchestrator_tui.redact import redact

        path = Path(self.value("path").strip()).expanduser().resolve()
        try:
            path.write_text(redact(self.text), encoding="utf-8")
        except OSError as error:
            raise OrchestratorError(f"Cannot write {path}: {error.strerror or error}") from None
        return path


class ConfirmModal(ModalScreen[bool]):
    """Yes or no. Enter or y confirms, Escape or n declines."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="form confirm"):
            yield Static(self.question, markup=False, classes="form-intro")
            with Horizontal(classes="form-buttons"):
                yield Button(self.confirm_label, variant="error", id="yes")
                yield Button("Cancel", id="no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class QuitConfirm(ConfirmModal):
    """The question asked before quitting over unsaved edits (ctrl+q again quits)."""

    def __init__(self, question: str) -> None:
        super().__init__(question, "Quit")
