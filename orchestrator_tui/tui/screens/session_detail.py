"""One session: metadata, what it set out to do and did, the files it changed (added, edited
and deleted here), both handoffs, its turns by page."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widget import AwaitMount, Widget
from textual.widgets import Collapsible, Footer, Header, Markdown, Static

from orchestrator_tui.records import Page, ProjectFileView, SessionDetail, TurnView
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.files import (
    FileForm,
    delete_file,
    edit_file,
    file_saved,
    setup_rows_table,
    show_rows,
)
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database

TURNS_PAGE = 25
TURN_PREVIEW = 2000
FILES_PAGE = 200  # the most important first
REVEAL_TRIES, REVEAL_EVERY = 25, 0.02  # scrolling to a marked turn: up to half a second


class SessionDetailScreen(BaseScreen):
    CSS_PATH = "session_detail.tcss"
    HELP_TITLE = "Session detail"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "complete", "Complete", tooltip="Complete this session (when open)"),
        Binding("h", "handoff", "Handoff", tooltip="Open the handoff it produced in the editor"),
        Binding("y", "copy", "Copy", tooltip="Copy the handoff it produced"),
        Binding("l", "loaded", "Loaded", tooltip="Read the handoff it started from"),
        Binding("f", "add_file", "Add file", tooltip="Record a file this session changed"),
        Binding("e", "edit_file", "Edit file", tooltip="Edit the file selected in Files"),
        Binding("x", "delete_file", "Delete file", tooltip="Delete the file selected in Files"),
        Binding(
            "o",
            "rotate",
            "Rotate",
            tooltip="Its account ran out: rotate to the next, queue a briefing",
        ),
        Binding("right_square_bracket", "page(1)", "Next page", tooltip="Next page of turns"),
        Binding("left_square_bracket", "page(-1)", "Prev page", tooltip="Previous page"),
        Binding("escape", "close", "Back", tooltip="Back to the timeline"),
    ]

    def __init__(self, session_id: int, turn: int = 0, *, mark_turn: bool = False) -> None:
        """``turn``: the index of a turn (from 0) whose page of turns is shown first;
        ``mark_turn``: that turn is highlighted and scrolled to (a search hit)."""
        super().__init__()
        self.session_id = session_id
        self.marked_turn = turn if mark_turn else None
        self.detail: SessionDetail | None = None
        self.turn_offset = turn - turn % TURNS_PAGE
        self.turn_total = 0
        self.files: dict[int, ProjectFileView] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static("Loading…", id="detail-meta", markup=False)
            yield Static("", id="detail-fields", markup=False)
            yield Static("", id="detail-files-title", classes="section-title", markup=False)
            yield PlainTable(id="detail-files", cursor_type="row")
            with Collapsible(title="Handoff it started from", id="detail-loaded", collapsed=True):
                yield Markdown("", id="detail-loaded-text")
            # Folded when a search hit opened a turn: the turn is what was asked for.
            with Collapsible(
                title="Handoff it produced",
                id="detail-produced",
                collapsed=self.marked_turn is not None,
            ):
                yield Markdown("", id="detail-produced-text")
            yield Static("", id="detail-turns-title", classes="section-title", markup=False)
            yield VerticalScroll(id="detail-turns")
        yield Footer()

    def on_mount(self) -> None:
        setup_rows_table(self.query_one("#detail-files", PlainTable))

    def reload(self) -> None:

        offset = self.turn_offset

        def job(db: Database) -> tuple[SessionDetail, Page[TurnView], Page[ProjectFileView]]:
            detail = backend.sessions.get_session(db, self.session_id)
            turns = backend.sessions.turns(db, self.session_id, offset, TURNS_PAGE)
            return detail, turns, backend.files.session_files(db, self.session_id, 0, FILES_PAGE)

        db_work(self, job, self._show, group="detail", description="Loading the session")

    def _show(self, loaded: tuple[SessionDetail, Page[TurnView], Page[ProjectFileView]]) -> None:
        detail, turns, files = loaded
        self.detail = detail
        self.sub_title = f"{detail.project_name} · session #{detail.number}"
        credits = fmt.number(detail.credits_used)
        meta = [
            f"Session #{detail.number} of {detail.project_name} · {fmt.status(detail.status)}",
            f"Account: {detail.account_name or '—'}"
            + (
                f" ({detail.account_credits_remaining:,} credits left)"
                if detail.account_credits_remaining is not None
                else (" (deleted)" if detail.account_name else "")
            ),
            f"Type: {detail.session_type} · credits used: {credits} · turns: {detail.turn_count:,}",
            f"Started {fmt.when(detail.started_at)} · ended {fmt.when(detail.ended_at)}",
        ]
        if detail.title:
            meta.insert(1, f"Title: {detail.title}")
        self.query_one("#detail-meta", Static).update("\n".join(meta))
        sections = []
        for title, text in (
            ("Objectives", detail.objectives),
            ("Accomplishments", detail.accomplishments),
            ("Blockers", detail.blockers),
            ("Next steps", detail.next_steps),
        ):
            sections.append(f"── {title} ──\n{text.strip() or '—'}")
        self.query_one("#detail-fields", Static).update("\n\n".join(sections))
        self._show_files(files)
        loaded_handoff, produced = detail.loaded_handoff, detail.produced_handoff
        self.query_one("#detail-loaded", Collapsible).title = (
            f"Handoff it started from (session #{loaded_handoff.session_number}, "
            f"v{loaded_handoff.version})"
            if loaded_handoff
            else "Handoff it started from: none"
        )
        self.query_one("#detail-loaded-text", Markdown).update(
            loaded_handoff.content if loaded_handoff else "_This session started cold._"
        )
        self.query_one("#detail-produced", Collapsible).title = (
            f"Handoff it produced (v{produced.version}, {produced.provider})"
            if produced
            else "Handoff it produced: none yet"
        )
        self.query_one("#detail-produced-text", Markdown).update(
            produced.content if produced else "_No handoff yet._"
        )
        self._show_turns(turns)

    def _show_files(self, files: Page[ProjectFileView]) -> None:
        self.files = {item.id: item for item in files.items}
        table = self.query_one("#detail-files", PlainTable)
        show_rows(table, files.items)
        table.set_class(not files.items, "hidden")
        if files.total == 0:
            title = "Files: none recorded (f adds one)"
        elif files.total > len(files.items):
            title = f"Files: the {len(files.items):,} most important of {files.total:,}"
        else:
            title = f"Files: {files.total:,} (f adds, e edits, x deletes the selected one)"
        self.query_one("#detail-files-title", Static).update(title)

    def _show_turns(self, turns: Page[TurnView]) -> None:
        self.turn_total = turns.total
        self.turn_offset = turns.offset
        title = self.query_one("#detail-turns-title", Static)
        if turns.total == 0:
            title.update("Conversation: no turns recorded")
        else:
            last = turns.offset + len(turns.items)
            title.update(
                f"Conversation: turns {turns.offset + 1:,}-{last:,} of {turns.total:,}"
                "  ([ previous page, ] next page)"
            )
        box = self.query_one("#detail-turns", VerticalScroll)
        box.remove_children()
        widgets = []
        marked: Static | None = None
        for turn in turns.items:
            text = turn.content
            if len(text) > TURN_PREVIEW:
                text = text[:TURN_PREVIEW] + f"\n… ({len(turn.content) - TURN_PREVIEW:,} more)"
            widgets.append(
                Static(
                    turn.label,
                    classes=f"turn-role role-{turn.role}"
                    + (" turn-error" if turn.is_error else ""),
                    markup=False,
                )
            )
            found = turn.position == self.marked_turn
            widgets.append(
                Static(text, classes="turn-text" + (" turn-marked" if found else ""), markup=False)
            )
            if found:
                marked = widgets[-1]
        mounting = box.mount_all(widgets)
        if marked is not None:
            self.run_worker(self._reveal(mounting, marked), group="reveal-turn")

    async def _reveal(self, mounting: AwaitMount, turn: Widget) -> None:
        """Scroll the marked turn to the top once it is on the screen. The page grows over a
        few refreshes (the turns, then the container's size), so this tries until it sees it."""
        await mounting
        detail = self.query_one("#detail", VerticalScroll)
        for _ in range(REVEAL_TRIES):
            detail.scroll_to_widget(turn, top=True, animate=False, immediate=True)
            await asyncio.sleep(REVEAL_EVERY)
            if detail.region.contains_point(turn.region.offset):
                return

    def action_page(self, step: int) -> None:

        offset = self.turn_offset + step * TURNS_PAGE
        if offset < 0 or offset >= max(self.turn_total, 1):
            return
        db_work(
            self,
            lambda db: backend.sessions.turns(db, self.session_id, offset, TURNS_PAGE),
            self._show_turns,
            group="detail-turns",
            description="Loading turns",
        )

    def action_complete(self) -> None:
        from orchestrator_tui.tui.screens.timeline import COMPLETABLE, open_complete_form

        if self.detail is None:
            return
        if self.detail.status not in COMPLETABLE:
            self.notify(f"Session #{self.detail.number} is already {self.detail.status}.")
            return
        open_complete_form(self, self.session_id)

    def action_handoff(self) -> None:
        from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen

        if self.detail is None:
            return
        generate = self.detail.produced_handoff is None  # a checkpoint when still open
        self.app.push_screen(HandoffEditorScreen(self.session_id, generate=generate))

    def action_copy(self) -> None:
        from orchestrator_tui.tui.screens.timeline import copy_latest_handoff

        if self.detail is not None:
            copy_latest_handoff(self, self.session_id, self.detail.number)

    def action_loaded(self) -> None:
        from orchestrator_tui.tui.screens.handoff import HandoffViewScreen

        if self.detail is None or self.detail.loaded_handoff is None:
            self.notify("This session started without a handoff.")
            return
        self.app.push_screen(
            HandoffViewScreen(self.detail.loaded_handoff, f"Session #{self.detail.number} loaded")
        )

    def selected_file(self) -> ProjectFileView | None:
        record_id = self.query_one("#detail-files", PlainTable).cursor_id()
        return self.files.get(record_id) if record_id is not None else None

    def action_add_file(self) -> None:
        if self.detail is None:
            return
        where = f"session #{self.detail.number}"
        self.app.push_screen(
            FileForm(session_id=self.session_id, where=where),
            lambda saved: file_saved(self, saved),
        )

    def action_edit_file(self) -> None:
        edit_file(self, self.selected_file())

    def action_delete_file(self) -> None:
        delete_file(self, self.selected_file())

    def action_rotate(self) -> None:
        from orchestrator_tui.tui.screens.timeline import rotate_session_account

        d = self.detail
        if d is not None:
            rotate_session_account(self, d.status, d.account_name, d.project_id, d.number)

    def action_close(self) -> None:
        self.app.pop_screen()
