"""A loopback HTTP server speaking the OpenAI chat-completions protocol, scripted per test.

Each request takes the next ``Reply`` of the script: a stream of Server-Sent Events sent one
HTTP chunk per event, a whole body, an error status, a connection dropped mid-stream or
closed before any byte, a slow first byte. The server records every request it saw.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    events: list[str] | None = None  # SSE text, one HTTP chunk each; None: send ``body``
    body: bytes = b""
    content_type: str | None = None  # default: text/event-stream, or JSON for ``body``
    first_byte_delay: float = 0.0  # seconds before the status line
    event_delay: float = 0.0  # seconds before each event
    drop_after: int | None = None  # close the connection after this many events
    close_before_reply: bool = False  # read the request, then close without a byte


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


def chunk(
    content: str | None = None,
    *,
    role: str | None = None,
    reasoning: str | None = None,
    finish_reason: str | None = None,
) -> str:
    """One ``data:`` event holding a chat-completion chunk."""
    delta: dict[str, str] = {}
    if role is not None:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta["reasoning_content"] = reasoning
    payload = {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    return f"data: {json.dumps(payload)}\n\n"


USAGE = 'data: {"id": "chatcmpl-test", "choices": [], "usage": {"total_tokens": 9}}\n\n'
DONE = "data: [DONE]\n\n"


def stream(*texts: str, done: bool = True) -> list[str]:
    """The events of a normal reply: role, the texts, finish, usage, [DONE]."""
    events = [chunk(role="assistant"), *(chunk(text) for text in texts)]
    events += [chunk(finish_reason="stop"), USAGE]
    return [*events, DONE] if done else events


def completion(text: str) -> bytes:
    """A whole (non-streamed) chat completion."""
    payload = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
    }
    return json.dumps(payload).encode()


def error_body(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, cancels, retries) are part of the tests."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        owner = self.server.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner.record(Received(self.path, headers, json.loads(raw or b"{}")))
        reply = owner.next_reply()
        if reply.close_before_reply:
            self.close_connection = True
            return
        if reply.first_byte_delay and owner.stopping.wait(reply.first_byte_delay):
            self.close_connection = True
            return
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.events is None:
            self.send_header("Content-Type", reply.content_type or "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
            return
        self.send_header("Content-Type", reply.content_type or "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for index, event in enumerate(reply.events):
            if reply.drop_after is not None and index >= reply.drop_after:
                self.close_connection = True  # no terminating chunk: the client sees a cut
                return
            if reply.event_delay and self.server.owner.stopping.wait(reply.event_delay):
                self.close_connection = True
                return
            data = event.encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.write(b"0\r\n\r\n")


class LLMServer:
    """``with LLMServer() as server: server.script(Reply(...)); ... server.requests``."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.stopping = threading.Event()
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def next_reply(self) -> Reply:
        with self._lock:
            if self._replies:
                return self._replies.pop(0)
        return Reply(status=500, events=None, body=error_body("the test script is exhausted"))

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
