"""Handoffs written by a language model over an OpenAI-compatible chat API (httpx only).

``llm_handoff(context, config)`` is the one call most code needs; ``complete_chat`` and
``stream_chat`` are the lower layers. Every failure raises ``LLMError`` with a ``reason``.
"""

from __future__ import annotations

from orchestrator_tui.llm.errors import LLMCancelled, LLMError
from orchestrator_tui.llm.generate import llm_handoff
from orchestrator_tui.llm.prompt import (
    DEFAULT_SECTIONS,
    MIN_BUDGET,
    build_messages,
    clean_reply,
    draft_sections,
    system_prompt,
)
from orchestrator_tui.llm.providers import (
    HF_DEFAULT_MODEL,
    HF_ROUTER_URL,
    HUGGINGFACE,
    OPENAI,
    PROVIDERS,
    LLMConfig,
    complete_chat,
    credential_source,
    hf_token_path,
    parse_retry_after,
    stream_chat,
)

__all__ = [
    "DEFAULT_SECTIONS",
    "HF_DEFAULT_MODEL",
    "HF_ROUTER_URL",
    "HUGGINGFACE",
    "MIN_BUDGET",
    "OPENAI",
    "PROVIDERS",
    "LLMCancelled",
    "LLMConfig",
    "LLMError",
    "build_messages",
    "clean_reply",
    "complete_chat",
    "credential_source",
    "draft_sections",
    "hf_token_path",
    "llm_handoff",
    "parse_retry_after",
    "stream_chat",
    "system_prompt",
]
