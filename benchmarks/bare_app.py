"""The yardstick for the start-up benchmark: the smallest Textual app that shows one line.

Started in a pseudo-terminal exactly like ``orchestrator-tui`` (same interpreter, same
terminal size and environment); ctrl+q quits, as in every Textual app.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

LINE = "bare textual app: first frame"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(LINE)


if __name__ == "__main__":
    BareApp().run()
