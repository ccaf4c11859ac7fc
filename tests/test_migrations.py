"""The schema: Alembic migrations shipped in the package, applied on open, newer schemas refused."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import orchestrator_tui
from orchestrator_tui.db import fts, migrate
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    open_database,
)
from orchestrator_tui.errors import OrchestratorError, SchemaTooNewError
from orchestrator_tui.services import handoffs, projects, sessions

SHIPPED_HEAD = HEAD_REVISION  # the tests below patch migrate.HEAD_REVISION

TABLES = {
    "project",
    "account",
    "session",
    "handoff",
    "conversation_turn",
    "project_file",
    "knowledge_item",
    "handoff_queue",
}


def _file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _schema(path: Path) -> list[tuple[str, str, str | None]]:
    """Every table, index and its SQL, as SQLite holds them (read without the app's engine)."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
            "ORDER BY type, name"
        ).fetchall()
    return [(str(kind), str(name), sql) for kind, name, sql in rows]


def _revision_row(path: Path) -> list[str]:
    with sqlite3.connect(path) as raw:
        return [row[0] for row in raw.execute("SELECT version_num FROM alembic_version")]


def test_head_revision_constant_matches_alembic_head() -> None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert script.get_heads() == [HEAD_REVISION]
    assert script.get_current_head() == HEAD_REVISION


def test_migrations_ship_inside_the_package() -> None:
    package_dir = Path(orchestrator_tui.__file__).resolve().parent
    assert package_dir / "migrations" == MIGRATIONS_DIR
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions").is_dir()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()


def _tables(engine: Engine) -> set[str]:
    """The tables, without the full-text index's (tests/test_search.py covers those)."""
    return {name for name in inspect(engine).get_table_names() if not fts.is_index_table(name)}


def test_fresh_database_gets_every_table_and_the_revision(db: Database, db_url: str) -> None:
    names = _tables(db.engine)
    assert names >= TABLES
    assert names - TABLES == {"alembic_version"}
    assert _revision_row(_file(db_url)) == [HEAD_REVISION]
    assert current_revision(db.engine) == HEAD_REVISION


def test_schema_matches_the_models(db: Database) -> None:
    """A contributor who changes a model without a migration is told here."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_name": lambda name, kind, _: (
                    not (kind == "table" and fts.is_index_table(name))
                ),
            },
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_opening_twice_is_a_no_op(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Database.open(db_url)
    projects.create_project(first, "kept")
    first.close()
    schema = _schema(_file(db_url))

    def no_upgrade(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Alembic ran on an up-to-date database")

    monkeypatch.setattr(command, "upgrade", no_upgrade)
    second = Database.open(db_url)
    try:
        assert [item.name for item in projects.list_projects(second).items] == ["kept"]
    finally:
        second.close()
    assert _schema(_file(db_url)) == schema
    assert _revision_row(_file(db_url)) == [HEAD_REVISION]


def test_database_from_newer_code_is_refused_and_left_alone(db_url: str) -> None:
    first = Database.open(db_url)
    projects.create_project(first, "precious")
    first.close()
    path = _file(db_url)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    schema = _schema(path)

    with pytest.raises(SchemaTooNewError) as caught:
        Database.open(db_url)

    message = str(caught.value)
    assert "0099_from_the_future" in message
    assert "newer version" in message
    assert "Upgrade orchestrator-tui" in message
    assert _schema(path) == schema
    assert _revision_row(path) == ["0099_from_the_future"]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT name FROM project").fetchall() == [("precious",)]


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(db: Database) -> None:
    # Two connections at once: the pragmas are set on every connection, not only the first.
    with db.engine.connect() as one, db.engine.connect() as two:
        for connection in (one, two):
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            busy = connection.execute(text("PRAGMA busy_timeout")).scalar()
            assert isinstance(busy, int) and busy > 0


def test_in_memory_database_is_shared_by_worker_threads() -> None:
    """The TUI runs queries in thread workers; an in-memory database must be one database."""
    database = Database.open("sqlite://")
    try:
        projects.create_project(database, "in memory")
        seen: list[object] = []

        def worker() -> None:
            try:
                seen.append(projects.list_projects(database).total)
            except Exception as error:  # reported below, with its message
                seen.append(error)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen == [1]
    finally:
        database.close()


def test_migrations_run_from_any_working_directory(tmp_path: Path) -> None:
    """No alembic.ini and no repository checkout needed: only the installed package."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = tmp_path / "from-elsewhere.db"
    script = (
        "import sys\n"
        "from orchestrator_tui.db.migrate import open_database, current_revision\n"
        "engine = open_database(sys.argv[1])\n"
        "print(current_revision(engine))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{target}"],
        cwd=elsewhere,
        env=_python_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == HEAD_REVISION
    assert set(_revision_row(target)) == {HEAD_REVISION}
    assert not list(elsewhere.iterdir())


def _python_env() -> dict[str, str]:
    env = dict(os.environ)
    package_parent = str(Path(orchestrator_tui.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
    return env


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path: Path) -> None:
    """The TUI and a CLI command (or two commands) started together on a fresh install."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    script = (
        "import sys\n"
        "from orchestrator_tui.db.migrate import open_database, current_revision\n"
        "print(current_revision(open_database(sys.argv[1])))\n"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, url],
            env=_python_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(process.communicate(timeout=120), process.returncode) for process in starts]
    for (out, err), code in results:
        assert code == 0, err
        assert out.strip() == HEAD_REVISION
    assert _revision_row(tmp_path / "shared.db") == [HEAD_REVISION]


BROKEN_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "0099_broken"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("project", sa.Column("color", sa.String(20), nullable=True))
    raise RuntimeError("migration bug")


def downgrade() -> None:
    pass
"""


def _with_second_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, revision: str, source: str
) -> None:
    """Make the app see a copy of its migrations plus ``source`` as the new head."""
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations, ignore=shutil.ignore_patterns("__pycache__"))
    source = source.replace("{previous}", SHIPPED_HEAD)
    (migrations / "versions" / f"{revision}.py").write_text(source, encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", migrations)
    monkeypatch.setattr(migrate, "HEAD_REVISION", revision)


def _populate(url: str) -> None:
    database = Database.open(url)
    try:
        project = projects.create_project(database, "kept")
        started = sessions.start_session(database, project.id).session
        sessions.add_turns(database, started.id, [("user", "hello"), ("assistant", "hi")])
        sessions.complete_session(database, started.id, 0, "did it")
        handoffs.generate_handoff(database, started.id)
    finally:
        database.close()


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as raw:
        return {
            table: int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("project", "session", "conversation_turn", "handoff")
        }


ALTER_PROJECT = """
import sqlalchemy as sa
from alembic import op

revision = "0099_color"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # How Alembic alters a SQLite table: copy it, drop the old one, rename the copy.
    with op.batch_alter_table("project", recreate="always") as batch:
        batch.add_column(sa.Column("color", sa.String(20), nullable=True))


def downgrade() -> None:
    pass
"""


def test_altering_a_parent_table_keeps_the_rows_that_point_to_it(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With foreign keys on during migrations, dropping the old project table would
    cascade-delete every session, turn and handoff."""
    _populate(db_url)
    path = _file(db_url)
    before = _counts(path)
    assert before == {"project": 1, "session": 1, "conversation_turn": 2, "handoff": 1}
    _with_second_migration(tmp_path, monkeypatch, "0099_color", ALTER_PROJECT)

    database = Database.open(db_url)
    try:
        assert current_revision(database.engine) == "0099_color"
        with database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert sessions.timeline(database, "kept").items[0].has_handoff
    finally:
        database.close()
    assert _counts(path) == before
    with sqlite3.connect(path) as raw:
        columns = [row[1] for row in raw.execute("PRAGMA table_info(project)")]
    assert "color" in columns


ORPHANING_MIGRATION = """
from alembic import op

revision = "0099_orphans"
down_revision = "{previous}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM project")


def downgrade() -> None:
    pass
"""


def test_a_migration_that_breaks_references_is_rolled_back(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(db_url)
    path = _file(db_url)
    before = _counts(path)
    _with_second_migration(tmp_path, monkeypatch, "0099_orphans", ORPHANING_MIGRATION)
    with pytest.raises(OrchestratorError, match="broken references"):
        Database.open(db_url)
    assert _counts(path) == before
    assert _revision_row(path) == [SHIPPED_HEAD]


def test_a_failing_migration_leaves_the_database_as_it_was(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Database.open(db_url)
    projects.create_project(first, "kept")
    first.close()
    path = _file(db_url)
    schema = _schema(path)
    _with_second_migration(tmp_path, monkeypatch, "0099_broken", BROKEN_MIGRATION)

    with pytest.raises(RuntimeError, match="migration bug"):
        Database.open(db_url)
    assert _schema(path) == schema
    assert _revision_row(path) == [SHIPPED_HEAD]
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT name FROM project").fetchall() == [("kept",)]


def test_a_percent_sign_in_the_path_is_fine(tmp_path: Path) -> None:
    """Alembic's config interpolates "%"; a path (or password) may well contain one."""
    folder = tmp_path / "100% mine"
    database = Database.open(f"sqlite:///{folder / 'data.db'}")
    try:
        assert current_revision(database.engine) == HEAD_REVISION
        assert projects.create_project(database, "p").name == "p"
    finally:
        database.close()
    assert (folder / "data.db").is_file()


def test_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        config = migrate._alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert current_revision(engine) is None

        assert migrate.upgrade(engine) == HEAD_REVISION
        assert _tables(engine) == TABLES | {"alembic_version"}
    finally:
        engine.dispose()
    database = Database.open(db_url)
    try:
        assert projects.create_project(database, "after the round trip").session_count == 0
    finally:
        database.close()


def test_a_database_from_the_first_release_is_upgraded_with_its_rows(db_url: str) -> None:
    """0001 -> 0002 adds the import columns in place; every row and its links stay."""
    from alembic import command

    from orchestrator_tui.db.engine import create_db_engine

    engine = create_db_engine(db_url)
    config = migrate._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
    engine.dispose()
    path = _file(db_url)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO project (id, name, description, status, created_at, updated_at) "
            "VALUES (1, 'old', '', 'active', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        raw.execute(
            "INSERT INTO session (id, project_id, number, status, session_type, title, "
            "objectives, accomplishments, blockers, next_steps, started_at) "
            "VALUES (1, 1, 1, 'completed', 'development', 't', '', 'done', '', '', "
            "'2026-01-01 00:00:00')"
        )
        raw.execute(
            "INSERT INTO conversation_turn (session_id, position, role, content) "
            "VALUES (1, 0, 'user', 'hello')"
        )
    assert _revision_row(path) == ["0001_initial"]

    database = Database.open(db_url)
    try:
        assert current_revision(database.engine) == SHIPPED_HEAD
        detail = sessions.get_session(database, 1)
        assert (detail.accomplishments, detail.turn_count) == ("done", 1)
        turn = sessions.turns(database, 1).items[0]
        assert (turn.role, turn.content) == ("user", "hello")
    finally:
        database.close()
    with sqlite3.connect(path) as raw:
        row = raw.execute(
            "SELECT kind, is_error, thread, tool_name FROM conversation_turn"
        ).fetchone()
        assert row == ("text", 0, "", None)
        assert raw.execute("SELECT notes, source_id FROM session").fetchone() == ("", None)
