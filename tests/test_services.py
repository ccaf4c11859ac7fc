"""The use cases, against a real SQLite file: outcomes, counters from rows, failure paths.

Every failure path compares a dump of every table before and after: nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import text

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ConversationTurn, Handoff, WorkSession, utcnow
from orchestrator_tui.errors import ConflictError, NotFoundError, ValidationError
from orchestrator_tui.records import AccountStatus, AccountView, SessionStatus
from orchestrator_tui.services import accounts, dashboard, handoffs, projects, sessions
from orchestrator_tui.services.accounts import AccountFields
from orchestrator_tui.validation import MAX_NAME, MAX_TEXT, parse_credits

TABLES = (
    "project",
    "account",
    "session",
    "handoff",
    "conversation_turn",
    "project_file",
    "knowledge_item",
    "handoff_queue",
)

Rows = dict[str, list[tuple[object, ...]]]
HUGE = "<50 MB>"


def dump(db: Database) -> Rows:
    """Every row of every table, read straight from the database."""
    with db.engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in TABLES
        }


def refused(
    db: Database, error: type[Exception], action: Callable[[], object], match: str | None = None
) -> Exception:
    """Run ``action``, expect ``error``, and check that the database did not change."""
    before = dump(db)
    with pytest.raises(error, match=match) as caught:
        action()
    assert dump(db) == before
    return caught.value


def make_account(db: Database, name: str = "pool-1", credits: int = 100) -> AccountView:
    return accounts.create_account(
        db, AccountFields(name=name, platform="claude", credit_limit=credits)
    )


def scalar(db: Database, sql: str, **params: object) -> object:
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


# --- projects ----------------------------------------------------------------------------


def test_create_project(db: Database) -> None:
    created = projects.create_project(db, "  Shop   rewrite ", "  the web shop  ")
    assert created.name == "Shop rewrite"
    assert created.description == "the web shop"
    assert created.status == "active"
    assert (created.session_count, created.credits_used, created.in_progress) == (0, 0, 0)
    assert created.last_activity == created.created_at
    assert projects.get_project(db, "Shop rewrite") == created
    assert projects.get_project(db, created.id) == created


def test_duplicate_project_name_is_a_conflict(db: Database) -> None:
    projects.create_project(db, "Shop")
    refused(db, ConflictError, lambda: projects.create_project(db, " Shop "), "already exists")


@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME + 1)])
def test_bad_project_name_is_refused(db: Database, name: str) -> None:
    error = refused(db, ValidationError, lambda: projects.create_project(db, name))
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {"name"}


def test_too_long_description_is_refused(db: Database) -> None:
    error = refused(
        db, ValidationError, lambda: projects.create_project(db, "p", "d" * (MAX_TEXT + 1))
    )
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {"description"}


def test_edit_project(db: Database) -> None:
    shop = projects.create_project(db, "Shop")
    projects.create_project(db, "Blog")
    edited = projects.update_project(db, shop.id, "Shop v2", "new description")
    assert (edited.id, edited.name, edited.description) == (shop.id, "Shop v2", "new description")
    assert projects.get_project(db, "Shop v2").id == shop.id
    with pytest.raises(NotFoundError):
        projects.get_project(db, "Shop")
    # Keeping its own name is fine; taking another project's name is not.
    assert projects.update_project(db, "Shop v2", "Shop v2", "again").description == "again"
    refused(db, ConflictError, lambda: projects.update_project(db, shop.id, "Blog", ""))
    refused(db, NotFoundError, lambda: projects.update_project(db, "nope", "x", ""))
    refused(db, ValidationError, lambda: projects.update_project(db, shop.id, "  ", ""))


def test_archive_and_unarchive(db: Database) -> None:
    shop = projects.create_project(db, "Shop")
    projects.create_project(db, "Blog")
    assert projects.set_archived(db, "Shop", True).status == "archived"
    active = projects.list_projects(db, include_archived=False)
    assert [item.name for item in active.items] == ["Blog"]
    assert active.total == 1
    everything = projects.list_projects(db)
    assert {item.name for item in everything.items} == {"Shop", "Blog"}
    assert everything.total == 2

    refused(db, ConflictError, lambda: sessions.start_session(db, shop.id), "archived")

    assert projects.set_archived(db, shop.id, False).status == "active"
    started = sessions.start_session(db, shop.id)
    assert started.session.number == 1


def test_project_counters_come_from_the_rows(db: Database) -> None:
    shop = projects.create_project(db, "Shop")
    other = projects.create_project(db, "Other")
    make_account(db, "acc", 1000)
    first = sessions.start_session(db, shop.id, account="acc").session
    done_first = sessions.complete_session(db, first.id, 30, "did a")
    second = sessions.start_session(db, shop.id, account="acc").session
    done_second = sessions.complete_session(db, second.id, "45", "did b")
    third = sessions.start_session(db, shop.id).session

    summary = projects.get_project(db, shop.id)
    assert summary.session_count == 3
    assert summary.credits_used == 30 + 45
    assert summary.in_progress == 1
    activity = [done_first.ended_at, done_second.ended_at, third.started_at]
    assert summary.last_activity == max(moment for moment in activity if moment is not None)
    untouched = projects.get_project(db, other.id)
    assert (untouched.session_count, untouched.credits_used, untouched.in_progress) == (0, 0, 0)

    # Not stored twice: change the rows behind the service's back and the counters follow.
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM session WHERE id = :id"), {"id": second.id})
    summary = projects.get_project(db, shop.id)
    assert (summary.session_count, summary.credits_used, summary.in_progress) == (2, 30, 1)


# --- accounts ----------------------------------------------------------------------------


def test_create_account_with_credits(db: Database) -> None:
    view = accounts.create_account(
        db,
        AccountFields(
            name=" main ", platform="Claude", credit_limit="1,000", specialization="backend"
        ),
    )
    assert view.name == "main"
    assert view.platform == "claude"
    assert (view.credit_limit, view.credits_remaining) == (1000, 1000)
    assert view.status == AccountStatus.AVAILABLE
    assert view.specialization == "backend"
    partial = accounts.create_account(
        db, AccountFields(name="half", credit_limit=500, credits_remaining="200")
    )
    assert (partial.credit_limit, partial.credits_remaining) == (500, 200)
    assert accounts.get_account(db, "half") == partial


def test_account_with_no_credits_starts_exhausted(db: Database) -> None:
    view = accounts.create_account(db, AccountFields(name="empty", credit_limit=0))
    assert view.status == AccountStatus.EXHAUSTED


def test_every_bad_account_field_is_reported_at_once(db: Database) -> None:
    fields = AccountFields(
        name="  ",
        platform="myspace",
        credit_limit="lots",
        credits_remaining="-3",
        status="sleepy",
        reset_cadence="hourly",
    )
    error = refused(db, ValidationError, lambda: accounts.create_account(db, fields))
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {
        "name",
        "platform",
        "credit_limit",
        "credits_remaining",
        "status",
        "reset_cadence",
    }
    for field in error.errors:
        assert field in str(error)


@pytest.mark.parametrize("credits", ["-1", "2.5", "abc", "", 10_000_001])
def test_bad_credit_limit_is_refused(db: Database, credits: str | int) -> None:
    fields = AccountFields(name="a", credit_limit=credits)
    error = refused(db, ValidationError, lambda: accounts.create_account(db, fields))
    assert isinstance(error, ValidationError)
    assert "credit_limit" in error.errors


def test_remaining_above_limit_is_refused(db: Database) -> None:
    fields = AccountFields(name="a", credit_limit=100, credits_remaining=101)
    error = refused(db, ValidationError, lambda: accounts.create_account(db, fields))
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {"credits_remaining"}


def test_duplicate_account_name_is_a_conflict(db: Database) -> None:
    make_account(db, "twin")
    refused(db, ConflictError, lambda: make_account(db, "twin"), "already exists")


def test_edit_account(db: Database) -> None:
    original = make_account(db, "a", 100)
    make_account(db, "b", 100)
    edited = accounts.update_account(
        db,
        original.id,
        AccountFields(
            name="a2",
            platform="gemini",
            credit_limit=500,
            credits_remaining=120,
            status="blocked",
            notes="flagged",
        ),
    )
    assert edited.id == original.id
    assert (edited.name, edited.platform, edited.status, edited.notes) == (
        "a2",
        "gemini",
        "blocked",
        "flagged",
    )
    assert (edited.credit_limit, edited.credits_remaining) == (500, 120)
    assert accounts.get_account(db, "a2") == edited
    refused(db, ConflictError, lambda: accounts.update_account(db, "a2", AccountFields(name="b")))
    refused(
        db, NotFoundError, lambda: accounts.update_account(db, "zzz", AccountFields(name="zzz"))
    )
    refused(
        db,
        ValidationError,
        lambda: accounts.update_account(db, "a2", AccountFields(name="a2", platform="?")),
    )


def test_delete_account_keeps_its_sessions(db: Database) -> None:
    project = projects.create_project(db, "p")
    account = make_account(db, "doomed", 100)
    first = sessions.start_session(db, project.id, account="doomed").session
    sessions.complete_session(db, first.id, 10, "done")
    second = sessions.start_session(db, project.id, account="doomed").session

    deleted = accounts.delete_account(db, "doomed")
    assert deleted.id == account.id
    with pytest.raises(NotFoundError):
        accounts.get_account(db, account.id)
    assert accounts.list_accounts(db).total == 0

    for session_id in (first.id, second.id):
        detail = sessions.get_session(db, session_id)
        assert detail.account_id is None
        assert detail.account_name == "doomed"
    rows = sessions.timeline(db, project.id).items
    assert [(row.number, row.account_name) for row in rows] == [(2, "doomed"), (1, "doomed")]
    assert scalar(db, "SELECT count(*) FROM session WHERE account_id IS NOT NULL") == 0

    # The open session can still be completed; there is no account left to charge.
    completed = sessions.complete_session(db, second.id, 5, "finished anyway")
    assert completed.status == SessionStatus.COMPLETED
    assert completed.account_credits_remaining is None
    refused(db, NotFoundError, lambda: accounts.delete_account(db, "doomed"))


def test_list_accounts_pages_by_name(db: Database) -> None:
    for name in ("c", "a", "b"):
        make_account(db, name)
    page = accounts.list_accounts(db, offset=0, limit=2)
    assert [item.name for item in page.items] == ["a", "b"]
    assert (page.total, page.has_more) == (3, True)
    rest = accounts.list_accounts(db, offset=2, limit=2)
    assert [item.name for item in rest.items] == ["c"]
    assert not rest.has_more


# --- sessions: starting ------------------------------------------------------------------


def test_sessions_are_numbered_per_project(db: Database) -> None:
    a = projects.create_project(db, "a")
    b = projects.create_project(db, "b")
    numbers: list[tuple[str, int]] = []
    for project in (a, b, a, a, b):
        started = sessions.start_session(db, project.id).session
        numbers.append((started.project_name, started.number))
        sessions.complete_session(db, started.id, 0, "x")
    assert numbers == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]


def test_start_with_unknown_project_or_account(db: Database) -> None:
    project = projects.create_project(db, "p")
    make_account(db, "known")
    refused(db, NotFoundError, lambda: sessions.start_session(db, "missing"))
    refused(db, NotFoundError, lambda: sessions.start_session(db, 999))
    refused(db, NotFoundError, lambda: sessions.start_session(db, project.id, account="ghost"))
    refused(db, ValidationError, lambda: sessions.start_session(db, project.id, session_type="?"))


def test_start_marks_the_account_active(db: Database) -> None:
    project = projects.create_project(db, "p")
    make_account(db, "acc")
    started = sessions.start_session(db, project.id, account="acc", objectives=" ship it ")
    detail = started.session
    assert (detail.number, detail.status, detail.account_name) == (1, "in_progress", "acc")
    assert detail.objectives == "ship it"
    assert started.previous_handoff is None
    account = accounts.get_account(db, "acc")
    assert account.status == AccountStatus.ACTIVE
    assert account.last_used_at is not None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (AccountFields(name="spent", credit_limit=100, credits_remaining=0), "no credits"),
        (
            AccountFields(name="spent", credit_limit=100, credits_remaining=50, status="exhausted"),
            "no credits",
        ),
        (AccountFields(name="spent", credit_limit=100, status="blocked"), "blocked"),
    ],
)
def test_unusable_account_is_refused(db: Database, fields: AccountFields, reason: str) -> None:
    project = projects.create_project(db, "p")
    accounts.create_account(db, fields)
    refused(
        db, ConflictError, lambda: sessions.start_session(db, project.id, account="spent"), reason
    )


def test_one_session_in_progress_per_project(db: Database) -> None:
    a = projects.create_project(db, "a")
    b = projects.create_project(db, "b")
    running = sessions.start_session(db, a.id).session
    refused(db, ConflictError, lambda: sessions.start_session(db, a.id), "still in progress")
    assert sessions.start_session(db, b.id).session.number == 1
    sessions.complete_session(db, running.id, 0, "done")
    assert sessions.start_session(db, a.id).session.number == 2


def test_start_loads_the_latest_handoff_and_its_edit(db: Database) -> None:
    project = projects.create_project(db, "p")
    first = sessions.start_session(db, project.id).session
    sessions.complete_session(db, first.id, 0, "built the parser", next_steps="write tests")
    generated = handoffs.generate_handoff(db, first.id)
    # Session 2 ends without a handoff: session 3 still gets session 1's.
    second = sessions.start_session(db, project.id)
    assert second.previous_handoff == generated
    assert second.session.loaded_handoff == generated
    sessions.complete_session(db, second.session.id, 0, "nothing much")

    edited = handoffs.save_edit(db, first.id, generated.content + "\nRemember the docs.\n")
    third = sessions.start_session(db, project.id)
    assert third.previous_handoff is not None
    assert third.previous_handoff.id == edited.id
    assert third.previous_handoff.provider == handoffs.EDITED
    assert third.previous_handoff.session_number == 1
    assert third.previous_handoff.content.endswith("Remember the docs.\n")
    sessions.complete_session(db, third.session.id, 0, "more")

    # Once a later session has a handoff, that one is loaded.
    newer = handoffs.generate_handoff(db, third.session.id)
    fourth = sessions.start_session(db, project.id)
    assert fourth.previous_handoff == newer
    assert sessions.get_session(db, fourth.session.id).loaded_handoff == newer


# --- sessions: completing ----------------------------------------------------------------


def test_complete_charges_the_account_in_the_same_transaction(db: Database) -> None:
    project = projects.create_project(db, "p")
    make_account(db, "acc", 100)
    started = sessions.start_session(db, project.id, account="acc").session
    done = sessions.complete_session(
        db, started.id, "30", "  built it  ", blockers="ci red", next_steps="fix ci"
    )
    assert done.status == SessionStatus.COMPLETED
    assert done.credits_used == 30
    assert (done.accomplishments, done.blockers, done.next_steps) == (
        "built it",
        "ci red",
        "fix ci",
    )
    assert done.ended_at is not None and done.ended_at >= done.started_at
    assert done.account_credits_remaining == 70
    account = accounts.get_account(db, "acc")
    assert account.credits_remaining == 70
    assert account.status == AccountStatus.AVAILABLE
    assert scalar(db, "SELECT credits_remaining FROM account WHERE name = 'acc'") == 70


def test_account_becomes_exhausted_at_zero(db: Database) -> None:
    project = projects.create_project(db, "p")
    make_account(db, "acc", 40)
    started = sessions.start_session(db, project.id, account="acc").session
    sessions.complete_session(db, started.id, 40, "used it all")
    account = accounts.get_account(db, "acc")
    assert (account.credits_remaining, account.status) == (0, AccountStatus.EXHAUSTED)
    refused(db, ConflictError, lambda: sessions.start_session(db, project.id, account="acc"))


def test_account_stays_active_while_another_session_uses_it(db: Database) -> None:
    a = projects.create_project(db, "a")
    b = projects.create_project(db, "b")
    make_account(db, "shared", 100)
    one = sessions.start_session(db, a.id, account="shared").session
    two = sessions.start_session(db, b.id, account="shared").session
    sessions.complete_session(db, one.id, 10, "half")
    assert accounts.get_account(db, "shared").status == AccountStatus.ACTIVE
    sessions.complete_session(db, two.id, 10, "other half")
    account = accounts.get_account(db, "shared")
    assert (account.status, account.credits_remaining) == (AccountStatus.AVAILABLE, 80)


@pytest.mark.parametrize(
    ("credits", "accomplishments", "field"),
    [
        ("10", "", "accomplishments"),
        ("10", "   \n  ", "accomplishments"),
        ("-5", "done", "credits"),
        ("abc", "done", "credits"),
        ("", "done", "credits"),
        ("2.5", "done", "credits"),
        (-1, "done", "credits"),
        ("101", "done", "credits"),
        ("10", HUGE, "accomplishments"),
    ],
)
def test_bad_completion_is_refused_and_nothing_written(
    db: Database, credits: str | int, accomplishments: str, field: str
) -> None:
    if accomplishments == HUGE:
        accomplishments = "x" * 50_000_000  # a 50 MB paste, made here to keep test ids short
    project = projects.create_project(db, "p")
    make_account(db, "acc", 100)
    started = sessions.start_session(db, project.id, account="acc").session
    error = refused(
        db,
        ValidationError,
        lambda: sessions.complete_session(db, started.id, credits, accomplishments),
    )
    assert isinstance(error, ValidationError)
    assert field in error.errors
    detail = sessions.get_session(db, started.id)
    assert (detail.status, detail.credits_used, detail.ended_at) == ("in_progress", None, None)
    assert accounts.get_account(db, "acc").credits_remaining == 100


def test_every_bad_completion_field_is_reported_at_once(db: Database) -> None:
    project = projects.create_project(db, "p")
    started = sessions.start_session(db, project.id).session
    error = refused(
        db,
        ValidationError,
        lambda: sessions.complete_session(db, started.id, "-1", "", blockers="b" * (MAX_TEXT + 1)),
    )
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {"credits", "accomplishments", "blockers"}


@pytest.mark.parametrize("second_credits", [10, 60])
def test_complete_twice_is_a_conflict(db: Database, second_credits: int) -> None:
    """The second attempt is refused as a conflict, whatever its credits: never charged twice."""
    project = projects.create_project(db, "p")
    make_account(db, "acc", 100)
    started = sessions.start_session(db, project.id, account="acc").session
    sessions.complete_session(db, started.id, 60, "first")
    refused(
        db,
        ConflictError,
        lambda: sessions.complete_session(db, started.id, second_credits, "again"),
        "already completed",
    )
    assert accounts.get_account(db, "acc").credits_remaining == 40
    assert sessions.get_session(db, started.id).accomplishments == "first"


def test_complete_unknown_session(db: Database) -> None:
    refused(db, NotFoundError, lambda: sessions.complete_session(db, 12345, 1, "x"))
    refused(db, NotFoundError, lambda: sessions.get_session(db, 12345))


# --- sessions: reading -------------------------------------------------------------------


def test_timeline_pages_newest_first(db: Database) -> None:
    project = projects.create_project(db, "big")
    other = projects.create_project(db, "small")
    start = utcnow() - timedelta(days=300)
    turns_of = {n: n % 4 for n in range(1, 251)}
    with_handoff = {n for n in range(1, 251) if n % 5 == 0}
    with db.unit() as session:
        for number in range(1, 251):
            work = WorkSession(
                project_id=project.id,
                number=number,
                status="completed",
                credits_used=number,
                started_at=start + timedelta(hours=number),
            )
            session.add(work)
            session.flush()
            assert work.id is not None
            for position in range(turns_of[number]):
                session.add(
                    ConversationTurn(
                        session_id=work.id, position=position, role="user", content="hi"
                    )
                )
            if number in with_handoff:
                session.add(Handoff(session_id=work.id, version=1, provider="rules", content="# h"))
        session.add(WorkSession(project_id=other.id, number=1))

    page = sessions.timeline(db, project.id, offset=0, limit=100)
    assert page.total == 250
    assert page.has_more
    assert [row.number for row in page.items] == list(range(250, 150, -1))
    for row in page.items:
        assert row.project_id == project.id
        assert row.turn_count == turns_of[row.number]
        assert row.has_handoff == (row.number in with_handoff)
        assert row.credits_used == row.number

    last = sessions.timeline(db, "big", offset=200, limit=100)
    assert [row.number for row in last.items] == list(range(50, 0, -1))
    assert not last.has_more
    assert sessions.timeline(db, other.id).total == 1
    refused(db, NotFoundError, lambda: sessions.timeline(db, "no such project"))


def test_project_timeline_reads_the_project_with_its_newest_sessions(db: Database) -> None:
    assert sessions.project_timeline(db, None) is None  # no project at all
    older = projects.create_project(db, "older")
    sessions.start_session(db, older.id, objectives="old work")
    newer = projects.create_project(db, "newer")
    with db.unit() as session:
        for number in range(1, 4):
            session.add(WorkSession(project_id=newer.id, number=number, status="completed"))

    opened = sessions.project_timeline(db, older.id)
    assert opened is not None
    assert (opened.project.name, opened.project.session_count) == ("older", 1)
    assert [row.title for row in opened.page.items] == ["old work"]

    recent = sessions.project_timeline(db, None, limit=2)  # the most recently active
    assert recent is not None
    assert recent.project.id == newer.id
    assert [row.number for row in recent.page.items] == [3, 2]
    assert (recent.page.total, recent.page.has_more) == (3, True)
    refused(db, NotFoundError, lambda: sessions.project_timeline(db, 999))


def test_turns_are_paged_in_order(db: Database) -> None:
    project = projects.create_project(db, "p")
    started = sessions.start_session(db, project.id).session
    first = [("user" if i % 2 == 0 else "assistant", f"turn {i}") for i in range(70)]
    assert sessions.add_turns(db, started.id, first) == 70
    more = [("tool", f"turn {i}") for i in range(70, 120)]
    assert sessions.add_turns(db, started.id, more) == 50

    page = sessions.turns(db, started.id, offset=0, limit=50)
    assert (page.total, page.has_more) == (120, True)
    assert [turn.position for turn in page.items] == list(range(50))
    assert [(turn.role, turn.content) for turn in page.items] == first[:50]
    tail = sessions.turns(db, started.id, offset=100, limit=50)
    assert [turn.content for turn in tail.items] == [f"turn {i}" for i in range(100, 120)]
    assert not tail.has_more
    assert sessions.get_session(db, started.id).turn_count == 120
    assert sessions.timeline(db, project.id).items[0].turn_count == 120


def test_add_turns_refuses_a_bad_role(db: Database) -> None:
    project = projects.create_project(db, "p")
    started = sessions.start_session(db, project.id).session
    sessions.add_turns(db, started.id, [("user", "hello")])
    bad = [("user", "fine"), ("robot", "beep")]
    error = refused(db, ValidationError, lambda: sessions.add_turns(db, started.id, bad))
    assert "robot" in str(error)
    refused(db, NotFoundError, lambda: sessions.add_turns(db, 999, [("user", "x")]))
    refused(db, NotFoundError, lambda: sessions.turns(db, 999))


# --- handoffs ----------------------------------------------------------------------------


def _completed(db: Database) -> int:
    project = projects.create_project(db, "p")
    make_account(db, "acc", 100)
    started = sessions.start_session(db, project.id, account="acc", objectives="ship").session
    sessions.add_turns(db, started.id, [("user", "please fix app/main.py")])
    sessions.complete_session(db, started.id, 20, "fixed main", blockers="flaky test")
    return started.id


def test_generate_regenerate_and_edit_are_versions(db: Database) -> None:
    session_id = _completed(db)
    first = handoffs.generate_handoff(db, session_id)
    assert (first.version, first.provider, first.session_id) == (1, "rules", session_id)
    assert first.handoff_chars == len(first.content)
    assert first.source_chars > 0
    assert "fixed main" in first.content
    assert "flaky test" in first.content
    assert "app/main.py" in first.content

    second = handoffs.generate_handoff(db, session_id)
    assert second.version == 2
    assert second.id != first.id

    edited = handoffs.save_edit(db, session_id, "# My own handoff\n\n- do things\n")
    assert (edited.version, edited.provider) == (3, handoffs.EDITED)
    assert edited.source_chars == second.handoff_chars
    assert handoffs.latest_handoff(db, session_id) == edited
    assert sessions.get_session(db, session_id).produced_handoff == edited

    # Saving the same text again adds nothing.
    before = dump(db)
    assert handoffs.save_edit(db, session_id, edited.content) == edited
    assert dump(db) == before

    listed = handoffs.versions(db, session_id)
    assert [(info.version, info.provider) for info in listed] == [
        (3, "edited"),
        (2, "rules"),
        (1, "rules"),
    ]
    assert [info.id for info in listed] == [edited.id, second.id, first.id]
    assert handoffs.get_handoff(db, first.id) == first
    timeline_row = sessions.timeline(db, "p").items[0]
    assert timeline_row.has_handoff


@pytest.mark.parametrize("content", ["", "   \n\t\n"])
def test_empty_edit_is_refused(db: Database, content: str) -> None:
    session_id = _completed(db)
    handoffs.generate_handoff(db, session_id)
    error = refused(db, ValidationError, lambda: handoffs.save_edit(db, session_id, content))
    assert isinstance(error, ValidationError)
    assert set(error.errors) == {"handoff"}


def test_huge_edit_is_refused(db: Database) -> None:
    session_id = _completed(db)
    refused(db, ValidationError, lambda: handoffs.save_edit(db, session_id, "x" * (MAX_TEXT + 1)))


def test_handoff_failure_paths(db: Database) -> None:
    session_id = _completed(db)
    refused(db, NotFoundError, lambda: handoffs.get_handoff(db, 4242))
    refused(db, NotFoundError, lambda: handoffs.generate_handoff(db, 4242))
    refused(db, NotFoundError, lambda: handoffs.save_edit(db, 4242, "text"))
    refused(db, NotFoundError, lambda: handoffs.versions(db, 4242))
    refused(db, ValidationError, lambda: handoffs.generate_handoff(db, session_id, "psychic"))
    assert handoffs.versions(db, session_id) == []
    assert handoffs.latest_handoff(db, session_id) is None


# --- dashboard ---------------------------------------------------------------------------


def test_dashboard_totals_equal_the_sums_of_the_rows(db: Database) -> None:
    empty = dashboard.totals(db)
    assert (empty.projects, empty.accounts, empty.sessions, empty.credits_used) == (0, 0, 0, 0)
    assert empty.recent == []

    a = projects.create_project(db, "a")
    b = projects.create_project(db, "b")
    projects.create_project(db, "c")
    projects.set_archived(db, "c", True)
    make_account(db, "x", 100)
    make_account(db, "y", 50)
    accounts.create_account(db, AccountFields(name="z", credit_limit=10, status="blocked"))
    accounts.create_account(db, AccountFields(name="w", credit_limit=10, credits_remaining=0))

    s1 = sessions.start_session(db, a.id, account="x").session
    sessions.complete_session(db, s1.id, 25, "one")
    handoffs.generate_handoff(db, s1.id)
    handoffs.save_edit(db, s1.id, "edited")
    s2 = sessions.start_session(db, b.id, account="y").session
    sessions.complete_session(db, s2.id, 50, "two")
    handoffs.generate_handoff(db, s2.id)
    s3 = sessions.start_session(db, a.id, account="x").session
    s4 = sessions.start_session(db, b.id).session

    totals = dashboard.totals(db)
    assert totals.projects == 3
    assert totals.accounts == 4
    # x is active (s3 runs on it), y ran out, z is blocked, w never had credits.
    assert totals.active_accounts == 1
    assert totals.sessions == 4
    assert totals.in_progress == 2
    assert totals.credits_used == 25 + 50
    assert totals.credits_remaining == (100 - 25) + (50 - 50) + 10 + 0
    assert totals.handoffs == 2  # sessions with a handoff, however many versions
    assert [row.id for row in totals.recent] == [s4.id, s3.id, s2.id, s1.id]

    # The same figures straight from SQL.
    assert totals.credits_used == scalar(db, "SELECT sum(credits_used) FROM session")
    assert totals.credits_remaining == scalar(db, "SELECT sum(credits_remaining) FROM account")
    assert totals.in_progress == scalar(
        db, "SELECT count(*) FROM session WHERE status = 'in_progress'"
    )


def test_a_constraint_failure_is_a_conflict_and_writes_nothing(db: Database) -> None:
    """What a second process starting the same session number at the same moment sees."""
    project = projects.create_project(db, "Racy")
    with db.unit() as unit:
        unit.add(WorkSession(project_id=project.id, number=1, status="completed"))
    with pytest.raises(ConflictError, match="at the same moment"), db.unit() as unit:
        unit.add(WorkSession(project_id=project.id, number=2, status="completed"))
        unit.add(WorkSession(project_id=project.id, number=1, status="completed"))
    assert sessions.timeline(db, "Racy").total == 1


def test_choices_are_not_case_sensitive(db: Database) -> None:
    account = accounts.create_account(
        db, AccountFields(name="Mixed", platform=" Claude ", credit_limit=5, status="Active ")
    )
    assert (account.platform, account.status) == ("claude", "active")


# --- credits as typed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1500", 1500),
        ("1,500", 1500),
        (" 12,345 ", 12345),
        ("1,000,000", 1_000_000),
        ("0", 0),
        ("007", 7),
        (250, 250),
        (0, 0),
    ],
)
def test_credits_accept_digits_and_grouped_thousands(typed: str | int, expected: int) -> None:
    assert parse_credits(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("1,5", "'1,5' is not a number"),
        ("1,50", "'1,50' is not a number"),
        ("15,00", "'15,00' is not a number"),
        ("1,5000", "'1,5000' is not a number"),
        (",500", "',500' is not a number"),
        ("1e3", "'1e3' is not a number"),
        ("1E3", "'1E3' is not a number"),
        ("1_000", "'1_000' is not a number"),
        ("1 500", "'1 500' is not a number"),
        ("+5", "'+5' is not a number"),
        ("0x10", "'0x10' is not a number"),
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("٣", "'٣' is not a number"),
        ("12.", "'12.' is not a number"),
        (" abc ", "'abc' is not a number"),
        ("-5", "credits cannot be negative"),
        ("-1,500", "credits cannot be negative"),
        (-5, "credits cannot be negative"),
        ("12.5", "credits are whole numbers"),
        ("12.0", "credits are whole numbers"),
        ("1,500.0", "credits are whole numbers"),
        ("", "enter a number of credits"),
        ("12,345,678", "at most 10,000,000 credits"),
        pytest.param("9" * 5000, "at most 10,000,000 credits", id="5000-digits"),
    ],
)
def test_credits_refuse_anything_else(typed: str | int, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_credits(typed)
    assert caught.value.errors == {"credits": reason}


def test_a_comma_typo_is_not_charged_as_ten_times_more(db: Database) -> None:
    make_account(db, "acc", 100)
    project = projects.create_project(db, "p")
    started = sessions.start_session(db, project.id, account="acc").session
    error = refused(
        db, ValidationError, lambda: sessions.complete_session(db, started.id, "1,5", "x")
    )
    assert isinstance(error, ValidationError)
    assert error.errors == {"credits": "'1,5' is not a number"}


def test_a_session_is_titled_by_its_first_objective(db: Database) -> None:
    projects.create_project(db, "Titled")
    started = sessions.start_session(db, "Titled", objectives="- Fix the login; add tests")
    assert started.session.title == "Fix the login"
    sessions.complete_session(db, started.session.id, 0, "Done")
    second = sessions.start_session(db, "Titled", objectives="Anything", title="Release 1.2")
    assert second.session.title == "Release 1.2"


# --- names are unique ignoring case ----------------------------------------------------------


def test_project_names_are_unique_ignoring_case(db: Database) -> None:
    shop = projects.create_project(db, "Webshop")
    blog = projects.create_project(db, "Blog")
    for taken in ("webshop", "WEBSHOP", " webShop "):
        refused(
            db, ConflictError, lambda name=taken: projects.create_project(db, name), "'Webshop'"
        )
    refused(db, ConflictError, lambda: projects.update_project(db, blog.id, "webshop", ""))
    # Unicode case too (SQLite's lower() would miss these).
    projects.create_project(db, "Straße")
    refused(db, ConflictError, lambda: projects.create_project(db, "STRASSE"), "not case")
    projects.create_project(db, "ärger")
    refused(db, ConflictError, lambda: projects.create_project(db, "ÄRGER"), "'ärger'")
    # A project may change the case of its own name.
    assert projects.update_project(db, shop.id, "WebShop", None).name == "WebShop"
    assert projects.get_project(db, "WebShop").description == ""


def test_account_names_are_unique_ignoring_case(db: Database) -> None:
    make_account(db, "Claude-Pro")
    other = make_account(db, "other")
    refused(db, ConflictError, lambda: make_account(db, "claude-pro"), "'Claude-Pro'")
    refused(
        db,
        ConflictError,
        lambda: accounts.update_account(db, other.id, AccountFields(name="CLAUDE-PRO")),
    )
    renamed = accounts.update_account(
        db, "Claude-Pro", AccountFields(name="claude-pro", credit_limit=100)
    )
    assert renamed.name == "claude-pro"


def test_lookups_take_the_exact_name_then_a_unique_match_ignoring_case(db: Database) -> None:
    shop = projects.create_project(db, "Webshop")
    make_account(db, "Claude-Pro", 100)
    assert projects.get_project(db, "webshop").id == shop.id
    assert accounts.get_account(db, "claude-PRO").name == "Claude-Pro"
    started = sessions.start_session(db, "WEBSHOP", account="claude-pro").session
    assert (started.project_id, started.account_name) == (shop.id, "Claude-Pro")
    # Two names that differ only in case (written before the rule): the exact one wins, and
    # a third spelling is ambiguous.
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO project (name, description, status, created_at, "
                "updated_at) SELECT 'WebShop', '', 'active', created_at, "
                "updated_at FROM project WHERE id = :id"
            ),
            {"id": shop.id},
        )
    assert projects.get_project(db, "Webshop").id == shop.id
    assert projects.get_project(db, "WebShop").id != shop.id
    with pytest.raises(NotFoundError, match="match ignoring case"):
        projects.get_project(db, "webshop")
    # A number that names no project is still an id.
    assert projects.get_project(db, str(shop.id)).id == shop.id


@pytest.mark.parametrize("objectives", [";", "none", "- \n n/a"])
def test_objectives_without_an_item_give_no_title(db: Database, objectives: str) -> None:
    projects.create_project(db, "Untitled")
    started = sessions.start_session(db, "Untitled", objectives=objectives)
    assert (started.session.number, started.session.title) == (1, "")


def test_a_project_with_a_session_in_progress_is_not_archived(db: Database) -> None:
    shop = projects.create_project(db, "Shop")
    started = sessions.start_session(db, shop.id).session
    refused(
        db,
        ConflictError,
        lambda: projects.set_archived(db, "Shop", True),
        rf"Session #1 of 'Shop' is still in progress \(id {started.id}\); "
        r"complete session #1 first\.",
    )
    # Unarchiving is never refused, and once the session is completed archiving works.
    assert projects.set_archived(db, shop.id, False).status == "active"
    sessions.complete_session(db, started.id, 0, "done")
    assert projects.set_archived(db, shop.id, True).status == "archived"
    error = refused(db, ConflictError, lambda: sessions.start_session(db, shop.id))
    assert "`orchestrator-tui project unarchive Shop`" in str(error)
