"""Copying: OSC 52, a real tmux buffer, the file fallback, and honest messages.

The system clipboard is replaced by one that always fails, so that no test touches the
clipboard of the machine running it.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator_tui import clipboard
from orchestrator_tui.clipboard import (
    MODE_ENV,
    OSC52,
    SYSTEM,
    TMUX,
    clipboard_dir,
    copy_text,
    osc52_sequence,
)
from orchestrator_tui.config import data_dir

TEXT = "# Handoff: Shop · session #3\n\n- naïve café ✓\n- second line\n"


@pytest.fixture(autouse=True)
def no_system_clipboard(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(_text: str) -> None:
        raise RuntimeError("no system clipboard in the tests")

    monkeypatch.setattr(clipboard, "_copy_to_system", unavailable)


def test_file_mode_writes_a_file_in_the_data_dir() -> None:
    outcome = copy_text(TEXT, data_dir())
    assert outcome.confirmed == [] and outcome.unconfirmed == []
    assert outcome.file is not None
    assert outcome.file.parent == clipboard_dir(data_dir())
    assert outcome.file.suffix == ".md"
    assert outcome.file.read_text(encoding="utf-8") == TEXT
    assert outcome.chars == len(TEXT)
    assert str(outcome.file) in outcome.message()
    assert outcome.problems == []


def test_osc52_sequence_is_base64_of_the_utf8_text() -> None:
    sequence = osc52_sequence(TEXT)
    assert sequence.startswith("\x1b]52;c;")
    assert sequence.endswith("\a")
    payload = sequence.removeprefix("\x1b]52;c;").removesuffix("\a")
    assert base64.b64decode(payload, validate=True).decode("utf-8") == TEXT
    assert osc52_sequence("") == "\x1b]52;c;\a"


def test_osc52_is_sent_but_not_trusted() -> None:
    sent: list[str] = []
    outcome = copy_text(TEXT, data_dir(), osc52=lambda text: sent.append(osc52_sequence(text)))
    assert sent == [osc52_sequence(TEXT)]
    assert outcome.unconfirmed == [OSC52]
    assert outcome.confirmed == []
    # Nothing confirmed the copy, so a file is written too, and the message says both.
    assert outcome.file is not None and outcome.file.read_text(encoding="utf-8") == TEXT
    message = outcome.message()
    assert f"Sent {len(TEXT):,} characters via OSC 52" in message
    assert str(outcome.file) in message


def test_osc52_failure_is_reported_not_raised() -> None:
    def broken(_text: str) -> None:
        raise OSError("no terminal")

    outcome = copy_text(TEXT, data_dir(), osc52=broken)
    assert outcome.methods == []
    assert outcome.problems == ["OSC 52: no terminal"]
    assert outcome.file is not None


def test_nothing_confirmed_writes_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODE_ENV, "auto")  # tmux and the system clipboard are tried, and fail
    outcome = copy_text(TEXT, data_dir(), stem="export")
    assert outcome.confirmed == []
    assert any(problem.startswith(f"{TMUX}:") for problem in outcome.problems)
    assert any(problem.startswith(f"{SYSTEM}:") for problem in outcome.problems)
    assert outcome.file is not None
    assert outcome.file.name.startswith("export-")
    assert outcome.file.read_text(encoding="utf-8") == TEXT


def test_unwritable_data_dir_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be", encoding="utf-8")
    outcome = copy_text(TEXT, blocker / "data")
    assert outcome.file is None
    assert outcome.confirmed == []
    assert len(outcome.problems) == 1 and outcome.problems[0].startswith("file: ")
    assert outcome.message() == "Nothing could take the text."


@pytest.fixture
def tmux_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private tmux server (its own socket, no user config), killed afterwards."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    # A short directory: a Unix socket path must stay under about 100 bytes.
    folder = Path(tempfile.mkdtemp(prefix="otui-tmux-"))
    socket = folder / "sock"
    started = subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-s", "test"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"tmux could not start a server: {started.stderr.strip()}")
    try:
        pid = subprocess.run(
            ["tmux", "-S", str(socket), "display-message", "-p", "#{pid}"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout.strip()
        monkeypatch.setenv("TMUX", f"{socket},{pid},0")
        monkeypatch.setenv(MODE_ENV, "auto")
        yield socket
    finally:
        subprocess.run(
            ["tmux", "-S", str(socket), "kill-server"],
            capture_output=True,
            timeout=20,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_tmux_buffer_is_confirmed(tmux_server: Path) -> None:
    outcome = copy_text(TEXT, data_dir())
    assert outcome.confirmed == [TMUX]
    assert outcome.file is None
    assert outcome.message().startswith(f"Copied {len(TEXT):,} characters to the tmux buffer")
    buffer = subprocess.run(
        ["tmux", "-S", str(tmux_server), "show-buffer"],
        capture_output=True,
        timeout=20,
        check=True,
    ).stdout
    assert buffer.decode("utf-8") == TEXT
