"""The installed console script in a real pseudo-terminal: what a user runs."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pexpect
import pytest

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import handoffs, projects, sessions

SCRIPT = Path(sys.executable).parent / "orchestrator-tui"
pytestmark = pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")

CTRL_Q = "\x11"
F4 = "\x1bOS"
LEAVE_ALTERNATE_SCREEN = "\x1b[?1049l"


def spawn(db_file: Path, env_extra: dict[str, str] | None = None) -> pexpect.spawn:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "ORCHESTRATOR_TUI_CLIPBOARD": "file",
        **(env_extra or {}),
    }
    env.pop("TEXTUAL", None)
    return pexpect.spawn(
        str(SCRIPT),
        ["--db", str(db_file)],
        env=env,
        dimensions=(40, 130),
        encoding="utf-8",
        timeout=30,
    )


def test_console_script_shows_the_first_screen_and_quits_cleanly(tmp_path: Path) -> None:
    child = spawn(tmp_path / "fresh.db")
    child.expect("Welcome to orchestrator-tui")
    child.send(CTRL_Q)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert LEAVE_ALTERNATE_SCREEN in (child.before or "")
    assert "Traceback" not in (child.before or "")


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_edit_in_external_editor_suspends_and_saves_a_version(
    tmp_path: Path, db: Database, db_url: str
) -> None:
    projects.create_project(db, "Webshop")
    started = sessions.start_session(db, "Webshop")
    sessions.complete_session(db, started.session.id, 10, "Shipped the cart")
    handoffs.generate_handoff(db, started.session.id)
    editor = tmp_path / "fake-editor.sh"  # a real program run the way $EDITOR is
    editor.write_text('#!/bin/sh\nprintf "\\n- Edited outside the app\\n" >> "$1"\n')
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)

    child = spawn(Path(db_url.removeprefix("sqlite:///")), {"EDITOR": str(editor)})
    child.expect("Webshop")
    child.send("t")
    child.expect("completed")
    child.send("h")
    child.expect("version 1")
    child.send(F4)
    child.expect("Saved as version 2")
    child.send(CTRL_Q)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    latest = handoffs.latest_handoff(db, started.session.id)
    assert latest is not None
    assert (latest.version, latest.provider) == (2, "edited")
    assert latest.content.endswith("- Edited outside the app\n")
