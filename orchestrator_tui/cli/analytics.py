"""`stats`: credit analytics and the growth model, as text or one JSON object."""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING, Any

from orchestrator_tui.cli.common import Result, common_options, open_db, to_jsonable
from orchestrator_tui.errors import ValidationError

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.records import CreditStats, StatsPeriod

BARS = "▁▂▃▄▅▆▇█"
LABEL_WIDTH = 22
TEXT_WIDTH = 100


def spark(values: list[float | None]) -> str:
    """A one-line chart: a block per value scaled from 0 to the largest, blank for none."""
    top = max((value for value in values if value is not None), default=0.0)
    if top <= 0:
        return "".join(" " if value is None else BARS[0] for value in values)
    return "".join(
        " " if value is None else BARS[min(len(BARS) - 1, int(value / top * len(BARS)))]
        for value in values
    )


def _line(label: str, text: str) -> list[str]:
    indent = " " * (LABEL_WIDTH + 2)
    wrapped = textwrap.wrap(text, TEXT_WIDTH - len(indent)) or [""]
    return [f"  {label:<{LABEL_WIDTH}}{wrapped[0]}"] + [indent + rest for rest in wrapped[1:]]


def _number(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{value:,.{decimals}f}"


def _span(period: StatsPeriod) -> str:
    if period.start == period.end:
        return f"{period.start}"
    return f"{period.start} – {period.end}"


def render_text(stats: CreditStats) -> str:
    lines = [
        f"Credit analytics: {stats.scope.label}, last {stats.days:,} days "
        f"({stats.window_start} to {stats.window_end}, UTC days)",
        "",
    ]
    if stats.sessions == 0:
        lines.append(
            "  No session started in this window. A longer --days, another scope, or a "
            "completed session gives figures."
        )
    lines += _line("Sessions", f"{stats.sessions:,} started, {stats.completed:,} completed")
    if stats.completed:
        lines += _line(
            "Credits",
            f"{stats.total_credits:,} in completed sessions: average "
            f"{_number(stats.average_credits)}, min {stats.min_credits:,}, "
            f"max {stats.max_credits:,} per session",
        )
    else:
        lines += _line("Credits", "no completed session in this window")
    lines += _line(
        "Rating", f"{stats.rating.label} (optimal: an average of 85 to 92 credits a session)"
    )
    lines += _line("", stats.rating.advice)
    lines += _line("Burn rate", f"{stats.burn_rate:,.1f} credits a day")
    per = stats.credits_per_accomplishment
    lines += _line(
        "Per accomplishment",
        f"{_number(per)} credits ({stats.accomplishments:,} accomplishments)"
        if per is not None
        else f"— ({stats.accomplishments:,} accomplishments)",
    )
    lines += _line("Forecast", stats.forecast.summary)

    over_time = stats.credits_over_time
    lines += ["", f"Credits per completed session, per {stats.bucket}:"]
    lines.append("  " + spark([period.average_credits for period in over_time]))
    for period in over_time:
        if period.completed:
            lines.append(
                f"  {_span(period):<25} {period.completed:>4} completed "
                f"{period.credits:>10,} credits  average {_number(period.average_credits)}"
            )
    lines += ["", "Sessions started per week:"]
    lines.append("  " + spark([float(period.sessions) for period in stats.sessions_per_week]))
    for period in stats.sessions_per_week:
        partial = f" ({period.days} days)" if period.days != 7 else ""
        lines.append(f"  {_span(period) + partial:<35} {period.sessions:>5,}")

    model = stats.model
    lines += [
        "",
        "Model (not measured): the original tool's growth model, fixed formulas not fitted to "
        "your data.",
        "  E(N) = 0.7 + 0.25·tanh(N/50), K(N) = 1 + ln(1 + N/10), output = 90·E·K; "
        "N = completed sessions.",
        f"  {'N':>8}  {'E':>7}  {'K':>7}  {'output':>8}",
    ]
    for point in model.points:
        lines.append(
            f"  {point.sessions:>8,}  {point.efficiency:>7.4f}  {point.knowledge:>7.4f}  "
            f"{point.output:>8.2f}"
        )
    target = f"{model.target_output:,g}"
    if model.sessions_to_target is None:
        lines.append(f"  An output of {target} is out of the model's reach.")
    else:
        lines.append(
            f"  An output of {target} is reached at N = {model.sessions_to_target:,}: "
            f"{model.sessions_to_go:,} more completed sessions."
        )
    return "\n".join(lines)


def cmd_stats(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.analytics import credit_stats, parse_days, parse_target

    try:
        days = parse_days(args.days)
        target = parse_target(args.target)
    except ValidationError as error:  # named as the options that were given
        raise ValidationError(
            {f"--{name}": reason for name, reason in error.errors.items()}
        ) from None
    db = open_db(url, create=False)
    try:
        stats = credit_stats(db, args.project, args.account, days, target=target)
    finally:
        db.close()
    payload: dict[str, Any] = to_jsonable(stats)
    payload["scope"]["label"] = stats.scope.label
    return Result(payload, render_text(stats))


def register(commands: Commands) -> None:
    stats = common_options(
        commands.add_parser(
            "stats",
            help="credit analytics: sessions, credits, rating, burn rate, forecast, model",
            description="Credit analytics over the last N days (UTC calendar days, today "
            "included) for everything, a project, an account, or both; with the growth model "
            "beside it (a model, not a measurement).",
        )
    )
    stats.add_argument("--project", metavar="P", help="only this project (name or id)")
    stats.add_argument("--account", metavar="A", help="only this account (name or id)")
    stats.add_argument("--days", default="30", metavar="N", help="the window (default 30)")
    stats.add_argument(
        "--target",
        default="200",
        metavar="X",
        help="the model output to reach, for 'sessions to reach' (default 200)",
    )
    stats.set_defaults(handler=cmd_stats)
