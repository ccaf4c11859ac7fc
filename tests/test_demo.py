"""The demo data set: realistic, complete, deterministic, loaded once, all or nothing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    Account,
    ConversationTurn,
    Handoff,
    HandoffQueueItem,
    KnowledgeItem,
    Project,
    ProjectFile,
    WorkSession,
)
from orchestrator_tui.errors import ConflictError
from orchestrator_tui.records import PLATFORMS, AccountStatus
from orchestrator_tui.services import accounts, handoffs, projects, sessions
from orchestrator_tui.services.demo import DEMO_NOW, SESSIONS, DemoResult, load_demo
from orchestrator_tui.services.export import export_project

from .conftest import SHARED_FORMATS

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MODELS = (Project, Account, WorkSession, ConversationTurn, Handoff, ProjectFile, KnowledgeItem,
          HandoffQueueItem)  # fmt: skip


def counts(db: Database) -> dict[str, int]:
    with db.unit() as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in MODELS
        }


@pytest.fixture
def loaded(db: Database) -> DemoResult:
    return load_demo(db, NOW)


def all_sessions(db: Database) -> list[Any]:
    rows = []
    for project in projects.list_projects(db).items:
        page = sessions.timeline(db, project.id, 0, 1000)
        rows += [sessions.get_session(db, row.id) for row in page.items]
    return rows


def test_counts_meet_the_brief(db: Database, loaded: DemoResult) -> None:
    assert not loaded.already_loaded
    assert loaded.projects >= 3 and loaded.accounts >= 10 and loaded.sessions >= 15
    assert loaded.in_progress >= 1
    assert counts(db) == {
        "Project": loaded.projects,
        "Account": loaded.accounts,
        "WorkSession": loaded.sessions,
        "ConversationTurn": loaded.turns,
        "Handoff": loaded.handoffs,
        "ProjectFile": loaded.project_files,
        "KnowledgeItem": loaded.knowledge_items,
        "HandoffQueueItem": loaded.queue_items,
    }
    assert "19 sessions (2 in progress)" in loaded.message()
    assert DEMO_NOW == NOW


def test_projects(db: Database, loaded: DemoResult) -> None:
    summaries = projects.list_projects(db).items
    by_name = {p.name: p for p in summaries}
    assert {"Atlas Storefront", "ledgerline", "Nightjar ETL"} <= set(by_name)
    active = [p for p in summaries if p.status == "active"]
    assert len(active) >= 3
    assert all(p.description for p in summaries)
    assert all(p.session_count >= 2 for p in summaries)
    # Some project can start a session, some can complete one.
    assert any(p.in_progress for p in active)
    assert any(not p.in_progress for p in active)
    assert by_name["Atlas Storefront"].in_progress == 1
    assert by_name["ledgerline"].in_progress == 0


def test_accounts_cover_platforms_statuses_and_cadences(db: Database, loaded: DemoResult) -> None:
    pool = accounts.list_accounts(db).items
    assert len(pool) == 10
    assert {a.status for a in pool} == {s.value for s in AccountStatus}
    assert {a.platform for a in pool} == set(PLATFORMS)
    assert all(a.specialization for a in pool)
    assert {a.reset_cadence for a in pool} == {"none", "daily", "weekly", "monthly"}
    for account in pool:
        assert 0 <= account.credits_remaining <= account.credit_limit
        assert (account.next_reset_at is None) == (account.reset_cadence == "none")
        if account.next_reset_at is not None:
            assert NOW < account.next_reset_at <= NOW + timedelta(days=31)
        assert account.last_used_at is not None and account.last_used_at <= NOW
    by_name = {a.name: a for a in pool}
    assert by_name["genspark-spare"].status == "exhausted"
    assert by_name["genspark-spare"].credits_remaining == 0
    assert by_name["gemini-free-trial"].status == "blocked"


def test_account_credits_match_the_sessions(db: Database, loaded: DemoResult) -> None:
    """Credits were really charged by the completions: limit - left == sum used."""
    rows = all_sessions(db)
    used: Counter[str] = Counter()
    for row in rows:
        if row.account_name and row.credits_used:
            used[row.account_name] += row.credits_used
    for account in accounts.list_accounts(db).items:
        assert account.credit_limit - account.credits_remaining == used[account.name]
    # Active exactly when a session on it is open.
    open_on = {row.account_name for row in rows if row.status == "in_progress"}
    active = {a.name for a in accounts.list_accounts(db).items if a.status == "active"}
    assert active == open_on and active


def test_sessions_are_complete_and_realistic(db: Database, loaded: DemoResult) -> None:
    rows = all_sessions(db)
    assert len(rows) == loaded.sessions
    completed = [row for row in rows if row.status == "completed"]
    open_rows = [row for row in rows if row.status == "in_progress"]
    assert len(open_rows) == loaded.in_progress >= 1
    assert {row.session_type for row in rows} >= {"planning", "development", "debugging"}
    for row in rows:
        assert row.objectives and row.title and row.account_name
        assert row.turn_count >= 4
    for row in completed:
        assert isinstance(row.credits_used, int) and row.credits_used > 0
        assert row.accomplishments and row.next_steps
        assert row.produced_handoff is not None
        assert row.produced_handoff.provider in ("rules", "edited")
    assert sum(1 for row in completed if row.blockers) >= 5
    for row in open_rows:
        assert row.credits_used is None and row.produced_handoff is None

    with db.unit() as session:
        turns = session.exec(select(ConversationTurn.role, ConversationTurn.content)).all()
    roles = Counter(role for role, _ in turns)
    assert roles["user"] > 0 and roles["assistant"] > 0 and roles["tool"] > 0
    text = "\n".join(content for _, content in turns)
    assert re.search(r"\b[\w/]+\.(py|ts|tsx|sql)\b", text)
    assert "TODO" in text
    assert "Error:" in text
    # An error and its fix in the same conversation.
    assert "SignatureVerificationError" in text and "raw bytes" in text


def test_handoffs_chain_like_the_real_flow(db: Database, loaded: DemoResult) -> None:
    """Each session loaded the latest handoff of the session before it, edits included."""
    for project in projects.list_projects(db).items:
        timeline = sorted(sessions.timeline(db, project.id, 0, 1000).items, key=lambda r: r.number)
        details = [sessions.get_session(db, row.id) for row in timeline]
        assert details[0].loaded_handoff is None
        for previous, current in pairwise(details):
            assert previous.produced_handoff is not None
            assert current.loaded_handoff is not None
            assert current.loaded_handoff.id == previous.produced_handoff.id
    atlas = {r.title: r for r in sessions.timeline(db, "Atlas Storefront", 0, 100).items}
    webhook = atlas["Fix the Stripe webhook"]
    versions = handoffs.versions(db, webhook.id)
    assert [(v.version, v.provider) for v in versions] == [(2, "edited"), (1, "rules")]
    after = sessions.get_session(db, atlas["Order confirmation e-mails"].id)
    assert after.loaded_handoff is not None and after.loaded_handoff.provider == "edited"
    assert "Notes from Alex" in after.loaded_handoff.content
    # The rules engine read the conversation and carried open items over.
    nightjar = sorted(sessions.timeline(db, "Nightjar ETL", 0, 100).items, key=lambda r: r.number)
    second = handoffs.latest_handoff(db, nightjar[1].id)
    assert second is not None
    assert "## Key files" in second.content and "nightjar/extract.py" in second.content
    assert "Continues from session #1" in second.content


def test_times_spread_over_the_weeks_before_now(db: Database, loaded: DemoResult) -> None:
    rows = all_sessions(db)
    starts = [row.started_at for row in rows]
    assert all(start < NOW for start in starts)
    assert min(starts) <= NOW - timedelta(weeks=5)
    assert len({start.date() for start in starts}) >= 15
    for row in rows:
        if row.ended_at is not None:
            assert row.started_at < row.ended_at < NOW
            assert row.produced_handoff is not None
            assert row.produced_handoff.created_at > row.ended_at
            # The handoff text carries the session's (moved) dates, not the load time.
            assert row.started_at.strftime("%Y-%m-%d %H:%M") in row.produced_handoff.content
    # Numbers follow time within a project.
    for project in projects.list_projects(db).items:
        timeline = sorted(sessions.timeline(db, project.id, 0, 100).items, key=lambda r: r.number)
        assert [r.started_at for r in timeline] == sorted(r.started_at for r in timeline)
    with db.unit() as session:
        turn_times = session.exec(select(ConversationTurn.created_at)).all()
        project_times = session.exec(select(Project.created_at)).all()
    assert all(t is not None and t < NOW for t in turn_times)
    assert all(t < min(starts) + timedelta(days=60) and t < NOW for t in project_times)


def test_deterministic_given_now(tmp_path: Path) -> None:
    first = Database.open(f"sqlite:///{tmp_path / 'a.db'}")
    second = Database.open(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        assert load_demo(first, NOW) == load_demo(second, NOW)
        for name in ("Atlas Storefront", "ledgerline", "Nightjar ETL"):
            left, right = export_project(first, name), export_project(second, name)
            left.pop("exported_at")
            right.pop("exported_at")
            assert left == right
        assert [a.next_reset_at for a in accounts.list_accounts(first).items] == [
            a.next_reset_at for a in accounts.list_accounts(second).items
        ]
    finally:
        first.close()
        second.close()


def test_loading_twice_adds_nothing(db: Database, loaded: DemoResult) -> None:
    before = counts(db)
    again = load_demo(db, NOW)
    assert again.already_loaded and again.sessions == 0 and again.projects == 0
    assert again.message() == "Demo data already loaded: nothing added."
    assert load_demo(db).already_loaded  # another `now` changes nothing either
    assert counts(db) == before


def test_a_taken_account_name_is_refused_without_writing(db: Database) -> None:
    accounts.create_account(db, accounts.AccountFields(name="cursor-pro", credit_limit=5))
    before = counts(db)
    with pytest.raises(ConflictError, match="cursor-pro"):
        load_demo(db, NOW)
    assert counts(db) == before


def test_a_failure_midway_leaves_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real = handoffs.generate_handoff

    def flaky(database: Database, session_id: int, provider: str = "rules") -> Any:
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("disk on fire")
        return real(database, session_id, provider)

    monkeypatch.setattr(handoffs, "generate_handoff", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_demo(db, NOW)
    assert calls["n"] == 6
    assert set(counts(db).values()) == {0}
    monkeypatch.undo()
    assert load_demo(db, NOW).sessions == len(SESSIONS)


def test_naive_now_is_taken_as_utc(db: Database) -> None:
    load_demo(db, NOW.replace(tzinfo=None))
    with db.unit() as session:
        newest = session.exec(select(func.max(WorkSession.started_at))).one()
        archived = session.exec(select(Project).where(col(Project.status) == "archived")).all()
    assert newest is not None
    assert datetime.fromisoformat(str(newest)).replace(tzinfo=UTC) == NOW - timedelta(hours=2)
    assert len(archived) == 1


def test_nothing_copied_from_the_shared_formats() -> None:
    if not SHARED_FORMATS.is_dir():
        pytest.skip("no shared formats directory here")
    corpus = "\n".join(
        path.read_text(encoding="utf-8", errors="replace")
        for path in SHARED_FORMATS.rglob("*")
        if path.is_file()
    )
    corpus = " ".join(corpus.split())
    texts = [text for spec in SESSIONS for _, text in spec.turns]
    texts += [spec.accomplishments for spec in SESSIONS] + [spec.objectives for spec in SESSIONS]
    for text in texts:
        flat = " ".join(text.split())
        for start in range(0, max(1, len(flat) - 40), 20):
            window = flat[start : start + 40]
            if len(window) == 40:
                assert window not in corpus, window


# --- telling the demo's projects from the user's own -----------------------------------------


@pytest.mark.parametrize("name", ["ledgerline", "LedgerLine", "atlas storefront"])
def test_a_users_project_with_a_demo_name_is_not_the_demo(db: Database, name: str) -> None:
    projects.create_project(db, name, "my own books")
    before = counts(db)
    with pytest.raises(ConflictError, match=f"project '{name}'") as caught:
        load_demo(db, NOW)
    assert "already loaded" not in str(caught.value)
    assert counts(db) == before


def test_every_name_in_the_way_is_named_at_once(db: Database) -> None:
    projects.create_project(db, "Nightjar ETL")
    accounts.create_account(db, accounts.AccountFields(name="Cursor-Pro", credit_limit=5))
    before = counts(db)
    with pytest.raises(ConflictError) as caught:
        load_demo(db, NOW)
    assert "project 'Nightjar ETL', account 'Cursor-Pro'" in str(caught.value)
    assert counts(db) == before


def test_the_demo_is_recognised_after_its_projects_were_edited(
    db: Database, loaded: DemoResult
) -> None:
    """A description edited in the app: the session #1 title still marks the demo's own."""
    projects.update_project(db, "ledgerline", None, "my notes on the demo")
    projects.set_archived(db, "Roastery landing page v1", False)
    before = counts(db)
    assert load_demo(db, NOW).already_loaded
    assert counts(db) == before


def test_a_project_with_the_demo_name_but_not_its_marks_is_in_the_way(db: Database) -> None:
    """The demo's name and a session of the user's own, not the demo's description."""
    projects.create_project(db, "ledgerline")
    sessions.start_session(db, "ledgerline", objectives="Reconcile March")
    with pytest.raises(ConflictError, match="project 'ledgerline'"):
        load_demo(db, NOW)
