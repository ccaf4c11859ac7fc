"""What every screen of the app shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from orchestrator_tui.tui.app import OrchestratorApp


class BaseScreen(Screen[None]):
    """A screen that reloads its data when it comes back after something was written."""

    HELP_TITLE: ClassVar[str] = ""

    def __init__(self) -> None:
        super().__init__()
        self._loaded_version = -1

    @property
    def orchestrator(self) -> OrchestratorApp:
        return cast("OrchestratorApp", self.app)

    def on_screen_resume(self) -> None:
        self.reload_if_stale()

    def reload_if_stale(self) -> None:
        if self._loaded_version != self.orchestrator.data_version:
            self._loaded_version = self.orchestrator.data_version
            self.reload()

    def reload(self) -> None:
        """Fetch what the screen shows (in a worker)."""

    def saved(self, message: str) -> None:
        """Tell the user what was written, and show it."""
        self.notify(message, markup=False)
        self.changed()

    def changed(self) -> None:
        """Note a write: this screen (if in front) reloads now, the others when they return."""
        self.orchestrator.data_changed()
