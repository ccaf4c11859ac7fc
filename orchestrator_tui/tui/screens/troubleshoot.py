"""The troubleshooting assistant: paste an error, a stack trace and code, then ctrl+s.

The past sessions and knowledge items that mention the same error are listed as soon as the
search is done (Enter opens one); the offline answer shows at once, and an LLM's answer
(when one is set up with F9) streams in over it, redrawn at most every STREAM_EVERY seconds.
Escape stops the search or the LLM; the paste is never touched.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Footer,
    Header,
    Label,
    Markdown,
    OptionList,
    ProgressBar,
    Static,
    TextArea,
)
from textual.widgets.option_list import Option

from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.records import (
    TroubleshootAnalysis,
    TroubleshootAnswer,
    TroubleshootMatch,
)
from orchestrator_tui.tui import format as fmt
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.workers import db_work

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database
    from orchestrator_tui.settings import HandoffSettings

STREAM_EVERY = 0.1  # seconds between redraws of a streaming answer
LIST_WIDTH = 60  # characters of a line in the list of matches (half of a 130-column screen)
WELCOME = """\
### Paste an error, then press ctrl+s

- **Seen before**: past conversations, handoffs, session notes and knowledge items that \
mention the same error, and whether a later turn fixed it. Enter opens one.
- **Answer**: root cause, fix steps and prevention from the LLM set up with F9; without one \
(or when it fails), what your own history and a few rules of thumb say.

Nothing you paste is stored; secrets are redacted before anything is sent.
"""


def describe_match(match: TroubleshootMatch, width: int = LIST_WIDTH) -> Text:
    """Two lines for the list: where, how close, whether it was fixed; then the mention."""
    if match.kind == "knowledge":
        scope = f" · {match.project}" if match.project else ""
        head = Text.assemble(("★ ", "bold yellow"), (f"knowledge · {match.category}", "bold"))
        head.append(f"{scope} · {match.level}")
        title = match.title
    else:
        mark = ("✔ ", "bold green") if match.resolved else ("• ", "")
        where = {"turn": "conversation", "handoff": "handoff", "session": match.field or ""}
        head = Text.assemble(mark, (f"{match.project} #{match.number}", "bold"))
        head.append(f" · {where.get(match.kind, match.kind)} · {match.level}")
        title = match.title
    room = width - len(head.plain) - 3
    if title and room >= 12:
        head.append(f" · {fmt.one_line(title, room)}")
    head.append("\n  " + fmt.one_line(match.snippet, width - 2), style="dim")
    return head


class TroubleshootScreen(BaseScreen):
    CSS_PATH = "troubleshoot.tcss"
    HELP_TITLE = "Troubleshoot"
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("enter", "In the list: open the session of a match (or the knowledge item)"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "analyse",
            "Analyse",
            tooltip="Search past sessions for the pasted error and write an answer",
        ),
        Binding("f2", "copy", "Copy answer", tooltip="Copy the answer to the clipboard"),
        Binding("ctrl+l", "focus_matches", "Matches", tooltip="Go to the list of past mentions"),
        Binding(
            "escape",
            "stop",
            "Stop / back",
            tooltip="Stop the search or the LLM; when nothing runs, go back",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.analysis: TroubleshootAnalysis | None = None
        self.answer: TroubleshootAnswer | None = None
        self._cancel: threading.Event | None = None  # set: stop the search or the LLM
        self._streaming = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("troubleshoot")
        yield Static(
            "Troubleshoot: paste an error message, a stack trace and code below, then "
            "ctrl+s. F9 sets the LLM; without one the answer is offline.",
            id="ts-summary",
            classes="summary",
            markup=False,
        )
        with Horizontal(id="ts-body"):
            with Vertical(id="ts-left"):
                yield Label("Paste (ctrl+s analyses)", classes="section-title")
                yield TextArea(
                    "",
                    soft_wrap=True,
                    tab_behavior="focus",
                    show_line_numbers=False,
                    id="ts-input",
                )
                yield Static(
                    "Seen before", id="ts-matches-title", classes="section-title", markup=False
                )
                yield OptionList(id="ts-matches")
            with Vertical(id="ts-right"):
                yield Static("Answer", id="ts-answer-title", classes="section-title", markup=False)
                with Horizontal(id="ts-progress", classes="hidden"):
                    yield ProgressBar(total=None, show_eta=False, show_percentage=False)
                    yield Label("", id="ts-progress-label")
                with VerticalScroll(id="ts-answer-box"):
                    yield Markdown(WELCOME, id="ts-answer")
        yield Footer()

    def on_mount(self) -> None:
        self.paste_box.focus()

    @property
    def paste_box(self) -> TextArea:
        return self.query_one("#ts-input", TextArea)

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    # -- analysing ----------------------------------------------------------------------

    def action_analyse(self) -> None:
        text = self.paste_box.text
        if not text.strip():
            self.notify("Paste an error message, a stack trace or code first.", severity="warning")
            return
        if self.busy:
            self.notify("Still working on the last paste; Escape stops it.")
            return
        app = self.orchestrator
        cancel = self._cancel = threading.Event()
        streamed: list[str] = []
        shown_at = [0.0]

        def piece(chunk: str) -> None:  # in the worker's thread
            streamed.append(chunk)
            now = time.monotonic()
            if now - shown_at[0] >= STREAM_EVERY:
                shown_at[0] = now
                app.call_from_thread(self._stream, "".join(streamed))

        def job(db: Database) -> TroubleshootAnswer:
            from orchestrator_tui.services import troubleshoot

            analysis = troubleshoot.analyse(db, text, cancel=cancel)
            settings, problem = _settings()
            app.call_from_thread(self._analysed, analysis, settings)
            if problem is not None:
                return TroubleshootAnswer(analysis.answer, "rules", fallback_reason=problem)
            return troubleshoot.write_answer(analysis, settings, on_piece=piece, cancel=cancel)

        self._working("Searching past sessions and the knowledge base…")
        db_work(
            self,
            job,
            self._answered,
            group="troubleshoot",
            description="Troubleshooting",
            on_error=self._failed,
        )

    def _working(self, label: str) -> None:
        self.query_one("#ts-progress").remove_class("hidden")
        self.query_one("#ts-progress-label", Label).update(label)

    def _done(self) -> None:
        self._cancel = None
        self._streaming = False
        self.query_one("#ts-progress").add_class("hidden")

    def _analysed(self, analysis: TroubleshootAnalysis, settings: HandoffSettings) -> None:
        """The offline part is in: the matches, and the offline answer until the LLM's."""
        self.analysis = analysis
        matches = self.query_one("#ts-matches", OptionList)
        matches.clear_options()
        matches.add_options(
            Option(describe_match(match), id=str(index))
            for index, match in enumerate(analysis.matches)
        )
        if analysis.matches:
            matches.highlighted = 0
        count = len(analysis.matches)
        title = self.query_one("#ts-matches-title", Static)
        if count:
            title.update(f"Seen before · {count} match{'es' if count > 1 else ''} (Enter opens)")
        else:
            title.update("Seen before · no past mention of this error")
        self._show_answer(analysis.answer)
        if settings.provider == "rules":
            self._set_answer_title("offline (rules); F9 sets an LLM")
            return
        model = f" {settings.model}" if settings.model else ""
        self._set_answer_title(f"{settings.provider}{model}: waiting for the first words…")
        self._working(f"Asking {settings.provider}{model}…  Escape stops it")

    def _stream(self, text: str) -> None:
        if self.busy:
            self._streaming = True
            self._show_answer(text)
            self.query_one("#ts-answer-box", VerticalScroll).scroll_end(animate=False)

    def _answered(self, answer: TroubleshootAnswer) -> None:
        self._done()
        self.answer = answer
        self._show_answer(answer.text)
        self.query_one("#ts-answer-box", VerticalScroll).scroll_home(animate=False)
        if answer.fallback_reason is None:
            model = f" {answer.model}" if answer.model else ""
            source = "offline (rules)" if answer.provider == "rules" else answer.provider + model
            self._set_answer_title(source)
            return
        self._set_answer_title("offline: the LLM did not answer")
        self.notify(
            f"The LLM did not answer, so the offline answer is shown: {answer.fallback_reason}",
            severity="warning",
            timeout=12,
        )

    def _failed(self, error: OrchestratorError) -> None:
        stopped = self._cancel is not None and self._cancel.is_set()
        self._done()
        if stopped:
            self.notify("Stopped.")
        else:
            self.orchestrator.report_error(error)

    def _show_answer(self, text: str) -> None:
        self.query_one("#ts-answer", Markdown).update(text)

    def _set_answer_title(self, detail: str) -> None:
        self.query_one("#ts-answer-title", Static).update(f"Answer · {detail}")

    # -- other keys ---------------------------------------------------------------------

    def action_copy(self) -> None:
        text = self.answer.text if self.answer else (self.analysis.answer if self.analysis else "")
        if not text.strip():
            self.notify("Nothing to copy yet: analyse a paste first (ctrl+s).", severity="warning")
            return
        self.app.copy_to_clipboard(text)

    def action_focus_matches(self) -> None:
        self.query_one("#ts-matches", OptionList).focus()

    def action_stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._working("Stopping…")
            return
        self.orchestrator.go_back()

    @on(OptionList.OptionSelected, "#ts-matches")
    def _open(self, event: OptionList.OptionSelected) -> None:
        """A session's match opens the session at the page of the turn; a knowledge item is
        shown whole."""
        if self.analysis is None or event.option.id is None:
            return
        match = self.analysis.matches[int(event.option.id)]
        if match.kind != "knowledge" and match.session_id is not None:
            from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen

            self.app.push_screen(SessionDetailScreen(match.session_id, match.turn_index or 0))
            return
        from orchestrator_tui.tui.screens.help import MessageScreen

        scope = match.project or "all projects"
        source = f"\n\nRecorded from session #{match.number}." if match.number else ""
        self.app.push_screen(
            MessageScreen(
                f"Knowledge · {match.category} · {scope}",
                f"{match.title}\n\n{match.snippet}{source}",
            )
        )


def _settings() -> tuple[HandoffSettings, str | None]:
    """The saved LLM settings; the defaults (offline) and why, when the file is unusable."""
    from orchestrator_tui.settings import HandoffSettings, config_path, load_settings

    try:
        return load_settings(), None
    except OrchestratorError as error:
        return HandoffSettings(), f"the settings in {config_path()} could not be used: {error}"
