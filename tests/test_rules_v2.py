"""The rules engine's second version: extractors, budget, compression, streaming from the
database, carry-over, determinism, and random input."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlmodel import select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ConversationTurn, ProjectFile, WorkSession
from orchestrator_tui.handoff import extract as extract_module
from orchestrator_tui.handoff.budget import MIN_BUDGET
from orchestrator_tui.handoff.extract import ChangedFile, ConversationFacts, Extractor, extract
from orchestrator_tui.handoff.extract import TurnRecord as T
from orchestrator_tui.handoff.rules import (
    CARRIED,
    COMPRESS_LEVELS,
    LEVELS,
    previous_key_files,
    previous_open_items,
    render_rules_handoff,
)
from orchestrator_tui.repositories import turns as turn_repo
from orchestrator_tui.services import handoffs, projects, sessions
from tests.handoff_helpers import context, headings, section

WD = "/home/ana/shop"


def call(tool: str, key: str, thread: str = "") -> T:
    return T("assistant", f"{tool}: {key}", "tool_call", tool, False, thread)


def result(tool: str, text: str, error: bool = False, thread: str = "") -> T:
    return T("tool", text, "tool_result", tool, error, thread)


# --- extractors ---------------------------------------------------------------------------


def test_decisions_keep_the_rejected_alternative() -> None:
    facts = extract(
        [
            T("assistant", "We'll use SQLite instead of Postgres. The cache stays in memory."),
            T("user", "I decided to use httpx rather than requests."),
            T("assistant", "Going with Vite over Webpack, it builds faster."),
            T("assistant", "Let's not add Redis for now."),
            T("assistant", "Should we switch to pnpm?"),  # a question is no decision
            T("assistant", "I chose the token bucket."),
        ]
    )
    found = {(d.choice, d.rejected) for d in facts.decisions}
    assert ("SQLite", "Postgres") in found
    assert ("httpx", "requests") in found
    assert ("Vite", "Webpack") in found
    assert ("", "add Redis for now") in found
    assert ("the token bucket", "") in found
    assert all("pnpm" not in d.text for d in facts.decisions)
    assert facts.decisions[0].text == "I chose the token bucket."  # the latest first


def test_constraints_are_the_users_own_sentences() -> None:
    facts = extract(
        [
            T("user", "Fix the cart. It must stay on Python 3.11. Never push to main."),
            T("user", "I prefer small commits; make sure every test passes."),
            T("user", "I don't know why it fails. Should I always rebase?"),
            T("assistant", "You must restart the server."),  # not the user's
            T("user", "Only use the standard library for parsing.", thread="agent-1"),
        ]
    )
    assert facts.constraints == (
        "I prefer small commits; make sure every test passes.",
        "Never push to main.",
        "It must stay on Python 3.11.",
    )


@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        ("No, use Decimal for prices, not float.", "No, use Decimal for prices, not float."),
        ("Actually, keep the old endpoint. It has clients.", "Actually, keep the old endpoint."),
        ("That's wrong: the tax is per line.", "That's wrong: the tax is per line."),
        (
            "Thanks. I said the red button, not the blue one.",
            "I said the red button, not the blue one.",
        ),
        ("Looks good. Use pnpm instead of npm.", "Use pnpm instead of npm."),
        ("It is not a bug but a feature.", "It is not a bug but a feature."),
        ("No problem, carry on with the plan.", None),
        ("Please add a login page.", None),
    ],
)
def test_corrections(turn: str, expected: str | None) -> None:
    facts = extract([T("assistant", "Done."), T("user", turn)])
    assert facts.corrections == ((expected,) if expected else ())


def test_an_error_resolved_by_a_later_successful_run() -> None:
    facts = extract(
        [
            call("Bash", "pytest tests/test_cart.py -q"),
            result("Bash", "FAILED tests/test_cart.py::test_total - KeyError: 'price'", True),
            call("Bash", "npm run build"),
            result("Bash", "Error: Cannot find module 'vite'", True),
            call("Bash", "npm run lint"),  # another script: the build error stays open
            result("Bash", "ok"),
            call("Bash", "pytest"),  # broader than the failing run: resolves it
            result("Bash", "12 passed"),
        ]
    )
    assert [e.text for e in facts.open_errors] == ["Error: Cannot find module 'vite'"]
    assert facts.open_errors[0].source == "npm run build"
    [resolved] = facts.resolved_errors
    assert resolved.text == "FAILED tests/test_cart.py::test_total - KeyError: 'price'"
    assert resolved.resolution == "later `pytest` succeeded"
    assert {"keyerror", "test_total", "test_cart.py"} <= set(resolved.keys)
    commands = {c.command: (c.runs, c.failed) for c in facts.commands}
    assert commands == {
        "pytest tests/test_cart.py -q": (1, True),
        "npm run build": (1, True),
        "npm run lint": (1, False),
        "pytest": (1, False),
    }


def test_an_error_resolved_by_a_sentence_that_names_it() -> None:
    turns = [
        T("tool", "Traceback (most recent call last):\nValueError: bad VAT rate", "tool_result"),
        T("assistant", "The ValueError is not fixed yet; still looking."),  # negated
        T("assistant", "Fixed the ValueError in vat.py: rates are parsed as Decimal now."),
    ]
    assert [e.text for e in extract(turns[:2]).open_errors] == ["ValueError: bad VAT rate"]
    facts = extract(turns)
    assert facts.open_errors == ()
    assert facts.resolved_errors[0].resolution == (
        "“Fixed the ValueError in vat.py: rates are parsed as Decimal now.”"
    )


def test_a_generic_fix_of_the_user_resolves_only_the_latest_recent_error() -> None:
    error = T("user", "I get this:\nTypeError: 'NoneType' object is not subscriptable")
    older = T("user", "Also: ModuleNotFoundError: No module named 'stripe'")
    thanks = T("user", "That worked, thanks!")
    facts = extract([older, error, T("assistant", "Try this patch."), thanks])
    assert [e.text for e in facts.open_errors] == ["ModuleNotFoundError: No module named 'stripe'"]
    assert facts.resolved_errors[0].text.startswith("TypeError")
    # The assistant's generic claim resolves nothing; nor does the user's, too long after.
    assert len(extract([error, T("assistant", "It works now.")]).open_errors) == 1
    filler = [T("assistant", f"step {index}") for index in range(12)]
    assert len(extract([error, *filler, thanks]).open_errors) == 1


def test_an_error_that_comes_back_is_open_again() -> None:
    failing = [call("Bash", "make test"), result("Bash", "error: linker failed", True)]
    passing = [call("Bash", "make test"), result("Bash", "all good")]
    assert extract([*failing, *passing]).open_errors == ()
    again = extract([*failing, *passing, *failing])
    assert [(e.text, e.count) for e in again.open_errors] == [("error: linker failed", 2)]
    assert again.resolved_errors == ()


def test_results_are_matched_to_their_calls_by_id() -> None:
    """Parallel calls: the results come back in another order; their ids tell which is
    which (without ids, the oldest waiting call of the tool is taken)."""
    facts = extract(
        [
            T("assistant", "Bash: npm test", "tool_call", "Bash", source_id="toolu_1"),
            T("assistant", "Bash: npm run build", "tool_call", "Bash", source_id="toolu_2"),
            T(
                "tool",
                "Error: vite not found",
                "tool_result",
                "Bash",
                True,
                source_id="toolu_2:result",
            ),
            T("tool", "9 passing", "tool_result", "Bash", False, source_id="toolu_1:result"),
        ]
    )
    assert [(c.command, c.failed) for c in facts.commands] == [
        ("npm run build", True),
        ("npm test", False),
    ]
    assert [e.source for e in facts.open_errors] == ["npm run build"]


def test_what_is_no_error() -> None:
    facts = extract(
        [
            call("Read", f"{WD}/src/cart.py"),
            result("Read", "try:\n    x = d['k']\nexcept KeyError: pass\nraise ValueError: no"),
            T("assistant", "If you see ImportError: no module, reinstall the package."),
            T("assistant", "Our error handling and the ErrorBoundary component are fine."),
            T("assistant", "```python\nexcept KeyError:\n    pass\n```"),
            call("Bash", "ls"),
            result("Bash", "Exit code 0\nREADME.md"),
        ]
    )
    assert facts.open_errors == ()
    assert facts.resolved_errors == ()


def test_exit_codes_and_json_inputs_of_codex_shell_calls() -> None:
    facts = extract(
        [
            call("exec_command", '{"cmd": "cargo test --quiet"}'),
            result("exec_command", "Process exited with code 101\ntest result: FAILED"),
            call("shell", '{"command": ["bash", "-lc", "go vet ./..."]}'),
            result("shell", "Exit code: 0"),
        ]
    )
    assert [(c.command, c.failed) for c in facts.commands] == [
        ("cargo test --quiet", True),  # a failed run first
        ("go vet ./...", False),
    ]
    assert [(e.text, e.source) for e in facts.open_errors] == [
        ("test result: FAILED", "cargo test --quiet")
    ]


def test_commands_from_text_and_aider() -> None:
    facts = extract(
        [
            T("assistant", "Run:\n```bash\n$ pip install -e .\n$ pytest -x\n```"),
            T("user", "I ran it:\n$ make migrate\nand it worked"),
            T("assistant", "```python\nprint('not a command')\n```"),
            T("user", "/run python manage.py check"),
            T("tool", "SystemCheckError: System check identified some issues", "tool_result"),
        ]
    )
    assert [c.command for c in facts.commands] == [
        "python manage.py check",
        "make migrate",
        "pytest -x",
        "pip install -e .",
    ]
    assert facts.commands[0].failed is True
    assert facts.open_errors[0].source == "python manage.py check"


def test_files_changed_rank_above_files_read() -> None:
    patch = "*** Begin Patch\n*** Add File: web/app.ts\n+x\n*** Update File: web/b.ts\n*** End"
    facts = extract(
        [
            T("user", "Look at README.md, README.md and docs/api.md please"),
            call("Read", f"{WD}/README.md"),
            call("Read", f"{WD}/src/cart.py"),
            call("Edit", f"{WD}/src/cart.py"),
            call("Write", f"{WD}/src/money.py"),
            call("apply_patch", patch),
            T("assistant", "Built with Next.js; see ./docs/api.md; res.json(data) is a call"),
        ],
        WD,
    )
    ranked = [(f.path, f.edits, f.created, f.reads, f.mentions) for f in facts.files]
    assert ranked == [
        ("src/cart.py", 1, False, 1, 0),
        ("web/app.ts", 1, True, 0, 0),
        ("web/b.ts", 1, False, 0, 0),
        ("src/money.py", 1, True, 0, 0),
        ("README.md", 0, False, 1, 2),
        ("docs/api.md", 0, False, 0, 2),
    ]


def test_todos_and_unchecked_boxes() -> None:
    facts = extract(
        [
            T("assistant", "- [x] parse input\n- [ ] write the docs\n* [ ] tag a release"),
            T("assistant", "# TODO(ana): drop the shim\nlike the todo list says"),
            T("user", "fixme: flaky login test"),
            T("assistant", "TODO: write the docs"),
        ]
    )
    assert facts.todos == (
        "tag a release",
        "drop the shim",
        "flaky login test",
        "write the docs",
    )


def test_last_requests_are_verbatim_and_the_users_own() -> None:
    turns = [T("user", f"request {index}\nwith details") for index in range(12)]
    turns += [
        T("user", "/model opus"),  # a slash command
        T("user", "[Request interrupted by user]"),
        T("user", "a subagent's prompt", thread="agent-7"),
        T("user", "  Add   a CHANGELOG entry  "),
    ]
    facts = extract(turns)
    assert facts.requests[-3:] == ("request 10", "request 11", "Add a CHANGELOG entry")
    assert len(facts.requests) == extract_module.KEEP_REQUESTS


def test_suggested_next_steps_are_the_latest_list() -> None:
    facts = extract(
        [
            T("assistant", "## Next steps\n1. old plan\n2. older plan"),
            T(
                "assistant",
                "Done.\n\n**Remaining work:**\n\n- wire the checkout page\n  (the form)\n"
                "- add refund tests\n\nAnything else?",
            ),
        ]
    )
    assert facts.suggested_steps == ("wire the checkout page", "add refund tests")
    inline = extract([T("assistant", "The next step is to run the migration on staging.")])
    assert inline.suggested_steps == ("run the migration on staging",)


def test_summaries_and_subagents() -> None:
    """A compaction summary counts as the assistant's words (its plan, decisions, files), not
    as errors; a subagent's tool calls count, its prose and its "user" do not."""
    summary = (
        "Summary of the conversation so far. We decided to use Celery rather than RQ.\n"
        "Errors fixed: KeyError: 'sku' in src/cart.py\n\nPending tasks:\n- finish the export"
    )
    facts = extract(
        [
            T("system", summary, "summary"),
            call("Edit", f"{WD}/src/tasks.py", thread="agent-1"),
            T("assistant", "We'll use Redis instead of RabbitMQ.", thread="agent-1"),
            T("user", "Never touch the billing code.", thread="agent-1"),
        ],
        WD,
    )
    assert [(d.choice, d.rejected) for d in facts.decisions] == [("Celery", "RQ")]
    assert facts.suggested_steps == ("finish the export",)
    assert facts.open_errors == ()
    assert [f.path for f in facts.files] == ["src/tasks.py", "src/cart.py"]


def test_a_compaction_summarys_pending_tasks_are_the_next_steps() -> None:
    summary = (
        "7. Pending Tasks:\n"
        "   - **shop-12** (in progress): VAT on invoices\n"
        "     - Fix the rounding in invoice.py\n"
        "     - Add tests\n"
        "   - Close the session\n\n"
        "8. Current Work:\n   Working on the invoice template."
    )
    facts = extract(
        [
            T("system", summary, "summary"),
            T("assistant", "see src/invoice.py"),
            T("tool", "M /Users/ana/elsewhere/src/invoice.py", "tool_result"),
        ]
    )
    assert facts.suggested_steps == (
        "shop-12 (in progress): VAT on invoices",
        "Fix the rounding in invoice.py",
        "Add tests",
        "Close the session",
    )
    # A bare name, or an absolute path from another folder, counts for the path it ends with.
    assert [(f.path, f.mentions) for f in facts.files] == [("src/invoice.py", 3)]
    assert facts.constraints == ()
    assert facts.requests == ()


def test_bounded_memory_keeps_the_latest() -> None:
    extractor = Extractor()
    for index in range(3 * extract_module.MAX_TRACKED_FILES):
        extractor.add(T("assistant", f"see pkg/m{index}.py and TODO: t{index}"))
    facts = extractor.facts()
    assert len(extractor._files) <= 2 * extract_module.MAX_TRACKED_FILES
    assert facts.todos[-1] == f"t{3 * extract_module.MAX_TRACKED_FILES - 1}"
    assert len(facts.todos) == extract_module.KEEP_TODOS


# --- rendering ----------------------------------------------------------------------------


def rich_turns(count: int) -> list[T]:
    turns = [
        T("user", "Start the checkout. Never change the public API of cart.py."),
        T("assistant", "We'll use Stripe Checkout instead of a custom form."),
    ]
    for index in range(count):
        turns.append(T("user", f"Please change src/mod_{index}.py; it must keep API {index}."))
        turns.append(call("Bash", f"pytest tests/test_{index}.py"))
        turns.append(result("Bash", f"FAILED tests/test_{index}.py::test_x - KeyError: 'k'", True))
        turns.append(T("assistant", f"We chose plan {index} over plan {index + 1}. TODO: t{index}"))
    return turns


def test_a_huge_conversation_fits_the_budget_by_priority() -> None:
    turns = rich_turns(2_000)
    ctx = context(facts=extract(turns), total_turns=len(turns), blockers="the CI runner is down")
    markdown = render_rules_handoff(ctx, budget_chars=2_500)
    assert len(markdown) <= 2_500
    # The end is whole: the Budget section, with its note on what was left out.
    budget = section(markdown, "Budget")
    assert markdown.endswith(budget[-1] + "\n")
    assert budget[:4] == [
        "Credits used this session: 30",
        "Account **main**: 70 of 100 credits left (70%)",
        "At this session's rate: about 2 more sessions on it",
        "Conversation: 8,002 turns",
    ]
    assert budget[-1].startswith("Not shown, to fit 2,500 characters: ")
    # High-priority sections keep items; the lowest go first.
    assert section(markdown, "Open blockers")[0] == "the CI runner is down"
    assert section(markdown, "Next steps")
    assert section(markdown, "Recent requests")[-1].startswith("“Please change src/mod_1999.py")
    # Commands run (the lowest priority) lost items to the budget; Decisions kept their cap.
    assert len(section(markdown, "Commands run")) < LEVELS["low"].caps["Commands run"]
    assert len(section(markdown, "Decisions")) == LEVELS["low"].caps["Decisions"]
    smaller = render_rules_handoff(ctx, budget_chars=1_800)
    assert len(smaller) <= 1_800
    assert "Commands run" not in headings(smaller)
    assert section(smaller, "Open blockers")[0] == "the CI runner is down"
    full = render_rules_handoff(ctx)
    assert len(full) <= 6_000
    assert len(section(full, "Commands run")) == LEVELS["low"].caps["Commands run"]


def test_the_old_call_and_a_tiny_budget() -> None:
    ctx = context(turns=rich_turns(50))
    assert render_rules_handoff(ctx) == render_rules_handoff(ctx, 6_000, "low")
    tiny = render_rules_handoff(ctx, budget_chars=10)
    assert len(tiny) <= MIN_BUDGET
    assert section(tiny, "Summary") and section(tiny, "Budget")


def test_compress_levels() -> None:
    turns = rich_turns(300)
    ctx = context(
        facts=extract(turns), total_turns=len(turns), accomplishments="a; b; c; d; e; f; g"
    )
    low, medium, high = (render_rules_handoff(ctx, compress=name) for name in COMPRESS_LEVELS)
    assert len(low) <= 6_000
    assert len(medium) <= 0.6 * 6_000
    assert len(high) <= 0.3 * 6_000
    assert len(high) < len(medium) < len(low)
    assert headings(high) == [
        "Summary",
        "Open blockers",
        "Next steps",
        "Key files",
        "Recent requests",
        "Budget",
    ]
    assert len(section(high, "Recent requests")) == 1
    assert {"Done", "Decisions", "Constraints and preferences"} <= set(headings(medium))
    assert section(medium, "Decisions")[0] == "plan 299 (not plan 300)"  # the short form
    assert len(section(medium, "Done")) == LEVELS["medium"].items
    assert "Compression: medium" in section(medium, "Budget")
    # The context carries the level too (the service's option).
    assert render_rules_handoff(replace(ctx, compress="high")) == high
    with pytest.raises(ValueError, match="unknown compression"):
        render_rules_handoff(ctx, compress="extreme")


def test_deterministic_bytes() -> None:
    turns = rich_turns(200)
    one = render_rules_handoff(context(turns=turns))
    two = render_rules_handoff(context(turns=list(turns)))
    assert one.encode() == two.encode()
    assert extract(turns) == extract(list(turns))


def test_sections_of_a_rich_session() -> None:
    turns = [
        T("user", "Add VAT to the checkout. Never touch the migrations folder."),
        call("Read", f"{WD}/README.md"),
        call("Edit", f"{WD}/src/vat.py"),
        result("Edit", "ok"),
        call("Bash", "pytest -q"),
        result("Bash", "FAILED tests/test_vat.py::test_rate - AssertionError", True),
        T("user", "No, rates come from settings.toml, not constants."),
        T("assistant", "We'll read rates from settings instead of constants."),
        call("Bash", "pytest -q"),
        result("Bash", "3 passed"),
        call("Bash", "npm run e2e"),
        result("Bash", "Error: browser not installed", True),
        T("assistant", "## Next steps\n- install the browser\n- rerun e2e"),
    ]
    files = (ChangedFile(f"{WD}/src/vat.py", "modified", 12, 3),)
    markdown = render_rules_handoff(
        context(turns=turns, files=files, working_directory=WD, next_steps="deploy to staging")
    )
    assert section(markdown, "Open blockers") == [
        "Error: `Error: browser not installed` (from `npm run e2e`)"
    ]
    assert section(markdown, "Next steps") == [
        "deploy to staging",
        "install the browser",
        "rerun e2e",
    ]
    assert section(markdown, "Constraints and preferences") == [
        "Never touch the migrations folder."
    ]
    assert section(markdown, "Corrections") == ["No, rates come from settings.toml, not constants."]
    assert section(markdown, "Decisions") == [
        "We'll read rates from settings instead of constants."
    ]
    assert section(markdown, "Key files") == [
        "`src/vat.py` — modified, +12 −3",  # the session's record of changed files first
        "`settings.toml`",
        "`tests/test_vat.py`",
        "`README.md` — read",
    ]
    assert section(markdown, "Commands run") == [
        "`npm run e2e` — failed",
        "`pytest -q` ×2 — ok",
    ]
    assert section(markdown, "Errors resolved") == [
        "`FAILED tests/test_vat.py::test_rate - AssertionError` — later `pytest -q` succeeded"
    ]


def test_an_accomplishment_that_fixed_an_error_resolves_it_and_blockers_are_not_doubled() -> None:
    turns = [T("tool", "sqlite3.OperationalError: database is locked", "tool_result")]
    fixed = render_rules_handoff(context(turns=turns, accomplishments="fixed the OperationalError"))
    assert section(fixed, "Open blockers") == ["_none_"]
    assert section(fixed, "Errors resolved")[0].endswith("— done: fixed the OperationalError")
    stated = render_rules_handoff(context(turns=turns, blockers="OperationalError on CI"))
    assert section(stated, "Open blockers") == ["OperationalError on CI"]


def test_secrets_never_reach_the_handoff() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    markdown = render_rules_handoff(
        context(
            accomplishments=f"rotated {token}",
            turns=[
                T("user", f"Never commit {token} again"),
                T("assistant", f"TODO: revoke {token}"),
            ],
        )
    )
    assert token not in markdown
    assert "[REDACTED:github-token]" in markdown


# --- carry-over ---------------------------------------------------------------------------


def test_carry_over_of_errors_files_and_constraints() -> None:
    first = render_rules_handoff(
        context(
            session_number=1,
            working_directory=WD,
            files=(ChangedFile(f"{WD}/src/app.py", "created", 40, 0),),
            turns=[
                T("user", "Always run the linter before committing."),
                call("Bash", "pytest"),
                result("Bash", "FAILED tests/test_app.py::test_home", True),
            ],
        )
    )
    blockers, _ = previous_open_items(first)
    assert blockers == ["Error: `FAILED tests/test_app.py::test_home` (from `pytest`)"]
    assert previous_key_files(first) == ["src/app.py", "tests/test_app.py"]
    second = render_rules_handoff(context(previous_handoff=first, accomplishments="docs"))
    assert section(second, "Open blockers") == [blockers[0] + CARRIED]
    assert section(second, "Constraints and preferences") == [
        "Always run the linter before committing." + CARRIED
    ]
    assert section(second, "Key files") == [
        "`src/app.py`" + CARRIED,
        "`tests/test_app.py`" + CARRIED,
    ]
    # The error resolved this session: the carried blocker goes.
    third = render_rules_handoff(
        context(
            previous_handoff=second,
            turns=[
                call("Bash", "pytest"),
                result("Bash", "FAILED tests/test_app.py::test_home", True),
                call("Bash", "pytest"),
                result("Bash", "1 passed"),
            ],
        )
    )
    assert section(third, "Open blockers") == ["_none_"]


# --- random input -------------------------------------------------------------------------

SNIPPETS = [
    "We'll use X instead of Y.",
    "No, that's wrong.",
    "Never do that.",
    "TODO: thing",
    "- [ ] box",
    "## Next steps\n- a\n- b",
    "KeyError: 'x'",
    "FAILED t.py::test_a",
    "fixed it",
    "```bash\n$ make\n```",
    "src/a.py",
    "/home/ana/shop/b.ts",
    "*** Add File: c.py",
    "`` ` ``",
    "“quoted”",
    "\x00\u200b🚀",
]
turn_strategy = st.builds(
    T,
    st.sampled_from(["user", "assistant", "tool", "system", ""]),
    st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=80)), max_size=6).map(" ".join),
    st.sampled_from(["text", "tool_call", "tool_result", "summary", "odd"]),
    st.sampled_from([None, "Bash", "Edit", "Read", "Write", "apply_patch", "exec_command"]),
    st.booleans(),
    st.sampled_from(["", "agent-1"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    turns=st.lists(turn_strategy, max_size=40),
    budget=st.integers(min_value=0, max_value=12_000),
    compress=st.sampled_from(COMPRESS_LEVELS),
    name=st.text(max_size=300),
    field=st.text(max_size=2_000),
    number=st.integers(min_value=0, max_value=10**9),
    credits=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_random_turns_never_raise_and_respect_the_budget(
    turns: list[T],
    budget: int,
    compress: str,
    name: str,
    field: str,
    number: int,
    credits: int | None,
) -> None:
    ctx = context(
        turns=turns,
        session_number=number,
        previous_session_number=number,
        credits_used=credits,
        account_credits_remaining=credits,
        account_credit_limit=credits,
        project_name=name,
        account_name=name or None,
        status=name,
        session_type=name,
        objectives=field,
        accomplishments=field,
        blockers=field,
        next_steps=field,
        previous_handoff=field,
        total_turns=len(turns),
        working_directory=WD,
    )
    markdown = render_rules_handoff(ctx, budget_chars=budget, compress=compress)
    limit = max(MIN_BUDGET, round(budget * LEVELS[compress].share))
    assert len(markdown) <= limit
    assert headings(markdown)[0] == "Summary"
    assert headings(markdown)[-1] == "Budget"
    assert markdown.endswith("\n")
    assert render_rules_handoff(ctx, budget_chars=budget, compress=compress) == markdown


# --- the service: streamed from the database ------------------------------------------------


def _session_with_turns(db: Database, turns: list[T], working_directory: str = WD) -> int:
    project = projects.create_project(db, "shop")
    started = sessions.start_session(db, project.id).session
    with db.unit() as session:
        work = session.get(WorkSession, started.id)
        assert work is not None
        work.working_directory = working_directory
        session.add(work)
        rows = [
            {
                "session_id": started.id,
                "position": position,
                "role": turn.role,
                "content": turn.content,
                "kind": turn.kind,
                "tool_name": turn.tool_name,
                "is_error": turn.is_error,
                "thread": turn.thread,
                "source_message_id": turn.source_id or f"id-{position}",
            }
            for position, turn in enumerate(turns)
        ]
        session.execute(insert(ConversationTurn), rows)
        session.add(
            ProjectFile(
                project_id=project.id,
                session_id=started.id,
                path=f"{WD}/src/checkout.py",
                change="modified",
                lines_added=30,
                lines_removed=4,
            )
        )
    return started.id


def test_tail_streams_the_latest_turns_in_pages(db: Database) -> None:
    turns = [T("user", f"turn {index}", "text", None, index % 2 == 0) for index in range(25)]
    session_id = _session_with_turns(db, turns)
    with db.unit() as session:
        rows = list(turn_repo.tail(session, session_id, 12, page_size=5))
        everything = list(turn_repo.tail(session, session_id, 1_000, page_size=7))
        assert list(turn_repo.tail(session, session_id, 0)) == []
    assert [row[1] for row in rows] == [f"turn {index}" for index in range(13, 25)]
    assert rows[0] == ("user", "turn 13", "text", None, False, "", "id-13")
    assert rows[1][4] is True
    assert len(everything) == 25


def test_build_context_reads_the_whole_conversation(db: Database) -> None:
    early = T("user", "Never deploy on Fridays.")
    turns = [early] + [T("assistant", f"working on step {index}") for index in range(2_500)]
    session_id = _session_with_turns(db, turns)
    sessions.complete_session(db, session_id, 0, "checkout done")
    ctx = handoffs.build_context(db, session_id, budget_chars=4_000, compress="medium")
    assert ctx.total_turns == 2_501
    assert len(ctx.turns) == handoffs.CONTEXT_TURNS
    assert ctx.turns[-1] == ("assistant", "working on step 2499")
    assert isinstance(ctx.facts, ConversationFacts)
    assert ctx.facts.constraints == ("Never deploy on Fridays.",)
    assert ctx.files == (ChangedFile(f"{WD}/src/checkout.py", "modified", 30, 4),)
    assert (ctx.budget_chars, ctx.compress) == (4_000, "medium")
    assert ctx.source_chars == len("checkout done") + sum(len(t.content) for t in turns)
    stored = handoffs.generate_handoff(db, session_id)
    assert "Never deploy on Fridays." in stored.content
    assert "- `src/checkout.py` — modified, +30 −4" in stored.content
    assert stored.provider == "rules"


def test_a_very_long_session_reads_its_start_and_its_latest_turns(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(extract_module, "SCAN_TURNS", 100)
    monkeypatch.setattr(extract_module, "SCAN_HEAD", 10)
    turns = [T("user", "Always use tabs.")]
    turns += [T("assistant", f"TODO: middle {index}") for index in range(300)]
    session_id = _session_with_turns(db, turns)
    ctx = handoffs.build_context(db, session_id)
    assert ctx.facts is not None
    assert (ctx.facts.turns_read, ctx.facts.turns_skipped) == (100, 201)
    assert ctx.facts.constraints == ("Always use tabs.",)
    assert ctx.facts.todos[-1] == "middle 299"
    assert "middle 100" not in ctx.facts.todos  # in the part not read
    markdown = render_rules_handoff(ctx)
    assert "- Conversation: 301 turns (100 read: the first and the latest)" in markdown


def test_the_service_stores_the_same_bytes_as_the_engine(db: Database) -> None:
    turns = rich_turns(40)
    session_id = _session_with_turns(db, turns)
    ctx = handoffs.build_context(db, session_id)
    again = handoffs.build_context(db, session_id)
    assert render_rules_handoff(ctx) == render_rules_handoff(again)
    with db.unit() as session:
        kinds = set(session.exec(select(ConversationTurn.kind)).all())
    assert kinds == {"text", "tool_call", "tool_result"}
    # The in-memory path (turns in the context, no facts) gives the same facts.
    assert ctx.facts is not None
    assert extract(turns, WD) == replace(ctx.facts)
