"""Chat completions from OpenAI-compatible servers, streamed over httpx (no vendor SDK).

Two providers: ``huggingface`` (the Inference Providers router) and ``openai`` (any server
speaking the OpenAI chat API: Ollama, llama.cpp, vLLM, LM Studio, OpenAI itself).

Secrets: ``LLMConfig`` holds none. The token is read when a request starts and lives only
inside an ``httpx.Auth`` object whose repr hides it (Textual's crash screen prints locals);
every error reason is scrubbed of it, since a server may echo it back in an error body.

Retries: on HTTP 429, 502, 503 and 504, and on connection failures before any text arrived,
up to ``max_retries`` times, waiting ``backoff`` seconds doubled each time or what the
server's Retry-After asks (seconds or an HTTP date). A Retry-After longer than ``max_wait`` is
not worth waiting for: the request fails at once, saying how long the server asked for. Read
timeouts are not retried (a slow model stays slow), nor is a stream that broke off mid-way
(its start was already shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from orchestrator_tui.llm.errors import LLMCancelled, LLMError
from orchestrator_tui.llm.prompt import MIN_BUDGET
from orchestrator_tui.llm.sse import ChunkReader, SSEDecoder, error_message, shorten

log = logging.getLogger(__name__)

HUGGINGFACE = "huggingface"
OPENAI = "openai"
PROVIDERS = (HUGGINGFACE, OPENAI)
HF_ROUTER_URL = "https://router.huggingface.co/v1"
HF_DEFAULT_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
OPENAI_URL = "https://api.openai.com/v1"
HF_TOKEN_ENV = "HF_TOKEN"
OPENAI_KEY_ENV = "OPENAI_API_KEY"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The serverless Inference API, retired in favour of the router.
_RETIRED_HOST = "api-inference.huggingface.co"
_ERROR_BODY_BYTES = 4096
_CANCEL_POLL = 0.05  # seconds between looks at the cancel event
Messages = list[dict[str, str]]


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to ask. An empty ``model`` or ``base_url`` means the provider's default
    (the openai provider has no default model). Invalid values raise LLMError."""

    provider: str = HUGGINGFACE
    model: str = ""
    base_url: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 120.0  # the longest silence allowed, first byte included
    max_retries: int = 3
    backoff: float = 1.0  # the first wait between attempts, doubled each time
    max_wait: float = 30.0  # no single wait is longer
    input_budget: int = 24_000  # characters of prompt (see prompt.build_messages)
    temperature: float = 0.2
    max_tokens: int = 1_500

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise LLMError(
                f"unknown LLM provider {self.provider!r} (known: {', '.join(PROVIDERS)})"
            )
        model = self.model.strip() or (HF_DEFAULT_MODEL if self.provider == HUGGINGFACE else "")
        if not model:
            raise LLMError("the openai provider needs a model name (for example llama3.1:8b)")
        default_url = HF_ROUTER_URL if self.provider == HUGGINGFACE else OPENAI_URL
        base_url = (self.base_url.strip() or default_url).rstrip("/")
        base_url = base_url.removesuffix("/chat/completions")
        try:
            parsed = httpx.URL(base_url)
        except httpx.InvalidURL:
            raise LLMError(f"invalid base URL {_display(base_url)}") from None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise LLMError(
                f"invalid base URL {_display(base_url)}: expected http(s)://host[:port]/path"
            )
        if parsed.host == _RETIRED_HOST:
            raise LLMError(f"{_RETIRED_HOST} is retired; use {HF_ROUTER_URL}")
        _require(self.connect_timeout > 0 and math.isfinite(self.connect_timeout), "connect")
        _require(self.read_timeout > 0 and math.isfinite(self.read_timeout), "read_timeout")
        _require(0 <= self.max_retries <= 10, "max_retries (0 to 10)")
        _require(0 <= self.backoff <= self.max_wait, "backoff (0 to max_wait)")
        _require(0 <= self.max_wait <= 600, "max_wait (0 to 600 s)")
        _require(self.input_budget >= MIN_BUDGET, f"input_budget (at least {MIN_BUDGET:,})")
        _require(0 <= self.temperature <= 2, "temperature (0 to 2)")
        _require(self.max_tokens >= 1, "max_tokens")
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "base_url", base_url)

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/chat/completions"


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise LLMError(f"invalid LLM setting: {what}")


def _display(url: str) -> str:
    """A URL for messages: no user, password or query."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "(unparseable URL)"
    if not parsed.host:
        return shorten(url.split("@")[-1].split("?")[0], 100)
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}{parsed.path}"


def _host(config: LLMConfig) -> str:
    return httpx.URL(config.base_url).netloc.decode("ascii", "replace")


class _Bearer(httpx.Auth):
    """Adds the Authorization header; the token never shows in a repr."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def scrub(self, text: str) -> str:
        return text.replace(self._token, "[REDACTED]")


@dataclass(frozen=True)
class _Credential:
    auth: _Bearer | None
    source: str  # where the token came from, for messages ("" when there is none)

    def scrub(self, text: str) -> str:
        return self.auth.scrub(text) if self.auth is not None else text


def hf_token_path() -> Path:
    """Where huggingface_hub keeps the token: $HF_TOKEN_PATH, else $HF_HOME/token, else
    $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token."""
    explicit = os.environ.get("HF_TOKEN_PATH")
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface"
    )
    return Path(home).expanduser() / "token"


def _bearer(token: str, source: str) -> _Bearer:
    if not token.isascii() or not token.isprintable() or any(c.isspace() for c in token):
        raise LLMError(f"the token in {source} is malformed (spaces or non-ASCII characters)")
    return _Bearer(token)


def _credential(config: LLMConfig) -> _Credential:
    if config.provider == OPENAI:
        key = os.environ.get(OPENAI_KEY_ENV, "").strip()
        if not key:
            return _Credential(None, "")
        return _Credential(_bearer(key, OPENAI_KEY_ENV), OPENAI_KEY_ENV)
    token = os.environ.get(HF_TOKEN_ENV, "").strip()
    if token:
        return _Credential(_bearer(token, HF_TOKEN_ENV), HF_TOKEN_ENV)
    path = hf_token_path()
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = ""
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not readable text"
        raise LLMError(f"could not read the Hugging Face token file {path}: {why}") from None
    if not token:
        raise LLMError(f"no Hugging Face token: set {HF_TOKEN_ENV} or save a token in {path}")
    source = f"the token file {path}"
    return _Credential(_bearer(token, source), source)


def credential_source(config: LLMConfig) -> str:
    """Where the token for ``config`` would come from ("" for none, fine for local servers);
    raises LLMError when the provider needs one and none is found. Never returns the token."""
    return _credential(config).source


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def _body_detail(raw: bytes) -> str:
    """The useful part of an error body: the error message of a JSON body, else its text."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        payload = json.loads(text)
    except ValueError:
        return shorten(text)
    if isinstance(payload, dict):
        message = error_message(payload)
        if message is None and isinstance(payload.get("message"), str):
            message = shorten(payload["message"])
        if message is not None:
            return message
    return shorten(text)


def _status_error(status: int, config: LLMConfig, credential: _Credential, raw: bytes) -> LLMError:
    host = _host(config)
    if status in (401, 403):
        if config.provider == HUGGINGFACE:
            reason = f"Hugging Face refused the token from {credential.source} (HTTP {status})"
            if status == 403:
                reason += "; it needs the “Make calls to Inference Providers” permission"
            reason += f"; set {HF_TOKEN_ENV} or save a valid token in {hf_token_path()}"
        elif credential.auth is None:
            reason = f"{host} wants an API key (HTTP {status}): set {OPENAI_KEY_ENV}"
        else:
            reason = f"{host} refused the key in {OPENAI_KEY_ENV} (HTTP {status})"
    elif status == 404:
        reason = f"model {config.model!r} or URL {_display(config.endpoint)} not found (HTTP 404)"
    elif status == 410:
        reason = f"the endpoint {_display(config.endpoint)} is gone (HTTP 410)"
        if config.provider == HUGGINGFACE:
            reason += f"; Hugging Face serves chat at {HF_ROUTER_URL}"
    elif status == 429:
        reason = f"rate limited by {host} (HTTP 429)"
    elif status == 503:
        reason = f"{host} is unavailable (HTTP 503)"
    else:
        reason = f"{host} answered HTTP {status}"
    detail = _body_detail(raw)
    if detail:
        reason += f" — {detail}"
    return LLMError(credential.scrub(reason), status=status)  # a body may echo the token


async def _error_body(response: httpx.Response) -> bytes:
    body = b""
    try:
        async for data in response.aiter_bytes():
            body += data
            if len(body) >= _ERROR_BODY_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status says enough
    return body[:_ERROR_BODY_BYTES]


def _text_pieces(reader: ChunkReader, lines: Iterable[str]) -> list[str]:
    decoder = SSEDecoder()
    pieces = []
    for line in [*lines, ""]:
        event = decoder.feed(line)
        if event is not None:
            pieces.append(reader.read_event(event))
            if reader.done:
                break
    return [piece for piece in pieces if piece]


async def _read_reply(response: httpx.Response, reader: ChunkReader) -> AsyncIterator[str]:
    if "text/event-stream" in response.headers.get("content-type", "").lower():
        decoder = SSEDecoder()
        async for line in response.aiter_lines():
            event = decoder.feed(line)
            if event is None:
                continue
            piece = reader.read_event(event)
            if piece:
                yield piece
            if reader.done:
                return
        event = decoder.flush()
        if event is not None:
            piece = reader.read_event(event)
            if piece:
                yield piece
        return
    # A server that ignored "stream": a whole completion; or a stream without its content type.
    text = (await response.aread()).decode("utf-8", errors="replace")
    try:
        payload: Any = json.loads(text)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        content = reader.read_message(payload)
        if content:
            yield content
        return
    for piece in _text_pieces(reader, text.splitlines()):
        yield piece


def _check_end(reader: ChunkReader, config: LLMConfig, sent: int, visible: bool) -> None:
    if not reader.done and reader.finish_reason is None:
        raise LLMError(f"the stream broke off after {sent:,} characters")
    if reader.malformed:
        log.warning("skipped %d malformed chunk(s) in the reply", reader.malformed)
    if not visible:
        if reader.reasoning_chars:
            raise LLMError(
                f"the model only reasoned ({reader.reasoning_chars:,} characters) and wrote no "
                "answer; a larger max_tokens may help"
            )
        raise LLMError("the model sent an empty reply")
    if reader.finish_reason == "length":
        log.warning("the reply was cut off at max_tokens (%d)", config.max_tokens)


def _cause(exc: Exception) -> str:
    return shorten(str(exc) or type(exc).__name__, 120)


async def _attempts(
    http: httpx.AsyncClient, config: LLMConfig, credential: _Credential, body: dict[str, Any]
) -> AsyncIterator[str]:
    timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
    host = _host(config)
    attempt = 0
    while True:
        sent = 0
        visible = False
        retry_after: float | None = None
        log.debug("POST %s model %s, attempt %d", _display(config.endpoint), config.model, attempt)
        try:
            async with http.stream(
                "POST",
                config.endpoint,
                json=body,
                auth=credential.auth,
                headers={"Accept": "text/event-stream"},
                timeout=timeout,
            ) as response:
                if response.is_success:
                    reader = ChunkReader()
                    async for piece in _read_reply(response, reader):
                        sent += len(piece)
                        visible = visible or not piece.isspace()
                        yield piece
                    _check_end(reader, config, sent, visible)
                    return
                status = response.status_code
                failure = _status_error(status, config, credential, await _error_body(response))
                if status not in RETRY_STATUSES:
                    raise failure
                retry_after = parse_retry_after(response.headers.get("retry-after"))
        except httpx.ConnectTimeout:
            failure = LLMError(f"no connection to {host} within {config.connect_timeout:g} s")
        except httpx.TimeoutException:
            if sent:
                raise LLMError(
                    f"the stream broke off after {sent:,} characters: "
                    f"nothing arrived for {config.read_timeout:g} s"
                ) from None
            raise LLMError(
                f"no reply from {host} within {config.read_timeout:g} s (read timeout)"
            ) from None
        except httpx.ConnectError as exc:
            failure = LLMError(f"could not connect to {host}: {_cause(exc)}")
        except httpx.TransportError as exc:
            if sent:
                raise LLMError(f"the stream broke off after {sent:,} characters") from exc
            failure = LLMError(f"the connection to {host} failed: {_cause(exc)}")
        if attempt >= config.max_retries:
            if attempt:
                raise LLMError(
                    f"{failure.reason} (after {attempt + 1} attempts)", status=failure.status
                )
            raise failure
        if retry_after is not None and retry_after > config.max_wait:
            raise LLMError(
                f"{failure.reason}; it asks to wait {retry_after:,.0f} s", status=failure.status
            )
        wait = (
            retry_after
            if retry_after is not None
            else min(config.backoff * 2**attempt, config.max_wait)
        )
        log.info("%s; retrying in %.1f s", failure.reason, wait)
        await asyncio.sleep(wait)
        attempt += 1


async def stream_chat(
    config: LLMConfig, messages: Messages, *, client: httpx.AsyncClient | None = None
) -> AsyncIterator[str]:
    """The reply's text, piece by piece, as the server streams it. Raises LLMError.

    ``client`` lets a caller share connections; without one a client is made and closed here.
    """
    credential = _credential(config)
    body = {
        "model": config.model,
        "messages": messages,
        "stream": True,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
    }
    http = client if client is not None else httpx.AsyncClient()
    try:
        async for piece in _attempts(http, config, credential, body):
            yield piece
    except LLMError as exc:
        reason = credential.scrub(exc.reason)
        if reason != exc.reason:
            raise type(exc)(reason, status=exc.status) from None
        raise
    finally:
        if client is None:
            await http.aclose()


def complete_chat(
    config: LLMConfig,
    messages: Messages,
    on_piece: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> str:
    """The whole reply, blocking. Runs its own event loop in the calling thread (a TUI thread
    worker, or the CLI), so it must not be called from inside a running loop. ``on_piece`` is
    called with each piece as it arrives, in this thread. Setting ``cancel`` stops the request
    within ``_CANCEL_POLL`` seconds and raises LLMCancelled."""
    return asyncio.run(_complete(config, messages, on_piece, cancel))


async def _complete(
    config: LLMConfig,
    messages: Messages,
    on_piece: Callable[[str], None] | None,
    cancel: threading.Event | None,
) -> str:
    parts: list[str] = []

    async def consume() -> None:
        async for piece in stream_chat(config, messages):
            parts.append(piece)
            if on_piece is not None:
                on_piece(piece)

    task = asyncio.create_task(consume())
    while not task.done():
        if cancel is not None and cancel.is_set():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            chars = sum(len(part) for part in parts)
            raise LLMCancelled(f"cancelled after {chars:,} characters")
        await asyncio.wait({task}, timeout=_CANCEL_POLL if cancel is not None else None)
    task.result()
    return "".join(parts)
