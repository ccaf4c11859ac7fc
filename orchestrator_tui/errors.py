"""Errors the user is meant to read. Everything else is a bug and keeps its traceback."""

from __future__ import annotations


class OrchestratorError(Exception):
    """Base for errors shown to the user as a plain message."""


class NotFoundError(OrchestratorError):
    pass


class ConflictError(OrchestratorError):
    """The request contradicts the data (a name taken, a session already completed...)."""


class SchemaTooNewError(OrchestratorError):
    """The database was written by a newer orchestrator-tui than this one."""


class ValidationError(OrchestratorError):
    """Input refused; ``errors`` maps each field name to the reason it was refused."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in self.errors.items()))
