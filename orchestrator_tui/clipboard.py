"""Copying text where the user can paste it, and saying honestly how it went.

Three ways, tried together: OSC 52 (the terminal sets its clipboard; works over SSH and in
tmux, but nothing confirms it), the tmux paste buffer (confirmed by tmux), and the local
system clipboard through pyperclip (confirmed by reading it back). When nothing confirmed the
copy, the text is also written to a file in the data directory and the path is reported.

``ORCHESTRATOR_TUI_CLIPBOARD=file`` skips tmux and the system clipboard (useful on shared
machines, and in the tests).
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

MODE_ENV = "ORCHESTRATOR_TUI_CLIPBOARD"
OSC52 = "OSC 52"
TMUX = "tmux buffer"
SYSTEM = "system clipboard"


@dataclass
class CopyOutcome:
    chars: int
    confirmed: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    file: Path | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return self.confirmed + self.unconfirmed

    def message(self) -> str:
        parts = []
        if self.confirmed:
            parts.append(f"Copied {self.chars:,} characters to the {' and '.join(self.confirmed)}")
        if self.unconfirmed:
            verb = "Also sent" if self.confirmed else f"Sent {self.chars:,} characters"
            parts.append(f"{verb} via {' and '.join(self.unconfirmed)} (terminal clipboard)")
        if self.file is not None:
            parts.append(f"Saved a copy to {self.file}")
        if not parts:
            parts.append("Nothing could take the text")
        return ". ".join(parts) + "."


def osc52_sequence(text: str) -> str:
    return "\x1b]52;c;" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "\a"


def write_osc52_to_tty(text: str) -> None:
    """For the CLI: send OSC 52 to the controlling terminal, if there is one."""
    with open("/dev/tty", "w", encoding="utf-8") as tty:
        tty.write(osc52_sequence(text))
        tty.flush()


def _copy_to_tmux(text: str) -> None:
    if not os.environ.get("TMUX") or shutil.which("tmux") is None:
        raise RuntimeError("not inside tmux")
    subprocess.run(
        ["tmux", "load-buffer", "-"],
        input=text.encode(),
        check=True,
        timeout=5,
        capture_output=True,
    )


def _copy_to_system(text: str) -> None:
    import pyperclip

    pyperclip.copy(text)
    if pyperclip.paste() != text:
        raise RuntimeError("the system clipboard did not keep the text")


def clipboard_dir(data_dir: Path) -> Path:
    return data_dir / "clipboard"


def save_clipboard_file(text: str, data_dir: Path, stem: str = "handoff") -> Path:
    folder = clipboard_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{datetime.now():%Y%m%d-%H%M%S-%f}.md"
    path.write_text(text, encoding="utf-8")
    return path


def copy_text(
    text: str,
    data_dir: Path,
    osc52: Callable[[str], None] | None = None,
    stem: str = "handoff",
) -> CopyOutcome:
    """Copy ``text`` every way available, secrets redacted. ``osc52`` writes the escape
    sequence (the TUI's driver, or the CLI's terminal); without it OSC 52 is not attempted."""
    from orchestrator_tui.redact import redact  # its patterns compile on first use

    text = redact(text)
    outcome = CopyOutcome(chars=len(text))
    if osc52 is not None:
        try:
            osc52(text)
            outcome.unconfirmed.append(OSC52)
        except OSError as error:
            outcome.problems.append(f"OSC 52: {error}")
    if os.environ.get(MODE_ENV, "auto") != "file":
        for name, copier in ((TMUX, _copy_to_tmux), (SYSTEM, _copy_to_system)):
            try:
                copier(text)
                outcome.confirmed.append(name)
            except Exception as error:  # pyperclip raises its own and bare exceptions
                outcome.problems.append(f"{name}: {error}")
    if not outcome.confirmed:
        try:
            outcome.file = save_clipboard_file(text, data_dir, stem)
        except OSError as error:
            outcome.problems.append(f"file: {error}")
    return outcome
