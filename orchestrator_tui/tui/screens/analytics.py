"""Credit analytics: the measured figures with their charts, the rating and its advice, the
forecast, and the growth model beside them, labelled as a model. Computed in a worker."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Input, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.records import CreditStats, StatsPeriod, StatsScope, StatsScopes
from orchestrator_tui.tui import backend
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.widgets.mode_bar import ModeBar
from orchestrator_tui.tui.widgets.plain_table import PlainTable
from orchestrator_tui.tui.workers import db_work

WINDOWS = (7, 30, 90, 365)
DEFAULT_WINDOW = 30
ALL = StatsScope()

MODEL_INTRO = (
    "Fixed formulas from the original tool, not fitted to your data: "
    "E = 0.7 + 0.25·tanh(N/50), K = 1 + ln(1 + N/10), output = 90·E·K; "
    "N = completed sessions."
)
RATING_NOTE = "The original tool's bands (100-credit accounts): optimal 85–92, good 75–85."


def _period_label(period: StatsPeriod) -> str:
    if period.start == period.end:
        return f"{period.start:%a %m-%d}"
    return f"{period.start:%m-%d} – {period.end:%m-%d}"


def _number(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


class ScopePicker(ModalScreen[StatsScope | None]):
    """All sessions, a project or an account; typing filters the list."""

    CSS_PATH = "dialogs.tcss"
    HELP_TITLE = "Analytics scope"
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [
        ("letters", "Filter the projects and accounts by name"),
        ("↑, ↓, ⏎", "Move through the list, use the highlighted one"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close", tooltip="Keep the current scope"),
        Binding("down", "move(1)", "", show=False),
        Binding("up", "move(-1)", "", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.choices: list[tuple[str, StatsScope]] = [("All projects and accounts", ALL)]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form scope-picker"):
            yield Label("Analytics for… (type to filter, Enter chooses)", classes="form-title")
            yield Input(placeholder="filter by name", id="scope-filter")
            yield OptionList(id="scope-list", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._fill("")
        db_work(
            self,
            lambda db: backend.analytics.scopes(db),
            self._loaded,
            group="analytics-scopes",
            description="Listing projects and accounts",
        )

    def _loaded(self, scopes: StatsScopes) -> None:
        self.choices += [
            (f"Project · {ref.name}", StatsScope(project_id=ref.id, project_name=ref.name))
            for ref in scopes.projects
        ]
        self.choices += [
            (f"Account · {ref.name}", StatsScope(account_id=ref.id, account_name=ref.name))
            for ref in scopes.accounts
        ]
        self._fill(self.query_one(Input).value)

    def _fill(self, text: str) -> None:
        wanted = text.strip().casefold()
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(label, id=str(index))
            for index, (label, _) in enumerate(self.choices)
            if wanted in label.casefold()
        )
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._choose(options.get_option_at_index(options.highlighted))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option)

    def _choose(self, option: Option) -> None:
        self.dismiss(self.choices[int(option.id or 0)][1])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class AnalyticsScreen(BaseScreen):
    CSS_PATH = "analytics.tcss"
    HELP_TITLE = "Analytics"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "choose_scope", "Scope", tooltip="All sessions, a project or an account"),
        Binding("w", "window(1)", "Window", tooltip="Next window: 7, 30, 90 or 365 days"),
        Binding("W", "window(-1)", "Window back", tooltip="Previous window", show=False),
        Binding("r", "refresh", "Refresh", tooltip="Compute the figures again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.scope = ALL
        self.days = DEFAULT_WINDOW
        self.stats: CreditStats | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ModeBar("analytics")
        yield Static("Computing…", id="analytics-summary", classes="summary", markup=False)
        yield Static("", id="analytics-empty", classes="hidden", markup=False)
        with Horizontal(id="analytics-body"):
            with Vertical(id="measured"):
                yield Static("", id="figures", markup=False)
                yield Static("", id="credits-title", classes="section-title", markup=False)
                with Horizontal(classes="chart-row"):
                    yield Sparkline([], id="credits-chart")
                    yield PlainTable(id="credits-table", cursor_type="row", zebra_stripes=True)
                yield Static("Sessions started per week", classes="section-title", markup=False)
                with Horizontal(classes="chart-row"):
                    yield Sparkline([], id="sessions-chart")
                    yield PlainTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="side"):
                with Vertical(id="rating-panel", classes="panel"):
                    yield Static("", id="rating-label", markup=False)
                    yield Static("", id="rating-advice", markup=False)
                    yield Static(RATING_NOTE, id="rating-note", classes="note", markup=False)
                with Vertical(id="forecast-panel", classes="panel"):
                    yield Static("", id="forecast-text", markup=False)
                with Vertical(id="model-panel", classes="panel"):
                    yield Static(MODEL_INTRO, classes="note", markup=False)
                    yield Sparkline([], id="model-chart")
                    yield PlainTable(id="model-table", cursor_type="none", show_cursor=False)
                    yield Static("", id="model-target", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rating-panel").border_title = "Rating"
        self.query_one("#forecast-panel").border_title = "Forecast (at the window's burn rate)"
        self.query_one("#model-panel").border_title = "Model (not measured)"
        self.query_one("#credits-table", PlainTable).add_fixed_columns(
            ("Period", 13), ("Done", 4), ("Credits", 8), ("Avg", 7)
        )
        self.query_one("#sessions-table", PlainTable).add_fixed_columns(
            ("Week", 13), ("Days", 4), ("Sessions", 8)
        )
        self.query_one("#model-table", PlainTable).add_fixed_columns(
            ("N", 6), ("E(N)", 6), ("K(N)", 6), ("Output", 7)
        )

    def on_screen_resume(self) -> None:
        self.reload()  # the window moves with the clock, so always recompute

    def action_refresh(self) -> None:
        self.reload()

    def reload(self) -> None:
        scope, days = self.scope, self.days
        self.query_one("#analytics-summary", Static).update(
            f"{scope.label[:1].upper()}{scope.label[1:]} · last {days} days · computing…"
        )
        db_work(
            self,
            lambda db: backend.analytics.credit_stats(db, scope.project_id, scope.account_id, days),
            self._show,
            group="analytics",
            description="Computing the analytics",
            on_error=self._failed,
        )

    def _failed(self, error: OrchestratorError) -> None:
        """The project or account went away meanwhile: back to everything."""
        self.orchestrator.report_error(error)
        if self.scope != ALL:
            self.scope = ALL
            self.reload()

    def action_window(self, step: int) -> None:
        index = WINDOWS.index(self.days) if self.days in WINDOWS else 0
        self.days = WINDOWS[(index + step) % len(WINDOWS)]
        self.reload()

    def action_choose_scope(self) -> None:
        def chosen(scope: StatsScope | None) -> None:
            if scope is not None:
                self.scope = scope
                self.reload()

        self.app.push_screen(ScopePicker(), chosen)

    # -- drawing --------------------------------------------------------------------------

    def _show(self, stats: CreditStats) -> None:
        self.stats = stats
        label = stats.scope.label
        self.query_one("#analytics-summary", Static).update(
            f"{label[:1].upper()}{label[1:]} · last {stats.days} days "
            f"({stats.window_start} – {stats.window_end}, UTC days) · "
            "c: scope · w: window"
        )
        empty = stats.sessions == 0
        self.query_one("#analytics-body").set_class(empty, "hidden")
        notice = self.query_one("#analytics-empty", Static)
        notice.set_class(not empty, "hidden")
        if empty:
            notice.update(
                f"No session started in the last {stats.days} days for {label}.\n\n"
                "Press w for a longer window or c for another scope. Sessions count here "
                "once they start; their credits once they are completed (p, then a "
                "project, then n starts one)."
            )
            return
        self._show_figures(stats)
        self._show_charts(stats)
        self._show_side(stats)

    def _show_figures(self, stats: CreditStats) -> None:
        per = stats.credits_per_accomplishment
        if stats.completed:
            credits = (
                f"{stats.total_credits:,} total · average {_number(stats.average_credits)} · "
                f"min {stats.min_credits:,} · max {stats.max_credits:,}"
            )
        else:
            credits = "no session completed in this window"
        lines = [
            f"{'Sessions':<20}{stats.sessions:,} started · {stats.completed:,} completed",
            f"{'Credits':<20}{credits}",
            f"{'Burn rate':<20}{stats.burn_rate:,.1f} credits a day",
            f"{'Per accomplishment':<20}"
            + (
                f"{_number(per)} credits ({stats.accomplishments:,} accomplishments)"
                if per is not None
                else f"— ({stats.accomplishments:,} accomplishments)"
            ),
        ]
        self.query_one("#figures", Static).update("\n".join(lines))

    def _show_charts(self, stats: CreditStats) -> None:
        self.query_one("#credits-title", Static).update(
            f"Credits per completed session, per {stats.bucket}"
        )
        over_time = stats.credits_over_time
        self.query_one("#credits-chart", Sparkline).data = [
            period.average_credits or 0.0 for period in over_time
        ]
        credits_table = self.query_one("#credits-table", PlainTable)
        credits_table.clear()
        for period in reversed(over_time):  # newest first
            credits_table.add_row(
                _period_label(period),
                f"{period.completed:,}",
                f"{period.credits:,}",
                _number(period.average_credits),
            )
        weeks = stats.sessions_per_week
        self.query_one("#sessions-chart", Sparkline).data = [
            float(period.sessions) for period in weeks
        ]
        sessions_table = self.query_one("#sessions-table", PlainTable)
        sessions_table.clear()
        for period in reversed(weeks):
            sessions_table.add_row(_period_label(period), f"{period.days}", f"{period.sessions:,}")

    def _show_side(self, stats: CreditStats) -> None:
        rating = self.query_one("#rating-label", Static)
        average = _number(stats.average_credits)
        rating.update(f"{stats.rating.label.capitalize()} · average {average} credits a session")
        for band in ("optimal", "good", "needs_improvement"):
            rating.set_class(stats.rating.band == band, f"-{band}")
        self.query_one("#rating-advice", Static).update(stats.rating.advice)
        self.query_one("#forecast-text", Static).update(stats.forecast.summary)

        model = stats.model
        self.query_one("#model-chart", Sparkline).data = model.curve
        table = self.query_one("#model-table", PlainTable)
        table.clear()
        for point in model.points:
            table.add_row(
                f"{point.sessions:,}",
                f"{point.efficiency:.3f}",
                f"{point.knowledge:.3f}",
                f"{point.output:,.1f}",
            )
        target = f"{model.target_output:,g}"
        if model.sessions_to_target is None:
            reach = f"An output of {target} is out of the model's reach."
        else:
            reach = (
                f"Curve: N = 0 to {model.curve_step * (len(model.curve) - 1):,}. Output "
                f"{target} at N = {model.sessions_to_target:,}: "
                f"{model.sessions_to_go:,} more completed sessions."
            )
        self.query_one("#model-target", Static).update(reach)
