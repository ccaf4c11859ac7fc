"""The LLM provider layer against a real loopback server: streaming, retries, errors, secrets,
cancelling; the prompt's budget and the tidying of replies."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator_tui.errors import OrchestratorError
from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.rules import render_rules_handoff
from orchestrator_tui.llm import (
    DEFAULT_SECTIONS,
    HF_DEFAULT_MODEL,
    MIN_BUDGET,
    LLMCancelled,
    LLMConfig,
    LLMError,
    build_messages,
    clean_reply,
    complete_chat,
    credential_source,
    draft_sections,
    llm_handoff,
    parse_retry_after,
    stream_chat,
    system_prompt,
)
from orchestrator_tui.llm.sse import SSEDecoder, SSEEvent
from tests.handoff_helpers import context
from tests.llm_server import (
    DONE,
    USAGE,
    LLMServer,
    Reply,
    chunk,
    completion,
    error_body,
    stream,
)

TOKEN = "hf_SeCrEtTokenValue1234567890abcd"
KEY = "sk-SeCrEtKeyValue1234567890abcdef"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


@pytest.fixture(autouse=True)
def llm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real token, key, token file or proxy can reach these tests."""
    for name in ("HF_TOKEN", "HF_TOKEN_PATH", "OPENAI_API_KEY", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    return hf_home


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def hf(server: LLMServer, **overrides: Any) -> LLMConfig:
    settings: dict[str, Any] = {
        "provider": "huggingface",
        "base_url": server.base_url,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "backoff": 0.01,
        "max_wait": 1.0,
    }
    return LLMConfig(**(settings | overrides))


def local(server: LLMServer, **overrides: Any) -> LLMConfig:
    return hf(server, **({"provider": "openai", "model": "llama3.1:8b"} | overrides))


def fails(config: LLMConfig, messages: list[dict[str, str]] = MESSAGES) -> LLMError:
    with pytest.raises(LLMError) as caught:
        complete_chat(config, messages)
    return caught.value


# --- streaming and the request ---------------------------------------------------------------


def test_stream_assembles_text_and_sends_the_request(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server.script(Reply(events=stream("Hello", ", ", "world")))
    pieces: list[str] = []
    text = complete_chat(hf(server, temperature=0.5, max_tokens=77), MESSAGES, pieces.append)
    assert text == "Hello, world"
    assert pieces == ["Hello", ", ", "world"]
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == {
        "model": HF_DEFAULT_MODEL,
        "messages": MESSAGES,
        "stream": True,
        "temperature": 0.5,
        "max_tokens": 77,
    }


def test_token_from_the_file_under_hf_home(server: LLMServer, llm_env: Path) -> None:
    llm_env.mkdir()
    (llm_env / "token").write_text(f"  {TOKEN}\n", encoding="utf-8")
    server.script(Reply(events=stream("ok")))
    config = hf(server)
    assert credential_source(config) == f"the token file {llm_env / 'token'}"
    assert complete_chat(config, MESSAGES) == "ok"
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_hf_token_env_wins_over_the_file(
    server: LLMServer, llm_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm_env.mkdir()
    (llm_env / "token").write_text("hf_fromfile", encoding="utf-8")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server.script(Reply(events=stream("ok")))
    complete_chat(hf(server), MESSAGES)
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_hf_without_a_token_fails_before_any_request(server: LLMServer, llm_env: Path) -> None:
    error = fails(hf(server))
    assert "HF_TOKEN" in error.reason
    assert str(llm_env / "token") in error.reason
    assert server.requests == []


def test_a_token_with_spaces_is_refused_without_echoing_it(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_abc defSECRET")
    error = fails(hf(server))
    assert "malformed" in error.reason
    assert "defSECRET" not in str(error)
    assert server.requests == []


def test_openai_provider_sends_no_authorization_without_a_key(server: LLMServer) -> None:
    server.script(Reply(events=stream("local")))
    config = local(server)
    assert credential_source(config) == ""
    assert complete_chat(config, MESSAGES) == "local"
    [request] = server.requests
    assert "authorization" not in request.headers
    assert request.body["model"] == "llama3.1:8b"
    assert request.body["stream"] is True


def test_openai_provider_sends_the_key(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.script(Reply(events=stream("ok")))
    complete_chat(local(server), MESSAGES)
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_stream_chat_yields_pieces_with_a_shared_client(server: LLMServer) -> None:
    server.script(Reply(events=stream("a", "b", "c")), Reply(events=stream("d")))
    async with httpx.AsyncClient() as client:
        first = [piece async for piece in stream_chat(local(server), MESSAGES, client=client)]
        second = [piece async for piece in stream_chat(local(server), MESSAGES, client=client)]
        assert not client.is_closed
    assert (first, second) == (["a", "b", "c"], ["d"])


def test_tolerates_keepalives_role_usage_and_reasoning_chunks(server: LLMServer) -> None:
    events = [
        ": keep-alive\n\n",
        chunk(role="assistant"),
        chunk(reasoning="Let me think about the user."),
        "\n",
        chunk("## Summary"),
        ": ping\n\n",
        'data: {"choices": [{"index": 0, "delta": {"content": null}}]}\n\n',
        "event: message\nid: 7\nretry: 100\n" + chunk("\nAll good."),
        chunk(finish_reason="stop"),
        USAGE,
        DONE,
        chunk("IGNORED after done"),
    ]
    server.script(Reply(events=events))
    assert complete_chat(local(server), MESSAGES) == "## Summary\nAll good."


def test_events_split_across_network_chunks(server: LLMServer) -> None:
    whole = chunk("joined across chunks")
    events = [chunk(role="assistant"), whole[:17], whole[17:40], whole[40:], DONE]
    server.script(Reply(events=events))
    assert complete_chat(local(server), MESSAGES) == "joined across chunks"


def test_a_server_that_ignores_stream_sends_a_whole_completion(server: LLMServer) -> None:
    server.script(Reply(body=completion("The whole reply.")))
    assert complete_chat(local(server), MESSAGES) == "The whole reply."


def test_an_event_stream_without_its_content_type(server: LLMServer) -> None:
    server.script(Reply(events=stream("plain", " text"), content_type="text/plain"))
    assert complete_chat(local(server), MESSAGES) == "plain text"


def test_a_finish_reason_without_done_is_a_complete_reply(server: LLMServer) -> None:
    server.script(Reply(events=stream("no", " done", done=False)))
    assert complete_chat(local(server), MESSAGES) == "no done"


# --- retries ---------------------------------------------------------------------------------


def test_429_then_200_is_retried(server: LLMServer) -> None:
    server.script(
        Reply(status=429, headers={"Retry-After": "0"}, body=error_body("slow down")),
        Reply(events=stream("after the wait")),
    )
    assert complete_chat(local(server), MESSAGES) == "after the wait"
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body


def test_503_retry_after_is_honoured(server: LLMServer) -> None:
    server.script(
        Reply(status=503, headers={"Retry-After": "0.3"}, body=b"loading"),
        Reply(events=stream("ready")),
    )
    started = time.monotonic()
    assert complete_chat(local(server, backoff=0.0), MESSAGES) == "ready"
    assert time.monotonic() - started >= 0.3
    assert len(server.requests) == 2


def test_backoff_doubles_without_retry_after(server: LLMServer) -> None:
    server.script(Reply(status=429), Reply(status=429), Reply(events=stream("third")))
    started = time.monotonic()
    assert complete_chat(local(server, backoff=0.1), MESSAGES) == "third"
    assert time.monotonic() - started >= 0.1 + 0.2
    assert len(server.requests) == 3


def test_retries_are_capped(server: LLMServer) -> None:
    server.script(*(Reply(status=503, headers={"Retry-After": "0"}) for _ in range(5)))
    error = fails(local(server, max_retries=2))
    assert error.status == 503
    assert "unavailable (HTTP 503)" in error.reason
    assert "after 3 attempts" in error.reason
    assert len(server.requests) == 3


def test_a_retry_after_beyond_the_cap_fails_at_once(server: LLMServer) -> None:
    server.script(Reply(status=429, headers={"Retry-After": "120"}))
    started = time.monotonic()
    error = fails(local(server, max_wait=1.0))
    assert time.monotonic() - started < 1.0
    assert "HTTP 429" in error.reason
    assert "asks to wait 120 s" in error.reason
    assert len(server.requests) == 1


def test_a_connection_closed_before_any_byte_is_retried(server: LLMServer) -> None:
    server.script(Reply(close_before_reply=True), Reply(events=stream("second try")))
    assert complete_chat(local(server), MESSAGES) == "second try"
    assert len(server.requests) == 2


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = LLMConfig(
        provider="openai", model="m", base_url=f"http://127.0.0.1:{port}/v1", backoff=0.01
    )
    error = fails(config)
    assert f"could not connect to 127.0.0.1:{port}" in error.reason
    assert "after 4 attempts" in error.reason


def test_parse_retry_after() -> None:
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == 0.0
    for junk in (None, "", "soon", "-3", "nan", "inf"):
        assert parse_retry_after(junk, now) is None


# --- errors ----------------------------------------------------------------------------------


def test_401_names_the_env_var_and_never_shows_the_token(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    echo = error_body(f"Invalid credentials in header: Bearer {TOKEN}")
    server.script(Reply(status=401, body=echo))
    config = hf(server)
    error = fails(config)
    assert isinstance(error, OrchestratorError)
    assert error.status == 401
    assert error.reason.startswith("Hugging Face refused the token from HF_TOKEN (HTTP 401)")
    assert "Invalid credentials" in error.reason
    assert "[REDACTED]" in error.reason
    assert len(server.requests) == 1  # not retried
    assert "HTTP Request: POST" in caplog.text  # httpx's own log was captured
    for shown in (str(error), repr(error), error.reason, repr(config), caplog.text):
        assert TOKEN not in shown


def test_a_token_echoed_before_a_retry_stays_out_of_the_log(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    echo = error_body(f"quota exceeded for {TOKEN}")
    server.script(
        Reply(status=429, headers={"Retry-After": "0"}, body=echo), Reply(events=stream("ok"))
    )
    assert complete_chat(hf(server), MESSAGES) == "ok"
    assert "quota exceeded for [REDACTED]" in caplog.text
    assert "retrying in 0.0 s" in caplog.text
    assert TOKEN not in caplog.text


def test_403_from_the_token_file_names_the_file_and_the_permission(
    server: LLMServer, llm_env: Path
) -> None:
    llm_env.mkdir()
    (llm_env / "token").write_text(TOKEN, encoding="utf-8")
    server.script(Reply(status=403, body=error_body("forbidden")))
    error = fails(hf(server))
    assert f"the token file {llm_env / 'token'}" in error.reason
    assert "Inference Providers" in error.reason
    assert TOKEN not in str(error)


def test_401_from_a_local_server_without_a_key(server: LLMServer) -> None:
    server.script(Reply(status=401))
    error = fails(local(server))
    assert "wants an API key" in error.reason
    assert "OPENAI_API_KEY" in error.reason


def test_401_with_a_rejected_key(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.script(Reply(status=401, body=f"bad key {KEY}".encode(), content_type="text/plain"))
    error = fails(local(server))
    assert "refused the key in OPENAI_API_KEY" in error.reason
    assert KEY not in str(error)


def test_404_names_the_model(server: LLMServer) -> None:
    server.script(Reply(status=404, body=error_body("model not found")))
    error = fails(local(server, model="no-such-model"))
    assert error.status == 404
    assert "model 'no-such-model'" in error.reason
    assert f"{server.base_url}/chat/completions" in error.reason
    assert len(server.requests) == 1


def test_410_says_the_endpoint_is_gone(server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    server.script(Reply(status=410, body=b"Gone"))
    error = fails(hf(server))
    assert "is gone (HTTP 410)" in error.reason
    assert "router.huggingface.co" in error.reason


def test_other_statuses_show_a_short_body_excerpt(server: LLMServer) -> None:
    server.script(
        Reply(status=500, body=b"Internal failure: " + b"x" * 5000, content_type="text/plain")
    )
    error = fails(local(server))
    assert error.status == 500
    assert "HTTP 500" in error.reason
    assert "Internal failure: xxx" in error.reason
    assert len(error.reason) < 300


def test_a_stream_that_breaks_off(server: LLMServer) -> None:
    server.script(Reply(events=stream("12345", "6789", "never"), drop_after=3))
    pieces: list[str] = []
    with pytest.raises(LLMError, match="the stream broke off after 9 characters"):
        complete_chat(local(server), MESSAGES, pieces.append)
    assert pieces == ["12345", "6789"]
    assert len(server.requests) == 1  # text was shown: no retry


def test_a_stream_that_ends_without_done_or_finish(server: LLMServer) -> None:
    server.script(Reply(events=[chunk(role="assistant"), chunk("half")]))
    with pytest.raises(LLMError, match="the stream broke off after 4 characters"):
        complete_chat(local(server), MESSAGES)


def test_one_malformed_chunk_is_skipped_and_counted(
    server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    events = stream("before ", "after")
    events.insert(2, 'data: {"choices": [{"delta": {"content": "broken\n\n')
    server.script(Reply(events=events))
    assert complete_chat(local(server), MESSAGES) == "before after"
    assert "skipped 1 malformed chunk" in caplog.text


def test_many_malformed_chunks_fail(server: LLMServer) -> None:
    events = [chunk(role="assistant"), *("data: not json\n\n" for _ in range(4)), *stream("x")]
    server.script(Reply(events=events))
    assert "4 malformed chunks" in fails(local(server)).reason


def test_an_error_event_mid_stream(server: LLMServer) -> None:
    events = [chunk("partial"), 'data: {"error": {"message": "model overloaded"}}\n\n', DONE]
    server.script(Reply(events=events))
    assert "model overloaded" in fails(local(server)).reason


def test_slow_first_byte_hits_the_read_timeout(server: LLMServer) -> None:
    server.script(Reply(events=stream("late"), first_byte_delay=3.0))
    started = time.monotonic()
    error = fails(local(server, read_timeout=0.2))
    assert time.monotonic() - started < 1.5
    assert "within 0.2 s (read timeout)" in error.reason
    assert len(server.requests) == 1


def test_an_empty_reply_is_an_error(server: LLMServer) -> None:
    server.script(Reply(events=stream("  ", "\n")))
    assert fails(local(server)).reason == "the model sent an empty reply"


def test_a_reply_of_only_reasoning_is_an_error(server: LLMServer) -> None:
    events = [chunk(reasoning="hmm " * 10), chunk(finish_reason="length"), DONE]
    server.script(Reply(events=events))
    assert "only reasoned (40 characters)" in fails(local(server)).reason


def test_config_validation() -> None:
    with pytest.raises(LLMError, match="needs a model"):
        LLMConfig(provider="openai")
    with pytest.raises(LLMError, match="unknown LLM provider 'anthropic'"):
        LLMConfig(provider="anthropic")
    with pytest.raises(LLMError, match="retired"):
        LLMConfig(base_url="https://api-inference.huggingface.co/models/x")
    with pytest.raises(LLMError, match="invalid base URL"):
        LLMConfig(provider="openai", model="m", base_url="localhost:11434")
    with pytest.raises(LLMError, match="input_budget"):
        LLMConfig(input_budget=MIN_BUDGET - 1)
    with pytest.raises(LLMError, match="max_retries"):
        LLMConfig(max_retries=-1)
    config = LLMConfig(provider="openai", model=" m ", base_url="http://h:1/v1/chat/completions/")
    assert (config.model, config.endpoint) == ("m", "http://h:1/v1/chat/completions")
    default = LLMConfig()
    assert default.model == HF_DEFAULT_MODEL
    assert default.endpoint == "https://router.huggingface.co/v1/chat/completions"


# --- cancelling ------------------------------------------------------------------------------


def test_cancel_stops_the_stream_promptly(server: LLMServer) -> None:
    server.script(Reply(events=stream(*(f"piece {n} " for n in range(200))), event_delay=0.02))
    cancel = threading.Event()
    pieces: list[str] = []

    def on_piece(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 2:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(LLMCancelled) as caught:
        complete_chat(local(server), MESSAGES, on_piece, cancel)
    assert time.monotonic() - started < 1.0
    assert 2 <= len(pieces) < 10
    assert isinstance(caught.value, LLMError)


def test_cancel_from_another_thread_interrupts_a_retry_wait(server: LLMServer) -> None:
    server.script(Reply(status=503, headers={"Retry-After": "5"}), Reply(events=stream("x")))
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(LLMCancelled):
        complete_chat(local(server, max_wait=10.0), MESSAGES, cancel=cancel)
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1


def test_cancel_set_beforehand_sends_nothing(server: LLMServer) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LLMCancelled):
        complete_chat(local(server), MESSAGES, cancel=cancel)
    assert server.requests == []


# --- SSE decoding ----------------------------------------------------------------------------


def test_sse_decoder_follows_the_event_stream_rules() -> None:
    decoder = SSEDecoder()
    lines = [": comment", "event: error", "data: line one", "data:line two", "id: 3", ""]
    events = [decoder.feed(line) for line in lines]
    assert events[:-1] == [None] * 5
    assert events[-1] == SSEEvent("error", "line one\nline two")
    assert decoder.feed("") is None  # a blank line alone dispatches nothing
    assert decoder.feed("data: tail") is None
    assert decoder.flush() == SSEEvent("message", "tail")


# --- the prompt ------------------------------------------------------------------------------


def make_context(**overrides: Any) -> HandoffContext:
    """A session with blockers, a previous handoff and a short conversation."""
    base: dict[str, Any] = {
        "session_number": 4,
        "objectives": "Ship checkout\nFix the cart",
        "accomplishments": "Wrote checkout.py",
        "blockers": "Payment sandbox is down",
        "next_steps": "Test refunds",
        "started_at": datetime(2025, 3, 1, 9, 0),
        "ended_at": datetime(2025, 3, 1, 11, 30),
        "previous_handoff": (
            "# Handoff\n\n## Open blockers\n- Old VPN issue\n\n## Next steps\n- Old step\n"
        ),
        "previous_session_number": 3,
        "turns": [
            ("user", "Please fix cart.py"),
            ("assistant", "ValueError: bad total in cart.py\nTODO: handle coupons"),
        ],
        "total_turns": 2,
    }
    return context(**(base | overrides))


def total_chars(messages: list[dict[str, str]]) -> int:
    return sum(len(message["content"]) for message in messages)


def test_the_system_prompt_asks_for_the_drafts_sections_in_order() -> None:
    draft = render_rules_handoff(make_context())
    headings = re.findall(r"(?m)^## (.+)$", draft)
    assert {"Summary", "Done", "Open blockers", "Next steps", "Budget"} <= set(headings)
    system = build_messages(make_context(), draft, 20_000)[0]["content"]
    places = [system.index(f"\n## {name}") for name in headings]
    assert places == sorted(places)
    assert "## Summary: two or three sentences" in system


def test_sections_unknown_to_the_hints_and_a_draft_without_sections() -> None:
    assert draft_sections("# T\n## Alpha\n- a\n##  Summary \n## alpha\n### Deeper\n") == [
        "Alpha",
        "Summary",
    ]
    prompt = system_prompt(["Alpha", "Summary"])
    assert "\n## Alpha\n## Summary: two or three sentences" in prompt
    system = build_messages(make_context(), "plain draft", MIN_BUDGET)[0]["content"]
    assert system == system_prompt(DEFAULT_SECTIONS)


def test_the_user_message_holds_fields_previous_items_draft_and_turns() -> None:
    context = make_context()
    draft = render_rules_handoff(context)
    system, user = build_messages(context, draft, 20_000)
    assert system == {"role": "system", "content": system_prompt(draft_sections(draft))}
    assert user["role"] == "user"
    text = user["content"]
    for expected in (
        "Project: Shop",
        "Session: #4 (development), status completed",
        "Account: main, 70 of 100 credits left",
        "Credits used this session: 30",
        "Continues from session #3",
        "Ship checkout\nFix the cart",
        "Payment sandbox is down",
        "- Old VPN issue",
        "- Old step",
        draft.strip(),
        "--- user ---\nPlease fix cart.py",
        "Conversation: all 2 turns, oldest first",
    ):
        assert expected in text
    assert text.index("Draft from the offline rules engine") < text.index("--- user ---")


def test_secrets_are_redacted_before_they_reach_the_prompt() -> None:
    hf_token = "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bD1fH3k"
    openai_key = "sk-proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"
    context = make_context(
        blockers=f"login fails with {hf_token}",
        turns=[("user", f"my key is {openai_key}"), ("assistant", "x" * 5000 + " " + openai_key)],
    )
    text = build_messages(context, f"# Draft\n## Summary\n{hf_token}", MIN_BUDGET)[1]["content"]
    assert hf_token not in text
    assert "sk-proj-" not in text  # not even a piece of it where a turn was cut
    assert "login fails with [REDACTED:huggingface-token]" in text
    assert "my key is [REDACTED:openai-key]" in text
    assert text.count("[REDACTED:openai-key]") == 2  # the cut turn kept its tail
    assert "characters left out" in text


def numbered_turns(count: int, size: int) -> list[tuple[str, str]]:
    roles = ("user", "assistant")
    return [(roles[n % 2], f"turn {n:04d} " + "word " * (size // 5)) for n in range(count)]


def test_the_newest_turns_are_kept_within_the_budget() -> None:
    turns = numbered_turns(500, 300)
    context = make_context(turns=turns, total_turns=900)
    messages = build_messages(context, render_rules_handoff(context), 10_000)
    assert total_chars(messages) <= 10_000
    conversation = messages[1]["content"].split("=== Recent conversation")[1]
    shown = [int(n) for n in re.findall(r"turn (\d{4})", conversation)]
    assert shown, "some turns must fit"
    assert shown == list(range(shown[0], 500))  # a contiguous run ending with the newest
    assert shown[0] > 400
    assert f"the last {len(shown)} of 900 turns" in messages[1]["content"]


def test_a_huge_turn_is_cut_and_keeps_its_head_and_tail() -> None:
    huge = "START " + "x" * 50_000 + " END"
    context = make_context(turns=[("user", "short question"), ("assistant", huge)])
    messages = build_messages(context, render_rules_handoff(context), 12_000)
    text = messages[1]["content"]
    assert total_chars(messages) <= 12_000
    assert "START" in text and "END" in text
    assert "characters left out" in text
    assert "short question" in text


def test_huge_fields_leave_room_for_the_draft_and_the_newest_turn() -> None:
    context = make_context(
        objectives="objective " * 20_000, accomplishments="done " * 20_000, turns=[("user", "LAST")]
    )
    draft = render_rules_handoff(context)
    messages = build_messages(context, draft, 8_000)
    text = messages[1]["content"]
    assert total_chars(messages) <= 8_000
    assert "# Handoff: Shop" in text
    assert "--- user ---\nLAST" in text


def test_no_turns_and_no_previous_handoff() -> None:
    context = make_context(turns=[], total_turns=0, previous_handoff=None)
    text = build_messages(context, "# Draft", MIN_BUDGET)[1]["content"]
    assert "(no turns recorded)" in text
    assert "previous handoff" not in text


def test_a_budget_below_the_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        build_messages(make_context(), "# Draft", MIN_BUDGET - 1)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=6_000), max_size=60),
    field=st.integers(min_value=0, max_value=30_000),
    budget=st.integers(min_value=MIN_BUDGET, max_value=30_000),
)
def test_any_context_fits_its_budget_and_keeps_the_newest_turn(
    sizes: list[int], field: int, budget: int
) -> None:
    turns = [
        ("assistant" if n % 3 else "tool", f"<T{n}> " + "y" * size) for n, size in enumerate(sizes)
    ]
    context = make_context(turns=turns, total_turns=len(turns), blockers="b" * field)
    messages = build_messages(context, render_rules_handoff(context), budget)
    assert total_chars(messages) <= budget
    if turns:
        assert f"<T{len(turns) - 1}>" in messages[1]["content"]


# --- tidying replies -------------------------------------------------------------------------


HANDOFF = "# Handoff: Shop · session #4\n\n## Summary\nDone.\n\n## Next steps\n- Test refunds\n"


def test_clean_reply_keeps_a_clean_handoff_as_it_is() -> None:
    draft = render_rules_handoff(make_context())
    assert clean_reply(draft) == draft
    assert clean_reply(HANDOFF) == HANDOFF


@pytest.mark.parametrize(
    "reply",
    [
        f"```markdown\n{HANDOFF}```",
        f"```md\n{HANDOFF}```\n",
        f"```\n{HANDOFF}```",
        f"Here is the handoff:\n\n{HANDOFF}",
        f"Sure! Here's the handoff:\n```markdown\n{HANDOFF}```\nLet me know if it helps.",
        f"<think>The user wants a handoff.\nI'll write it.</think>\n{HANDOFF}",
        f"<analysis>plan</analysis>\n\n{HANDOFF}",
        f"I must be brief.</think>\n\n{HANDOFF}",
        f"{HANDOFF}\nLet me know if you want more detail!\n",
        f"{HANDOFF}\n---\n\nI hope this helps.",
        f"```markdown\n{HANDOFF}",
    ],
)
def test_clean_reply_strips_wrappers(reply: str) -> None:
    assert clean_reply(reply) == HANDOFF


def test_clean_reply_keeps_inner_code_blocks_and_real_content() -> None:
    body = (
        "# Handoff\n\n## Errors seen\n```\nTraceback: boom\n```\n\n## Next steps\n"
        "- If you need the logs, see build.log\n\nRun the tests again.\n"
    )
    assert clean_reply(f"```markdown\n{body}```") == body
    assert clean_reply(body) == body
    assert clean_reply("Intro that is real content.\n\n" + body).startswith("Intro")


def test_clean_reply_of_only_reasoning_is_empty() -> None:
    assert clean_reply("<think>never finished") == ""
    assert clean_reply("  \n") == ""


# --- the whole handoff -----------------------------------------------------------------------


def test_llm_handoff_end_to_end(server: LLMServer) -> None:
    reply = f"Here is the handoff:\n```markdown\n{HANDOFF}```"
    server.script(Reply(events=stream(*re.findall(r".{1,7}", reply, re.DOTALL))))
    context = make_context()
    pieces: list[str] = []
    text = llm_handoff(context, local(server), on_piece=pieces.append)
    assert text == HANDOFF
    assert "".join(pieces) == reply
    [request] = server.requests
    system, user = request.body["messages"]
    assert system["content"] == system_prompt(draft_sections(render_rules_handoff(context)))
    assert render_rules_handoff(context).strip() in user["content"]
    assert total_chars(request.body["messages"]) <= local(server).input_budget


def test_llm_handoff_refuses_a_reply_without_sections(server: LLMServer) -> None:
    server.script(Reply(events=stream("I cannot help with that.")))
    with pytest.raises(LLMError, match="none of the handoff's sections"):
        llm_handoff(make_context(), local(server))
