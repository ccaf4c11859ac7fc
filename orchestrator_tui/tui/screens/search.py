"""Search everything: hits appear as you type (the query runs in a worker a moment after the
last key; an answer to an older query is dropped), matches highlighted; Enter opens the
session at the matching turn."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.services.search import SearchHit, SearchPage
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.workers import db_work

TYPING_PAUSE = 0.25  # seconds without a key before the query runs
PAGE = 25
MORE = "more"
LINE_WIDTH = 124
KIND_LABEL = {"turn": "turn", "handoff": "handoff", "session": "session", "knowledge": "knowledge"}


def describe_hit(hit: SearchHit, width: int = LINE_WIDTH) -> Text:
    """Where the hit is, then its snippet on one line with the matches highlighted."""
    if hit.kind == "knowledge":
        head = Text.assemble(("★ knowledge", "bold yellow"), f" · {hit.title}")
    else:
        head = Text.assemble((f"{hit.project} #{hit.session_number}", "bold"))
        if hit.kind == "turn":
            head.append(f" · turn {hit.turn_position} ({hit.role})")
        else:
            head.append(f" · {KIND_LABEL[hit.kind]}")
        if hit.title:
            head.append(f" · {hit.title}", style="italic")
    when = fmt.when(hit.created_at) if hit.created_at else ""
    head.truncate(width - len(when) - 2, overflow="ellipsis")
    head.append(f"  {when}", style="dim")
    snippet = Text(hit.snippet)
    for start, end in hit.highlights:
        snippet.stylize("bold reverse", start, end)
    flat = Text(" ").join(_lines(snippet))
    flat.truncate(width - 2, overflow="ellipsis")
    return head + Text("\n  ") + flat


def _lines(text: Text) -> list[Text]:
    """The snippet's lines, blank ones left out (one line in the list)."""
    return [line for line in text.split("\n") if line.plain.strip()]


class SearchScreen(BaseScreen):
    CSS_PATH = "search.tcss"
    HELP_TITLE = "Search"
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("enter", "On a hit: open its session at that turn (a knowledge item: show it)"),
        ("down", "From the query: go to the hits"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "focus_query", "Query", tooltip="Back to the query"),
        Binding("down", "to_hits", show=False),  # in HELP_EXTRA
        Binding("escape", "back", "Back", tooltip="Back to where you were"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[SearchHit] = []
        self.page: SearchPage | None = None
        self._asked = ""  # the query whose answer is awaited; an older answer is dropped
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("search")
        yield Input(
            placeholder='words · "a phrase" · prefix* · -excluded   (turns, handoffs, '
            "sessions, knowledge)",
            id="search-query",
        )
        yield Static("Type to search.", id="search-status", markup=False)
        yield OptionList(id="search-hits")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search-query", Input).focus()

    def on_screen_resume(self) -> None:
        self.query_one("#search-query", Input).focus()

    @on(Input.Changed, "#search-query")
    def _typed(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(TYPING_PAUSE, lambda: self.run_query(0))

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.run_query(0)
        self.query_one("#search-hits", OptionList).focus()

    def action_to_hits(self) -> None:
        """Down from the query (the list uses Down itself once it has the focus)."""
        if self.hits:
            hits = self.query_one("#search-hits", OptionList)
            if hits.highlighted is None:
                hits.highlighted = 0
            hits.focus()

    def run_query(self, offset: int) -> None:
        from orchestrator_tui.services.search import search

        text = self.query_one("#search-query", Input).value
        status = self.query_one("#search-status", Static)
        if not text.strip():
            self._asked = ""
            self.hits = []
            self.page = None
            self.query_one("#search-hits", OptionList).clear_options()
            status.update("Type to search.")
            return
        self._asked = text
        status.update("Searching…")

        def shown(page: SearchPage) -> None:
            if page.query != self._asked:
                return  # the user typed on
            self.show_page(page, append=offset > 0)

        def refused(error: OrchestratorError) -> None:
            if text == self._asked:
                status.update(str(error))

        db_work(
            self,
            lambda db: search(db, text, offset=offset, limit=PAGE, typing=True),
            shown,
            group="search",
            description="Searching",
            on_error=refused,
        )

    def show_page(self, page: SearchPage, *, append: bool) -> None:
        hits = self.query_one("#search-hits", OptionList)
        if not append:
            self.hits = []
            hits.clear_options()
        elif hits.option_count and hits.get_option_at_index(hits.option_count - 1).id == MORE:
            hits.remove_option(MORE)
        first_new = len(self.hits)
        self.hits += page.hits
        hits.add_options(
            Option(describe_hit(hit), id=str(first_new + number))
            for number, hit in enumerate(page.hits)
        )
        if page.has_more:
            hits.add_option(Option(Text("▼ more hits (Enter)", style="bold"), id=MORE))
        self.page = page
        self.query_one("#search-status", Static).update(self._status(page))
        if append and first_new < hits.option_count:
            hits.highlighted = first_new

    def _status(self, page: SearchPage) -> str:
        if not self.hits:
            return f"Nothing matches {page.query!r}."
        more = " or more" if page.has_more else ""
        status = f"{len(self.hits):,}{more} hits · best first · Enter opens one"
        if page.method == "like":
            status = f"{len(self.hits):,}{more} hits · newest first (no full-text index here)"
        if page.newest_first:
            status += (
                f" · very common words: the newest {', '.join(page.newest_first)} matches first"
            )
        return status

    @on(OptionList.OptionSelected, "#search-hits")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == MORE:
            if self.page is not None:
                self.run_query(len(self.hits))
            return
        if event.option.id is None:
            return
        hit = self.hits[int(event.option.id)]
        if hit.kind == "knowledge" or hit.session_id is None:
            from orchestrator_tui.tui.screens.help import MessageScreen

            self.app.push_screen(MessageScreen(f"Knowledge · {hit.title}", hit.snippet))
            return
        from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen

        self.app.push_screen(
            SessionDetailScreen(
                hit.session_id, hit.turn_position or 0, mark_turn=hit.turn_position is not None
            )
        )

    def action_focus_query(self) -> None:
        self.query_one("#search-query", Input).focus()

    def action_back(self) -> None:
        self.orchestrator.go_back()
