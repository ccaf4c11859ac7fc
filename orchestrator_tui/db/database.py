"""The database handle the services take: an upgraded engine plus units of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from orchestrator_tui.db.migrate import open_database
from orchestrator_tui.errors import ConflictError


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
        before returning, so nothing outside the services ever touches the ORM. The services
        check names and numbers before writing; a constraint that still fails means another
        process wrote the same thing at the same moment, which the user can simply retry.
        """
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except IntegrityError as error:
            raise ConflictError(
                "Another change to the same data was saved at the same moment; nothing was "
                f"written. Try again. ({error.orig})"
            ) from error

    def close(self) -> None:
        self.engine.dispose()
