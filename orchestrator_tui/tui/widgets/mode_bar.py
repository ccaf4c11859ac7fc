"""The areas of the app on one line under the header, each with its key, the current one
highlighted. The footer then only lists the keys of the screen itself, which fit."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

GOTO = "goto("


class ModeBar(Static):
    """Built from the app's ``goto('mode')`` bindings, so a new area appears here by itself.
    A click on an area goes there too."""

    DEFAULT_CSS = """
    ModeBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        link-style: none;
        link-style-hover: reverse;
    }
    """

    def __init__(self, current: str) -> None:
        super().__init__(id="mode-bar")
        self.current = current

    def on_mount(self) -> None:
        self.update(self.areas())

    def areas(self) -> Content:
        parts: list[Content] = []
        for binding in self.app.BINDINGS:
            if not isinstance(binding, Binding) or not binding.action.startswith(GOTO):
                continue
            mode = binding.action[len(GOTO) :].strip("()'\"")
            key = self.app.get_key_display(Binding(binding.key.split(",")[0], binding.action))
            style = "bold reverse" if mode == self.current else ""
            parts.append(
                Content.assemble(
                    (f" {key} ", "bold $accent"),
                    (f"{binding.description} ", style),
                ).stylize(f"@click=app.goto('{mode}')")
            )
        return Content(" ").join(parts)
