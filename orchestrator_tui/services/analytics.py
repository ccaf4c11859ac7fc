"""Credit analytics (F6) and the growth model (F19), for everything, a project or an account.

The window is the last ``days`` UTC calendar days: today and the ``days - 1`` days before it,
up to now. A session belongs to the window when it *started* in it (as in the original tool).
Credit figures count completed sessions with credits recorded; ``sessions`` counts every
session that started, whatever its status.

Everything is computed by the database, accomplishments included: one grouped query returns
at most one row per day of the window, from which the totals, the daily or weekly periods and
the weeks are folded; no session is read into Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, Project, WorkSession, utcnow
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import (
    AccountStatus,
    CreditRating,
    CreditStats,
    GrowthProjection,
    ModelPoint,
    NamedRef,
    PoolForecast,
    RatingBand,
    SessionStatus,
    StatsPeriod,
    StatsScope,
    StatsScopes,
)
from orchestrator_tui.repositories import accounts as account_repo
from orchestrator_tui.repositories import projects as project_repo

DEFAULT_DAYS = 30
MAX_DAYS = 3650
DAILY_UP_TO = 31  # windows up to this many days are charted per day, longer ones per week

# The original's bands for the average credits per completed session, both ends included
# in "optimal": 85 <= average <= 92 optimal; 75 <= average < 85 good; anything else (below
# 75 or above 92) needs improvement. The average is rated as shown, rounded to one decimal.
OPTIMAL_LOW = Decimal(85)
OPTIMAL_HIGH = Decimal(92)
GOOD_LOW = Decimal(75)

ADVICE_OPTIMAL = (
    "Sessions end in the sweet spot: most of an account's budget turns into work and enough "
    "is left to write a clean handoff. Keep ending sessions at about this point."
)
ADVICE_GOOD = (
    "Sessions end a little early. Carry a session on until about 85-92 credits before "
    "handing off, or group small related tasks into one session, so that fewer credits go "
    "into re-reading the handoff and the code at the start of the next one."
)
ADVICE_LOW = (
    "Sessions end well before their budget is used: every new session pays again to load "
    "the handoff and the context. Plan larger chunks of work per session, batch small fixes "
    "together, and hand off when the work or the credits call for it, not out of habit."
)
ADVICE_HIGH = (
    "Sessions run past the 85-92 credit range: the context grows long and every turn costs "
    "more, and a session that runs dry leaves no room for a good handoff. Hand off earlier, "
    "split large tasks across sessions, and compress the context you paste."
)
ADVICE_NONE = "No session was completed in this window, so there is nothing to rate yet."

# The growth model (F19), from the original tool: fixed formulas, not fitted to any data.
MODEL_BASE_OUTPUT = 90.0
DEFAULT_TARGET = 200.0
MODEL_MAX_SESSIONS = 1_000_000  # a target not reached by then counts as out of reach
MODEL_STEPS = (0, 10, 50, 100)  # the points shown: N now, and so many sessions ahead
CURVE_POINTS = 60

FORECAST_MAX_DAYS = 36_500  # beyond a century the date means nothing (and overflows)
SCOPE_LIST_LIMIT = 2000


# --- the growth model ----------------------------------------------------------------------


def efficiency(sessions: float) -> float:
    """E(N) = 0.7 + 0.25 * tanh(N / 50): from 0.70 towards 0.95."""
    return 0.7 + 0.25 * math.tanh(sessions / 50)


def knowledge(sessions: float) -> float:
    """K(N) = 1 + ln(1 + N / 10): grows without bound, ever more slowly."""
    return 1 + math.log1p(sessions / 10)


def model_output(sessions: float) -> float:
    """Output(N) = 90 * E(N) * K(N): 63 at N = 0, rising with every session. Rounded to 9
    decimals, so that float noise (90 * 0.7 is 62.99999999999999) does not move a target."""
    return round(MODEL_BASE_OUTPUT * efficiency(sessions) * knowledge(sessions), 9)


def sessions_to_reach(target: float) -> int | None:
    """The smallest whole N at which the model's output reaches ``target``; None when it
    does not within MODEL_MAX_SESSIONS. The output only rises, so a binary search finds it."""
    if model_output(0) >= target:
        return 0
    if model_output(MODEL_MAX_SESSIONS) < target:
        return None
    low, high = 0, MODEL_MAX_SESSIONS  # output(low) < target <= output(high)
    while high - low > 1:
        middle = (low + high) // 2
        if model_output(middle) >= target:
            high = middle
        else:
            low = middle
    return high


def model_point(sessions: int) -> ModelPoint:
    return ModelPoint(
        sessions=sessions,
        efficiency=round(efficiency(sessions), 4),
        knowledge=round(knowledge(sessions), 4),
        output=round(model_output(sessions), 2),
    )


def growth_projection(completed_sessions: int, target: float = DEFAULT_TARGET) -> GrowthProjection:
    """The model at N = ``completed_sessions`` and ahead of it, with the sessions needed to
    reach ``target`` output."""
    horizon = max(100, 2 * completed_sessions, completed_sessions + 50)
    step = max(1, math.ceil(horizon / (CURVE_POINTS - 1)))
    reach = sessions_to_reach(target)
    return GrowthProjection(
        completed_sessions=completed_sessions,
        points=[model_point(completed_sessions + ahead) for ahead in MODEL_STEPS],
        curve=[round(model_output(step * index), 2) for index in range(CURVE_POINTS)],
        curve_step=step,
        target_output=target,
        sessions_to_target=reach,
        sessions_to_go=None if reach is None else max(0, reach - completed_sessions),
    )


# --- input ---------------------------------------------------------------------------------


def parse_days(raw: str | int) -> int:
    """A window length: a whole number of days from 1 to MAX_DAYS."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit():
        raise ValidationError({"days": f"{text!r} is not a whole number of days"})
    value = int(text)
    if not 1 <= value <= MAX_DAYS:
        raise ValidationError({"days": f"must be from 1 to {MAX_DAYS:,} days, not {value:,}"})
    return value


def parse_target(raw: str | float) -> float:
    """A target output for the growth model: a positive number."""
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise ValidationError({"target": f"{str(raw).strip()!r} is not a number"}) from None
    if not math.isfinite(value) or value <= 0:
        raise ValidationError({"target": "must be a positive number"})
    return value


# --- the rating ----------------------------------------------------------------------------


def rate(average: float | None) -> CreditRating:
    """The original's rating of an average (rated as rounded to one decimal)."""
    if average is None:
        return CreditRating(None, "no rating", ADVICE_NONE)
    value = _one_decimal(Decimal(str(average)))
    if OPTIMAL_LOW <= value <= OPTIMAL_HIGH:
        return CreditRating(RatingBand.OPTIMAL, "optimal", ADVICE_OPTIMAL)
    if GOOD_LOW <= value < OPTIMAL_LOW:
        return CreditRating(RatingBand.GOOD, "good", ADVICE_GOOD)
    advice = ADVICE_HIGH if value > OPTIMAL_HIGH else ADVICE_LOW
    return CreditRating(RatingBand.NEEDS_IMPROVEMENT, "needs improvement", advice)


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator rounded half up to one decimal; None when dividing by 0."""
    if denominator == 0:
        return None
    return float(_one_decimal(Decimal(numerator) / Decimal(denominator)))


# --- the figures ---------------------------------------------------------------------------


@dataclass
class _Day:
    sessions: int = 0
    completed: int = 0
    credits: int = 0
    accomplishments: int = 0


def _completed() -> ColumnElement[bool]:
    return and_(
        col(WorkSession.status) == SessionStatus.COMPLETED,
        col(WorkSession.credits_used).is_not(None),
    )


def _scope_filter(scope: StatsScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if scope.project_id is not None:
        conditions.append(col(WorkSession.project_id) == scope.project_id)
    if scope.account_id is not None:
        conditions.append(col(WorkSession.account_id) == scope.account_id)
    return conditions


def _resolve_scope(
    session: Session, project: int | str | None, account: int | str | None
) -> StatsScope:
    found_project = project_repo.require(session, project) if project is not None else None
    found_account = account_repo.require(session, account) if account is not None else None
    return StatsScope(
        project_id=found_project.id if found_project else None,
        project_name=found_project.name if found_project else None,
        account_id=found_account.id if found_account else None,
        account_name=found_account.name if found_account else None,
    )


def _as_date(value: Any) -> date:
    """SQLite's date() gives text, other databases a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def accomplishment_items(accomplishments: ColumnElement[str] | Mapped[str]) -> ColumnElement[int]:
    """How many accomplishments a session lists, computed by the database: the parts of the
    text that are not blank once it is split at line breaks and at "; " (as the session form
    separates items). Unlike ``handoff.rules.split_items``, a part that only says "none" or
    "-" counts, and so does an item repeated within one session.

    Spaces, tabs and carriage returns are dropped first (they never make a part non-blank).
    The text is then written with each part between the control characters 2 and 1, so that
    a blank part reads "2 1"; those are removed, and what is left holds one 2 per part.
    """
    text: ColumnElement[str] = func.replace(accomplishments, "; ", "\n")
    for blank in (" ", "\t", "\r"):
        text = func.replace(text, blank, "")
    parts = literal("\x02").concat(func.replace(text, "\n", "\x01\x02")).concat("\x01")
    filled = func.replace(parts, "\x02\x01", "")
    return func.length(filled) - func.length(func.replace(filled, "\x02", ""))


def _daily(
    session: Session, conditions: list[ColumnElement[bool]]
) -> tuple[dict[date, _Day], int | None, int | None]:
    """Per UTC day of the window: sessions, completed ones, their credits and their
    accomplishments; and the smallest and largest credits of a completed session."""
    done = _completed()
    day = func.date(WorkSession.started_at)
    query = (
        sa_select(
            day,
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((done, WorkSession.credits_used), else_=0)),
            func.min(case((done, WorkSession.credits_used), else_=None)),
            func.max(case((done, WorkSession.credits_used), else_=None)),
            func.sum(case((done, accomplishment_items(col(WorkSession.accomplishments))), else_=0)),
        )
        .where(*conditions)
        .group_by(day)
    )
    days: dict[date, _Day] = {}
    lowest: int | None = None
    highest: int | None = None
    for when, started, completed, credits, low, high, items in session.connection().execute(query):
        days[_as_date(when)] = _Day(
            int(started), int(completed or 0), int(credits or 0), int(items or 0)
        )
        if low is not None:
            lowest = int(low) if lowest is None else min(lowest, int(low))
        if high is not None:
            highest = int(high) if highest is None else max(highest, int(high))
    return days, lowest, highest


def _period(days: dict[date, _Day], start: date, end: date) -> StatsPeriod:
    sessions = completed = credits = 0
    current = start
    while current <= end:
        found = days.get(current)
        if found is not None:
            sessions += found.sessions
            completed += found.completed
            credits += found.credits
        current += timedelta(days=1)
    return StatsPeriod(
        start=start,
        end=end,
        days=(end - start).days + 1,
        sessions=sessions,
        completed=completed,
        credits=credits,
        average_credits=_ratio(credits, completed),
    )


def _weeks(days: dict[date, _Day], first: date, last: date) -> list[StatsPeriod]:
    """Seven-day periods counted back from ``last``, oldest first; the oldest one may be
    shorter (its ``days`` says how many of its days are inside the window)."""
    periods = []
    end = last
    while end >= first:
        start = max(first, end - timedelta(days=6))
        periods.append(_period(days, start, end))
        end = start - timedelta(days=1)
    return periods[::-1]


def _forecast(session: Session, scope: StatsScope, burn_rate: float, now: datetime) -> PoolForecast:
    pool = [col(Account.status) != AccountStatus.BLOCKED]
    if scope.account_id is not None:
        pool.append(col(Account.id) == scope.account_id)
    credits, accounts = session.exec(
        select(func.coalesce(func.sum(Account.credits_remaining), 0), func.count()).where(*pool)
    ).one()
    credits, accounts = int(credits), int(accounts)
    next_reset = session.exec(
        select(Account.name, Account.next_reset_at)
        .where(
            *pool,
            col(Account.reset_cadence) != "none",
            col(Account.next_reset_at).is_not(None),
        )
        .order_by(col(Account.next_reset_at))
        .limit(1)
    ).first()
    reset_account, reset_at = (None, None) if next_reset is None else next_reset
    if reset_at is not None and reset_at.tzinfo is None:
        reset_at = reset_at.replace(tzinfo=UTC)

    days_left: float | None = None
    runs_out_at: datetime | None = None
    if scope.account_id is not None:
        holder = str(scope.account_name)
        what = f"the {credits:,} credits left in {holder}"
    else:
        holder = "the pool"
        what = (
            f"the {credits:,} credits left in the pool "
            f"({accounts:,} accounts, blocked ones left out)"
        )
    if accounts == 0:
        summary = (
            f"{holder} is blocked, so there is nothing to forecast."
            if scope.account_id is not None
            else "No usable account in the pool (none, or all blocked): nothing to forecast."
        )
    elif credits == 0:
        days_left, runs_out_at = 0.0, now
        summary = f"No credits are left in {holder}: they ran out already."
    elif burn_rate <= 0:
        summary = f"No credits were burned in this window; at that rate {what} never run out."
    else:
        days_left = credits / burn_rate
        if days_left > FORECAST_MAX_DAYS:
            days_left = None
            summary = f"At {burn_rate:,.1f} credits a day, {what} last more than a century."
        else:
            runs_out_at = now + timedelta(days=days_left)
            summary = (
                f"At {burn_rate:,.1f} credits a day, {what} last {days_left:,.1f} days: "
                f"until about {runs_out_at:%Y-%m-%d}."
            )
    if reset_at is not None:
        summary += (
            f" This ignores resets: {reset_account} resets next, {reset_at:%Y-%m-%d %H:%M} UTC"
        )
        if runs_out_at is not None and reset_at < runs_out_at:
            summary += " (before then, so the credits last longer than this)"
        summary += "."
    else:
        summary += " No account has a reset scheduled."
    return PoolForecast(
        pool_credits=credits,
        pool_accounts=accounts,
        burn_rate=round(burn_rate, 2),
        days_left=None if days_left is None else round(days_left, 1),
        runs_out_at=runs_out_at,
        next_reset_at=reset_at,
        next_reset_account=reset_account,
        summary=summary,
    )


def credit_stats(
    db: Database,
    project: int | str | None = None,
    account: int | str | None = None,
    days: int = DEFAULT_DAYS,
    *,
    target: float = DEFAULT_TARGET,
    now: datetime | None = None,
) -> CreditStats:
    """Every analytics figure for a project, an account, both, or (neither) everything,
    over the last ``days`` days. Raises NotFoundError for an unknown project or account and
    ValidationError for a window outside 1..MAX_DAYS days."""
    days = parse_days(days)
    target = parse_target(target)
    moment = (now or utcnow()).astimezone(UTC)
    last = moment.date()
    first = last - timedelta(days=days - 1)
    window_start = datetime.combine(first, time.min, tzinfo=UTC)
    with db.unit() as session:
        scope = _resolve_scope(session, project, account)
        conditions = _scope_filter(scope)
        in_window = [
            *conditions,
            col(WorkSession.started_at) >= window_start,
            col(WorkSession.started_at) <= moment,
        ]
        daily, lowest, highest = _daily(session, in_window)
        completed_ever = session.exec(
            select(func.count()).where(
                *conditions, _completed(), col(WorkSession.started_at) <= moment
            )
        ).one()
        total = _period(daily, first, last)
        accomplishments = sum(day.accomplishments for day in daily.values())
        burn_rate = total.credits / days
        forecast = _forecast(session, scope, burn_rate, moment)
    weeks = _weeks(daily, first, last)
    if days <= DAILY_UP_TO:
        bucket = "day"
        over_time = [
            _period(daily, first + timedelta(n), first + timedelta(n)) for n in range(days)
        ]
    else:
        bucket, over_time = "week", weeks
    return CreditStats(
        scope=scope,
        days=days,
        window_start=first,
        window_end=last,
        now=moment,
        bucket=bucket,
        sessions=total.sessions,
        completed=total.completed,
        total_credits=total.credits,
        average_credits=total.average_credits,
        min_credits=lowest,
        max_credits=highest,
        rating=rate(total.average_credits),
        credits_over_time=over_time,
        sessions_per_week=weeks,
        burn_rate=round(burn_rate, 2),
        accomplishments=accomplishments,
        credits_per_accomplishment=_ratio(total.credits, accomplishments),
        forecast=forecast,
        model=growth_projection(int(completed_ever), target),
    )


def scopes(db: Database) -> StatsScopes:
    """The projects and accounts the analytics can be narrowed to, by name."""
    with db.unit() as session:
        projects = session.exec(
            select(Project.id, Project.name).order_by(col(Project.name)).limit(SCOPE_LIST_LIMIT)
        ).all()
        accounts = session.exec(
            select(Account.id, Account.name).order_by(col(Account.name)).limit(SCOPE_LIST_LIMIT)
        ).all()
    return StatsScopes(
        projects=[NamedRef(int(row_id), name) for row_id, name in projects if row_id is not None],
        accounts=[NamedRef(int(row_id), name) for row_id, name in accounts if row_id is not None],
    )
