"""The database handle the services take: an upgraded engine plus units of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from orchestrator_tui.db.migrate import open_database


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> Database:
        """Open (creating and upgrading as needed) the database at ``url``."""
        return cls(open_database(url))

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One unit of work: one session, one transaction, committed on success.

        Objects stay readable after the commit; services still convert them to records
        before returning, so nothing outside the services ever touches the ORM.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
