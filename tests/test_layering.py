"""The layer rule: nothing outside orchestrator_tui/tui/ imports Textual."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import orchestrator_tui

PACKAGE = Path(orchestrator_tui.__file__).resolve().parent
TUI = PACKAGE / "tui"


def _core_files() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if TUI not in path.parents)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _textual_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [(node.lineno, node.module)]
        else:
            continue
        for line, name in names:
            if name == "textual" or name.startswith("textual."):
                found.append(f"{path.name}:{line}: {name}")
    return found


def test_the_scan_finds_textual_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, textual.app\n"
        "from textual import on\n"
        "def later():\n"
        "    from textual.widgets import Static\n"
        "import textualize_not_it\n"
        "from .textual import relative_is_not_it\n",
        encoding="utf-8",
    )
    assert _textual_imports(sample) == [
        "sample.py:1: textual.app",
        "sample.py:2: textual",
        "sample.py:4: textual.widgets",
    ]


def test_the_scan_sees_the_core() -> None:
    names = {_module_name(path) for path in _core_files()}
    assert {
        "orchestrator_tui.services.sessions",
        "orchestrator_tui.handoff.rules",
        "orchestrator_tui.db.models",
        "orchestrator_tui.clipboard",
        "orchestrator_tui.cli",
    } <= names
    assert not any(name.startswith("orchestrator_tui.tui") for name in names)


def test_no_module_outside_tui_imports_textual() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}: {hit}"
        for path in _core_files()
        for hit in _textual_imports(path)
    ]
    assert offenders == []


def test_importing_the_core_does_not_load_textual() -> None:
    """Import every core module (services, cli, ...) in a fresh interpreter."""
    modules = [
        _module_name(path)
        for path in _core_files()
        # __main__ runs the program; migration scripts only make sense inside Alembic.
        if path.name != "__main__.py" and PACKAGE / "migrations" not in path.parents
    ]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE.parent), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
