"""The handoff editor, the read-only handoff view, and the version picker."""

from __future__ import annotations

import difflib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Footer,
    Header,
    Label,
    Markdown,
    OptionList,
    ProgressBar,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.records import HandoffVersionInfo, HandoffView, SessionDetail
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.forms import ConfirmModal, SaveFileForm
from orchestrator_tui.tui.screens.help import MessageScreen
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services.knowledge import KnowledgeView

STREAM_EVERY = 0.1  # seconds between redraws of a streaming handoff


def describe(handoff: HandoffView) -> str:
    model = f" ({handoff.model})" if handoff.model else ""
    return (
        f"version {handoff.version} · {handoff.provider}{model} · "
        f"{handoff.handoff_chars:,} characters · {fmt.when(handoff.created_at)}"
    )


def external_editor() -> list[str]:
    """The user's editor command: $VISUAL, $EDITOR, else nano or vi."""
    chosen = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if chosen:
        return shlex.split(chosen)
    return ["nano"] if shutil.which("nano") else ["vi"]


class HandoffEditorScreen(BaseScreen):
    """Shows a session's latest handoff, or writes a new one in a worker first."""

    CSS_PATH = "handoff.tcss"

    HELP_TITLE = "Handoff editor"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Store the text as a new version"),
        Binding("f2", "copy", "Copy", tooltip="Copy the text to the clipboard"),
        Binding("f3", "save_file", ".md file", tooltip="Write the text to a Markdown file"),
        Binding("f4", "external_editor", "$EDITOR", tooltip="Edit in $EDITOR (suspends the app)"),
        Binding("f5", "versions", "Versions", tooltip="Earlier versions of this handoff"),
        Binding("ctrl+r", "regenerate", "Rewrite", tooltip="Write a fresh handoff"),
        Binding("ctrl+g", "diff", "Diff", tooltip="What changed since the previous version"),
        Binding(
            "ctrl+n",
            "copy_as('first-message')",
            "1st msg",
            tooltip="Copy as the first "
            "message of the next session (an instruction line, then the handoff)",
        ),
        Binding(
            "f8",
            "copy_as('agents')",
            "AGENTS.md",
            tooltip="Copy as a section for AGENTS.md or CLAUDE.md",
        ),
        Binding(
            "ctrl+o",  # the text area takes F6 and F7
            "insert_knowledge",
            "Knowledge",
            tooltip="Insert an item of the knowledge base at the cursor (counts a use)",
        ),
        Binding(
            "escape", "close", "Back", tooltip="Close the editor (while an LLM writes: stop it)"
        ),
    ]

    def __init__(self, session_id: int, generate: bool = False) -> None:
        super().__init__()
        self.session_id = session_id
        self.generate = generate
        self.session: SessionDetail | None = None
        self.handoff: HandoffView | None = None
        self._cancel: threading.Event | None = None  # set: stop the LLM writing

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading…", id="handoff-title", classes="summary", markup=False)
        with Horizontal(id="handoff-progress", classes="hidden"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False)
            yield Label("Writing the handoff in the background…", id="handoff-progress-label")
        # tab_behavior="focus": Tab and Escape work as on every other screen.
        yield TextArea(
            "",
            language="markdown",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            id="handoff-text",
        )
        yield Footer()

    @property
    def editor(self) -> TextArea:
        return self.query_one("#handoff-text", TextArea)

    @property
    def label(self) -> str:
        session = self.session
        return (
            f"the handoff of {session.project_name} #{session.number}" if session else "a handoff"
        )

    @property
    def dirty(self) -> bool:
        saved = self.handoff.content if self.handoff else ""
        return self.editor.text != saved

    def on_mount(self) -> None:
        self.orchestrator.open_editors.add(self)
        if self.generate:
            self._generate()
        else:
            self._load_latest()

    def on_unmount(self) -> None:
        self.orchestrator.open_editors.discard(self)

    def reload(self) -> None:
        """The editor keeps what is being edited; it reloads only on request."""

    def _load_latest(self) -> None:

        def job(db: Database) -> tuple[SessionDetail, HandoffView | None]:
            return backend.sessions.get_session(
                db, self.session_id
            ), backend.handoffs.latest_handoff(db, self.session_id)

        db_work(self, job, self._loaded, group="handoff-load", description="Loading the handoff")

    def _loaded(self, loaded: tuple[SessionDetail, HandoffView | None]) -> None:
        self.session, handoff = loaded
        if handoff is None:
            self._set_title("no handoff yet: press ctrl+r to write one")
            return
        self._show(handoff)

    def _show(self, handoff: HandoffView) -> None:
        self.handoff = handoff
        self.editor.load_text(handoff.content)
        self.editor.read_only = False
        self.editor.focus()
        self._set_title(describe(handoff))

    def _set_title(self, detail: str) -> None:
        session = self.session
        heading = f"Handoff of {session.project_name} #{session.number}" if session else "Handoff"
        self.query_one("#handoff-title", Static).update(f"{heading} · {detail}")

    def _busy(self, busy: bool) -> None:
        self.query_one("#handoff-progress").set_class(not busy, "hidden")
        self.editor.read_only = busy

    # -- actions ------------------------------------------------------------------------

    def action_regenerate(self) -> None:
        if not self.dirty:
            self._generate()
            return

        def answer(replace: bool | None) -> None:
            if replace:
                self._generate()

        question = "Replace the unsaved edits with a freshly written handoff?"
        self.app.push_screen(ConfirmModal(question, "Replace"), answer)

    def _generate(self) -> None:
        """Write a new version with the provider of the settings (F9). The worker belongs to
        the app, so closing the editor while it runs loses nothing: the version is stored and
        the screen in front is refreshed. An LLM's text streams into the editor as it comes
        (redrawn at most every STREAM_EVERY seconds); Escape stops it."""
        app = self.orchestrator
        cancel = self._cancel = threading.Event()
        streamed: list[str] = []
        shown_at = [0.0]

        def piece(text: str) -> None:  # in the worker's thread
            streamed.append(text)
            now = time.monotonic()
            if now - shown_at[0] >= STREAM_EVERY:
                shown_at[0] = now
                app.call_from_thread(self._stream, "".join(streamed))

        def job(db: Database) -> tuple[SessionDetail, HandoffView]:
            from orchestrator_tui.settings import load_settings

            settings = load_settings()
            handoff = backend.handoffs.generate_handoff(
                db, self.session_id, settings=settings, on_piece=piece, cancel=cancel
            )
            return backend.sessions.get_session(db, self.session_id), handoff

        def done(result: tuple[SessionDetail, HandoffView]) -> None:
            session, handoff = result
            app.data_changed()
            if self.is_mounted:
                self._cancel = None
                self.session = session
                self._busy(False)
                self._show(handoff)
            app.notify(f"Handoff of session #{session.number} written: {describe(handoff)}.")
            if handoff.fallback_reason:
                app.notify(
                    f"The LLM failed, so the rules engine wrote it: {handoff.fallback_reason}",
                    severity="warning",
                    timeout=12,
                )

        def failed(error: OrchestratorError) -> None:
            if self.is_mounted:
                self._cancel = None
                self._busy(False)
                if self.handoff is not None:
                    self._show(self.handoff)
                else:
                    self.editor.load_text("")
            if cancel.is_set():
                app.notify("Stopped: no new version was stored.", markup=False)
            else:
                app.report_error(error)

        self._busy(True)
        db_work(
            app,
            job,
            done,
            group=f"handoff-generate-{self.session_id}",
            description="Writing the handoff",
            on_error=failed,
        )

    def action_save(self) -> None:

        text = self.editor.text
        if not self.dirty:
            self.notify("No changes to save.")
            return

        def saved(handoff: HandoffView) -> None:
            self._show_saved(handoff, text)

        db_work(
            self,
            lambda db: backend.handoffs.save_edit(db, self.session_id, text),
            saved,
            group="handoff-save",
            description="Saving the handoff",
        )

    def _show_saved(self, handoff: HandoffView, text: str) -> None:
        self.handoff = handoff
        self.orchestrator.data_changed()
        self._set_title(describe(handoff))
        if self.editor.text != text:  # typed on while saving: keep the newer text
            return
        self.notify(f"Saved as version {handoff.version}.")

    def _stream(self, text: str) -> None:
        if self._cancel is not None and self.is_mounted:
            self.editor.load_text(text)
            self.editor.scroll_end(animate=False)

    def action_copy(self) -> None:
        self.action_copy_as("markdown")

    def action_insert_knowledge(self) -> None:
        """Pick an item; its Markdown goes in at the cursor and its use is counted at once
        (the handoff itself is stored when you save it, as any edit)."""
        from orchestrator_tui.tui.screens.knowledge import KnowledgePicker

        def picked(item: KnowledgeView | None) -> None:
            if item is None:
                return
            self.editor.insert("\n" + item.markdown(), self.editor.cursor_location)
            self.editor.focus()
            db_work(
                self,
                lambda db: backend.knowledge.use_item(db, item.id),
                lambda used: self.notify(
                    f"Inserted {used.title!r} (used {used.usage_count}×).", markup=False
                ),
                group="knowledge-use",
                description="Counting the use",
            )

        self.app.push_screen(KnowledgePicker(), picked)

    def action_copy_as(self, shape: str) -> None:
        from orchestrator_tui.handoff.copy_formats import render_copy

        if not self.editor.text.strip():
            self.notify("Nothing to copy yet.", severity="warning")
            return
        project = self.session.project_name if self.session else "this project"
        self.app.copy_to_clipboard(render_copy(self.editor.text, project, shape))

    def action_diff(self) -> None:
        """The editor's text against the version before the one it was loaded from."""
        current = self.handoff

        def job(db: Database) -> HandoffView | None:
            if current is None:
                return None
            versions = backend.handoffs.versions(db, self.session_id)
            before = [v for v in versions if v.version < current.version]
            if not before:
                return None
            return backend.handoffs.get_handoff(db, max(before, key=lambda v: v.version).id)

        def show(previous: HandoffView | None) -> None:
            if previous is None:
                self.notify("There is no earlier version to compare with.")
                return
            lines = difflib.unified_diff(
                previous.content.splitlines(),
                self.editor.text.splitlines(),
                f"version {previous.version}",
                "in the editor",
                lineterm="",
            )
            text = "\n".join(lines) or "No differences."
            self.app.push_screen(MessageScreen(f"Changes since version {previous.version}", text))

        db_work(self, job, show, group="handoff-diff", description="Comparing versions")

    def action_save_file(self) -> None:
        session = self.session
        project = session.project_name.lower() if session else "project"
        slug = re.sub(r"[^a-z0-9]+", "-", project).strip("-") or "project"
        name = f"handoff-{slug}-session-{session.number if session else 0}.md"
        suggested = str((self.orchestrator.last_save_dir or Path.home()) / name)

        def written(path: Path | None) -> None:
            if path is not None:
                self.orchestrator.last_save_dir = path.parent
                self.notify(f"Saved to {path}.")

        self.app.push_screen(SaveFileForm(self.editor.text, suggested), written)

    def action_external_editor(self) -> None:
        command = external_editor()
        with tempfile.NamedTemporaryFile(
            "w", suffix=".md", prefix="handoff-", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(self.editor.text)
            path = Path(handle.name)
        try:
            with self.app.suspend():
                subprocess.run([*command, str(path)], check=False)
            edited = path.read_text(encoding="utf-8")
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor.", severity="error")
            return
        except OSError as error:
            self.notify(f"Cannot run {command[0]}: {error}", severity="error", markup=False)
            return
        finally:
            path.unlink(missing_ok=True)
        if edited != self.editor.text:
            self.editor.load_text(edited)
            self.action_save()
        else:
            self.notify("No changes made in the editor.")

    def action_versions(self) -> None:

        def pick(versions: list[HandoffVersionInfo]) -> None:
            if not versions:
                self.notify("No versions yet.")
            elif self.is_current:
                self.app.push_screen(VersionsModal(versions), self._restore)

        db_work(
            self,
            lambda db: backend.handoffs.versions(db, self.session_id),
            pick,
            group="handoff-versions",
            description="Listing versions",
        )

    def _restore(self, handoff: HandoffView | None) -> None:
        if handoff is None:
            return
        self.editor.load_text(handoff.content)
        self.notify(
            f"Version {handoff.version} loaded into the editor; ctrl+s stores it as the newest."
        )

    def action_close(self) -> None:
        if self._cancel is not None:  # an LLM is writing: stop it, stay here
            self._cancel.set()
            return
        if not self.dirty:
            self.app.pop_screen()
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.app.pop_screen()

        self.app.push_screen(ConfirmModal("Discard the unsaved edits?", "Discard"), answer)


class VersionsModal(ModalScreen[HandoffView | None]):
    """Every stored version, newest first, with a preview; Enter loads one into the editor."""

    CSS_PATH = "dialogs.tcss"

    HELP_TITLE = "Handoff versions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", tooltip="Back to the editor"),
        Binding("enter", "choose", "Load", tooltip="Load the version into the editor"),
    ]

    def __init__(self, versions: list[HandoffVersionInfo]) -> None:
        super().__init__()
        self.versions = versions
        self.preview: HandoffView | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="form versions"):
            yield Label("Handoff versions (Enter loads one into the editor)", classes="form-title")
            with Horizontal():
                yield OptionList(
                    *(
                        Option(
                            f"v{v.version} · {v.provider} · {v.handoff_chars:,} chars · "
                            f"{fmt.when(v.created_at)}",
                            id=str(v.id),
                        )
                        for v in self.versions
                    ),
                    id="version-list",
                )
                with VerticalScroll(id="version-preview"):
                    yield Static("", id="version-text", markup=False)
        yield Footer()

    @on(OptionList.OptionHighlighted)
    def _preview(self, event: OptionList.OptionHighlighted) -> None:

        handoff_id = int(event.option.id or 0)

        def show(handoff: HandoffView) -> None:
            self.preview = handoff
            self.query_one("#version-text", Static).update(handoff.content)

        db_work(
            self,
            lambda db: backend.handoffs.get_handoff(db, handoff_id),
            show,
            group="version-preview",
            description="Reading a version",
        )

    @on(OptionList.OptionSelected)
    def action_choose(self) -> None:
        if self.preview is not None:
            self.dismiss(self.preview)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class HandoffViewScreen(BaseScreen):
    """A handoff to read and copy: what a new session loaded."""

    CSS_PATH = "handoff.tcss"

    HELP_TITLE = "Loaded handoff"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy", "Copy", tooltip="Copy the handoff to the clipboard"),
        Binding("e", "edit", "Edit", tooltip="Open it in the handoff editor"),
        Binding("escape", "close", "Back", tooltip="Close"),
    ]

    def __init__(self, handoff: HandoffView, heading: str) -> None:
        super().__init__()
        self.handoff = handoff
        self.heading = heading

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            f"{self.heading} the handoff of session #{self.handoff.session_number} · "
            f"{describe(self.handoff)} · y copies it",
            id="handoff-view-title",
            classes="summary",
            markup=False,
        )
        with VerticalScroll(id="handoff-view"):
            yield Markdown(self.handoff.content)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#handoff-view").focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.handoff.content)

    def action_edit(self) -> None:
        self.app.switch_screen(HandoffEditorScreen(self.handoff.session_id))

    def action_close(self) -> None:
        self.app.pop_screen()
