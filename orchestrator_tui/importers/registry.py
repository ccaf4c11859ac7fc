"""Which importer reads a file: detection by content, and the transcripts inside a folder."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from orchestrator_tui.errors import ValidationError

# Tried in this order; plain text accepts almost anything, so it comes last.
FORMATS = ("claude-code", "codex", "chatgpt", "aider", "text")
_MODULES = {
    "claude-code": "claude_code",
    "codex": "codex",
    "chatgpt": "chatgpt",
    "aider": "aider",
    "text": "text",
}
HEAD_BYTES = 64 * 1024
# In a folder, only files with these endings are looked at (hidden folders are skipped).
FOLDER_SUFFIXES = (".jsonl", ".json", ".md", ".txt")


def module(format_name: str) -> ModuleType:
    """The importer module of a format (imported on first use)."""
    try:
        name = _MODULES[format_name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise ValidationError(
            {"format": f"unknown format {format_name!r}; use one of {known}"}
        ) from None
    return importlib.import_module(f"orchestrator_tui.importers.{name}")


def head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(HEAD_BYTES)


def sniff(path: Path, *, allow_text: bool = True) -> str | None:
    """The format a file's first 64 KiB look like, or None."""
    start = head(path)
    for format_name in FORMATS:
        if format_name == "text" and not allow_text:
            continue
        if module(format_name).sniff(start, path):
            return format_name
    return None


def detect(path: Path) -> str:
    """The format of one file; a clear error when it is none of them (a binary file)."""
    found = sniff(path)
    if found is None:
        raise ValidationError(
            {"path": f"{path} is not a transcript this tool can read (binary or empty?)"}
        )
    return found


def transcripts_in(folder: Path, format_name: str | None) -> Iterator[tuple[Path, str]]:
    """Every transcript under ``folder`` with its format, in path order. Without a format,
    only files that look like a structured transcript (Claude Code, Codex, ChatGPT, Aider)
    are taken: a folder's READMEs are not conversations. With ``format_name``, every file
    of a usual ending that that importer accepts."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        found.extend(
            Path(root) / name
            for name in files
            if (name.endswith(FOLDER_SUFFIXES) and not name.startswith("."))
            or name.endswith(".aider.chat.history.md")
        )
    for path in sorted(found):
        if format_name is None:
            detected = sniff(path, allow_text=False)
            if detected is not None:
                yield path, detected
        elif module(format_name).sniff(head(path), path):
            yield path, format_name
