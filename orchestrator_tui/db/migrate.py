"""Bring a database to the schema this code expects, before anything else touches it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from orchestrator_tui.db.engine import create_db_engine
from orchestrator_tui.errors import OrchestratorError, SchemaTooNewError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The newest revision in migrations/versions; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0003_search"


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates "%": a path or password containing one must be escaped.
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine) -> str:
    """Apply pending migrations; refuse a database written by newer code. Returns the revision."""
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return revision  # fast path: no Alembic import on every start

    from alembic import command
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = _alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Alembic alters a SQLite table by copying it and dropping the old one; with
            # foreign keys on, that DROP would cascade-delete the rows that point to it
            # (every session of every project). Off for the migration (it can only change
            # outside a transaction), checked before the commit, back on afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:
                    # One migrator at a time: another process opening the same new file waits
                    # here (busy timeout), then finds the schema up to date instead of failing
                    # on "table already exists". The DDL also becomes one transaction.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    revision = _revision(connection)
                if revision is not None:
                    try:
                        script.get_revision(revision)
                    except CommandError:
                        raise SchemaTooNewError(
                            f"The database is at schema revision {revision!r}, which this "
                            "version of orchestrator-tui does not know: it was written by a "
                            "newer version. Upgrade orchestrator-tui (or point --db at "
                            "another database)."
                        ) from None
                if revision != HEAD_REVISION:
                    config.attributes["connection"] = connection
                    command.upgrade(config, "head")
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise OrchestratorError("A migration left rows with broken references.")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    head = current_revision(engine)
    if head is None:
        raise OrchestratorError("Migrations ran but left no schema revision behind.")
    return head


def open_database(url: str) -> Engine:
    """Create the engine and upgrade the schema: the only way the app gets an engine."""
    engine = create_db_engine(url)
    try:
        upgrade(engine)
    except Exception:
        engine.dispose()
        raise
    return engine
