"""The modal form every dialog builds on: fields with their own error lines, Tab and
shift+Tab between fields, Enter to submit, Escape to cancel. Submitting runs the use case in a
thread worker; refused input is shown beside its field and the form stays open."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Footer, Input, Label, Static

from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.tui.workers import db_work
from orchestrator_tui.validation import MAX_TEXT

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.tui.app import OrchestratorApp

T = TypeVar("T")


class FieldInput(Input):
    """A form field that keeps every line of a paste (joined with "; ", the item separator)
    where a plain Input keeps only the first, and refuses a paste too big for any field."""

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # instead of Input's first-line-only paste
        event.stop()
        if len(event.text) > MAX_TEXT:
            self.notify(
                f"That paste has {len(event.text):,} characters; a field takes at most "
                f"{MAX_TEXT:,}. Nothing was pasted.",
                severity="error",
            )
            return
        text = "; ".join(line.strip() for line in event.text.splitlines() if line.strip())
        if self.selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *self.selection)


class FormModal(ModalScreen[T | None], Generic[T]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", tooltip="Close the form (what you typed is kept)"),
        Binding("ctrl+s", "submit", "Submit", tooltip="Submit the form (Enter does too)"),
    ]
    HELP_TITLE: ClassVar[str] = "Forms"
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("tab, shift+tab", "Next / previous field"),
        ("⏎", "Submit (from a text field)"),
    ]
    TITLE: ClassVar[str] = ""
    SUBMIT_LABEL: ClassVar[str] = "Save"
    DESCRIPTION: ClassVar[str] = "Saving"
    FIRST_FIELD: ClassVar[str | None] = None  # focused on open; default: the first field

    def __init__(self, title: str = "") -> None:
        super().__init__()
        self.form_title = title or self.TITLE
        self._busy = False

    @property
    def orchestrator(self) -> OrchestratorApp:
        return cast("OrchestratorApp", self.app)

    # -- to implement -------------------------------------------------------------------

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def validate(self) -> dict[str, str]:
        """Instant checks, before anything runs; errors by field name."""
        return {}

    def job(self, db: Database) -> T:
        raise NotImplementedError

    def intro(self) -> str:
        return ""

    # -- shared -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form", can_focus=False):
            yield Label(self.form_title, classes="form-title", markup=False)
            intro = self.intro()
            if intro:
                yield Static(intro, classes="form-intro", markup=False)
            yield from self.fields()
            yield Static("", id="form-error", classes="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.SUBMIT_LABEL, variant="primary", id="submit")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        if self.FIRST_FIELD is not None:
            self.query_one(f"#field-{self.FIRST_FIELD}").focus()
            return
        fields = self.query(".form > Input, .form > Select")
        if fields:
            fields.first().focus()

    @staticmethod
    def field(name: str, label: str, widget: Widget) -> Iterator[Widget]:
        widget.id = f"field-{name}"
        yield Label(label, classes="field-label")
        yield widget
        yield Static("", id=f"error-{name}", classes="field-error", markup=False)

    def value(self, name: str) -> str:
        return self.query_one(f"#field-{name}", Input).value

    def show_errors(self, errors: dict[str, str], general: str = "") -> None:
        first: Widget | None = None
        placed: set[str] = set()
        for line in self.query(".field-error").results(Static):
            name = (line.id or "").removeprefix("error-")
            placed.add(name)
            message = errors.get(name, "")
            line.update(message)
            line.set_class(bool(message), "-shown")
            if message and first is None:
                first = self.query_one(f"#field-{name}")
        # Errors of no field of this form (a batch's "line 3"...) go under the fields; their
        # keys need not be valid widget ids.
        unplaced = [f"{k}: {v}" for k, v in errors.items() if k not in placed]
        self.query_one("#form-error", Static).update("\n".join([general, *unplaced]).strip())
        if first is not None:
            first.focus()

    @on(Input.Submitted)
    def _enter_submits(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if self._busy:  # the write is under way: closing now would hide its outcome
            self.notify(f"{self.DESCRIPTION}… this cannot be cancelled now.", severity="warning")
            return
        self.keep_draft()
        self.dismiss(None)

    def keep_draft(self) -> None:
        """Called when the form is cancelled: keep what was typed, if the form wants to."""

    def action_submit(self) -> None:
        if self._busy:
            return
        errors = self.validate()
        if errors:
            self.show_errors(errors)
            return
        self._busy = True
        self.query_one("#form-error", Static).update(f"{self.DESCRIPTION}…")
        db_work(
            self,
            self.job,
            self._succeeded,
            group="form",
            description=self.DESCRIPTION,
            on_error=self._failed,
        )

    def _succeeded(self, result: T) -> None:
        self._busy = False
        self.dismiss(result)

    def _failed(self, error: OrchestratorError) -> None:
        self._busy = False
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        else:
            self.show_errors({}, general=str(error))
