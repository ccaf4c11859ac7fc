"""Totals computed from the rows, and the latest sessions of every project."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.widgets import Digits, Footer, Header, Label, Static

from orchestrator_tui.records import DashboardTotals
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

CARDS = (
    ("projects", "Projects"),
    ("active_accounts", "Usable accounts"),
    ("sessions", "Sessions"),
    ("in_progress", "In progress"),
    ("credits_used", "Credits used"),
    ("credits_remaining", "Credits left in pool"),
)


class DashboardScreen(BaseScreen):
    CSS_PATH = "dashboard.tcss"
    HELP_TITLE = "Dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", tooltip="Recompute the totals"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("dashboard")
        with Grid(id="cards"):
            for key, title in CARDS:
                with Vertical(classes="card"):
                    yield Label(title, classes="card-title")
                    yield Digits("…", id=f"card-{key}")
        yield Static("Latest sessions", classes="section-title", markup=False)
        yield PlainTable(id="recent", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_fixed_columns(
            ("Project", 20),
            ("Session", 30),
            ("Status", 13),
            ("Account", 18),
            ("Credits", 8),
            ("Started", 16),
            ("Handoff", 7),
        )

    def on_screen_resume(self) -> None:
        self.reload()  # totals are cheap and may move in other processes too

    def action_refresh(self) -> None:
        self.reload()

    def reload(self) -> None:

        db_work(
            self,
            lambda db: backend.dashboard.totals(db),
            self._show,
            group="dashboard",
            description="Totals",
        )

    def _show(self, totals: DashboardTotals) -> None:
        for key, _ in CARDS:
            self.query_one(f"#card-{key}", Digits).update(f"{getattr(totals, key):,}")
        table = self.query_one(PlainTable)
        table.clear()
        for row in totals.recent:
            table.add_row(
                row.project_name,
                f"#{row.number} {fmt.one_line(row.title, 24)}".strip(),
                fmt.status(row.status),
                row.account_name or "—",
                fmt.number(row.credits_used),
                fmt.when(row.started_at),
                "✔" if row.has_handoff else "",
            )
