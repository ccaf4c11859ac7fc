"""The knowledge base: items filtered as you type (words, or #tag), by category with c; add,
edit, delete; suggestions from the open project's recent sessions, promoted with Enter; the
list copied as an AGENTS.md / CLAUDE.md section."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.form import FieldInput, FormModal
from orchestrator_tui.tui.screens.forms import ConfirmModal
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.records import Page
    from orchestrator_tui.services.knowledge import KnowledgeView, Suggestion

CATEGORIES = ("pattern", "error_solution", "optimization", "best_practice", "tip")
PAGE = 500
TYPING_PAUSE = 0.25


def _filters(raw: str) -> tuple[str | None, str | None]:
    """``#tag words``: the tag (the first ``#word``) and the rest as text."""
    tag = None
    words = []
    for part in raw.split():
        if part.startswith("#") and tag is None and len(part) > 1:
            tag = part[1:]
        else:
            words.append(part)
    return tag, " ".join(words) or None


class KnowledgeForm(FormModal["KnowledgeView"]):
    """Add an item, or edit one when ``item`` is given."""

    DESCRIPTION = "Saving the item"

    def __init__(self, item: KnowledgeView | None = None, project: str | None = None) -> None:
        super().__init__(f"Edit knowledge item {item.id}" if item else "New knowledge item")
        self.item = item
        self.project = item.project if item else project

    def fields(self) -> ComposeResult:
        item = self.item
        yield from self.field(
            "category",
            "Category",
            Select(
                [(name.replace("_", " "), name) for name in CATEGORIES],
                value=item.category if item else "tip",
                allow_blank=False,
            ),
        )
        yield from self.field("title", "Title", FieldInput(item.title if item else ""))
        yield from self.field("body", "Body", FieldInput(item.body if item else ""))
        yield from self.field(
            "tags", "Tags (comma-separated)", FieldInput(item.tags if item else "")
        )
        yield from self.field(
            "project",
            "Project (empty: every project)",
            FieldInput(self.project or "", placeholder="global"),
        )

    def validate(self) -> dict[str, str]:
        return {} if self.value("title").strip() else {"title": "required"}

    def job(self, db: Database) -> KnowledgeView:
        fields = backend.knowledge.KnowledgeFields(
            category=str(self.query_one("#field-category", Select).value),
            title=self.value("title"),
            body=self.value("body"),
            tags=self.value("tags"),
            project=self.value("project").strip() or None,
        )
        if self.item is None:
            return backend.knowledge.add_item(db, fields)
        return backend.knowledge.update_item(db, self.item.id, fields)


class SuggestionsScreen(ModalScreen["KnowledgeView | None"]):
    """What the project's recent sessions established; Enter promotes one into the base."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
    ]
    HELP_TITLE = "Knowledge suggestions"

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id
        self.found: list[Suggestion] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label("Suggestions from the project's recent sessions", classes="form-title")
            yield Static("Reading the sessions…", id="suggestions-status", markup=False)
            yield OptionList(id="suggestions")
        yield Footer()

    def on_mount(self) -> None:
        db_work(
            self,
            lambda db: backend.knowledge.recent_suggestions(db, self.project_id),
            self._show,
            group="suggestions",
            description="Reading the sessions",
        )

    def _show(self, found: list[Suggestion]) -> None:
        self.found = found
        options = self.query_one("#suggestions", OptionList)
        options.add_options(
            Option(
                Text.assemble(
                    (f"{s.category.replace('_', ' ')} · ", "bold"),
                    s.title,
                    (f"\n  {fmt.one_line(s.body, 100)}", "dim"),
                ),
                id=str(number),
            )
            for number, s in enumerate(found)
        )
        status = (
            f"{len(found)} suggestion(s): Enter adds one to the knowledge base, Escape closes."
            if found
            else "Nothing to suggest: no fixed error, decision or constraint in these sessions "
            "that is not in the base already."
        )
        self.query_one("#suggestions-status", Static).update(status)
        if found:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#suggestions")
    def _promote(self, event: OptionList.OptionSelected) -> None:
        chosen = self.found[int(event.option.id or 0)]
        fields = backend.knowledge.KnowledgeFields(
            chosen.category, chosen.title, chosen.body, "", self.project_id
        )
        db_work(
            self,
            lambda db: backend.knowledge.add_item(db, fields, chosen.source_session_id),
            self.dismiss,
            group="promote",
            description="Adding the suggestion",
        )

    def action_close(self) -> None:
        self.dismiss(None)


class KnowledgeScreen(BaseScreen):
    CSS_PATH = "knowledge.tcss"
    HELP_TITLE = "Knowledge base"
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("#tag words", "In the filter: items with that tag and those words"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add", tooltip="Add a knowledge item"),
        Binding("enter,e", "edit", "Edit", tooltip="Edit the selected item"),
        Binding("delete,x", "delete", "Delete", tooltip="Delete the selected item"),
        Binding("c", "category", "Category", tooltip="Show one category, the next, or all"),
        Binding("g", "suggest", "Suggestions", tooltip="From the open project's recent sessions"),
        Binding(
            "y", "copy", "Copy AGENTS.md", tooltip="Copy the items shown as an AGENTS.md section"
        ),
        Binding("ctrl+f", "filter", "Filter", tooltip="Type words or #tag to filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[int, KnowledgeView] = {}
        self.category: str | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("knowledge")
        yield Input(placeholder="filter: words, or #tag (ctrl+f)", id="knowledge-filter")
        yield Static("", classes="summary", id="knowledge-summary", markup=False)
        yield PlainTable(id="knowledge-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="knowledge-body", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(PlainTable)
        table.add_fixed_columns(
            ("Category", 14), ("Title", 52), ("Tags", 24), ("Scope", 18), ("Uses", 5)
        )
        table.focus()  # the letter keys act on the list; ctrl+f goes to the filter

    def reload(self) -> None:
        tag, text = _filters(self.query_one("#knowledge-filter", Input).value)
        category = self.category

        def job(db: Database) -> Page[KnowledgeView]:
            return backend.knowledge.list_items(
                db, category=category, tag=tag, text=text, limit=PAGE
            )

        db_work(self, job, self._show, group="knowledge", description="Loading the knowledge base")

    def _show(self, page: Page[KnowledgeView]) -> None:
        table = self.query_one(PlainTable)
        selected = table.cursor_id()
        table.clear()
        self.items = {item.id: item for item in page.items}
        for item in page.items:
            table.add_row(
                item.category.replace("_", " "),
                fmt.one_line(item.title, 52),
                fmt.one_line(item.tags, 24),
                fmt.one_line(item.project or "every project", 18),
                str(item.usage_count),
                key=str(item.id),
            )
        table.move_to_id(selected)
        shown = self.category.replace("_", " ") if self.category else "all categories"
        more = f" (the first {len(page.items):,})" if page.has_more else ""
        summary = f"{page.total:,} item(s){more} · {shown} · c: category · g: suggestions"
        if page.total == 0:
            summary = "No items here. n adds one; g suggests some from the open project."
        self.query_one("#knowledge-summary", Static).update(summary)
        self._show_body()

    @on(DataTable.RowHighlighted)
    def _show_body(self) -> None:
        item = self.selected()
        body = self.query_one("#knowledge-body", Static)
        if item is None:
            body.update("")
            return
        source = f"\n\nFrom session id {item.source_session_id}." if item.source_session_id else ""
        body.update(f"{item.title}\n\n{item.body or '(no body)'}{source}")

    @on(Input.Changed, "#knowledge-filter")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self.reload)

    @on(Input.Submitted, "#knowledge-filter")
    def _submitted(self) -> None:
        self.reload()
        self.query_one(PlainTable).focus()

    def selected(self) -> KnowledgeView | None:
        record_id = self.query_one(PlainTable).cursor_id()
        return self.items.get(record_id) if record_id is not None else None

    def action_filter(self) -> None:
        self.query_one("#knowledge-filter", Input).focus()

    def action_category(self) -> None:
        order: list[str | None] = [None, *CATEGORIES]
        self.category = order[(order.index(self.category) + 1) % len(order)]
        self.reload()

    def action_add(self) -> None:
        """A new item belongs to the open project, if one is open (the form can clear it)."""
        project_id = self.orchestrator.current_project_id
        if project_id is None:
            self.app.push_screen(KnowledgeForm(), self._saved)
            return
        db_work(
            self,
            lambda db: backend.knowledge.project_name(db, project_id),
            lambda name: self.app.push_screen(KnowledgeForm(project=name), self._saved),
            group="knowledge-form",
            description="Opening the form",
        )

    @on(DataTable.RowSelected)
    def action_edit(self) -> None:
        item = self.selected()
        if item is not None:
            self.app.push_screen(KnowledgeForm(item), self._saved)

    def _saved(self, item: KnowledgeView | None) -> None:
        if item is not None:
            self.saved(f"Saved knowledge item: {item.title}")

    def action_delete(self) -> None:
        item = self.selected()
        if item is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                db_work(
                    self,
                    lambda db: backend.knowledge.delete_item(db, item.id),
                    lambda gone: self.saved(f"Deleted knowledge item: {gone.title}"),
                    group="knowledge-write",
                    description="Deleting the item",
                )

        self.app.push_screen(ConfirmModal(f"Delete the knowledge item {item.title!r}?"), answer)

    def action_suggest(self) -> None:
        project_id = self.orchestrator.current_project_id
        if project_id is None:
            self.notify("Open a project first (p, then Enter): suggestions come from its sessions.")
            return
        self.app.push_screen(SuggestionsScreen(project_id), self._saved)

    def action_copy(self) -> None:
        items = list(self.items.values())
        if not items:
            self.notify("No items to copy.")
            return
        from orchestrator_tui.services.knowledge import agents_snippet

        self.app.copy_to_clipboard(agents_snippet(items))


class KnowledgePicker(ModalScreen["KnowledgeView | None"]):
    """Pick an item to insert into a handoff: type to filter, Enter picks."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    HELP_TITLE = "Insert knowledge"

    def __init__(self) -> None:
        super().__init__()
        self.found: list[KnowledgeView] = []
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(
                "Insert a knowledge item (Enter inserts it at the cursor)", classes="form-title"
            )
            yield Input(placeholder="filter: words, or #tag", id="picker-filter")
            yield OptionList(id="picker-items")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @on(Input.Changed, "#picker-filter")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, self._load)

    @on(Input.Submitted, "#picker-filter")
    def _to_list(self) -> None:
        self.query_one("#picker-items", OptionList).focus()

    def _load(self) -> None:
        tag, text = _filters(self.query_one("#picker-filter", Input).value)
        db_work(
            self,
            lambda db: backend.knowledge.list_items(db, tag=tag, text=text, limit=100),
            self._show,
            group="picker",
            description="Loading the knowledge base",
        )

    def _show(self, page: Page[KnowledgeView]) -> None:
        self.found = page.items
        options = self.query_one("#picker-items", OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Text.assemble(
                    (f"{item.category.replace('_', ' ')} · ", "bold"),
                    item.title,
                    (f"  ({item.project or 'every project'}, used {item.usage_count}×)", "dim"),
                ),
                id=str(number),
            )
            for number, item in enumerate(page.items)
        )
        if page.items:
            options.highlighted = 0

    @on(OptionList.OptionSelected, "#picker-items")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.found[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)
