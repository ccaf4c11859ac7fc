"""The account pool: credits left of limit, status, specialization; add, edit, delete."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from orchestrator_tui.records import AccountView, Page
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.forms import AccountForm, ConfirmModal
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

PAGE = 1000


class AccountsScreen(BaseScreen):
    HELP_TITLE = "Account pool"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add", tooltip="Add an account to the pool"),
        Binding("enter,e", "edit", "Edit", tooltip="Edit the selected account"),
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
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_fixed_columns(
            ("Account", 20),
            ("Platform", 8),
            ("Credits left / limit", 22),
            ("Status", 9),
            ("Specialization", 26),
            ("Resets", 7),
            ("Last used", 16),
        )

    def reload(self) -> None:

        db_work(
            self,
            lambda db: backend.accounts.list_accounts(db, 0, PAGE),
            self._show,
            group="accounts",
            description="Loading the account pool",
        )

    def _show(self, page: Page[AccountView]) -> None:
        table = self.query_one(PlainTable)
        selected = self.selected()
        table.clear()
        self.accounts = {account.id: account for account in page.items}
        for account in page.items:
            table.add_row(
                account.name,
                account.platform,
                fmt.credits_bar(account.credits_remaining, account.credit_limit),
                account.status,
                fmt.one_line(account.specialization, 26),
                account.reset_cadence,
                fmt.when(account.last_used_at),
                key=str(account.id),
            )
        table.move_to_id(selected.id if selected else None)
        usable = sum(1 for a in page.items if a.status in ("available", "active"))
        left = sum(a.credits_remaining for a in page.items)
        summary = f"{page.total:,} account(s) · {usable} usable · {left:,} credits left in the pool"
        if page.total == 0:
            summary = "The pool is empty. Press n to add an account."
        self.query_one("#accounts-summary", Static).update(summary)
        table.focus()

    def selected(self) -> AccountView | None:
        table = self.query_one(PlainTable)
        record_id = table.cursor_id()
        return self.accounts.get(record_id) if record_id is not None else None

    def action_refresh(self) -> None:
        self.reload()

    def action_add(self) -> None:
        self.app.push_screen(AccountForm(), self._saved)

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        account = self.selected()
        if account is not None:
            self.app.push_screen(AccountForm(account), self._saved)

    def _saved(self, account: AccountView | None) -> None:
        if account is not None:
            self.saved(f"Saved account {account.name}.")

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
