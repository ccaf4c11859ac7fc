"""Credit analytics (F6) and the growth model (F19) on a seeded database with a fixed clock,
and the `stats` command."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, literal
from sqlmodel import select

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, Project, WorkSession
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.handoff.rules import split_items
from orchestrator_tui.records import CreditStats, RatingBand
from orchestrator_tui.services import analytics
from orchestrator_tui.services.demo import SESSIONS

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@dataclass(frozen=True)
class Seed:
    db: Database
    alpha: int
    beta: int
    main_account: int
    blocked_account: int
    weekly_account: int


def _add(
    db: Database,
    project_id: int,
    ago: timedelta,
    credits: int | None = None,
    status: str = "completed",
    account: tuple[int, str] | None = None,
    accomplishments: str = "",
) -> None:
    with db.unit() as session:
        number = session.exec(
            select(func.count()).where(WorkSession.project_id == project_id)
        ).one()
        session.add(
            WorkSession(
                project_id=project_id,
                number=number + 1,
                status=status,
                credits_used=credits,
                started_at=NOW - ago,
                account_id=account[0] if account else None,
                account_name=account[1] if account else None,
                accomplishments=accomplishments,
            )
        )


def _project(db: Database, name: str) -> int:
    with db.unit() as session:
        project = Project(name=name)
        session.add(project)
        session.flush()
        assert project.id is not None
        return project.id


def _account(db: Database, name: str, remaining: int, **values: object) -> int:
    with db.unit() as session:
        account = Account(
            name=name, credit_limit=max(remaining, 1000), credits_remaining=remaining, **values
        )
        session.add(account)
        session.flush()
        assert account.id is not None
        return account.id


@pytest.fixture
def seed(db: Database) -> Seed:
    """Two projects, three accounts (one blocked, one resetting weekly) and sessions spread
    over the last weeks, plus some just outside the windows."""
    alpha, beta = _project(db, "Alpha"), _project(db, "Beta")
    main_id = _account(db, "main", 1000)
    blocked = _account(db, "blocked-one", 500, status="blocked")
    weekly = _account(
        db, "weekly", 200, reset_cadence="weekly", next_reset_at=NOW + timedelta(days=2)
    )
    main, week = (main_id, "main"), (weekly, "weekly")
    hours, days = (lambda n: timedelta(hours=n)), (lambda n: timedelta(days=n))
    _add(
        db,
        alpha,
        hours(1),
        80,
        account=main,
        accomplishments="Cart page\nCheckout; tests\n- docs\n\n  \n",
    )
    _add(db, alpha, days(3), 100, account=main, accomplishments="One thing")
    _add(db, alpha, days(10), 90, account=week)
    _add(db, alpha, days(2), None, status="in_progress", account=main)
    _add(db, alpha, days(5), 40, status="failed", account=main)
    _add(db, beta, days(4), None, status="imported")
    _add(db, beta, days(20), 70, account=week, accomplishments="x\ny")
    _add(db, beta, days(29) + hours(11), 60, accomplishments="a")  # 00:00 of the first day
    _add(db, beta, days(30), 1000, accomplishments="old")  # the day before a 30-day window
    _add(db, alpha, -hours(1), 500)  # after "now": never counted
    return Seed(db, alpha, beta, main_id, blocked, weekly)


def stats(seed: Seed, **kwargs: object) -> CreditStats:
    return analytics.credit_stats(seed.db, now=NOW, **kwargs)  # type: ignore[arg-type]


# --- figures -------------------------------------------------------------------------------


def test_everything_over_30_days(seed: Seed) -> None:
    result = stats(seed)
    assert (result.window_start, result.window_end) == (TODAY - timedelta(days=29), TODAY)
    assert result.scope.label == "all projects and accounts"
    assert result.sessions == 8  # every status; not the one 30 days ago, not the future one
    assert result.completed == 5
    assert result.total_credits == 400
    assert result.average_credits == 80.0
    assert (result.min_credits, result.max_credits) == (60, 100)
    assert result.rating.band is RatingBand.GOOD
    assert result.burn_rate == 13.33  # 400 credits / 30 days
    assert result.accomplishments == 8  # 4 + 1 + 0 + 2 + 1 (blank lines are no accomplishment)
    assert result.credits_per_accomplishment == 50.0


def test_project_over_7_days_per_day(seed: Seed) -> None:
    result = stats(seed, project="Alpha", days=7)
    assert result.scope.project_name == "Alpha" and result.scope.account_id is None
    assert (result.sessions, result.completed, result.total_credits) == (4, 2, 180)
    assert result.average_credits == 90.0
    assert result.rating.band is RatingBand.OPTIMAL
    assert result.bucket == "day"
    periods = result.credits_over_time
    assert [p.start for p in periods] == [TODAY - timedelta(days=6 - i) for i in range(7)]
    assert all(p.start == p.end and p.days == 1 for p in periods)
    by_day = {p.start: p for p in periods}
    assert (by_day[TODAY].completed, by_day[TODAY].credits) == (1, 80)
    assert by_day[TODAY - timedelta(days=3)].average_credits == 100.0
    failed_day = by_day[TODAY - timedelta(days=5)]
    assert (failed_day.sessions, failed_day.completed, failed_day.average_credits) == (1, 0, None)
    assert sum(p.sessions for p in periods) == 4


def test_sessions_per_week_count_back_from_today(seed: Seed) -> None:
    weeks = stats(seed).sessions_per_week
    assert [(w.start, w.end, w.days, w.sessions) for w in weeks] == [
        (date(2026, 2, 14), date(2026, 2, 15), 2, 1),
        (date(2026, 2, 16), date(2026, 2, 22), 7, 0),
        (date(2026, 2, 23), date(2026, 3, 1), 7, 1),
        (date(2026, 3, 2), date(2026, 3, 8), 7, 1),
        (date(2026, 3, 9), date(2026, 3, 15), 7, 5),
    ]


def test_long_windows_are_charted_per_week(seed: Seed) -> None:
    result = stats(seed, days=90)
    assert result.bucket == "week"
    assert result.credits_over_time == result.sessions_per_week
    assert len(result.credits_over_time) == 13  # 12 weeks and 6 days
    assert result.credits_over_time[0].days == 6
    assert sum(p.days for p in result.credits_over_time) == 90
    assert result.total_credits == 1400  # now with the session of 30 days ago
    assert result.max_credits == 1000


def test_account_scope_and_both(seed: Seed) -> None:
    result = stats(seed, account="weekly")
    assert result.scope.label == "account weekly"
    assert (result.completed, result.total_credits, result.average_credits) == (2, 160, 80.0)
    assert result.forecast.pool_credits == 200 and result.forecast.pool_accounts == 1
    assert result.forecast.days_left == 37.5  # 200 / (160 / 30)
    both = stats(seed, project="Beta", account=str(seed.weekly_account))
    assert both.scope.label == "project Beta · account weekly"
    assert (both.completed, both.total_credits) == (1, 70)


def test_unknown_scope_and_bad_window(seed: Seed) -> None:
    with pytest.raises(NotFoundError, match="No project 'Gamma'"):
        stats(seed, project="Gamma")
    with pytest.raises(NotFoundError, match="No account 'ghost'"):
        stats(seed, account="ghost")
    for bad in (0, -3, analytics.MAX_DAYS + 1):
        with pytest.raises(ValidationError) as error:
            stats(seed, days=bad)
        assert "days" in error.value.errors


@pytest.mark.parametrize(
    ("raw", "expected"), [("30", 30), (" 7 ", 7), (1, 1), (3650, 3650), ("365", 365)]
)
def test_parse_days_accepts(raw: str | int, expected: int) -> None:
    assert analytics.parse_days(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "abc", "", "3651", "٣", "1e3"])
def test_parse_days_refuses(raw: str) -> None:
    with pytest.raises(ValidationError):
        analytics.parse_days(raw)


def test_empty_window(seed: Seed) -> None:
    empty = _project(seed.db, "Empty")
    result = stats(seed, project=empty)
    assert (result.sessions, result.completed, result.total_credits) == (0, 0, 0)
    assert result.average_credits is None and result.min_credits is None
    assert result.rating.band is None and "nothing to rate" in result.rating.advice
    assert result.burn_rate == 0 and result.credits_per_accomplishment is None
    assert result.forecast.days_left is None and result.forecast.runs_out_at is None
    assert "No credits were burned" in result.forecast.summary
    assert len(result.credits_over_time) == 30
    assert all(p.sessions == 0 and p.average_credits is None for p in result.credits_over_time)
    assert result.model.completed_sessions == 0


def test_empty_database(db: Database) -> None:
    result = analytics.credit_stats(db, now=NOW)
    assert result.sessions == 0 and result.forecast.pool_accounts == 0
    assert "No usable account" in result.forecast.summary


# --- forecast ------------------------------------------------------------------------------


def test_forecast_of_the_pool(seed: Seed) -> None:
    forecast = stats(seed).forecast
    assert forecast.pool_credits == 1200  # main 1000 + weekly 200; the blocked one left out
    assert forecast.pool_accounts == 2
    assert forecast.days_left == 90.0  # 1200 / (400 / 30)
    assert forecast.runs_out_at == NOW + timedelta(days=90)
    assert forecast.next_reset_account == "weekly"
    assert forecast.next_reset_at == NOW + timedelta(days=2)
    assert "ignores resets" in forecast.summary and "2026-06-13" in forecast.summary
    assert "before then" in forecast.summary


def test_forecast_with_zero_burn_rate(seed: Seed) -> None:
    forecast = stats(seed, project="Alpha", days=1).forecast  # only today's 80 credits...
    assert forecast.days_left == 15.0
    quiet = _project(seed.db, "Quiet")
    forecast = stats(seed, project=quiet).forecast
    assert forecast.burn_rate == 0
    assert (forecast.days_left, forecast.runs_out_at) == (None, None)
    assert forecast.pool_credits == 1200


def test_forecast_for_blocked_and_spent_accounts(seed: Seed) -> None:
    blocked = stats(seed, account="blocked-one").forecast
    assert blocked.pool_accounts == 0 and blocked.days_left is None
    assert "blocked" in blocked.summary
    spent = _account(seed.db, "spent", 0, status="exhausted")
    forecast = stats(seed, account=spent).forecast
    assert (forecast.days_left, forecast.runs_out_at) == (0.0, NOW)
    assert "ran out already" in forecast.summary


def test_forecast_beyond_a_century(seed: Seed) -> None:
    rich = _account(seed.db, "rich", 10_000_000)
    _add(seed.db, seed.alpha, timedelta(hours=2), 1, account=(rich, "rich"))
    forecast = stats(seed, account="rich").forecast
    assert forecast.days_left is None and forecast.runs_out_at is None
    assert "more than a century" in forecast.summary
    assert "No account has a reset scheduled" in forecast.summary


# --- the rating ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("average", "band"),
    [
        (85.0, RatingBand.OPTIMAL),
        (92.0, RatingBand.OPTIMAL),
        (88.5, RatingBand.OPTIMAL),
        (84.95, RatingBand.OPTIMAL),  # shown as 85.0, rated as shown
        (92.04, RatingBand.OPTIMAL),
        (92.05, RatingBand.NEEDS_IMPROVEMENT),
        (84.9, RatingBand.GOOD),
        (75.0, RatingBand.GOOD),
        (74.95, RatingBand.GOOD),
        (74.9, RatingBand.NEEDS_IMPROVEMENT),
        (0.0, RatingBand.NEEDS_IMPROVEMENT),
        (1500.0, RatingBand.NEEDS_IMPROVEMENT),
    ],
)
def test_rating_boundaries(average: float, band: RatingBand) -> None:
    assert analytics.rate(average).band is band


def test_rating_advice_says_which_way() -> None:
    assert analytics.rate(60).advice == analytics.ADVICE_LOW
    assert analytics.rate(120).advice == analytics.ADVICE_HIGH
    assert analytics.rate(80).advice == analytics.ADVICE_GOOD
    assert analytics.rate(90).label == "optimal"
    assert analytics.rate(None).band is None


# --- the growth model ----------------------------------------------------------------------


def test_model_values_at_known_n() -> None:
    assert analytics.efficiency(0) == pytest.approx(0.7)
    assert analytics.knowledge(0) == pytest.approx(1.0)
    assert analytics.model_output(0) == pytest.approx(63.0)
    assert analytics.efficiency(50) == pytest.approx(0.7 + 0.25 * math.tanh(1))
    assert analytics.knowledge(10) == pytest.approx(1 + math.log(2))
    assert analytics.model_output(50) == pytest.approx(223.72007, abs=1e-4)
    assert analytics.model_output(100) == pytest.approx(
        90 * (0.7 + 0.25 * math.tanh(2)) * (1 + math.log(11))
    )
    assert analytics.efficiency(10_000) == pytest.approx(0.95)


def test_sessions_to_reach_a_target() -> None:
    assert analytics.sessions_to_reach(63) == 0
    assert analytics.sessions_to_reach(10) == 0
    reach = analytics.sessions_to_reach(200)
    assert reach == 39
    assert analytics.model_output(39) >= 200 > analytics.model_output(38)
    assert analytics.sessions_to_reach(1e9) is None


def test_growth_projection() -> None:
    model = analytics.growth_projection(17, target=200)
    assert [p.sessions for p in model.points] == [17, 27, 67, 117]
    assert model.points[0].output == round(analytics.model_output(17), 2)
    assert (model.sessions_to_target, model.sessions_to_go) == (39, 22)
    assert model.curve[0] == 63.0 and model.curve == sorted(model.curve)
    assert len(model.curve) == analytics.CURVE_POINTS
    assert analytics.growth_projection(50, target=100).sessions_to_go == 0


def test_model_n_is_completed_sessions_of_the_scope_all_time(seed: Seed) -> None:
    assert stats(seed, days=1).model.completed_sessions == 6
    assert stats(seed, project="Beta", days=1).model.completed_sessions == 3
    assert stats(seed, target=300).model.target_output == 300


# --- the command line ----------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path) -> Path:
    """Sessions dated relative to the real clock (the command has no --now)."""
    path = tmp_path / "stats.db"
    database = Database.open(f"sqlite:///{path}")
    project = _project(database, "Webshop")
    account = _account(database, "claude-pro", 900)
    now = datetime.now(UTC)
    with database.unit() as session:
        for number, (ago, credits, text) in enumerate(
            [(timedelta(hours=1), 90, "Cart\nCheckout"), (timedelta(days=2), 70, "Tests")], 1
        ):
            session.add(
                WorkSession(
                    project_id=project,
                    number=number,
                    status="completed",
                    credits_used=credits,
                    started_at=now - ago,
                    account_id=account,
                    account_name="claude-pro",
                    accomplishments=text,
                )
            )
    database.close()
    return path


def run_cli(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, cli_db, "stats", "--project", "Webshop", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["scope"]["label"] == "project Webshop"
    assert payload["days"] == 30 and payload["bucket"] == "day"
    assert (payload["sessions"], payload["completed"], payload["total_credits"]) == (2, 2, 160)
    assert payload["average_credits"] == 80.0
    assert payload["rating"]["band"] == "good"
    assert payload["accomplishments"] == 3
    assert payload["credits_per_accomplishment"] == 53.3
    assert payload["forecast"]["pool_credits"] == 900
    assert payload["forecast"]["days_left"] == 168.8  # 900 / (160 / 30)
    assert len(payload["credits_over_time"]) == 30
    assert date.fromisoformat(payload["window_end"]) == datetime.now(UTC).date()
    assert payload["model"]["completed_sessions"] == 2
    assert payload["model"]["target_output"] == 200


def test_cli_text_and_options(cli_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, cli_db, "stats", "--account", "claude-pro", "--days", "90")
    assert code == 0
    assert "account claude-pro, last 90 days" in out
    assert "2 started, 2 completed" in out
    assert "Rating                good" in out
    assert "per week" in out
    assert "Model (not measured)" in out
    code, out, _ = run_cli(capsys, cli_db, "stats", "--target", "300", "--json")
    assert json.loads(out)["model"]["sessions_to_target"] == analytics.sessions_to_reach(300)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--project", "Nope"), "No project 'Nope'"),
        (("--account", "nobody"), "No account 'nobody'"),
        (("--days", "0"), "--days: must be from 1 to 3,650 days, not 0"),
        (("--days", "99999"), "--days: must be from 1 to 3,650 days"),
        (("--days", "ten"), "--days: 'ten' is not a whole number of days"),
        (("--target", "-5"), "--target: must be a positive number"),
    ],
)
def test_cli_errors(
    cli_db: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run_cli(capsys, cli_db, "stats", *args, "--json")
    assert code == 1 and out == ""
    assert err.startswith("orchestrator-tui: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_cli_refuses_a_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run_cli(capsys, missing, "stats")
    assert code == 1 and "No database at" in err
    assert not missing.exists()


def test_text_sparkline() -> None:
    from orchestrator_tui.cli.analytics import spark

    assert spark([0, 50, 100, None]) == "▁▅█ "
    assert spark([None, None]) == "  "
    assert spark([0.0, 0.0]) == "▁▁"


def test_empty_stats_text(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    Database.open(db_url).close()
    path = Path(db_url.removeprefix("sqlite:///"))
    code, out, _ = run_cli(capsys, path, "stats", "--days", "7")
    assert code == 0
    assert "No session started in this window" in out
    assert "no completed session in this window" in out


# --- accomplishments counted by the database -----------------------------------------------

ITEM_TEXTS = [
    ("", 0),
    ("   ", 0),
    ("One thing", 1),
    ("Cart page\nCheckout; tests\n- docs\n\n  \n", 4),
    ("a\r\nb\r\n\r\n", 2),
    ("\n\n  first  \n\t\n second\n", 2),
    ("x; y; z", 3),
    ("Shipped it;", 1),
    ("Fixed it;\nTested it", 2),
    ("a;b", 1),
    ("1. numbered\n2) also\n[x] box", 3),
    ("Café ünïcode — ok\n中文", 2),
    ("none\n-", 2),  # split_items leaves these out; here they count
    ("same\nsame", 2),  # and repeats count
]


def _sql_counts(db: Database, texts: list[str]) -> list[int]:
    with db.unit() as session:
        return [
            int(session.exec(select(analytics.accomplishment_items(literal(text)))).one())
            for text in texts
        ]


def test_accomplishments_are_counted_by_the_database(db: Database) -> None:
    texts = [text for text, _ in ITEM_TEXTS]
    assert _sql_counts(db, texts) == [count for _, count in ITEM_TEXTS]
    same_as_form = [text for text, _ in ITEM_TEXTS[:-2]]
    assert _sql_counts(db, same_as_form) == [len(split_items(text)) for text in same_as_form]


def test_demo_accomplishments_count_as_the_form_splits_them(db: Database) -> None:
    texts = [spec.accomplishments for spec in SESSIONS if spec.credits is not None]
    assert _sql_counts(db, texts) == [len(split_items(text)) for text in texts]


WORDS = st.text(alphabet="abc XYZ./é-", min_size=1, max_size=12)  # no ";": repeats
BLANKS = st.sampled_from(["", "  ", "\t", " \r"])


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.one_of(WORDS.map(lambda w: (w, True)), BLANKS.map(lambda w: (w, False)))))
def test_item_count_matches_split_items(db: Database, lines: list[tuple[str, bool]]) -> None:
    """Lines of words (made unique: split_items drops repeats) and blank lines, in any order:
    the database counts what split_items finds."""
    text = "\n".join(f"{line} {i}" if word else line for i, (line, word) in enumerate(lines))
    assert _sql_counts(db, [text]) == [len(split_items(text))]
