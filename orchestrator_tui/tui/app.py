"""The App: modes for the top-level areas, the database opened off the event loop, one
clipboard, one place where unexpected worker errors are reported."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from orchestrator_tui import __version__
from orchestrator_tui.clipboard import OSC52, CopyOutcome, copy_text
from orchestrator_tui.config import data_dir
from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.tui import backend
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.projects import ProjectsScreen
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.records import AccountReset, ProjectTimeline
    from orchestrator_tui.settings import HandoffSettings
    from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen

log = logging.getLogger(__name__)
MODE_KEYS = {
    "dashboard": "d",
    "projects": "p",
    "timeline": "t",
    "accounts": "a",
    "analytics": "s",
    "troubleshoot": "f6",
    "search": "/",
    "knowledge": "k",
}
RESET_CHECK_SECONDS = 60  # how often the due credit resets are applied while the app runs


def _dashboard() -> Screen[None]:
    from orchestrator_tui.tui.screens.dashboard import DashboardScreen

    return DashboardScreen()


def _timeline() -> Screen[None]:
    from orchestrator_tui.tui.screens.timeline import TimelineScreen

    return TimelineScreen()


def _accounts() -> Screen[None]:
    from orchestrator_tui.tui.screens.accounts import AccountsScreen

    return AccountsScreen()


def _analytics() -> Screen[None]:
    from orchestrator_tui.tui.screens.analytics import AnalyticsScreen

    return AnalyticsScreen()


def _knowledge() -> Screen[None]:
    from orchestrator_tui.tui.screens.knowledge import KnowledgeScreen

    return KnowledgeScreen()


def _search() -> Screen[None]:
    from orchestrator_tui.tui.screens.search import SearchScreen

    return SearchScreen()


def _troubleshoot() -> Screen[None]:
    from orchestrator_tui.tui.screens.troubleshoot import TroubleshootScreen

    return TroubleshootScreen()


def _area(key: str, mode: str, label: str, tooltip: str, priority: bool = False) -> Binding:
    """The key of a top-level area. The mode bar under the header lists these, so the footer
    (which could not fit them all) leaves them out."""
    return Binding(key, f"goto('{mode}')", label, tooltip=tooltip, show=False, priority=priority)


class DatabaseUnavailable(OrchestratorError):
    """The database could not be opened; the app already told the user why."""


@dataclass
class CompletionDraft:
    """What was typed into the complete-session form, kept when the form is cancelled."""

    credits: str = ""
    accomplishments: str = ""
    blockers: str = ""
    next_steps: str = ""


class OrchestratorApp(App[None]):
    TITLE = "orchestrator-tui"
    SUB_TITLE = f"v{__version__}"
    CSS_PATH = "app.tcss"
    # Only the first screen is imported at start-up; the others load when first opened.
    MODES: ClassVar[dict[str, str | Callable[[], Screen[None]]]] = {
        "dashboard": _dashboard,
        "projects": ProjectsScreen,
        "timeline": _timeline,
        "accounts": _accounts,
        "analytics": _analytics,
        "troubleshoot": _troubleshoot,
        "search": _search,
        "knowledge": _knowledge,
    }
    DEFAULT_MODE = "projects"
    BINDINGS: ClassVar[list[BindingType]] = [
        _area("d", "dashboard", "Dashboard", "Totals and recent sessions"),
        _area("p", "projects", "Projects", "All projects"),
        _area("t", "timeline", "Timeline", "Sessions of the open project"),
        _area("a", "accounts", "Accounts", "The account pool"),
        _area(
            "s", "analytics", "Analytics", "Credit analytics: rating, burn rate, forecast, model"
        ),
        _area("k", "knowledge", "Knowledge", "Patterns, error fixes, tips: the knowledge base"),
        _area("slash", "search", "Search", "Search turns, handoffs, sessions, knowledge"),
        # Text areas bind f6 (select line); this one wins.
        _area("f6", "troubleshoot", "Troubleshoot", "Paste an error: past mentions, fixes", True),
        Binding("question_mark,f1", "help", "Help", tooltip="Every key, on every screen"),
        Binding("f9", "settings", "Settings", tooltip="How handoffs are written (rules or LLM)"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Leave orchestrator-tui"),
    ]

    def __init__(self, database_url: str, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.database_url = database_url
        # The time the account pool is planned at (resets, recommendations); fixed in tests.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._db: Database | None = None
        self._db_error: str | None = None
        self._db_ready = threading.Event()
        self.current_project_id: int | None = None
        self._opened_timeline: tuple[int, ProjectTimeline] | None = None
        self.data_version = 0
        self.completion_drafts: dict[int, CompletionDraft] = {}
        self.last_copy: CopyOutcome | None = None
        self.last_save_dir: Path | None = None  # where the last handoff file was saved
        self.open_editors: set[HandoffEditorScreen] = set()  # asked about before quitting
        self.previous_mode = self.DEFAULT_MODE  # where go_back returns to

    # -- database -----------------------------------------------------------------------

    def on_ready(self) -> None:
        # Ready comes once the first frame is on the screen. Importing the database layer in
        # a thread still holds the GIL for most of its half second: started any earlier, it
        # delays the first paint.
        self.run_worker(
            self._open_database,
            thread=True,
            group="database",
            description="Opening the database",
            exit_on_error=False,
        )
        self.set_interval(RESET_CHECK_SECONDS, self._check_resets)

    def _open_database(self) -> None:
        try:
            from orchestrator_tui.db.database import Database

            self._db = Database.open(self.database_url)
            self._apply_resets_at_start(self._db)
        except OrchestratorError as error:
            self._db_error = str(error)
        except Exception as error:  # SQLAlchemy and OS errors: unreadable file, bad URL...
            log.exception("cannot open %s", self.database_url)
            reason = getattr(error, "orig", None) or error  # the driver's words, not SQLAlchemy's
            self._db_error = f"Cannot open the database {self.database_url}: {reason}"
        finally:
            self._db_ready.set()
        if self._db_error is not None:
            from orchestrator_tui.tui.screens.help import MessageScreen

            message = f"{self._db_error}\n\nPress ctrl+q to quit."
            screen = MessageScreen("Database unavailable", message, closable=False)
            self.call_from_thread(self.push_screen, screen)

    def _apply_resets_at_start(self, db: Database) -> None:
        """Credits whose reset time passed while the app was closed come back before any
        screen reads the pool (a failure here is reported, and does not keep the app shut)."""
        try:
            resets = backend.accounts.apply_due_resets(db, self.clock())
        except Exception as error:
            log.exception("applying the credit resets failed")
            message = f"The credit resets could not be applied: {error}"
            self.call_from_thread(self.notify, message, severity="warning")
            return
        if resets:
            self.call_from_thread(self._report_resets, resets)

    def _check_resets(self) -> None:
        if self._db is None:
            return
        db_work(
            self,
            lambda db: backend.accounts.apply_due_resets(db, self.clock()),
            self._report_resets,
            group="resets",
            description="Applying the credit resets",
        )

    def _report_resets(self, resets: list[AccountReset]) -> None:
        if not resets:
            return
        names = ", ".join(f"{reset.name} ({reset.credit_limit:,})" for reset in resets)
        self.notify(f"Credits reset: {names}.", title="Account pool")
        self.data_changed()

    def database(self) -> Database:
        """The open database. Blocks until it is open: call it from thread workers only."""
        self._db_ready.wait()
        if self._db is None:
            raise DatabaseUnavailable(self._db_error or "The database is not open.")
        return self._db

    def data_changed(self) -> None:
        """Something was written: the screen in front reloads now, the others when they
        come back."""
        self.data_version += 1
        if isinstance(self.screen, BaseScreen):
            self.screen.reload_if_stale()

    async def action_quit(self) -> None:
        """Quit, asking first when a handoff editor holds unsaved text."""
        from orchestrator_tui.tui.screens.forms import QuitConfirm

        unsaved = [editor for editor in self.open_editors if editor.dirty]
        if not unsaved or isinstance(self.screen, QuitConfirm):
            self.exit()
            return

        def answer(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        names = ", ".join(editor.label for editor in unsaved)
        self.push_screen(QuitConfirm(f"Quit and lose the unsaved edits of {names}?"), answer)

    def on_unmount(self) -> None:
        if self._db is not None:
            self._db.close()

    # -- navigation ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # No jumping between areas from inside a dialog, and no key for the area you are in.
        if action in ("goto", "help") and isinstance(self.screen, ModalScreen):
            return False
        return not (action == "goto" and parameters and parameters[0] == self.current_mode)

    def action_goto(self, mode: str) -> None:
        if mode != self.current_mode:
            self.previous_mode = self.current_mode
        self.switch_mode(mode)

    def go_back(self) -> None:
        """Back to the area the user came from (by its key or the palette)."""
        previous = self.previous_mode
        self.action_goto(previous if previous != self.current_mode else self.DEFAULT_MODE)

    def open_project(self, project_id: int) -> None:
        """Show a project's timeline. Its first rows are read before the screen switches, so
        that the timeline appears with them (and the read does not compete with building the
        screen)."""
        version = self.data_version

        def show(timeline: ProjectTimeline | None) -> None:
            self.current_project_id = project_id
            self._opened_timeline = (version, timeline) if timeline is not None else None
            self.switch_mode("timeline")

        db_work(
            self.screen,
            lambda db: backend.sessions.project_timeline(db, project_id),
            show,
            group="open-project",
            description="Opening the project",
        )

    def take_opened_timeline(self) -> tuple[int, ProjectTimeline] | None:
        """The timeline read by ``open_project`` (with the data version it was read at), once."""
        opened, self._opened_timeline = self._opened_timeline, None
        return opened

    def action_settings(self) -> None:
        """Read the settings file off the event loop, then open the dialog on it."""

        def read() -> tuple[HandoffSettings, str]:
            from orchestrator_tui.settings import HandoffSettings, config_path, load_settings

            try:
                return load_settings(), ""
            except OrchestratorError as error:
                problem = f"{config_path()} could not be used ({error}); saving replaces it."
                return HandoffSettings(), problem

        async def open_dialog() -> None:
            from orchestrator_tui.tui.screens.settings import SettingsForm

            settings, problem = await asyncio.to_thread(read)
            self.push_screen(SettingsForm(settings, problem), self._settings_saved)

        self.run_worker(open_dialog(), group="settings", exclusive=True)

    def _settings_saved(self, settings: HandoffSettings | None) -> None:
        if settings is not None:
            model = f", {settings.model}" if settings.model else ""
            self.notify(f"Handoffs are now written by {settings.provider}{model}.", markup=False)

    def action_help(self) -> None:
        from orchestrator_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self._help_sections()))

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        from orchestrator_tui.tui.screens.catalog import ALL_SCREENS

        sections = [("Everywhere", self._describe(self.BINDINGS))]
        for screen_class in ALL_SCREENS:
            rows = list(getattr(screen_class, "HELP_EXTRA", [])) + self._describe(
                screen_class.BINDINGS
            )
            if rows:
                sections.append((getattr(screen_class, "HELP_TITLE", ""), rows))
        return sections

    def _describe(self, bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
        rows = []
        for item in bindings:
            if not isinstance(item, Binding) or not item.description:
                continue
            keys = ", ".join(
                self.get_key_display(Binding(key, item.action)) for key in item.key.split(",")
            )
            rows.append((keys, item.tooltip or item.description))
        return rows

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette lists the areas, then every key of the screen it was opened on."""
        yield from super().get_system_commands(screen)
        for mode, key in MODE_KEYS.items():
            yield SystemCommand(
                f"Go to {mode}",
                f"Switch to the {mode} screen ({key})",
                partial(self.action_goto, mode),
            )
        # The screen's own keys (not those of the focused widget, such as a table's cursor
        # keys), including Enter, which a focused table would otherwise hide.
        for binding in screen.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if not screen.check_action(binding.action.partition("(")[0], ()):
                continue
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({key})",
                partial(self.run_action, binding.action, screen),
            )
        yield SystemCommand("Help: all keys", "Every key on every screen (?)", self.action_help)

    # -- clipboard ----------------------------------------------------------------------

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 plus tmux and the system clipboard, or a file; the user is told which."""
        self._clipboard = text
        self.run_worker(
            partial(self._copy_everywhere, text),
            thread=True,
            group="clipboard",
            description="Copying to the clipboard",
            exit_on_error=False,
        )

    def _copy_everywhere(self, text: str) -> None:
        terminal = self._driver is not None and not self.is_headless
        outcome = copy_text(text, data_dir(), osc52=self._osc52 if terminal else None)
        self.call_from_thread(self._report_copy, outcome)

    def _osc52(self, text: str) -> None:
        self.call_from_thread(App.copy_to_clipboard, self, text)

    def _report_copy(self, outcome: CopyOutcome) -> None:
        self.last_copy = outcome
        confirmed = bool(outcome.confirmed) or outcome.methods == [OSC52]
        self.notify(
            outcome.message(),
            title="Clipboard",
            severity="information" if confirmed else "warning",
            markup=False,
        )

    # -- errors -------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications are always plain text: they carry names, paths and errors that the
        user typed, which must not be read as markup (``markup`` is ignored)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def report_error(self, error: OrchestratorError) -> None:
        if isinstance(error, DatabaseUnavailable):
            return  # already on screen
        self.notify(str(error), title="Cannot do that", severity="error", markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("worker %r failed", event.worker.description, exc_info=error)
        self.notify(
            f"{event.worker.description} failed: {error!r}. Details are in the log.",
            title="Unexpected error",
            severity="error",
            markup=False,
            timeout=15,
        )


def run(database_url: str) -> int:
    """Open the TUI on ``database_url``; returns the exit status."""
    log_dir = data_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=log_dir / "orchestrator-tui.log",
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = OrchestratorApp(database_url)
    app.run()
    return app.return_code or 0
