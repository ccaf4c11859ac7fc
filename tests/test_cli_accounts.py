"""`account list|edit|batch|recommend|rotate|queue` and the pool's effects on `session start`,
in-process, checked against what the database holds."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account
from orchestrator_tui.services import accounts

PREFIX = "orchestrator-tui: error: "


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], db_path: Path) -> Callable[..., Run]:
    def _run(*args: str) -> Run:
        code = main(["--db", str(db_path), *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _run


@pytest.fixture
def opened(db_path: Path) -> Iterator[Database]:
    handle = Database.open(f"sqlite:///{db_path}")
    yield handle
    handle.close()


def rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in ("account", "session", "handoff_queue", "project")
        }
    finally:
        connection.close()


def refused(result: Run, *needles: str) -> None:
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith(PREFIX) and result.err.count("\n") == 1, result.err
    for needle in needles:
        assert needle in result.err, (needle, result.err)


@pytest.fixture
def pool(run: Callable[..., Run]) -> None:
    """A project with one completed session on "first"; "second" is the better next."""
    assert run("project", "add", "Webshop", "--description", "Python shop").code == 0
    for name, credits, skills in (("first", "1000", "python"), ("second", "800", "python")):
        added = run("account", "add", name, "--credits", credits, "--specialization", skills)
        assert added.code == 0, added
    assert run("account", "add", "third", "--credits", "3000", "--reset", "weekly").code == 0
    started = run("session", "start", "Webshop", "--account", "first", "--json").json()
    done = run(
        "session",
        "complete",
        str(started["session_id"]),
        "--credits",
        "600",
        "--accomplishments",
        "Cart works",
        "--blockers",
        "Tax rules unclear",
        "--json",
    )
    assert done.code == 0, done


def test_list_shows_every_field(run: Callable[..., Run], pool: None) -> None:
    listed = run("account", "list", "--json").json()
    assert listed["total"] == 3
    first = listed["accounts"][0]
    assert set(first) >= {
        "name",
        "platform",
        "credit_limit",
        "credits_remaining",
        "status",
        "specialization",
        "notes",
        "reset_cadence",
        "next_reset_at",
        "last_used_at",
    }
    assert (first["name"], first["credits_remaining"], first["status"]) == (
        "first",
        400,
        "available",
    )
    third = listed["accounts"][2]
    assert third["reset_cadence"] == "weekly" and third["next_reset_at"] is not None


def test_batch_from_a_file_and_from_stdin(
    run: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: Database
) -> None:
    csv_file = tmp_path / "pool.csv"
    csv_file.write_text(
        'name,platform,credits,specialization\nc1,claude,1000,"python, sql"\nc2,gemini,300\n',
        encoding="utf-8",
    )
    assert run("account", "batch", str(csv_file), "--json").json()["created"] == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("c3,cursor,50,typescript\n"))
    result = run("account", "batch", "-", "--json")
    assert result.json()["created"] == 1
    assert [a.name for a in accounts.list_accounts(opened).items] == ["c1", "c2", "c3"]
    assert accounts.get_account(opened, "c1").specialization == "python, sql"


def test_batch_with_a_duplicate_adds_nothing(
    run: Callable[..., Run], tmp_path: Path, db_path: Path
) -> None:
    assert run("account", "add", "taken").code == 0
    before = rows(db_path)
    csv_file = tmp_path / "pool.csv"
    csv_file.write_text("new,claude,100\nnew,claude,200\nTAKEN,claude,5\nx,zz,1\n", "utf-8")
    refused(
        run("account", "batch", str(csv_file), "--json"),
        "line 2: 'new' is listed twice (first on line 1)",
        "line 3: an account named 'taken' already exists",
        "line 4: platform:",
    )
    assert rows(db_path) == before
    refused(run("account", "batch", str(tmp_path / "missing.csv")), "No such file")


def test_edit_changes_the_given_fields(run: Callable[..., Run], pool: None) -> None:
    edited = run(
        "account",
        "edit",
        "third",
        "--remaining",
        "0",
        "--next-reset",
        "2099-01-01T08:00",
        "--notes",
        "team seat",
        "--json",
    )
    account = edited.json()["account"]
    assert (account["credits_remaining"], account["status"]) == (0, "exhausted")
    assert account["next_reset_at"] == "2099-01-01T08:00:00+00:00"
    assert (account["notes"], account["credit_limit"]) == ("team seat", 3000)
    blocked = run("account", "edit", "third", "--status", "blocked", "--name", "old", "--json")
    assert (blocked.json()["account"]["name"], blocked.json()["account"]["status"]) == (
        "old",
        "blocked",
    )
    refused(run("account", "edit", "old", "--remaining", "5000"), "--remaining: more than")
    refused(run("account", "edit", "old", "--next-reset", "soon"), "--next-reset:")
    refused(run("account", "edit", "old", "--name", "first"), "already exists")
    assert run("account", "edit", "old").code == 2  # nothing to change: a usage error


def test_resets_are_applied_when_a_command_starts(
    run: Callable[..., Run], pool: None, opened: Database
) -> None:
    with opened.unit() as session:
        third = session.get(Account, 3)
        assert third is not None
        third.credits_remaining, third.status = 0, "exhausted"
        third.next_reset_at = datetime.now(UTC) - timedelta(days=8)
    listed = run("account", "list", "--json")
    assert "Credits reset: third is back to 3,000 credits (available)" in listed.err
    third_row = listed.json()["accounts"][2]
    assert (third_row["credits_remaining"], third_row["status"]) == (3000, "available")
    moved = datetime.fromisoformat(third_row["next_reset_at"])
    assert datetime.now(UTC) < moved <= datetime.now(UTC) + timedelta(days=7)
    assert run("account", "list", "--json").err == ""  # applied once


def test_recommend_json_ranks_with_reasons(run: Callable[..., Run], pool: None) -> None:
    plan = run("account", "recommend", "--project", "Webshop", "--json").json()
    assert [item["name"] for item in plan["ranked"]] == ["second", "first", "third"]
    best = plan["ranked"][0]
    assert best["credits_remaining"] == 800
    assert best["reasons"][0] == "ranked first: enough credits for a typical session, unlike first"
    assert "enough for a typical session of this project (600 credits)" in best["reasons"]
    assert any("may run out mid-session" in reason for reason in plan["ranked"][1]["reasons"])
    assert plan["typical_cost"] == 600 and plan["min_credits"] == 50
    by_skill = run("account", "recommend", "--specialization", "rust", "--min-credits", "500")
    assert by_skill.code == 0
    assert "1. third (3,000 credits)" in by_skill.out
    assert "first: only 400 credits left (the minimum is 500)" in by_skill.out
    refused(run("account", "recommend", "--min-credits", "-3"), "--min-credits:")
    refused(run("account", "recommend", "--project", "Nope"), "No project 'Nope'")


def test_rotate_queues_a_briefing_the_next_session_loads(
    run: Callable[..., Run], pool: None, db_path: Path
) -> None:
    rotated = run("account", "rotate", "first", "--project", "Webshop", "--json").json()
    assert (rotated["from"], rotated["to"], rotated["credits_remaining"]) == (
        "first",
        "second",
        800,
    )
    assert rotated["from_account"]["status"] == "exhausted"
    assert "## Open blockers\n- Tax rules unclear" in rotated["briefing"]
    queue = run("account", "queue", "--project", "Webshop", "--json").json()
    assert [item["id"] for item in queue["queue"]] == [rotated["queue_id"]]
    assert queue["queue"][0]["status"] == "pending"

    started = run("session", "start", "Webshop", "--account", "second", "--json").json()
    [loaded] = started["queued_handoffs"]
    assert loaded["id"] == rotated["queue_id"]
    assert loaded["content"] == rotated["briefing"]
    assert started["previous_handoff"] is not None  # both: the handoff and the briefing
    assert run("account", "queue", "--json").json()["total"] == 0
    every = run("account", "queue", "--all", "--json").json()["queue"]
    assert (every[0]["status"], every[0]["consumed_by_session_id"]) == (
        "consumed",
        started["session_id"],
    )


def test_rotate_with_no_candidate_changes_nothing(
    run: Callable[..., Run], pool: None, db_path: Path
) -> None:
    for name in ("second", "third"):
        assert run("account", "edit", name, "--status", "blocked").code == 0
    assert run("account", "edit", "first", "--reset", "daily").code == 0
    before = rows(db_path)
    refused(
        run("account", "rotate", "first", "--project", "Webshop", "--json"),
        "No account can take over from first on Webshop",
        "Nothing was changed",
        "The first reset: first resets in 24 hours",
    )
    assert rows(db_path) == before
    refused(run("account", "rotate", "ghost", "--project", "Webshop"), "No account 'ghost'")
