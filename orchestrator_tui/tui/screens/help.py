"""The key map, and a plain message box."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label, Static

from orchestrator_tui.tui.widgets.plain_table import PlainTable


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close"),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form help"):
            yield Label(
                "Keys (Escape closes; ctrl+p opens the command palette)", classes="form-title"
            )
            yield PlainTable(id="help-table", cursor_type="row", show_header=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "What it does")
        for section, rows in self.sections:
            for index, (keys, text) in enumerate(rows):
                table.add_row(section if index == 0 else "", keys, text)
        table.focus()


class MessageScreen(ModalScreen[None]):
    """A message that stays until it is read: Escape closes it, unless it is not
    ``closable`` (a database that cannot be opened leaves nothing to go back to)."""

    CSS_PATH = "dialogs.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, title: str, message: str, closable: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.closable = closable

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.closable if action == "close" else True

    def action_close(self) -> None:
        self.dismiss(None)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form message"):
            yield Label(self.title_text, classes="form-title")
            yield Static(self.message, markup=False)
        yield Footer()
