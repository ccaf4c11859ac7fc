"""The account pool that plans: credit resets, edits, batch add, recommend, rotate and the
handoff queue. Failure paths compare every table before and after: nothing written."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.db.database import Database
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import AccountStatus
from orchestrator_tui.services import accounts, handoffs, projects, rotation, sessions
from orchestrator_tui.services.accounts import (
    AccountChanges,
    AccountFields,
    add_periods,
    apply_due_resets,
    batch_add,
    reset_after,
)
from orchestrator_tui.services.rotation import NoCandidateError, recommend, rotate
from orchestrator_tui.settings import AccountSettings, config_path, load_account_settings

from .test_services import dump, refused

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def add(
    db: Database,
    name: str,
    credits: int = 1000,
    *,
    remaining: int | None = None,
    specialization: str = "",
    cadence: str = "none",
    next_reset: datetime | None = None,
    status: str = "available",
) -> None:
    accounts.create_account(
        db,
        AccountFields(
            name=name,
            platform="claude",
            credit_limit=credits,
            credits_remaining=remaining,
            specialization=specialization,
            reset_cadence=cadence,
            next_reset_at=next_reset,
            status=status,
        ),
        now=NOW,
    )


def batch_errors(db: Database, text: str) -> dict[str, str]:
    """The lines a refused batch reports (nothing was written)."""
    error = refused(db, ValidationError, lambda: batch_add(db, text, now=NOW))
    assert isinstance(error, ValidationError)
    return error.errors


def names(db: Database) -> list[str]:
    return [account.name for account in accounts.list_accounts(db).items]


# --- resets -------------------------------------------------------------------------------


def test_reset_after_skips_every_missed_period() -> None:
    scheduled = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    assert reset_after("daily", scheduled, NOW) == datetime(2026, 11, 21, tzinfo=UTC)
    assert reset_after("weekly", scheduled, NOW) == datetime(2026, 11, 22, tzinfo=UTC)
    assert reset_after("monthly", scheduled, NOW) == datetime(2026, 12, 1, tzinfo=UTC)
    assert reset_after("none", scheduled, NOW) is None
    later = NOW + timedelta(hours=3)
    assert reset_after("daily", later, NOW) == later  # not due: unchanged
    # A reset exactly now counts as passed: the next one is a full period on.
    assert reset_after("daily", NOW, NOW) == NOW + timedelta(days=1)


def test_monthly_resets_keep_the_day_or_the_months_last() -> None:
    jan31 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert add_periods(jan31, "monthly") == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert add_periods(jan31, "monthly", 2) == datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
    assert add_periods(jan31, "monthly", 13) == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)
    now = datetime(2026, 5, 15, tzinfo=UTC)
    assert reset_after("monthly", jan31, now) == datetime(2026, 5, 31, 9, 0, tzinfo=UTC)


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["daily", "weekly", "monthly"]), moments, moments)
def test_the_next_reset_is_the_first_one_after_now(
    cadence: str, scheduled: datetime, now: datetime
) -> None:
    following = reset_after(cadence, scheduled, now)
    assert following is not None and following > now
    if scheduled <= now:  # it is on the schedule, and the one before it has passed
        steps = 0
        moment = scheduled
        while moment < following:
            steps += 1
            moment = add_periods(scheduled, cadence, steps)
        assert moment == following
        assert add_periods(scheduled, cadence, steps - 1) <= now


def test_reset_restores_credits_and_exhausted_accounts(db: Database) -> None:
    add(db, "spent", 500, remaining=0, cadence="daily", next_reset=NOW + timedelta(hours=1))
    add(db, "half", 800, remaining=300, cadence="monthly", next_reset=NOW + timedelta(days=2))
    add(db, "barred", 100, remaining=10, cadence="weekly", next_reset=NOW + timedelta(days=1))
    accounts.edit_account(db, "barred", AccountChanges(status="blocked"), now=NOW)
    add(db, "later", 900, remaining=100, cadence="daily", next_reset=NOW + timedelta(hours=5))
    add(db, "once", 50, remaining=5, next_reset=NOW + timedelta(minutes=5))
    assert accounts.get_account(db, "spent").status == AccountStatus.EXHAUSTED

    # Move the clock: "spent" missed three daily resets, "half" and "barred" one each.
    at = NOW + timedelta(days=3)
    assert apply_due_resets(db, NOW) == []
    resets = apply_due_resets(db, at)
    assert [(r.name, r.credits_restored, r.previous_status, r.status) for r in resets] == [
        ("barred", 90, "blocked", "blocked"),
        ("half", 500, "available", "available"),
        ("later", 800, "available", "available"),
        ("once", 45, "available", "available"),
        ("spent", 500, "exhausted", "available"),
    ]
    spent = accounts.get_account(db, "spent")
    assert (spent.credits_remaining, spent.status) == (500, "available")
    assert spent.next_reset_at == NOW + timedelta(days=3, hours=1)  # the first future one
    half = accounts.get_account(db, "half")
    assert half.next_reset_at == NOW + timedelta(days=2) + timedelta(days=30)  # Nov 22 -> Dec 22
    assert accounts.get_account(db, "barred").credits_remaining == 100
    assert accounts.get_account(db, "once").next_reset_at is None  # a one-off reset
    assert accounts.get_account(db, "later").next_reset_at == NOW + timedelta(days=3, hours=5)

    # Idempotent: again at the same time, nothing is due and nothing changes.
    before = dump(db)
    assert apply_due_resets(db, at) == []
    assert dump(db) == before


def test_a_reset_with_no_limit_leaves_the_account_exhausted(db: Database) -> None:
    add(db, "empty", 0, cadence="daily", next_reset=NOW + timedelta(hours=1))
    [reset] = apply_due_resets(db, NOW + timedelta(hours=2))
    assert (reset.previous_status, reset.status) == ("exhausted", "exhausted")


# --- credits never go negative -------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=6))
def test_credits_never_go_negative(charges: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database.open(f"sqlite:///{Path(folder) / 'pool.db'}")
        try:
            projects.create_project(db, "P")
            add(db, "acc", 500)
            expected = 500
            for credits in charges:
                if accounts.get_account(db, "acc").status == AccountStatus.EXHAUSTED:
                    break
                started = sessions.start_session(db, "P", "acc").session
                if credits > expected:
                    with pytest.raises(ValidationError, match="more than the account has"):
                        sessions.complete_session(db, started.id, credits, "Done")
                    credits = expected  # then it is recorded as what was left
                sessions.complete_session(db, started.id, credits, "Done")
                expected -= credits
                account = accounts.get_account(db, "acc")
                assert account.credits_remaining == expected >= 0
                assert (account.status == AccountStatus.EXHAUSTED) == (expected == 0)
        finally:
            db.close()


# --- add and edit --------------------------------------------------------------------------


def test_a_new_account_with_a_cadence_first_resets_one_period_on(db: Database) -> None:
    add(db, "weekly", cadence="weekly")
    assert accounts.get_account(db, "weekly").next_reset_at == NOW + timedelta(weeks=1)
    add(db, "fixed", cadence="monthly", next_reset=datetime(2026, 12, 1, tzinfo=UTC))
    assert accounts.get_account(db, "fixed").next_reset_at == datetime(2026, 12, 1, tzinfo=UTC)
    fields = AccountFields(name="typed", reset_cadence="daily", next_reset_at="2026-11-21 06:00")
    view = accounts.create_account(db, fields, now=NOW)
    assert view.next_reset_at == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def test_bad_or_past_reset_times_are_refused(db: Database) -> None:
    bad = AccountFields(name="x", reset_cadence="daily", next_reset_at="next tuesday")
    error = refused(db, ValidationError, lambda: accounts.create_account(db, bad, now=NOW))
    assert isinstance(error, ValidationError) and "next_reset_at" in error.errors
    past = AccountFields(name="x", reset_cadence="daily", next_reset_at="2026-11-19")
    refused(db, ValidationError, lambda: accounts.create_account(db, past, now=NOW), "passed")


def test_edit_changes_only_what_is_given(db: Database) -> None:
    add(db, "acc", 1000, remaining=0, specialization="python", cadence="monthly")
    before = accounts.get_account(db, "acc")
    assert before.status == "exhausted"
    # New credits on an exhausted account make it available again.
    edited = accounts.edit_account(db, "acc", AccountChanges(credits_remaining="400"), now=NOW)
    assert (edited.credits_remaining, edited.status) == (400, "available")
    assert (edited.specialization, edited.next_reset_at) == ("python", before.next_reset_at)
    # A lower limit caps what is left.
    edited = accounts.edit_account(db, "acc", AccountChanges(credit_limit="300"), now=NOW)
    assert (edited.credit_limit, edited.credits_remaining) == (300, 300)
    # A new cadence starts its schedule now; a given time wins.
    edited = accounts.edit_account(db, "acc", AccountChanges(reset_cadence="daily"), now=NOW)
    assert edited.next_reset_at == NOW + timedelta(days=1)
    edited = accounts.edit_account(
        db, "acc", AccountChanges(next_reset_at="2026-11-20T18:00:00+02:00"), now=NOW
    )
    assert edited.next_reset_at == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    # Blocked, and renamed; the rest stays.
    edited = accounts.edit_account(
        db, "acc", AccountChanges(status="blocked", name="acc-2", notes="card declined"), now=NOW
    )
    assert (edited.name, edited.status, edited.notes) == ("acc-2", "blocked", "card declined")
    assert edited.credits_remaining == 300
    # Cadence none clears the schedule.
    edited = accounts.edit_account(db, "acc-2", AccountChanges(reset_cadence="none"), now=NOW)
    assert edited.next_reset_at is None
    refused(
        db,
        ValidationError,
        lambda: accounts.edit_account(db, "acc-2", AccountChanges(credits_remaining="301")),
        "more than the credit limit",
    )


# --- batch add -----------------------------------------------------------------------------


def test_batch_adds_every_account(db: Database) -> None:
    text = (
        "name,platform,credits,specialization\n"
        "\n"
        "# the team's seats\n"
        'gpt-1,chatgpt,1000,"python, sql"\n'
        "gpt-2, ChatGPT , 2,500 \n"  # unquoted thousands are still 2,500
        "gem,,300,research,long reads\n"
    )
    created = batch_add(db, text, now=NOW)
    assert [(a.name, a.platform, a.credit_limit, a.specialization) for a in created] == [
        ("gpt-1", "chatgpt", 1000, "python, sql"),
        ("gpt-2", "chatgpt", 2500, ""),
        ("gem", "other", 300, "research, long reads"),
    ]
    assert names(db) == ["gem", "gpt-1", "gpt-2"]


def test_batch_with_a_duplicate_adds_nothing(db: Database) -> None:
    add(db, "Claude-Pro")
    within = "a,claude,100\nb,claude,100\nA,gemini,5\n"
    assert batch_errors(db, within) == {"line 3": "'A' is listed twice (first on line 1)"}
    against_pool = "x,claude,100\nclaude-pro,claude,100\n"
    assert batch_errors(db, against_pool) == {
        "line 2": "an account named 'Claude-Pro' already exists"
    }
    assert names(db) == ["Claude-Pro"]


def test_batch_reports_every_bad_line_and_adds_nothing(db: Database) -> None:
    text = "ok,claude,100\nbad,zz,-4\nshort\n\nnan,claude,lots\nclaude-pro,claude,5\n"
    add(db, "claude-pro")
    found = batch_errors(db, text)
    assert list(found) == ["line 2", "line 3", "line 5", "line 6"]
    assert "platform" in found["line 2"] and "negative" in found["line 2"]
    assert "expected name,platform,credits" in found["line 3"]
    assert "not a number" in found["line 5"]
    assert "already exists" in found["line 6"]
    refused(db, ValidationError, lambda: batch_add(db, "name,platform,credits\n"), "no accounts")


def test_batch_reports_a_broken_csv_line(db: Database) -> None:
    assert batch_errors(db, 'a,claude,1\nb,"cl"aude,1\n') == {
        "line 2": "not CSV (',' expected after '\"')"
    }


# --- recommend -----------------------------------------------------------------------------


def complete(db: Database, project: str, account: str, credits: int) -> int:
    started = sessions.start_session(db, project, account).session
    sessions.complete_session(db, started.id, credits, "Did things", "Flaky test")
    return started.id


def test_recommend_orders_by_match_then_cost_then_reset_then_credits_then_use(
    db: Database,
) -> None:
    projects.create_project(db, "Shop API", "FastAPI backend with Postgres")
    add(db, "history", 5000)
    for credits in (100, 300, 200):  # median 200
        complete(db, "Shop API", "history", credits)
    accounts.edit_account(db, "history", AccountChanges(status="blocked"), now=NOW)
    add(db, "match-poor", 5000, remaining=150, specialization="FastAPI")
    add(db, "match-rich", 5000, remaining=2500, specialization="fastapi, postgres")
    add(db, "match-one", 5000, remaining=3000, specialization="postgres, design")
    add(db, "soon", 5000, remaining=400, cadence="daily", next_reset=NOW + timedelta(hours=6))
    add(db, "big", 9000, remaining=9000)
    add(db, "used", 9000, remaining=9000)
    add(db, "low", 5000, remaining=49)
    add(db, "spent", 5000, remaining=0, cadence="weekly")
    # "used" ran a session on another project after "big": big is the less recently used.
    projects.create_project(db, "Other")
    started = sessions.start_session(db, "Other", "used").session
    sessions.complete_session(db, started.id, 0, "Nothing much")

    plan = recommend(db, "Shop API", now=NOW, settings=AccountSettings())
    assert plan.typical_cost == 200
    assert [a.name for a in plan.ranked] == [
        "match-rich",  # two tags match
        "match-one",  # one tag, enough credits (3,000 > match-poor's 150)...
        "match-poor",  # ...one tag, fewer credits than a typical session
        "soon",  # no match; its credits come back in 6 hours
        "big",  # no match; 9,000 credits, never used
        "used",  # 9,000 credits, used
    ]
    rich, one, poor, soon, big, used = plan.ranked
    assert rich.reasons[0] == "ranked first: a closer specialization match than match-one"
    assert "specialization matches: fastapi, postgres" in rich.reasons
    assert "enough for a typical session of this project (200 credits)" in rich.reasons
    assert one.specialization_matches == ["postgres"] and one.covers_typical_cost
    assert poor.covers_typical_cost is False
    assert any("may run out mid-session" in reason for reason in poor.reasons)
    assert soon.resets_soon and any("spent first" in reason for reason in soon.reasons)
    assert "never used yet" in big.reasons
    assert "no specialization match" in used.reasons
    excluded = {item.name: item.reason for item in plan.excluded}
    assert excluded["history"] == "blocked"
    assert excluded["low"].startswith("only 49 credits left (the minimum is 50)")
    assert excluded["spent"].startswith("exhausted; resets in 7 days")
    # The same data and clock: the same answer.
    assert recommend(db, "Shop API", now=NOW, settings=AccountSettings()) == plan


def test_recommend_minimum_and_specialization_are_configurable(db: Database) -> None:
    projects.create_project(db, "Docs", "Documentation site")
    add(db, "writer", 1000, remaining=120, specialization="documentation, writing")
    add(db, "coder", 1000, remaining=900, specialization="python")
    plan = recommend(db, "Docs", now=NOW)
    assert [a.name for a in plan.ranked] == ["writer", "coder"]
    assert plan.keywords == ["docs", "documentation", "site"]
    assert [a.name for a in recommend(db, "Docs", specialization="Python", now=NOW).ranked] == [
        "coder",
        "writer",
    ]
    assert [a.name for a in recommend(db, "Docs", min_credits=200, now=NOW).ranked] == ["coder"]
    # The minimum from the settings file's [accounts] section.
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[accounts]\nmin_credits = 500\n", encoding="utf-8")
    assert load_account_settings() == AccountSettings(min_credits=500)
    assert [a.name for a in recommend(db, "Docs", now=NOW).ranked] == ["coder"]
    without_project = recommend(db, now=NOW, min_credits=0)
    assert without_project.project is None and without_project.typical_cost is None
    assert [a.name for a in without_project.ranked] == ["coder", "writer"]  # most credits


# --- rotate and the handoff queue ----------------------------------------------------------


@pytest.fixture
def rotation_project(db: Database) -> Database:
    """Webshop with a completed session (and its handoff) on "first"; two more accounts."""
    projects.create_project(db, "Webshop", "Python shop backend")
    add(db, "first", 1000, specialization="python")
    add(db, "second", 800, specialization="python, testing")
    add(db, "third", 2000, specialization="design")
    session_id = complete(db, "Webshop", "first", 700)
    handoffs.generate_handoff(db, session_id)
    return db


def test_rotate_marks_exhausted_picks_the_next_and_queues_a_briefing(
    rotation_project: Database,
) -> None:
    db = rotation_project
    result = rotate(db, "first", "Webshop", now=NOW)
    assert result.from_account.status == "exhausted"
    assert accounts.get_account(db, "first").status == "exhausted"
    assert accounts.get_account(db, "first").credits_remaining == 300  # the count is kept
    assert result.to_account.name == "second"  # the closer specialization match
    briefing = result.queued.content
    assert "# Rotation briefing: Webshop" in briefing
    assert "**first** ran out" in briefing and "continue on **second**" in briefing
    assert "- 800 of 800 credits left; available" in briefing
    assert "## Last accomplishments (session #1)\n- Did things" in briefing
    assert "## Open blockers\n- Flaky test" in briefing
    assert "## From the latest handoff (session #1, version 1)" in briefing
    assert "### Summary" in briefing and "### Next steps" in briefing
    [queued] = rotation.queue(db, "Webshop")
    assert (queued.status, queued.from_account, queued.to_account) == ("pending", "first", "second")
    assert queued == result.queued

    # The next session loads it (with the previous handoff) and marks it consumed.
    started = sessions.start_session(db, "Webshop", "second")
    assert started.previous_handoff is not None
    assert [item.id for item in started.queued_handoffs] == [queued.id]
    assert started.queued_handoffs[0].consumed_by_session_id == started.session.id
    assert rotation.queue(db, "Webshop") == []
    [done] = rotation.queue(db, "Webshop", status=None)
    assert (done.status, done.consumed_by_session_id) == ("consumed", started.session.id)
    # The session after that starts with no briefing.
    sessions.complete_session(db, started.session.id, 10, "More")
    assert sessions.start_session(db, "Webshop", "second").queued_handoffs == []


def test_the_queued_account_is_named_by_recommend(rotation_project: Database) -> None:
    rotate(rotation_project, "first", "Webshop", now=NOW)
    assert recommend(rotation_project, "Webshop", now=NOW).queued_account == "second"


def test_rotate_with_no_candidate_changes_nothing(rotation_project: Database) -> None:
    db = rotation_project
    accounts.edit_account(db, "second", AccountChanges(status="blocked"), now=NOW)
    accounts.edit_account(
        db,
        "third",
        AccountChanges(credits_remaining="10", reset_cadence="weekly", next_reset_at="2026-11-23"),
        now=NOW,
    )
    error = refused(db, NoCandidateError, lambda: rotate(db, "first", "Webshop", now=NOW))
    message = str(error)
    assert "No account can take over from first on Webshop" in message
    assert "Nothing was changed" in message
    assert (
        "The first reset: third resets in 2 days 12 hours (2026-11-23 00:00 UTC, weekly)" in message
    )
    assert accounts.get_account(db, "first").status == "available"


def test_rotate_with_no_reset_scheduled_says_so(rotation_project: Database) -> None:
    db = rotation_project
    for name in ("second", "third"):
        accounts.edit_account(db, name, AccountChanges(status="blocked"), now=NOW)
    error = refused(db, NoCandidateError, lambda: rotate(db, "first", "Webshop", now=NOW))
    assert "No account has a reset scheduled" in str(error)


def test_settings_keep_the_accounts_section_when_handoff_settings_are_saved() -> None:
    from orchestrator_tui.settings import HandoffSettings, load_settings, save_settings

    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[accounts]\nmin_credits = 75\nreset_soon_hours = 6\n", encoding="utf-8")
    save_settings(HandoffSettings(budget_chars=4000))
    assert load_account_settings() == AccountSettings(min_credits=75, reset_soon_hours=6)
    assert load_settings().budget_chars == 4000
    path.write_text("[accounts]\nmin_credits = -1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="min_credits"):
        load_account_settings()
