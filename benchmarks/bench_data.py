"""Generated data for the benchmarks, written fast with SQLAlchemy Core ``executemany`` into
the real schema (``Database.open`` creates it through the migrations, as for a user).

Two shapes:

- ``build_timeline_db``: one big project with N sessions (plus two small ones, so that the
  project filter matters), a pool of accounts, conversation turns on most sessions and
  handoffs on the finished ones, each session linked to the handoff it loaded;
- ``build_long_session_db``: a project whose newest session is in progress with 10,000
  conversation turns (file paths, errors, TODO markers, code) after earlier sessions with
  handoffs, ready to be completed.

Everything is deterministic (seeded) so that runs compare.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, text
from sqlmodel import SQLModel

from orchestrator_tui.db import models as _models  # noqa: F401  (registers the tables)
from orchestrator_tui.db.database import Database

CHUNK = 5000
EPOCH = datetime(2000, 1, 3, 8, 0, tzinfo=UTC)  # creation of projects and accounts
PLATFORMS = ("claude", "chatgpt", "gemini", "cursor", "genspark")
TYPES = ("development", "debugging", "research", "review", "planning")
FILES = (
    "src/shop/cart.py",
    "src/shop/checkout.py",
    "src/shop/payments/stripe_webhook.py",
    "src/shop/models.py",
    "tests/test_cart.py",
    "tests/test_checkout.py",
    "web/components/CartDrawer.tsx",
    "web/pages/checkout.tsx",
    "migrations/0042_orders.sql",
    "pyproject.toml",
    "docker-compose.yml",
    "README.md",
)
VERBS = ("Fix", "Refactor", "Add tests for", "Speed up", "Document", "Review", "Type-check")
THINGS = (
    "the cart totals",
    "the checkout flow",
    "the Stripe webhook retries",
    "order emails",
    "the product search",
    "the inventory sync",
    "VAT rounding",
    "the admin export",
)
ERRORS = (
    "TypeError: unsupported operand type(s) for +: 'Decimal' and 'float'",
    "AssertionError: expected 3 items in the cart, got 2",
    "sqlalchemy.exc.IntegrityError: UNIQUE constraint failed: order.number",
    "FAILED tests/test_checkout.py::test_coupon_applies_once - KeyError: 'coupon'",
    "ModuleNotFoundError: No module named 'stripe'",
)


def url_for(path: Path) -> str:
    return f"sqlite:///{path}"


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert(connection: Connection, name: str, rows: list[dict[str, Any]]) -> None:
    target = table(name)
    for chunk in _chunks(rows):
        connection.execute(target.insert(), chunk)


def _title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(THINGS)}"


def _user_turn(rng: random.Random, index: int) -> str:
    path = rng.choice(FILES)
    kind = index % 7
    if kind == 0:
        return f"Running the suite after the change to {path} gives:\n{rng.choice(ERRORS)}"
    if kind == 3:
        return f"{_title(rng)} in {path}. TODO: keep the old behaviour behind a flag for now."
    return (
        f"Next, {_title(rng).lower()} — look at {path} and {rng.choice(FILES)}; "
        f"keep the public API of {path.rsplit('/', 1)[-1]} unchanged. (request {index})"
    )


def _assistant_turn(rng: random.Random, index: int, long: bool) -> str:
    path = rng.choice(FILES)
    body = (
        f"I changed {path}: the function now validates its input before it touches the "
        f"database, and {rng.choice(FILES)} uses the new helper. "
    )
    if not long:
        return body + f"Step {index} is done."
    code = "\n".join(
        f"    total += line.price * line.quantity  # line {line}" for line in range(12)
    )
    return (
        body * 3 + f"\n\n```python\ndef cart_total(lines):\n    total = Decimal(0)\n{code}\n"
        "    return total.quantize(Decimal('0.01'))\n```\n\n"
        + ("FIXME: the rounding mode should come from settings.\n" if index % 11 == 0 else "")
        + "Run `pytest tests/test_cart.py -q` to check."
    )


def _handoff_text(number: int, title: str, rng: random.Random) -> str:
    files = ", ".join(f"`{name}`" for name in rng.sample(FILES, 3))
    return (
        f"# Handoff: session #{number}\n\n## Summary\n{title}.\n\n## Done\n- {_title(rng)}\n"
        f"- {_title(rng)}\n\n## Open blockers\n- {rng.choice(ERRORS)}\n\n## Next steps\n"
        f"- {_title(rng)}\n\n## Key files\n{files}\n\n## Budget\n{rng.randint(50, 400)} credits.\n"
    )


@dataclass(frozen=True)
class TimelineData:
    path: Path
    project_id: int
    project_name: str
    sessions: int
    turns: int
    handoffs: int


@dataclass
class _Ids:
    session: int = 0
    handoff: int = 0
    turn: int = 0


def _accounts(connection: Connection, now: datetime) -> list[tuple[int, str]]:
    rows: list[dict[str, Any]] = []
    accounts: list[tuple[int, str]] = []
    for index in range(10):
        platform = PLATFORMS[index % len(PLATFORMS)]
        accounts.append((index + 1, f"{platform}-{index + 1}"))
        rows.append(
            {
                "id": index + 1,
                "name": accounts[-1][1],
                "platform": platform,
                "credit_limit": 1_000_000_000,
                "credits_remaining": 900_000_000,
                "status": ("available", "active", "exhausted", "blocked")[index % 4],
                "specialization": "backend" if index % 2 else "frontend",
                "notes": "",
                "reset_cadence": ("daily", "weekly", "monthly", "none")[index % 4],
                "next_reset_at": None,
                "last_used_at": now,
                "created_at": EPOCH,
            }
        )
    _insert(connection, "account", rows)
    return accounts


def _project(connection: Connection, project_id: int, name: str) -> None:
    _insert(
        connection,
        "project",
        [
            {
                "id": project_id,
                "name": name,
                "description": f"Generated for the benchmarks: {name}",
                "status": "active",
                "created_at": EPOCH,
                "updated_at": EPOCH,
            }
        ],
    )


def _sessions(
    connection: Connection,
    rng: random.Random,
    ids: _Ids,
    project_id: int,
    count: int,
    accounts: list[tuple[int, str]],
    turns_per_session: tuple[int, int],
    open_session_turns: bool = True,
) -> tuple[int, int]:
    """``count`` sessions of one project, newest in progress; returns (turns, handoffs).

    ``open_session_turns=False`` leaves the session in progress without turns (the caller
    adds its own)."""
    sessions: list[dict[str, Any]] = []
    handoffs: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    # Durations and pauses first, so that the newest session (in progress) began a while ago.
    durations = [timedelta(minutes=rng.randint(20, 240)) for _ in range(count)]
    pauses = [timedelta(minutes=rng.randint(5, 180)) for _ in range(count)]
    started = datetime.now(UTC).replace(microsecond=0) - sum(
        (durations[index] + pauses[index] for index in range(count - 1)), durations[-1]
    )
    last_handoff: int | None = None
    for number in range(1, count + 1):
        ids.session += 1
        session_id = ids.session
        account_id, account_name = accounts[rng.randrange(len(accounts))]
        is_last = number == count
        status = "in_progress" if is_last else ("failed" if rng.random() < 0.04 else "completed")
        duration = durations[number - 1]
        title = _title(rng)
        sessions.append(
            {
                "id": session_id,
                "project_id": project_id,
                "number": number,
                "status": status,
                "account_id": account_id,
                "account_name": account_name,
                "session_type": rng.choice(TYPES),
                "title": title,
                "objectives": f"{title}; {_title(rng)}",
                "accomplishments": "" if is_last else f"{_title(rng)}; {_title(rng)}",
                "blockers": rng.choice(ERRORS) if rng.random() < 0.3 else "",
                "next_steps": f"{_title(rng)}",
                "credits_used": None if is_last else rng.randint(10, 400),
                "started_at": started,
                "ended_at": None if is_last else started + duration,
                "working_directory": "/home/dev/shop",
                "git_branch": f"feature/{number}",
                "source_path": None,
                "loaded_handoff_id": None,
            }
        )
        if last_handoff is not None:
            links.append({"session_id": session_id, "handoff_id": last_handoff})
        low, high = turns_per_session
        turn_count = rng.randint(low, high) if open_session_turns or not is_last else 0
        for position in range(turn_count):
            ids.turn += 1
            role = "user" if position % 2 == 0 else "assistant"
            content = (
                _user_turn(rng, position)
                if role == "user"
                else _assistant_turn(rng, position, long=False)
            )
            turns.append(
                {
                    "id": ids.turn,
                    "session_id": session_id,
                    "position": position,
                    "role": role,
                    "content": content,
                    "created_at": started + timedelta(minutes=position),
                    "source_message_id": None,
                }
            )
        if status == "completed" and rng.random() < 0.9:
            for version in range(1, (3 if rng.random() < 0.1 else 2)):
                ids.handoff += 1
                content = _handoff_text(number, title, rng)
                handoffs.append(
                    {
                        "id": ids.handoff,
                        "session_id": session_id,
                        "version": version,
                        "provider": "rules" if version == 1 else "edited",
                        "model": None,
                        "content": content,
                        "source_chars": 4000,
                        "handoff_chars": len(content),
                        "created_at": started + duration,
                    }
                )
                last_handoff = ids.handoff
        started += duration + pauses[number - 1]
    _insert(connection, "session", sessions)
    _insert(connection, "handoff", handoffs)
    _insert(connection, "conversation_turn", turns)
    # The handoff each session started from (inserted after the handoffs: foreign keys are on).
    link = (
        table("session")
        .update()
        .where(table("session").c.id == bindparam("session_id"))
        .values(loaded_handoff_id=bindparam("handoff_id"))
    )
    for chunk in _chunks(links):
        connection.execute(link, chunk)
    return len(turns), len(handoffs)


def _finish(database: Database) -> None:
    """Fold the WAL into the file and close, so that the file can be copied as it is."""
    with database.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        connection.execute(text("ANALYZE"))
    database.close()


def build_timeline_db(path: Path, sessions: int, seed: int = 7) -> TimelineData:
    """A database whose project "Big project" has ``sessions`` sessions."""
    if path.exists():
        raise FileExistsError(path)
    rng = random.Random(seed)
    database = Database.open(url_for(path))
    ids = _Ids()
    now = datetime.now(UTC)
    try:
        with database.engine.begin() as connection:
            accounts = _accounts(connection, now)
            small_turns = small_handoffs = 0
            for project_id, name in ((1, "Side project"), (3, "Docs site")):
                _project(connection, project_id, name)
                made = _sessions(connection, rng, ids, project_id, 20, accounts, (2, 12))
                small_turns += made[0]
                small_handoffs += made[1]
            _project(connection, 2, "Big project")
            turns, handoffs = _sessions(connection, rng, ids, 2, sessions, accounts, (0, 6))
    finally:
        _finish(database)
    return TimelineData(path, 2, "Big project", sessions, turns, handoffs)


@dataclass(frozen=True)
class LongSessionData:
    path: Path
    session_id: int
    turns: int
    credits_remaining: int


def build_long_session_db(path: Path, turns: int, seed: int = 11) -> LongSessionData:
    """A project with 30 finished sessions and an open one with ``turns`` turns."""
    if path.exists():
        raise FileExistsError(path)
    rng = random.Random(seed)
    database = Database.open(url_for(path))
    ids = _Ids()
    now = datetime.now(UTC)
    try:
        with database.engine.begin() as connection:
            accounts = _accounts(connection, now)
            _project(connection, 1, "Webshop")
            _sessions(connection, rng, ids, 1, 30, accounts, (4, 20), open_session_turns=False)
            session_id = ids.session  # the newest, in progress
            start = ids.turn
            rows = []
            for position in range(turns):
                role = "user" if position % 2 == 0 else "assistant"
                content = (
                    _user_turn(rng, position)
                    if role == "user"
                    else _assistant_turn(rng, position, long=True)
                )
                rows.append(
                    {
                        "id": start + position + 1,
                        "session_id": session_id,
                        "position": position,
                        "role": role,
                        "content": content,
                        "created_at": now - timedelta(seconds=(turns - position) * 20),
                        "source_message_id": f"msg-{position}",
                    }
                )
            _insert(connection, "conversation_turn", rows)
            account = connection.execute(
                text(
                    "SELECT account.credits_remaining FROM session JOIN account "
                    "ON account.id = session.account_id WHERE session.id = :id"
                ),
                {"id": session_id},
            ).scalar_one()
    finally:
        _finish(database)
    return LongSessionData(path, session_id, turns, int(account))
