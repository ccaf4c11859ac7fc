"""The account pool: a usage bar per account (credits left of the limit, coloured by status),
when its credits next reset, specialization; add, batch add, edit, delete, rotate out; the
briefings waiting in the handoff queue."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from orchestrator_tui.records import AccountView, Page, QueuedHandoff
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.forms import AccountForm, ConfirmModal
from orchestrator_tui.tui.screens.pool import BatchAccountsForm, open_rotate_form
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database

PAGE = 1000
QUEUE_SHOWN = 3
# The theme colour of each status (the usage bar and the status cell); blocked is dimmed.
STATUS_COLOURS = {"available": "success", "active": "primary", "exhausted": "error"}

Pool = tuple[Page[AccountView], list[QueuedHandoff]]


def _short(value: datetime | None) -> str:
    return "—" if value is None else value.astimezone().strftime("%m-%d %H:%M")


def resets_cell(account: AccountView) -> str:
    """``monthly 12-01 00:00``: the cadence and when the credits next come back."""
    if account.next_reset_at is None:
        return account.reset_cadence
    cadence = "once" if account.reset_cadence == "none" else account.reset_cadence
    return f"{cadence} {_short(account.next_reset_at)}"


class AccountsScreen(BaseScreen):
    CSS_PATH = "accounts.tcss"
    HELP_TITLE = "Account pool"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add", tooltip="Add an account to the pool"),
        Binding("b", "batch", "Batch add", tooltip="Add many accounts at once from pasted CSV"),
        Binding("enter,e", "edit", "Edit", tooltip="Edit the selected account"),
        Binding("o", "rotate", "Rotate", tooltip="Rotate the selected account out of a project"),
        Binding("delete,x", "delete", "Delete", tooltip="Delete it (its sessions keep its name)"),
        Binding("r", "refresh", "Refresh", tooltip="Read the pool again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[int, AccountView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("accounts")
        yield Static("", id="accounts-summary", classes="summary", markup=False)
        yield PlainTable(id="accounts-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="accounts-queue", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_fixed_columns(
            ("Account", 20),
            ("Platform", 8),
            ("Credits left / limit", 24),
            ("Status", 9),
            ("Specialization", 17),
            ("Next reset", 19),
            ("Last used", 11),
        )

    def reload(self) -> None:

        def job(db: Database) -> Pool:
            return backend.accounts.list_accounts(db, 0, PAGE), backend.rotation.queue(db)

        db_work(self, job, self._show, group="accounts", description="Loading the account pool")

    def _show(self, pool: Pool) -> None:
        page, queued = pool
        table = self.query_one(PlainTable)
        selected = self.selected()
        table.clear()
        self.accounts = {account.id: account for account in page.items}
        theme = self.app.get_css_variables()
        for account in page.items:
            colour = theme.get(STATUS_COLOURS.get(account.status, ""), "dim")
            table.add_row(
                account.name,
                account.platform,
                Text(fmt.credits_bar(account.credits_remaining, account.credit_limit), colour),
                Text(account.status, colour),
                fmt.one_line(account.specialization, 17),
                resets_cell(account),
                _short(account.last_used_at),
                key=str(account.id),
            )
        table.move_to_id(selected.id if selected else None)
        self.query_one("#accounts-summary", Static).update(self._summary(page))
        self.query_one("#accounts-queue", Static).update(self._queue(queued))
        table.focus()

    @staticmethod
    def _summary(page: Page[AccountView]) -> str:
        if page.total == 0:
            return "The pool is empty. Press n to add an account, b to paste many."
        usable = sum(1 for a in page.items if a.status in ("available", "active"))
        left = sum(a.credits_remaining for a in page.items)
        parts = [f"{page.total:,} account(s)", f"{usable} usable", f"{left:,} credits left"]
        upcoming = [a for a in page.items if a.next_reset_at is not None]
        if upcoming:
            first = min(upcoming, key=lambda a: (a.next_reset_at, a.name))
            parts.append(f"next reset: {first.name} {fmt.when(first.next_reset_at)}")
        return " · ".join(parts)

    @staticmethod
    def _queue(queued: list[QueuedHandoff]) -> str:
        if not queued:
            return "Handoff queue: empty. o rotates the selected account out of a project."
        lines = [f"Handoff queue: {len(queued)} briefing(s) waiting for a project's next session"]
        for item in queued[:QUEUE_SHOWN]:
            lines.append(
                f"  {item.project_name}: {item.from_account or '—'} → {item.to_account or '—'}"
                f" (since {_short(item.created_at)})"
            )
        if len(queued) > QUEUE_SHOWN:
            lines.append(f"  … and {len(queued) - QUEUE_SHOWN} more")
        return "\n".join(lines)

    def selected(self) -> AccountView | None:
        table = self.query_one(PlainTable)
        record_id = table.cursor_id()
        return self.accounts.get(record_id) if record_id is not None else None

    def action_refresh(self) -> None:
        self.reload()

    def action_add(self) -> None:
        self.app.push_screen(AccountForm(), self._saved)

    def action_batch(self) -> None:

        def added(created: list[AccountView] | None) -> None:
            if created:
                names = ", ".join(account.name for account in created)
                self.saved(f"Added {len(created)} account(s): {names}.")

        self.app.push_screen(BatchAccountsForm(), added)

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        account = self.selected()
        if account is not None:
            self.app.push_screen(AccountForm(account), self._saved)

    def _saved(self, account: AccountView | None) -> None:
        if account is not None:
            self.saved(f"Saved account {account.name}.")

    def action_rotate(self) -> None:
        account = self.selected()
        if account is not None:
            open_rotate_form(self, account.name, self.orchestrator.current_project_id)

    def action_delete(self) -> None:

        account = self.selected()
        if account is None:
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            db_work(
                self,
                lambda db: backend.accounts.delete_account(db, account.id),
                lambda gone: self.saved(f"Deleted {gone.name}; its sessions keep the name."),
                group="accounts-write",
                description="Deleting the account",
            )

        question = (
            f"Delete the account {account.name}? Sessions that ran on it stay and keep its name."
        )
        if account.status == "active":
            question += " It is active: a session in progress runs on it, and will end with no "
            question += "account to charge."
        self.app.push_screen(ConfirmModal(question, "Delete"), answer)
