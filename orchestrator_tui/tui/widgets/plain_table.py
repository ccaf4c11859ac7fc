"""A DataTable for user data: string cells are shown as typed, never parsed as markup
(a project called "notes [/]" must neither vanish nor crash the table)."""

from __future__ import annotations

from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class PlainTable(DataTable[Text]):
    def add_row(
        self,
        *cells: Text | str,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        plain = (Text(cell) if isinstance(cell, str) else cell for cell in cells)
        return super().add_row(*plain, height=height, key=key, label=label)
