"""Screenshots for README, made from the real app on the demo data (`make screenshots`).

Writes SVGs to screenshots/, and PNGs beside them when `rsvg-convert` (Debian/Ubuntu package
librsvg2-bin, Homebrew librsvg) is installed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SIZE = (130, 40)

# name -> keys pressed from the first screen (the project list)
SHOTS: dict[str, tuple[str, ...]] = {
    "projects": (),
    "dashboard": ("d",),
    "timeline": ("enter",),
    "session_detail": ("enter", "down", "enter"),
    "complete_session": ("enter", "c"),
    "handoff_editor": ("enter", "down", "h"),
    "account_pool": ("a",),
    "project_files": ("enter", "f"),
    "analytics": ("s",),
    "knowledge": ("k", "down"),
    "search": ("slash", *"stripe webhook", "enter"),
    "troubleshoot": (
        "f6",
        *"TypeError: Cannot read properties of undefined (reading 'map')",
        "ctrl+s",
    ),
    "help": ("question_mark",),
}


async def settle(pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def shoot(database_url: str, name: str, keys: tuple[str, ...]) -> Path:
    from textual.widgets import Input, TextArea

    from orchestrator_tui.tui.app import OrchestratorApp

    app = OrchestratorApp(database_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for widget in app.screen.query("Input, TextArea").results():
            if isinstance(widget, Input | TextArea):
                widget.cursor_blink = False
                if isinstance(widget, TextArea):  # see freeze_cursors in tests/tui/conftest.py
                    widget._line_cache.clear()
                widget.refresh()
        await settle(pilot)
        return Path(app.save_screenshot(f"{name}.svg", str(OUT)))


def to_png(svg: Path) -> Path | None:
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return None
    png = svg.with_suffix(".png")
    subprocess.run([converter, "-w", "1400", str(svg), "-o", str(png)], check=True)
    return png


def main() -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["ORCHESTRATOR_TUI_DATA_DIR"] = scratch
        os.environ["ORCHESTRATOR_TUI_CLIPBOARD"] = "file"
        from orchestrator_tui.db.database import Database
        from orchestrator_tui.services import demo

        url = f"sqlite:///{scratch}/demo.db"
        database = Database.open(url)
        demo.load_demo(database, now=demo.DEMO_NOW)
        database.close()
        OUT.mkdir(exist_ok=True)
        for name, keys in SHOTS.items():
            svg = asyncio.run(shoot(url, name, keys))
            png = to_png(svg)
            print(f"{svg.relative_to(ROOT)}" + (f" and {png.name}" if png else ""))
    if shutil.which("rsvg-convert") is None:
        print("rsvg-convert not found: SVG only (install librsvg2-bin for PNGs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
