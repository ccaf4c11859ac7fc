"""A DataTable for rows of records: string cells are shown as typed, never parsed as markup
(a project called "notes [/]" must neither vanish nor crash the table), and rows are keyed by
the record's id."""

from __future__ import annotations

from contextlib import suppress

from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey


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

    def add_fixed_columns(self, *columns: tuple[str, int]) -> None:
        """Columns of fixed width (label, width): the table never measures its cells, so
        a page of rows costs the same whatever they hold, and the layout never shifts."""
        for label, width in columns:
            self.add_column(label, key=label, width=width)

    def cursor_id(self) -> int | None:
        """The id (row key) of the row under the cursor."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key else None

    def move_to_id(self, record_id: int | None) -> None:
        """Put the cursor back on a record after the rows were reloaded, if it is still there."""
        if record_id is None:
            return
        with suppress(RowDoesNotExist):
            self.move_cursor(row=self.get_row_index(str(record_id)))
