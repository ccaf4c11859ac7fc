"""Import transcripts: pick a file or a folder (typed with completion, or from the tree), see
what it holds, import it with a progress bar. Escape during an import cancels it, and then
nothing is written.

A project export (``export --format json``) is recognised by its marker and recreates its
project; when a project of that name exists here, the screen asks for another name (or
cancel)."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import Suggester
from textual.widgets import (
    DirectoryTree,
    Footer,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
)
from textual.worker import Worker, WorkerState

from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.tui import backend
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.form import FieldInput, FormModal
from orchestrator_tui.tui.workers import db_work
from orchestrator_tui.validation import clean_name

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.services.imports import ImportPreview, ImportReport
    from orchestrator_tui.services.project_import import ExportImportReport, ExportSummary

FORMATS = (
    ("Detect automatically", ""),
    ("Claude Code (.jsonl)", "claude-code"),
    ("Codex CLI (.jsonl)", "codex"),
    ("ChatGPT export (conversations.json)", "chatgpt"),
    ("Aider (.aider.chat.history.md)", "aider"),
    ("Plain text", "text"),
)
PREVIEW_DELAY = 0.3  # seconds of no typing before the path is looked at
SHOWN_FILES = 12
SHOWN_PROBLEMS = 15


class PathSuggester(Suggester):
    """Completes the last part of a path from what is on disk (hidden entries only once a
    dot is typed). Right arrow or End accepts the suggestion."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_path, value)


def complete_path(value: str) -> str | None:
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, _, prefix = expanded.rpartition(os.sep)
    if not _:
        folder, prefix = ".", expanded
    try:
        with os.scandir(folder or os.sep) as entries:
            shown = [
                entry
                for entry in entries
                if entry.name.startswith(prefix)
                and (prefix.startswith(".") or not entry.name.startswith("."))
            ]
            names = sorted(entry.name + (os.sep if entry.is_dir() else "") for entry in shown)
    except OSError:
        return None
    if not names or names[0] == prefix:
        return None
    return value + names[0][len(prefix) :]


class RenameForm(FormModal[str]):
    """The export's project exists here: import it under another name, or cancel."""

    TITLE = "The project exists already"
    SUBMIT_LABEL = "Import"
    DESCRIPTION = "Checking the name"

    def __init__(self, exported: str, existing: str) -> None:
        super().__init__()
        self.exported = exported
        self.existing = existing

    def intro(self) -> str:
        return (
            f"This database already has a project named {self.existing!r}. Import the "
            f"export of {self.exported!r} under another name, or cancel (Escape): nothing "
            "has been written."
        )

    def fields(self) -> ComposeResult:
        yield from self.field(
            "name", "Import as", FieldInput(f"{self.exported} (imported)", max_length=200)
        )

    def validate(self) -> dict[str, str]:
        try:
            clean_name(self.value("name"))
        except ValidationError as error:
            return error.errors
        return {}

    def job(self, db: Database) -> str:
        name = clean_name(self.value("name"))
        taken = backend.project_import.project_name_taken(db, name)
        if taken is not None:
            raise ValidationError({"name": f"{taken!r} exists here too; choose another name"})
        return name


class ImportScreen(BaseScreen):
    CSS_PATH = "import.tcss"
    HELP_TITLE = "Import transcripts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run_import", "Import", tooltip="Import the path shown"),
        Binding("escape", "back", "Back / cancel", tooltip="Cancel a running import, or go back"),
        Binding("ctrl+t", "focus_tree", "Tree", tooltip="Browse folders"),
    ]

    def __init__(self, project: str = "", start: Path | None = None) -> None:
        super().__init__()
        self.project = project
        self.start = start or Path.home()
        self._initial_path = str(self.start) + os.sep
        self._shown: tuple[Path, str | None] | None = None  # what the panel describes
        self._cancel: threading.Event | None = None
        self._importing: Worker[ImportReport | ExportImportReport | None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Import conversations: a Claude Code or Codex transcript or folder "
            "(~/.claude/projects, ~/.codex/sessions), a ChatGPT conversations.json, an "
            ".aider.chat.history.md, or a text file. Each transcript becomes an imported "
            "session; importing it again adds only what is new. Secrets are redacted.",
            classes="summary",
            markup=False,
        )
        with Horizontal(id="import-body"):
            yield DirectoryTree(self.start, id="import-tree")
            with Vertical(id="import-form"):
                yield Label("Path (→ completes; Enter previews)")
                yield Input(self._initial_path, id="import-path", suggester=PathSuggester())
                yield Label("Project (blank: named after each transcript's folder)")
                yield Input(self.project, id="import-project")
                yield Label("Format")
                yield Select(FORMATS, value="", allow_blank=False, id="import-format")
                yield ProgressBar(id="import-progress", show_eta=True, classes="hidden")
                with VerticalScroll(id="import-preview-box"):
                    yield Static("", id="import-preview", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    # -- preview --------------------------------------------------------------------------

    def path(self) -> Path:
        return Path(self.query_one("#import-path", Input).value.strip()).expanduser()

    def format_name(self) -> str | None:
        value = self.query_one("#import-format", Select).value
        return value if isinstance(value, str) and value else None

    @on(Input.Changed, "#import-path")
    @on(Select.Changed, "#import-format")
    def _schedule_preview(self, event: Input.Changed | Select.Changed) -> None:
        if isinstance(event, Input.Changed) and event.value == self._initial_path:
            return  # the home folder offered at first is not walked until asked for
        self.set_timer(PREVIEW_DELAY, self._preview, name="import-preview")

    @on(Input.Submitted, "#import-path")
    def _preview_now(self) -> None:
        self._preview(again=True)

    def _preview(self, again: bool = False) -> None:
        """Look at the path, unless it was just looked at (or imported) and not ``again``."""
        if self._importing is not None or not self.query_one("#import-path", Input).value:
            return
        path, format_name = self.path(), self.format_name()
        if (path, format_name) == self._shown and not again:
            return
        self._shown = (path, format_name)

        app = self.orchestrator

        def look() -> tuple[Path, ImportPreview | str]:
            try:
                if format_name is None and backend.project_import.is_export(path):
                    summary = backend.project_import.read_summary(path)
                    taken = backend.project_import.project_name_taken(
                        app.database(), summary.project
                    )
                    return path, describe_export(summary, taken)
                return path, backend.imports.preview(path, format_name)
            except OrchestratorError as error:
                return path, str(error)
            except OSError as error:
                return path, f"cannot read {path}: {error.strerror or error}"

        self.run_worker(look, thread=True, group="import-preview", exclusive=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "import-preview" or event.state != WorkerState.SUCCESS:
            return
        if event.worker.result is None:
            return
        path, found = event.worker.result
        if path != self.path():
            return  # typed on since
        self.query_one("#import-preview", Static).update(
            found if isinstance(found, str) else describe_preview(found)
        )

    @on(DirectoryTree.FileSelected)
    @on(DirectoryTree.DirectorySelected)
    def _picked(self, event: DirectoryTree.FileSelected | DirectoryTree.DirectorySelected) -> None:
        field = self.query_one("#import-path", Input)
        field.value = str(event.path) + (os.sep if event.path.is_dir() else "")
        self._preview(again=True)

    def action_focus_tree(self) -> None:
        self.query_one("#import-tree", DirectoryTree).focus()

    # -- import ---------------------------------------------------------------------------

    def action_run_import(self, rename: str | None = None) -> None:
        if self._importing is not None:
            return
        path, format_name = self.path(), self.format_name()
        self._shown = (path, format_name)  # the panel shows the import, then its report
        project = self.query_one("#import-project", Input).value.strip() or None
        cancel = self._cancel = threading.Event()
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.remove_class("hidden")
        shown = [-1]

        def progress(done: int, total: int) -> None:
            percent = 100 if total <= 0 else done * 100 // total
            if percent != shown[0]:  # a few hundred updates at most, whatever the size
                shown[0] = percent
                self.app.call_from_thread(bar.update, total=max(total, 1), progress=done)

        def job(db: Database) -> ImportReport | ExportImportReport:
            if format_name is None and backend.project_import.is_export(path):
                return backend.project_import.import_export(
                    db, path, rename=rename, progress=progress, cancel=cancel
                )
            return backend.imports.import_path(
                db, path, project=project, format_name=format_name, progress=progress, cancel=cancel
            )

        self.query_one("#import-preview", Static).update(f"Importing {path} …")
        self._importing = db_work(
            self,
            job,
            self._imported,
            group="import",
            description="Importing transcripts",
            on_error=self._failed,
        )

    def _finished(self) -> None:
        self._importing = None
        self._cancel = None
        self.query_one("#import-progress", ProgressBar).add_class("hidden")

    def _imported(self, report: ImportReport | ExportImportReport) -> None:
        from orchestrator_tui.services.project_import import ExportImportReport

        self._finished()
        if isinstance(report, ExportImportReport):
            self.query_one("#import-preview", Static).update(describe_export_report(report))
            self.notify(
                f"Imported the project {report.project} ({report.sessions:,} session(s)).",
                markup=False,
            )
            self.changed()
            return
        self.query_one("#import-preview", Static).update(describe_report(report))
        self.notify(
            f"Imported: {report.sessions_created:,} new session(s), "
            f"{report.turns_added:,} new turn(s)"
            + (f", {report.problem_count:,} line(s) skipped" if report.problem_count else ""),
            markup=False,
        )
        self.changed()

    def _failed(self, error: OrchestratorError) -> None:
        from orchestrator_tui.services.project_import import ProjectExistsError

        self._finished()
        if isinstance(error, ProjectExistsError):
            self.query_one("#import-preview", Static).update(str(error))
            exported = self.path()
            self.app.push_screen(
                RenameForm(error.name, error.existing),
                lambda name: self._renamed(name, exported),
            )
            return
        self.query_one("#import-preview", Static).update(str(error))
        self.notify(str(error), severity="warning", markup=False)

    def _renamed(self, name: str | None, exported: Path) -> None:
        if name is None:
            self.query_one("#import-preview", Static).update(
                "Import cancelled: nothing was written."
            )
            self.notify("Nothing imported.", markup=False)
        elif exported != self.path():
            self.notify("The path changed meanwhile; press ctrl+s to import it.", markup=False)
        else:
            self.action_run_import(rename=name)

    def action_back(self) -> None:
        if self._cancel is not None:
            self._cancel.set()  # the worker stops at its next step; the transaction rolls back
            self.notify("Cancelling the import…", markup=False)
            return
        self.dismiss()


def describe_preview(preview: ImportPreview) -> str:
    kinds = ", ".join(f"{count} {name}" for name, count in sorted(preview.formats.items()))
    lines = [
        f"{preview.file_count:,} file(s), {fmt.size(preview.total_bytes)}: {kinds}",
        "",
    ]
    lines += [
        f"  {item.path.name}  ({item.format}, {fmt.size(item.size)})"
        for item in preview.files[:SHOWN_FILES]
    ]
    if preview.file_count > SHOWN_FILES:
        lines.append(f"  … and {preview.file_count - SHOWN_FILES:,} more")
    lines += ["", f"First transcript: {preview.title or '(untitled)'}"]
    if preview.started_at is not None:
        lines.append(f"Started: {fmt.when(preview.started_at)}")
    if preview.working_directory:
        lines.append(f"Folder: {preview.working_directory}")
    lines.append("")
    for turn in preview.turns:
        who = turn.role if turn.kind == "text" else f"{turn.role} ({turn.tool_name or turn.kind})"
        lines.append(f"{who}: {turn.text}")
    if not preview.turns:
        lines.append("(no turns at the start of this transcript)")
    if preview.problems:
        lines += ["", "Lines that will be skipped:"]
        lines += [f"  {problem}" for problem in preview.problems[:SHOWN_PROBLEMS]]
    lines += ["", "ctrl+s imports."]
    return "\n".join(lines)


def describe_export(summary: ExportSummary, taken: str | None) -> str:
    counts = summary.counts
    lines = [
        f"A project export (version {summary.version}, orchestrator-tui "
        f"{summary.app_version}), {fmt.size(summary.size)}",
        f"Exported: {fmt.when(summary.exported_at)}",
        "",
        f"Project: {summary.project}",
    ]
    if summary.description:
        lines.append(fmt.one_line(summary.description, 200))
    lines += [
        "",
        f"{counts.get('sessions', 0):,} session(s), {counts.get('turns', 0):,} turn(s), "
        f"{counts.get('handoff_versions', 0):,} handoff version(s)",
        f"{counts.get('project_files', 0):,} file(s), {counts.get('knowledge_items', 0):,} "
        f"knowledge item(s), {counts.get('handoff_queue', 0):,} queued handoff(s), "
        f"{counts.get('accounts', 0):,} account(s)",
        "",
        "The project is recreated here with new ids; accounts are matched by name, or created.",
        "The Project field above is not used: the export names its project.",
    ]
    if taken is not None:
        lines.append(f"A project named {taken!r} exists here: ctrl+s will ask for another name.")
    lines += ["", "ctrl+s imports."]
    return "\n".join(lines)


def describe_export_report(report: ExportImportReport) -> str:
    renamed = f" (renamed from {report.renamed_from})" if report.renamed_from else ""
    lines = [
        f"Imported the project {report.project}{renamed}: {report.sessions:,} session(s), "
        f"{report.turns:,} turn(s), {report.handoff_versions:,} handoff version(s), "
        f"{report.files:,} file(s), {report.knowledge_items:,} knowledge item(s), "
        f"{report.handoff_queue:,} queued handoff(s).",
    ]
    if report.accounts_created:
        lines.append("Accounts created: " + ", ".join(report.accounts_created))
    if report.accounts_matched:
        lines.append("Accounts already here: " + ", ".join(report.accounts_matched))
    if report.unlinked_transcripts:
        lines.append(
            f"{report.unlinked_transcripts:,} session(s) came from transcripts imported here "
            "before; those transcripts stay linked to their first sessions."
        )
    return "\n".join(lines)


def describe_report(report: ImportReport) -> str:
    lines = [
        f"Read {report.files_read:,} file(s), {fmt.size(report.bytes_read)}: "
        f"{report.sessions_created:,} new session(s), "
        f"{len(report.sessions) - report.sessions_created:,} already there, "
        f"{report.turns_added:,} new turn(s).",
        "",
    ]
    lines += [
        f"  #{item.number} {item.project}: {item.title or '(untitled)'} (+{item.turns_added:,})"
        for item in report.sessions[:SHOWN_FILES]
    ]
    if len(report.sessions) > SHOWN_FILES:
        lines.append(f"  … and {len(report.sessions) - SHOWN_FILES:,} more")
    if report.projects_created:
        lines += ["", "Projects created: " + ", ".join(report.projects_created)]
    if report.redactions:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(report.redactions.items()))
        lines += ["", f"Secrets redacted: {found}"]
    if report.problem_count:
        lines += ["", f"{report.problem_count:,} line(s) skipped:"]
        lines += [f"  {problem}" for problem in report.problems[:SHOWN_PROBLEMS]]
    return "\n".join(lines)
