"""A handoff written by a model: the prompt, the request and the tidied reply in one call."""

from __future__ import annotations

import threading
from collections.abc import Callable

from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.rules import render_rules_handoff
from orchestrator_tui.llm.errors import LLMError
from orchestrator_tui.llm.prompt import (
    DEFAULT_SECTIONS,
    build_messages,
    clean_reply,
    draft_sections,
)
from orchestrator_tui.llm.providers import LLMConfig, complete_chat


def llm_handoff(
    context: HandoffContext,
    config: LLMConfig,
    *,
    on_piece: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    draft: str | None = None,
) -> str:
    """The handoff Markdown written by the configured model, blocking (see ``complete_chat``
    for ``on_piece`` and ``cancel``). ``draft`` is the rules engine's handoff when the caller
    has it already. Raises LLMError, also for a reply that holds none of the draft's
    sections: the caller falls back to the rules engine with ``error.reason``."""
    if draft is None:
        draft = render_rules_handoff(context)
    messages = build_messages(context, draft, config.input_budget)
    reply = clean_reply(complete_chat(config, messages, on_piece, cancel))
    if not reply:
        raise LLMError("the model's reply held no handoff")
    wanted = {name.casefold() for name in draft_sections(draft) or DEFAULT_SECTIONS}
    if not any(name.casefold() in wanted for name in draft_sections(reply)):
        raise LLMError("the model's reply has none of the handoff's sections")
    return reply
