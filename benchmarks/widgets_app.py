"""A second yardstick for the start-up benchmark: Textual with the widgets of the project
list (header, summary line, a data table with its columns, footer) and no data layer.

It separates what those Textual widgets cost at start-up from what orchestrator-tui adds.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

LINE = "widgets app: first frame"
COLUMNS = ("Project", "Status", "Sessions", "Open", "Credits used", "Last activity", "About")


class WidgetsApp(App[None]):
    TITLE = "widgets"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, "bell", label) for key, label in (("d", "One"), ("p", "Two"), ("t", "Three"))
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(LINE)
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column)


if __name__ == "__main__":
    WidgetsApp().run()
