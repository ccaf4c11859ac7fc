"""The yardstick for the timeline benchmark: what Textual alone needs to open a screen like
the timeline. A list screen whose Enter switches to a second mode (created on first use, as
orchestrator-tui's timeline is) with a header, a title line, a 10-column data table and a
footer; 10 ms after mounting (standing in for a fast database worker) it adds 100 rows of the
same width as the timeline's. No database, no orchestrator-tui code.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

COLUMNS = (
    "#",
    "Status",
    "Account",
    "Type",
    "Credits",
    "Started",
    "Ended",
    "Turns",
    "Handoff",
    "Objective / title",
)
ROWS = 100
WORKER_DELAY = 0.010


def _bindings(*keys: tuple[str, str]) -> list[BindingType]:
    return [Binding(key, "app.bell", label) for key, label in keys]


class ListScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = _bindings(
        ("n", "New project"), ("e", "Edit"), ("x", "Archive"), ("l", "Load demo")
    )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("3 project(s)")
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Project", "Sessions", "Credits used")
        table.add_row("Big project", "10,000", "2,000,000")
        table.focus()

    def on_data_table_row_selected(self) -> None:
        self.app.switch_mode("timeline")


class TimelineLikeScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = _bindings(
        ("enter", "Detail"),
        ("n", "New session"),
        ("c", "Complete"),
        ("h", "Handoff"),
        ("y", "Copy"),
    )

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.set_timer(WORKER_DELAY, self.fill)

    def fill(self) -> None:
        table = self.query_one(DataTable)
        for index in range(ROWS):
            table.add_row(
                f"#{10_000 - index}",
                "completed",
                "claude-3",
                "development",
                "1,234",
                "2024-05-01 10:00",
                "12:34",
                "6",
                "✔",
                "Fix the cart totals on the checkout page",
                key=str(index),
            )
        self.query_one("#title", Static).update("Big project · 10,000 session(s)")
        table.focus()


class FloorApp(App[None]):
    MODES: ClassVar[dict[str, type[Screen[None]]]] = {  # type: ignore[assignment]
        "projects": ListScreen,
        "timeline": TimelineLikeScreen,
    }
    DEFAULT_MODE = "projects"
    BINDINGS: ClassVar[list[BindingType]] = _bindings(
        ("d", "Dashboard"), ("p", "Projects"), ("t", "Timeline"), ("a", "Accounts"), ("f1", "Help")
    )
