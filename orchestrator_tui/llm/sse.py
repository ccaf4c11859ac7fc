"""Server-Sent Events and the OpenAI chat-completion chunks they carry.

``SSEDecoder`` follows the WHATWG event-stream rules: ``data:`` lines accumulate until a
blank line dispatches the event, lines starting with ``:`` are comments (keep-alives),
``event:`` names the event, other fields (``id``, ``retry``) are ignored. ``ChunkReader``
turns the events of one reply into text.

Malformed chunks (data that is not JSON, or JSON that is not a chat chunk) are skipped and
counted: a proxy or a server bug can mangle one line of a long reply, and losing a few
characters costs less than losing the whole handoff. More than ``MAX_MALFORMED`` of them means
the stream is not what we think it is, and the reply fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orchestrator_tui.llm.errors import LLMError

DONE = "[DONE]"
MAX_MALFORMED = 3
_EXCERPT = 200


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str


class SSEDecoder:
    """Feed it lines (without their line ending); it returns an event when one completes."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def flush(self) -> SSEEvent | None:
        """The event still pending when the stream ends without its blank line."""
        return self._dispatch()

    def _dispatch(self) -> SSEEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SSEEvent(self._event or "message", "\n".join(self._data))
        self._event = ""
        self._data = []
        return event


def shorten(text: str, limit: int = _EXCERPT) -> str:
    """One line of at most ``limit`` characters, for error messages."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_message(payload: dict[str, Any]) -> str | None:
    """The message of an OpenAI-style error body (``{"error": {"message": ...}}`` and the
    looser shapes other servers use), or None when the payload is no error."""
    error = payload.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or json.dumps(error)
        return shorten(str(message))
    if isinstance(error, str) and error:
        return shorten(error)
    return None


class ChunkReader:
    """The text of one reply, chunk by chunk, and what the reply said about itself."""

    def __init__(self) -> None:
        self.done = False  # ``data: [DONE]`` arrived
        self.finish_reason: str | None = None
        self.malformed = 0
        self.reasoning_chars = 0  # "reasoning_content" skipped: tells an empty reply's cause

    def read_event(self, event: SSEEvent) -> str:
        """The text an event adds ("" for none). Raises LLMError for an error event or when
        too many chunks were malformed."""
        data = event.data.strip()
        if data == DONE:
            self.done = True
            return ""
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        if event.event == "error":
            message = error_message(payload) if isinstance(payload, dict) else None
            raise LLMError(f"the server reported an error mid-stream: {message or shorten(data)}")
        if not isinstance(payload, dict):
            return self._malformed()
        return self.read_chunk(payload)

    def read_chunk(self, payload: dict[str, Any]) -> str:
        message = error_message(payload)
        if message is not None:
            raise LLMError(f"the server reported an error mid-stream: {message}")
        choices = payload.get("choices")
        if choices is None and "usage" in payload:
            return ""  # a usage-only chunk
        if not isinstance(choices, list):
            return self._malformed()
        if not choices:
            return ""  # usage-only chunks carry an empty list
        choice = choices[0]
        if not isinstance(choice, dict):
            return self._malformed()
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        delta = choice.get("delta")
        if delta is None:
            return ""
        if not isinstance(delta, dict):
            return self._malformed()
        for key in ("reasoning_content", "reasoning"):
            if isinstance(delta.get(key), str):
                self.reasoning_chars += len(delta[key])
        content = delta.get("content")
        return content if isinstance(content, str) else ""

    def read_message(self, payload: dict[str, Any]) -> str:
        """The text of a whole (non-streamed) chat completion."""
        message = error_message(payload)
        if message is not None:
            raise LLMError(f"the server reported an error: {message}")
        choices = payload.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise LLMError("the server's reply holds no choices")
        self.done = True
        choice = choices[0]
        if isinstance(choice.get("finish_reason"), str):
            self.finish_reason = choice["finish_reason"]
        reply = choice.get("message")
        if not isinstance(reply, dict):
            raise LLMError("the server's reply holds no message")
        if isinstance(reply.get("reasoning_content"), str):
            self.reasoning_chars += len(reply["reasoning_content"])
        content = reply.get("content")
        return content if isinstance(content, str) else ""

    def _malformed(self) -> str:
        self.malformed += 1
        if self.malformed > MAX_MALFORMED:
            raise LLMError(f"the server sent {self.malformed} malformed chunks")
        return ""
