"""The one exception the LLM layer raises."""

from __future__ import annotations

from orchestrator_tui.errors import OrchestratorError


class LLMError(OrchestratorError):
    """Any failure to get a reply. ``reason`` is a short sentence for the user ("fell back
    to rules: <reason>"); ``status`` is the HTTP status when the server answered with one."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        self.reason = reason
        self.status = status
        super().__init__(reason)


class LLMCancelled(LLMError):
    """The caller cancelled the request (``complete_chat``'s ``cancel`` event)."""
