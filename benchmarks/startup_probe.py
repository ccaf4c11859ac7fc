"""Runs a Textual program (a script path and its arguments) unchanged, and records where its
start-up time goes: when ``App.run`` is called (imports before it), when the first frame is
written to the terminal, and which database modules were imported before that frame, by which
line of orchestrator-tui and on which thread.

    python startup_probe.py OUTPUT.json SCRIPT [ARGS...]

Only observes: an import hook that never loads anything itself, and a wrapper around
``App.run`` and ``App._display``. Used by ``first_frame.py`` after the timed runs.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402  (the clock starts first)
import runpy  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from importlib.machinery import ModuleSpec  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

DB_MODULES = ("sqlalchemy", "sqlmodel", "alembic", "pydantic")
PRODUCT = "orchestrator_tui"


def _ms() -> float:
    return round((time.perf_counter() - START) * 1000, 1)


class Recorder:
    def __init__(self, output: Path) -> None:
        self.output = output
        self.marks: dict[str, float] = {}
        self.db_imports: dict[str, dict[str, Any]] = {}
        self.written = False

    def first_import(self, package: str) -> None:
        """Note the time, the thread and the chain of orchestrator-tui lines importing it."""
        chain = []
        for frame in traceback.extract_stack()[:-2]:
            path = frame.filename.replace("\\", "/")
            if f"/{PRODUCT}/" in path:
                where = f"{PRODUCT}/{path.split(f'/{PRODUCT}/', 1)[1]}:{frame.lineno}"
                chain.append(f"{where} ({frame.name})")
        self.db_imports[package] = {
            "ms": _ms(),
            "thread": threading.current_thread().name,
            "imported_by": chain,
        }

    def first_frame(self) -> None:
        self.marks["first_frame"] = _ms()
        loaded = sorted({name.split(".")[0] for name in sys.modules} & set(DB_MODULES))
        result = {
            "marks": self.marks,
            "db_modules_at_first_frame": loaded,
            "db_imports": {name: info for name, info in self.db_imports.items() if name in loaded},
        }
        self.output.write_text(json.dumps(result, indent=2))
        self.written = True


class FirstImportFinder:
    """A meta-path finder that finds nothing: it only notes the first import of a package."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def find_spec(
        self,
        name: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        package = name.split(".")[0]
        if package in DB_MODULES and package not in self.recorder.db_imports:
            self.recorder.first_import(package)
        return None


def main() -> int:
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__ or "")
        return 2
    recorder = Recorder(Path(sys.argv[1]))
    script = sys.argv[2]
    sys.meta_path.insert(0, FirstImportFinder(recorder))
    from textual.app import App

    original_run = App.run
    original_display = App._display

    def run(self: App[Any], *args: Any, **kwargs: Any) -> Any:
        recorder.marks.setdefault("app_run", _ms())
        return original_run(self, *args, **kwargs)

    def display(self: App[Any], screen: Any, renderable: Any) -> None:
        # Frames rendered inside a batch (start-up, a mode switch) are not written: wait for
        # the first one that goes to the terminal.
        written = renderable is not None and not self._batch_count
        original_display(self, screen, renderable)
        if written and not recorder.written:
            recorder.first_frame()

    App.run = run  # type: ignore[method-assign]
    App._display = display  # type: ignore[method-assign]
    sys.argv = sys.argv[2:]
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
