"""The troubleshooting assistant's core: error signatures from pastes in several languages,
the search of past sessions (ranking, resolved flags, bounded scans), the offline answer,
the LLM answer over the loopback server with its fallbacks, and the CLI."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from orchestrator_tui.cli import main
from orchestrator_tui.db import fts
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    ConversationTurn,
    Handoff,
    KnowledgeItem,
    Project,
    WorkSession,
)
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.llm.troubleshoot_prompt import (
    MISSING,
    SECTIONS,
    build_troubleshoot_messages,
    read_answer,
)
from orchestrator_tui.records import TroubleshootAnswer
from orchestrator_tui.services import troubleshoot
from orchestrator_tui.services.troubleshoot import (
    Cancelled,
    analyse,
    find_matches,
    probe_for,
    read_paste,
    write_answer,
)
from orchestrator_tui.settings import HandoffSettings, save_settings
from orchestrator_tui.troubleshoot.heuristics import diagnose
from orchestrator_tui.troubleshoot.signature import (
    MAX_ANALYSED,
    cap_text,
    normalize,
    parse_error,
)
from tests.llm_server import LLMServer, Reply, error_body, stream

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "gh" + "p_" + "R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng0"

PY_TRACE = """\
$ pytest
Traceback (most recent call last):
  File "/home/ana/shop/app/main.py", line 3, in <module>
    import requests
  File "/home/ana/shop/.venv/lib/python3.11/site-packages/x/__init__.py", line 9, in load
    y()
ModuleNotFoundError: No module named 'requests'
"""


# --- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paste", "language", "error_type", "message", "code"),
    [
        (PY_TRACE, "python", "ModuleNotFoundError", "No module named 'requests'", None),
        (
            "TypeError: Cannot read properties of undefined (reading 'map')\n"
            "    at ProductPage (apps/web/page.tsx:31:28)\n"
            "    at renderWithHooks (/app/node_modules/react-dom/cjs/react-dom.js:16305:18)",
            "javascript",
            "TypeError",
            "Cannot read properties of undefined (reading 'map')",
            None,
        ),
        (
            "error[E0382]: borrow of moved value: `v`\n --> src/main.rs:5:20\n  |\n"
            "error: could not compile `demo` due to 1 previous error",
            "rust",
            "error[E0382]",
            "borrow of moved value: `v`",
            "E0382",
        ),
        (
            "panic: assignment to entry in nil map\n\ngoroutine 1 [running]:\nmain.main()\n"
            "\t/home/ana/proj/main.go:8 +0x2c\nexit status 2",
            "go",
            "panic",
            "assignment to entry in nil map",
            None,
        ),
        (
            'Exception in thread "main" java.lang.IllegalStateException: boot failed\n'
            "\tat com.acme.App.start(App.java:20)\n"
            "Caused by: java.lang.NullPointerException: config is null\n"
            "\tat com.acme.Config.load(Config.java:42)\n",
            "java",
            "java.lang.NullPointerException",
            "config is null",
            None,
        ),
        (
            "bash: pnpm: command not found",
            "shell",
            "command not found",
            "pnpm: command not found",
            None,
        ),
        (
            "zsh: command not found: pnpm",
            "shell",
            "command not found",
            "pnpm: command not found",
            None,
        ),
        ("HTTP/1.1 403 Forbidden\ncontent-type: text/html", "http", "HTTP 403", "Forbidden", "403"),
        (
            "Error: listen EADDRINUSE: address already in use :::3000\n"
            "    at Server.setupListenHandle [as _listen2] (node:net:1817:16)",
            "javascript",
            "Error",
            "listen EADDRINUSE: address already in use :::3000",
            "EADDRINUSE",
        ),
        (
            "src/cart.ts(12,5): error TS2345: Argument of type 'string' is not assignable "
            "to parameter of type 'number'.",
            "typescript",
            "TS2345",
            "Argument of type 'string' is not assignable to parameter of type 'number'.",
            "TS2345",
        ),
        (
            "fatal: not a git repository (or any of the parent directories): .git",
            "generic",
            "fatal",
            "not a git repository (or any of the parent directories): .git",
            None,
        ),
    ],
)
def test_signatures_in_several_languages(
    paste: str, language: str, error_type: str, message: str, code: str | None
) -> None:
    signature = parse_error(paste)
    assert (signature.language, signature.error_type, signature.message, signature.code) == (
        language,
        error_type,
        message,
        code,
    )
    assert signature.found


def test_frames_are_innermost_first_with_the_projects_files_before_libraries() -> None:
    signature = parse_error(PY_TRACE)
    assert [(frame.file, frame.line) for frame in signature.frames] == [
        ("/home/ana/shop/.venv/lib/python3.11/site-packages/x/__init__.py", 9),
        ("/home/ana/shop/app/main.py", 3),
    ]
    assert signature.files[0] == "/home/ana/shop/app/main.py"
    assert signature.values == ("requests",)
    java = parse_error(
        'Exception in thread "main" java.lang.IllegalStateException: boot failed\n'
        "\tat com.acme.App.start(App.java:20)\n"
        "Caused by: java.lang.NullPointerException: config is null\n"
        "\tat com.acme.Config.load(Config.java:42)\n"
    )
    assert (
        java.frames[0].file == "Config.java" and java.frames[0].function == "com.acme.Config.load"
    )


def test_a_chained_python_traceback_reports_the_last_exception() -> None:
    paste = (
        'Traceback (most recent call last):\n  File "a.py", line 2, in <module>\n'
        "KeyError: 'k'\n\nDuring handling of the above exception, another exception "
        'occurred:\n\nTraceback (most recent call last):\n  File "a.py", line 4, in <module>\n'
        '    raise ValueError("bad")\nValueError: bad value 42\n'
    )
    signature = parse_error(paste)
    assert signature.headline == "ValueError: bad value 42"
    assert [frame.line for frame in signature.frames] == [4]


def test_the_same_error_from_another_run_normalises_the_same() -> None:
    first = parse_error(
        'Traceback (most recent call last):\n  File "/home/ana/x.py", line 3, in f\n'
        "FileNotFoundError: [Errno 2] No such file or directory: '/home/ana/data/2026-03.csv'"
    )
    second = parse_error(
        'Traceback (most recent call last):\n  File "/srv/app/x.py", line 97, in f\n'
        "FileNotFoundError: [Errno 2] No such file or directory: '/srv/data/2026-04.csv'"
    )
    assert first.normalized == second.normalized
    assert first.normalized == "filenotfounderror: [errno <n>] no such file or directory: <q>"
    assert normalize("at 0x7f3a2c1b9d40 id 3f2a9c1e-8b7d-4c6e-9f1a-2b3c4d5e6f70 line 12") == (
        "at <addr> id <id> line <n>"
    )


def test_a_paste_without_an_error_is_still_searchable() -> None:
    signature = parse_error("the build hangs after the banner\nno output at all")
    assert not signature.found
    assert signature.headline == "the build hangs after the banner"
    assert probe_for(signature) is not None


def test_code_in_the_paste_is_not_taken_for_the_error() -> None:
    paste = (
        "def load(path):\n    raise ValueError('not here')\n\nexcept KeyError:\n    pass\n\n"
        "Traceback (most recent call last):\n"
        '  File "load.py", line 2, in load\nPermissionError: [Errno 13] Permission denied: '
        "'/etc/shadow'\n"
    )
    signature = parse_error(paste)
    assert signature.error_type == "PermissionError" and signature.code == "Errno 13"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_without_crashing(text: str) -> None:
    signature = parse_error(text)
    assert signature.normalized == signature.normalized.lower()


def test_a_long_paste_is_cut_to_its_start_and_end() -> None:
    text = "x" * (MAX_ANALYSED * 2) + "\nModuleNotFoundError: No module named 'yaml'"
    analysed, cut = cap_text(text)
    assert cut and len(analysed) <= MAX_ANALYSED + 1
    assert parse_error(analysed).message == "No module named 'yaml'"


def test_read_paste_keeps_memory_bounded_on_50_mb() -> None:
    chunk = "log line without anything wrong in it\n" * 1_700  # ~64 KB
    count = 50_000_000 // len(chunk) + 1

    def chunks() -> Iterator[str]:
        for _ in range(count):
            yield chunk
        yield "Error: Cannot find module 'express'\n"

    text, total = read_paste(chunks())
    assert total > 50_000_000
    assert len(text) <= MAX_ANALYSED + 1
    assert text.endswith("Error: Cannot find module 'express'\n")
    short, short_total = read_paste(["abc", "def"])
    assert (short, short_total) == ("abcdef", 6)


def test_heuristics_only_for_errors_they_know() -> None:
    [missing] = diagnose(parse_error(PY_TRACE))
    assert missing.name == "python-missing-module" and "python -m pip install requests" in str(
        missing.steps
    )
    [yaml] = diagnose(parse_error("ModuleNotFoundError: No module named 'yaml'"))
    assert "pyyaml" in " ".join(yaml.steps)
    port = diagnose(parse_error("OSError: [Errno 98] Address already in use"))
    assert [item.name for item in port] == ["port-in-use"]
    node = diagnose(parse_error("Error: listen EADDRINUSE: address already in use :::3000"))
    assert "lsof -i :3000" in node[0].steps[0]
    auth = diagnose(
        parse_error("requests.exceptions.HTTPError: 401 Client Error: Unauthorized for url: x")
    )
    assert [item.name for item in auth] == ["auth-refused"]
    assert diagnose(parse_error("ValueError: bad value 42")) == ()


# --- matching -----------------------------------------------------------------------------


def _session(
    db: Database,
    project: str,
    number: int,
    title: str,
    turns: list[tuple[str, str, str, str | None, bool]],
    **fields: str,
) -> int:
    """A session with turns (role, content, kind, tool, is_error), written directly."""
    with db.unit() as session:
        found = session.exec(select(Project).where(Project.name == project)).first()
        if found is None:
            found = Project(name=project)
            session.add(found)
            session.flush()
        assert found.id is not None
        work = WorkSession(
            project_id=found.id,
            number=number,
            status="completed",
            title=title,
            started_at=T0 + timedelta(days=number),
            **fields,
        )
        session.add(work)
        session.flush()
        assert work.id is not None
        for position, (role, content, kind, tool, is_error) in enumerate(turns):
            session.add(
                ConversationTurn(
                    session_id=work.id,
                    position=position,
                    role=role,
                    content=content,
                    kind=kind,
                    tool_name=tool,
                    is_error=is_error,
                    created_at=T0 + timedelta(days=number, minutes=position),
                )
            )
        return work.id


def _text(role: str, content: str) -> tuple[str, str, str, str | None, bool]:
    return (role, content, "text", None, False)


@pytest.fixture
def history(db: Database) -> dict[str, int]:
    """Sessions that hit ModuleNotFoundError for requests (fixed by installing it), for
    numpy (never fixed), a KeyError, a blocker and a handoff that mention it, and knowledge."""
    fixed = _session(
        db,
        "Shop",
        1,
        "Checkout flow",
        [
            _text("user", "run the tests please"),
            ("assistant", "Bash: pytest", "tool_call", "Bash", False),
            ("tool", PY_TRACE, "tool_result", "Bash", True),
            _text("assistant", "requests is missing from the venv; installing it."),
            ("assistant", "Bash: python -m pip install requests", "tool_call", "Bash", False),
            ("tool", "Successfully installed requests-2.32.3", "tool_result", "Bash", False),
            ("assistant", "Bash: pytest", "tool_call", "Bash", False),
            ("tool", "3 passed in 0.41s", "tool_result", "Bash", False),
        ],
    )
    open_one = _session(
        db,
        "Shop",
        2,
        "Reports",
        [
            _text("user", "I get this:\nModuleNotFoundError: No module named 'numpy'"),
            _text("assistant", "numpy is not declared anywhere; let us look at the lock file."),
        ],
    )
    other = _session(
        db,
        "Shop",
        3,
        "Payments",
        [_text("tool", "KeyError: 'user_id'"), _text("assistant", "The payload has no user_id.")],
    )
    blocked = _session(
        db,
        "Shop",
        4,
        "CI",
        [_text("user", "set up the CI")],
        blockers="ModuleNotFoundError: No module named 'requests' on the CI runner",
    )
    blog = _session(db, "Blog", 1, "Comments", [_text("user", "add comments")])
    with db.unit() as session:
        session.add(
            Handoff(
                session_id=blog,
                version=1,
                provider="rules",
                content="## Open blockers\n- `ModuleNotFoundError: No module named 'requests'`\n",
            )
        )
        session.add(
            KnowledgeItem(
                category="error_solution",
                title="ModuleNotFoundError for a package that is installed",
                body="The module is installed for another interpreter: activate the venv, then "
                "`python -m pip install -r requirements.txt`.",
                tags="python,pip",
            )
        )
        session.add(
            KnowledgeItem(category="tip", title="Use ruff", body="It is fast.", tags="python")
        )
    return {"fixed": fixed, "open": open_one, "other": other, "blocked": blocked, "blog": blog}


def test_matches_are_ranked_with_their_resolution(db: Database, history: dict[str, int]) -> None:
    matches, searched = find_matches(db, parse_error(PY_TRACE))
    summary = [(m.kind, m.session_id, m.level, m.resolved) for m in matches]
    assert summary == [
        ("knowledge", None, "similar", None),  # error_solution first
        ("turn", history["fixed"], "exact", True),  # then exact, the resolved one first
        ("session", history["blocked"], "exact", None),
        ("handoff", history["blog"], "exact", None),
        ("turn", history["open"], "signature", False),  # numpy: the same but for the value
    ]
    fixed = matches[1]
    assert fixed.resolution == "later `pytest` succeeded"
    assert fixed.project == "Shop" and fixed.number == 1 and fixed.title == "Checkout flow"
    assert fixed.turn_index == 2
    assert "ModuleNotFoundError: No module named 'requests'" in fixed.snippet
    assert fixed.followup == "requests is missing from the venv; installing it."
    assert matches[2].field == "blockers"
    assert matches[0].title.startswith("ModuleNotFoundError for a package")
    assert searched.turns_searched == 14 and not searched.capped


def test_without_the_full_text_index_the_same_matches_are_found(
    db: Database, history: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with_index, _ = find_matches(db, parse_error(PY_TRACE))
    monkeypatch.setattr(fts, "index_present", lambda connection: False)
    without, _ = find_matches(db, parse_error(PY_TRACE))
    assert without == with_index and len(without) == 5


def test_a_different_error_does_not_match(db: Database, history: dict[str, int]) -> None:
    matches, _ = find_matches(db, parse_error("KeyError: 'user_id'"))
    assert [(m.session_id, m.level) for m in matches] == [(history["other"], "exact")]
    none, _ = find_matches(db, parse_error("TypeError: x is not a function"))
    assert none == []


def test_matches_of_one_project_and_a_limit(db: Database, history: dict[str, int]) -> None:
    matches, _ = find_matches(db, parse_error(PY_TRACE), project="Blog")
    assert [(m.kind, m.project) for m in matches] == [("knowledge", None), ("handoff", "Blog")]
    top, _ = find_matches(db, parse_error(PY_TRACE), limit=2)
    assert [m.kind for m in top] == ["knowledge", "turn"]
    with pytest.raises(NotFoundError):
        find_matches(db, parse_error(PY_TRACE), project="Nope")


def test_the_scan_is_bounded_and_cancellable(
    db: Database, history: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(troubleshoot, "SCAN_CHUNK", 4)
    matches, searched = find_matches(db, parse_error(PY_TRACE))
    assert {m.session_id for m in matches if m.kind == "turn"} == {
        history["fixed"],
        history["open"],
    }
    monkeypatch.setattr(troubleshoot, "MAX_SCAN_TURNS", 4)  # the newest four turns only
    matches, searched = find_matches(db, parse_error(PY_TRACE))
    assert searched.capped and searched.turns_searched == 4
    assert not any(m.kind == "turn" for m in matches)  # both conversations are older
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        find_matches(db, parse_error(PY_TRACE), cancel=cancel)


def test_the_other_queries_are_limited(
    db: Database, history: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.unit() as session:
        for index in range(5):  # ids 3 to 7, after the two of the history
            session.add(
                KnowledgeItem(category="tip", title=f"ModuleNotFoundError {index}", body="x")
            )
    monkeypatch.setattr(troubleshoot, "OTHER_CANDIDATES", 2)
    monkeypatch.setattr(troubleshoot, "KNOWLEDGE_RECENT", 3)
    probe = probe_for(parse_error(PY_TRACE))
    assert probe is not None
    for project_id in (None, 1):
        with db.unit() as session:
            found = troubleshoot.find_candidates(session, probe, project_id)
        knowledge = sorted(item.source_id for item in found.items if item.kind == "knowledge")
        assert knowledge == [5, 6, 7]  # the newest two mentions, the newest three items


def test_the_offline_answer(db: Database, history: dict[str, int]) -> None:
    analysis = analyse(db, PY_TRACE)
    assert analysis.signature.error_type == "ModuleNotFoundError"
    assert len(analysis.matches) == 5 and not analysis.truncated
    answer = analysis.answer
    assert answer.index("## Error") < answer.index("## Seen before") < answer.index("heuristic")
    assert "✔ **Resolved** later in that session: later `pytest` succeeded" in answer
    assert "**Shop #1** · Checkout flow · conversation, turn 3 · exact match" in answer
    assert "not an analysis of your code" in answer
    with pytest.raises(ValidationError, match="nothing to analyse"):
        analyse(db, "  \n ")
    alone = analyse(None, "ModuleNotFoundError: No module named 'x'")
    assert alone.matches == () and "No database yet" in alone.answer


def test_a_50_mb_paste_is_analysed_in_part(db: Database, history: dict[str, int]) -> None:
    big = "noise " * 9_000_000 + "\n" + PY_TRACE
    analysis = analyse(db, big)
    assert analysis.truncated and analysis.input_chars == len(big)
    assert len(analysis.text) <= MAX_ANALYSED + 1
    assert analysis.signature.message == "No module named 'requests'"
    assert f"The paste has {len(big):,} characters" in analysis.answer


def test_a_one_word_generic_error_matches_nothing(db: Database) -> None:
    _session(db, "Toys", 1, "Boomerang", [_text("user", "the boomerang came back: Error: boom")])
    assert find_matches(db, parse_error("Error: boom"))[0] == []
    found = find_matches(db, parse_error("Error: the boomerang came back"))[0]
    assert [(match.title, match.level) for match in found] == [("Boomerang", "exact")]


def test_knowledge_in_prose_matches_by_the_errors_words(db: Database) -> None:
    with db.unit() as session:
        session.add(
            KnowledgeItem(
                category="error_solution",
                title="Stripe webhook signature fails: verify the raw body",
                body="construct_event must get the exact bytes Stripe signed.",
                tags="stripe,webhooks",
            )
        )
    paste = "stripe.error.SignatureVerificationError: No signatures found matching the payload"
    [match] = find_matches(db, parse_error(paste))[0]
    assert (match.kind, match.level, match.category) == ("knowledge", "similar", "error_solution")
    assert find_matches(db, parse_error("KeyError: 'signature'"))[0] == []


# --- the LLM ------------------------------------------------------------------------------

ANSWER = (
    "Sure! Here is what I found:\n\n### 1. Root Cause\nrequests is not installed in the venv.\n\n"
    "**Fix:**\n1. `source .venv/bin/activate`\n2. `python -m pip install requests`\n\n"
    "How to prevent it:\nDeclare it in pyproject.toml.\n\nLet me know if that helps!"
)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def settings_for(server: LLMServer, **changes: object) -> HandoffSettings:
    values: dict[str, object] = {
        "provider": "openai",
        "model": "tiny",
        "base_url": server.base_url,
        "input_budget": 6_000,
        **changes,
    }
    return HandoffSettings(**values)  # type: ignore[arg-type]


def test_the_reply_is_read_tolerantly() -> None:
    answer = read_answer(ANSWER)
    assert answer == (
        "## Root cause\n\nrequests is not installed in the venv.\n\n"
        "## Fix steps\n\n1. `source .venv/bin/activate`\n2. `python -m pip install requests`\n\n"
        "## Prevention\n\nDeclare it in pyproject.toml.\n"
    )
    partial = read_answer("## Root cause\nA typo.\n\n```python\n# Fix: nothing\n```\n")
    assert partial.count("## ") == 3 and f"## Prevention\n\n{MISSING}" in partial
    assert "# Fix: nothing" in partial.split("## Fix steps")[0]  # a fence is not a heading
    assert read_answer("I think you should reinstall.") == ""
    assert read_answer("<think>hmm</think>\n**Root cause:** the port is taken").startswith(
        "## Root cause\n\nthe port is taken"
    )


def test_the_prompt_is_redacted_and_within_budget(db: Database, history: dict[str, int]) -> None:
    paste = f"{PY_TRACE}\nexport GITHUB_TOKEN={SECRET}\n" + "code = 1\n" * 5_000
    analysis = analyse(db, paste)
    messages = build_troubleshoot_messages(analysis, 6_000)
    text = json.dumps(messages)
    assert SECRET not in text and "[REDACTED:" in text
    assert sum(len(message["content"]) for message in messages) <= 6_000
    user = messages[1]["content"]
    assert "ModuleNotFoundError" in user and "later `pytest` succeeded" in user
    assert all(name in messages[0]["content"] for name in SECTIONS)


def test_an_llm_answer_streams(db: Database, history: dict[str, int], server: LLMServer) -> None:
    server.script(Reply(events=stream(*[ANSWER[i : i + 15] for i in range(0, len(ANSWER), 15)])))
    pieces: list[str] = []
    analysis, answer = troubleshoot.troubleshoot(
        db, PY_TRACE, settings=settings_for(server), on_piece=pieces.append
    )
    assert (answer.provider, answer.model, answer.fallback_reason) == ("openai", "tiny", None)
    assert answer.text.startswith("## Root cause\n\nrequests is not installed")
    assert len(pieces) > 3 and "".join(pieces) == ANSWER
    [request] = server.requests
    assert "Checkout flow" in request.body["messages"][1]["content"]
    assert analysis.matches  # the offline part is there too


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(status=401, body=error_body("bad key")), "401"),
        (Reply(events=stream("I would reinstall everything.")), "none of the sections"),
        (Reply(events=stream("## Root cause\nhalf"), drop_after=2), "broke off"),
    ],
)
def test_a_failing_llm_leaves_the_offline_answer(
    db: Database, history: dict[str, int], server: LLMServer, reply: Reply, reason: str
) -> None:
    server.script(reply)
    analysis = analyse(db, PY_TRACE)
    answer = write_answer(analysis, settings_for(server))
    assert answer.provider == "rules" and answer.text == analysis.answer
    assert answer.fallback_reason is not None and reason in answer.fallback_reason
    assert answer.fallback_reason.startswith("openai: ")


def test_stopping_the_llm_leaves_the_offline_answer(server: LLMServer) -> None:
    server.script(Reply(events=stream(*["## Root cause\n", "slow "] * 20), event_delay=0.1))
    analysis = analyse(None, PY_TRACE)
    cancel = threading.Event()
    answer = write_answer(
        analysis, settings_for(server), on_piece=lambda _: cancel.set(), cancel=cancel
    )
    assert answer.provider == "rules" and answer.text == analysis.answer
    assert answer.fallback_reason is not None and "cancelled" in answer.fallback_reason


def test_no_llm_configured_is_the_offline_answer() -> None:
    analysis = analyse(None, PY_TRACE)
    assert write_answer(analysis) == TroubleshootAnswer(analysis.answer, "rules")
    with pytest.raises(ValidationError):
        write_answer(analysis, provider="nope")


# --- the CLI ------------------------------------------------------------------------------


def test_cli_json_from_a_file(
    db: Database,
    db_url: str,
    history: dict[str, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paste = tmp_path / "error.txt"
    paste.write_text(PY_TRACE, encoding="utf-8")
    assert main(["--db", db_url, "troubleshoot", str(paste), "--json", "--limit", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["signature"]["error_type"] == "ModuleNotFoundError" and out["signature"]["found"]
    assert [match["kind"] for match in out["matches"]] == ["knowledge", "turn", "session"]
    turn = out["matches"][1]
    assert (turn["session_id"], turn["project"], turn["number"], turn["resolved"]) == (
        history["fixed"],
        "Shop",
        1,
        True,
    )
    assert out["provider"] == "rules" and out["fallback_reason"] is None
    assert out["answer"].startswith("## Error") and out["input_chars"] == len(PY_TRACE)


def test_cli_from_stdin_with_an_llm_and_its_fallback(
    db: Database,
    db_url: str,
    history: dict[str, int],
    server: LLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    llm = ["--provider", "openai", "--model", "tiny", "--base-url", server.base_url]
    server.script(Reply(events=stream(ANSWER)), Reply(status=500, body=error_body("down")))
    monkeypatch.setattr("sys.stdin", io.StringIO(PY_TRACE))
    assert main(["--db", db_url, "troubleshoot", "-", "--json", *llm]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["provider"], out["model"]) == ("openai", "tiny")
    assert out["answer"].startswith("## Root cause") and len(out["matches"]) == 5
    monkeypatch.setattr("sys.stdin", io.StringIO(PY_TRACE))
    assert main(["--db", db_url, "troubleshoot", *llm]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("## Error") and "## Seen before" in captured.out
    assert "The LLM did not answer" in captured.err and "500" in captured.err


def test_cli_uses_the_saved_provider_and_refuses_bad_input(
    db_url: str,
    tmp_path: Path,
    server: LLMServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    save_settings(HandoffSettings(provider="openai", model="saved", base_url=server.base_url))
    server.script(Reply(events=stream(ANSWER)))
    monkeypatch.setattr("sys.stdin", io.StringIO("zsh: command not found: pnpm"))
    assert main(["--db", db_url, "troubleshoot", "--json"]) == 0  # no database yet: fine
    out = json.loads(capsys.readouterr().out)
    assert (out["provider"], out["model"], out["matches"]) == ("openai", "saved", [])
    assert "No database yet" in out["notes"][0]
    assert not Path(db_url.removeprefix("sqlite:///")).exists()  # nothing created
    monkeypatch.setattr("sys.stdin", io.StringIO("   \n"))
    assert main(["--db", db_url, "troubleshoot", "--provider", "rules"]) == 1
    assert "nothing to analyse" in capsys.readouterr().err
    assert main(["--db", db_url, "troubleshoot", str(tmp_path / "missing.txt")]) == 1
    assert "No such file" in capsys.readouterr().err
    assert main(["--db", db_url, "troubleshoot", "x", "--limit", "0"]) == 1
    assert "--limit" in capsys.readouterr().err
