"""The offline (rules) handoff: sections, carry-over, conversation facts, bounds, odd input."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator_tui.db.database import Database
from orchestrator_tui.handoff import rules
from orchestrator_tui.handoff.context import HandoffContext
from orchestrator_tui.handoff.rules import (
    CARRIED,
    render_minimal_handoff,
    render_rules_handoff,
    split_items,
)
from orchestrator_tui.services import handoffs, projects, sessions
from tests.handoff_helpers import context, headings, section

SECTIONS = [
    "Summary",
    "Done",
    "Open blockers",
    "Next steps",
    "Key files",
    "Recent requests",
    "Budget",
]


def test_every_section_is_present_in_order() -> None:
    markdown = render_rules_handoff(context())
    assert markdown.startswith("# Handoff: Shop · session #2\n")
    assert "2026-01-05 09:30 → 2026-01-05 11:00 UTC" in markdown
    present = headings(markdown)
    assert [title for title in present if title in SECTIONS] == SECTIONS
    assert section(markdown, "Done") == ["built the cart"]
    assert section(markdown, "Open blockers") == ["_none_"]
    assert section(markdown, "Key files") == ["_none mentioned_"]
    assert section(markdown, "Recent requests") == ["_none recorded_"]
    summary = section(markdown, "Summary")[0]
    assert "Session #2 (development) on main" in summary
    assert "set out to: ship the checkout" in summary


def test_budget_section() -> None:
    budget = section(render_rules_handoff(context(total_turns=12)), "Budget")
    assert budget == [
        "Credits used this session: 30",
        "Account **main**: 70 of 100 credits left (70%)",
        "At this session's rate: about 2 more sessions on it",
        "Conversation: 12 turns",
    ]
    alone = section(render_rules_handoff(context(account_name=None)), "Budget")
    assert alone == ["Credits used this session: 30", "No account recorded for this session"]


def test_deterministic() -> None:
    turns = [("user", f"edit src/m{i % 3}.py please") for i in range(30)]
    turns += [("assistant", "TODO: tidy up\nKeyError: 'x'")]
    one = context(turns=turns, blockers="a; b", next_steps="c\nd", total_turns=31)
    two = context(turns=list(turns), blockers="a; b", next_steps="c\nd", total_turns=31)
    assert render_rules_handoff(one) == render_rules_handoff(one) == render_rules_handoff(two)


def test_items_split_on_newlines_and_semicolons() -> None:
    text = (
        "built cart; wrote tests\nfixed login\r\n- a bullet\n* star\n2) numbered\n[x] checked\n\n;"
    )
    expected = [
        "built cart",
        "wrote tests",
        "fixed login",
        "a bullet",
        "star",
        "numbered",
        "checked",
    ]
    assert split_items(text) == expected
    assert section(render_rules_handoff(context(accomplishments=text)), "Done") == expected
    # The same item twice (whatever its case) is listed once.
    assert split_items("Fix CI\nfix ci; fix ci") == ["Fix CI"]


def test_open_items_carry_over_until_done() -> None:
    first = render_rules_handoff(
        context(
            session_number=1,
            accomplishments="set up the repo",
            blockers="CI is red",
            next_steps="write the docs; add a login page",
        )
    )
    second = render_rules_handoff(
        context(
            session_number=2,
            accomplishments="refactored the cart",
            previous_handoff=first,
            previous_session_number=1,
        )
    )
    assert section(second, "Open blockers") == ["CI is red" + CARRIED]
    assert section(second, "Next steps") == [
        "write the docs" + CARRIED,
        "add a login page" + CARRIED,
    ]
    assert "Continues from session #1." in section(second, "Summary")[0]

    # An accomplishment that covers an item retires it; the rest keep being carried, once.
    third = render_rules_handoff(
        context(
            session_number=3,
            accomplishments="wrote the docs",
            previous_handoff=second,
            previous_session_number=2,
        )
    )
    assert section(third, "Open blockers") == ["CI is red" + CARRIED]
    assert section(third, "Next steps") == ["add a login page" + CARRIED]

    fourth = render_rules_handoff(
        context(
            session_number=4,
            accomplishments="CI is red no more: fixed the runner; added a login page",
            previous_handoff=third,
        )
    )
    assert section(fourth, "Open blockers") == ["_none_"]
    assert section(fourth, "Next steps") == ["_none recorded_"]


def test_an_open_item_stated_again_is_listed_once() -> None:
    first = render_rules_handoff(
        context(session_number=1, blockers="CI is red", next_steps="write the docs")
    )
    second = render_rules_handoff(
        context(
            accomplishments="something else",
            blockers="ci is red",
            next_steps="Write the docs",
            previous_handoff=first,
        )
    )
    assert section(second, "Open blockers") == ["ci is red"]
    assert section(second, "Next steps") == ["Write the docs"]
    assert "1 blocker open, 1 next step." in section(second, "Summary")[0]


def test_blockers_without_next_steps_become_steps_to_resolve_them() -> None:
    markdown = render_rules_handoff(context(blockers="db migration fails"))
    assert section(markdown, "Next steps") == ["Resolve: db migration fails"]


def test_files_are_ranked_by_mentions() -> None:
    turns = [
        ("user", "look at app/models.py and README.md"),
        ("assistant", "I changed app/models.py and web/src/App.tsx."),
        ("tool", "M app/models.py\nM web/src/App.tsx"),
        ("user", "also zeta.toml and alpha.toml"),
    ]
    files = section(render_rules_handoff(context(turns=turns)), "Key files")
    # Equal mentions: the most recently mentioned first.
    assert files == [
        "`app/models.py`",
        "`web/src/App.tsx`",
        "`alpha.toml`",
        "`zeta.toml`",
        "`README.md`",
    ]


def test_open_errors_from_every_role_are_blockers() -> None:
    """v2: the errors a conversation shows are open blockers until a later turn resolves them
    (v1 listed them under "Errors seen" and ignored the user's pasted errors)."""
    turns = [
        ("user", "I got ValueError: from the user side"),
        ("assistant", "Running it gives KeyError: 'price'"),
        ("tool", "FAILED tests/test_cart.py::test_total - assert 3 == 4"),
        ("tool", "bash: pnpm: command not found"),
    ]
    markdown = render_rules_handoff(context(turns=turns))
    assert section(markdown, "Open blockers") == [
        "Error: `pnpm: command not found`",
        "Error: `FAILED tests/test_cart.py::test_total - assert 3 == 4`",
        "Error: `KeyError: 'price'`",
        "Error: `ValueError: from the user side`",
    ]
    assert section(markdown, "Next steps") == ["Fix the open errors listed under Open blockers"]
    assert "4 blockers open" in section(markdown, "Summary")[0]
    assert section(render_rules_handoff(context(turns=turns[1:2])), "Open blockers") == [
        "Error: `KeyError: 'price'`"
    ]


def test_todos_become_next_steps_without_duplicates() -> None:
    turns = [
        ("assistant", "Done. TODO: write the migration guide"),
        ("assistant", "# FIXME: handle empty carts"),
        ("user", "todo: add rate limiting"),
        ("assistant", "TODO: write the migration guide"),
    ]
    steps = section(
        render_rules_handoff(context(turns=turns, next_steps="Write the migration guide")),
        "Next steps",
    )
    assert steps == [
        "Write the migration guide",
        "TODO: handle empty carts",
        "TODO: add rate limiting",
    ]
    # A TODO that an accomplishment covers is not a next step.
    done = render_rules_handoff(context(turns=turns, accomplishments="handled empty carts"))
    assert "TODO: handle empty carts" not in done


def test_recent_requests_are_the_last_five_newest_last() -> None:
    turns: list[tuple[str, str]] = []
    for index in range(1, 8):
        turns.append(("user", f"request {index}\nwith details"))
        turns.append(("assistant", f"answer {index}"))
    requests = section(render_rules_handoff(context(turns=turns)), "Recent requests")
    assert requests == [f"“request {index}”" for index in range(3, 8)]


def test_huge_conversation_gives_a_small_handoff() -> None:
    turns: list[tuple[str, str]] = []
    for index in range(10_000):
        turns.append(("user", f"please change src/module_{index}.py (request {index})"))
        turns.append(("assistant", f"TODO: follow up {index}\nRuntimeError: failure {index}"))
    markdown = render_rules_handoff(context(turns=turns, total_turns=len(turns)))
    assert len(markdown) < 10_000
    assert len(section(markdown, "Key files")) == rules.MAX_FILES
    assert len(section(markdown, "Recent requests")) == rules.MAX_REQUESTS
    # 10,000 errors that differ only by a number are one error, seen 10,000 times.
    assert section(markdown, "Open blockers") == ["Error: `RuntimeError: failure 9999` ×10,000"]
    assert len(section(markdown, "Next steps")) <= rules.MAX_ITEMS
    assert "request 9999" in markdown
    assert "Conversation: 20,000 turns" in markdown


@pytest.mark.parametrize(
    "accomplishments",
    [
        "\n".join(f"finished task number {index}" for index in range(40_000))[:1_000_000],
        "y" * 1_000_000,
    ],
    ids=["many-lines", "one-line"],
)
def test_a_megabyte_of_accomplishments_gives_a_small_handoff(accomplishments: str) -> None:
    previous = "## Open blockers\n- the build is slow\n## Next steps\n- profile the build\n"
    markdown = render_rules_handoff(
        context(
            accomplishments=accomplishments,
            blockers=accomplishments,
            previous_handoff=previous,
        )
    )
    assert len(markdown) < 10_000
    done = section(markdown, "Done")
    assert 1 <= len(done) <= rules.MAX_ITEMS
    assert all(len(item) <= rules.MAX_ITEM for item in done)


def test_a_huge_path_in_a_turn_stays_short() -> None:
    path = "a/" * 100_000 + "main.py"
    markdown = render_rules_handoff(context(turns=[("assistant", f"edited {path}")]))
    assert len(markdown) < 10_000
    assert section(markdown, "Key files")[0].endswith("…`")


ODD_CONTEXTS: dict[str, dict[str, Any]] = {
    "empty": dict(
        project_name="",
        session_number=0,
        session_type="",
        status="",
        account_name=None,
        account_credits_remaining=None,
        account_credit_limit=None,
        credits_used=None,
        objectives="",
        accomplishments="",
        blockers="",
        next_steps="",
        ended_at=None,
    ),
    "zero-limit": dict(account_credit_limit=0, account_credits_remaining=0, credits_used=0),
    "unicode": dict(
        project_name="Проект 🚀",
        accomplishments="修复了登录 🎉\nمرحبا\ne\u0301tude; 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        turns=[("user", "📁 src/ünïcødé.py ✨"), ("assistant", "ℹ️ TODO: ✅ check\u200b")],
    ),
    "markup": dict(
        accomplishments="[bold]done[/bold]; [red]x[/]",
        blockers="[link=http://x]click[/link]",
        turns=[("user", "[b]hi[/b] `code` **bold** <script>x</script>")],
    ),
    "control": dict(
        accomplishments="\x00\x1b[31mred\x1b[0m\ttab",
        previous_handoff="#####\n- \n## Next steps\n-\n- _italic only_\n## \n- orphan",
    ),
    "only-separators": dict(accomplishments=";;;\n\n; ;", blockers="- \n* \n1."),
    "odd-roles": dict(turns=[("", ""), ("narrator", "x.py"), ("user", "   ")]),
}


@pytest.mark.parametrize("overrides", ODD_CONTEXTS.values(), ids=ODD_CONTEXTS.keys())
def test_odd_input_never_raises(overrides: dict[str, Any]) -> None:
    ctx = context(**overrides)
    markdown = render_rules_handoff(ctx)
    assert [title for title in headings(markdown) if title in SECTIONS] == SECTIONS
    assert markdown.endswith("\n")
    minimal = render_minimal_handoff(ctx)
    assert minimal.startswith("# Handoff:")


def test_the_minimal_handoff_is_redacted_too() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    minimal = render_minimal_handoff(context(accomplishments=f"set GITHUB_TOKEN to {token}"))
    assert token not in minimal
    assert "[REDACTED:" in minimal


def test_markup_is_kept_as_text() -> None:
    markdown = render_rules_handoff(context(**ODD_CONTEXTS["markup"]))
    assert section(markdown, "Done") == ["[bold]done[/bold]", "[red]x[/]"]
    assert "“[b]hi[/b] `code` **bold** <script>x</script>”" in markdown


# --- the service's fallback ---------------------------------------------------------------


def _explode(_ctx: HandoffContext) -> str:
    raise RuntimeError("generator bug")


def test_render_falls_back_to_the_minimal_handoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(handoffs.PROVIDERS, "broken", _explode)
    ctx = context(blockers="flaky test", next_steps="fix it")
    assert handoffs.render(ctx, "broken") == render_minimal_handoff(ctx)
    assert "## Open blockers\nflaky test" in handoffs.render(ctx, "broken")


def test_a_failing_generator_still_stores_a_handoff(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(handoffs.PROVIDERS, "rules", _explode)
    project = projects.create_project(db, "p")
    started = sessions.start_session(db, project.id).session
    sessions.complete_session(db, started.id, 0, "shipped it", blockers="none really")
    stored = handoffs.generate_handoff(db, started.id)
    assert stored.version == 1
    assert "## Done\nshipped it" in stored.content
    # Marked as the minimal handoff, not as the rules engine's output.
    assert stored.provider == handoffs.MINIMAL == "rules-minimal"
    assert [v.provider for v in handoffs.versions(db, started.id)] == ["rules-minimal"]
    assert handoffs.latest_handoff(db, started.id) == stored


def test_prose_that_mentions_a_todo_is_not_a_todo() -> None:
    handoff = render_rules_handoff(
        context(
            turns=[
                ("user", "Move the webhook secret into settings like the TODO says."),
                ("assistant", "Done; the todo list is empty now. TODO: rotate the webhook secret"),
            ]
        )
    )
    assert "- TODO: rotate the webhook secret" in handoff
    assert "TODO: says" not in handoff
    assert "list is empty" not in handoff


def test_library_names_are_not_files_and_backticks_survive() -> None:
    handoff = render_rules_handoff(
        context(
            turns=[
                ("user", "Build it with Next.js and Node.js; the page is app/page.tsx"),
                ("assistant", "SyntaxError: unexpected token `}` in app/page.tsx"),
            ]
        )
    )
    assert section(handoff, "Key files") == ["`app/page.tsx`"]
    assert "- Error: `` SyntaxError: unexpected token `}` in app/page.tsx ``" in handoff


def test_items_carry_over_from_a_minimal_or_hand_edited_handoff() -> None:
    minimal = render_minimal_handoff(
        context(session_number=1, blockers="ci is red\nflaky login test", next_steps="write docs")
    )
    after = render_rules_handoff(context(accomplishments="refactored", previous_handoff=minimal))
    assert section(after, "Open blockers") == [
        "ci is red" + CARRIED,
        "flaky login test" + CARRIED,
    ]
    assert section(after, "Next steps") == ["write docs" + CARRIED]

    edited = (
        "# My own handoff\n\n## Next steps\n1. ship the beta\n2) update the changelog\n"
        "[ ] tell the team\n\n## Notes\n- not a step\n"
    )
    after_edit = render_rules_handoff(
        context(accomplishments="refactored", previous_handoff=edited)
    )
    assert section(after_edit, "Next steps") == [
        "ship the beta" + CARRIED,
        "update the changelog" + CARRIED,
        "tell the team" + CARRIED,
    ]


# --- long conversations, carried files, "none" items, the summary sentence -----------------


def test_recent_files_of_a_long_conversation_are_not_cut_off() -> None:
    """65 turns, each file mentioned once: the cap keeps the most recent, newest first."""
    turns = [("assistant", f"edited aaa/old_{index:02}.py") for index in range(50)]
    turns += [("assistant", f"edited zzz/new_{index:02}.py") for index in range(15)]
    files = section(render_rules_handoff(context(turns=turns)), "Key files")
    assert files == [f"`zzz/new_{index:02}.py`" for index in range(14, 2, -1)]
    # More mentions still rank first, whenever they were.
    busy = [("user", "see aaa/core.py"), ("user", "and aaa/core.py again"), *turns]
    assert section(render_rules_handoff(context(turns=busy)), "Key files")[0] == "`aaa/core.py`"


def test_the_latest_todos_are_kept() -> None:
    turns = [("assistant", f"TODO: task number {index}") for index in range(30)]
    steps = section(render_rules_handoff(context(turns=turns)), "Next steps")
    assert steps == [f"TODO: task number {index}" for index in range(18, 30)]
    # Stated next steps come first; the TODOs fill the room that is left, latest ones.
    stated = render_rules_handoff(context(turns=turns, next_steps="ship it; tell the team"))
    assert section(stated, "Next steps") == [
        "ship it",
        "tell the team",
        *(f"TODO: task number {index}" for index in range(20, 30)),
    ]
    # A TODO repeated later counts at its latest mention.
    again = [*turns, ("assistant", "TODO: task number 0")]
    assert section(render_rules_handoff(context(turns=again)), "Next steps")[-1] == (
        "TODO: task number 0"
    )


def test_key_files_carry_over_after_this_sessions_own() -> None:
    first = render_rules_handoff(
        context(
            session_number=1,
            turns=[("assistant", "changed app/cart.py and app/models.py")],
        )
    )
    second = render_rules_handoff(
        context(
            accomplishments="more work",
            turns=[("assistant", "now web/checkout.tsx and app/models.py")],
            previous_handoff=first,
            previous_session_number=1,
        )
    )
    assert section(second, "Key files") == [
        "`app/models.py`",
        "`web/checkout.tsx`",
        "`app/cart.py`" + CARRIED,
    ]
    # Carried again from a handoff that carried them, and capped with the session's own.
    third = render_rules_handoff(
        context(
            session_number=3,
            turns=[("tool", f"M src/f{index:02}.py") for index in range(11)],
            previous_handoff=second,
        )
    )
    files = section(third, "Key files")
    assert len(files) == rules.MAX_FILES
    assert files[-1] == "`app/models.py`" + CARRIED
    # From a hand-edited handoff: plain paths, no duplicates, nothing from "none" lines.
    edited = "## Key files\n- README.md\n- `readme.md`\n- none\n- _nothing_\n"
    assert section(render_rules_handoff(context(previous_handoff=edited)), "Key files") == [
        "`README.md`" + CARRIED
    ]


@pytest.mark.parametrize(
    "nothing", ["none", "None.", "N/A", "n/a.", "na", "-", "—", "no", "Nothing", "NIL", "nil."]
)
def test_an_item_that_says_nothing_is_not_an_item(nothing: str) -> None:
    assert split_items(nothing) == []
    assert split_items(f"{nothing}; real item\n- {nothing}") == ["real item"]
    markdown = render_rules_handoff(
        context(accomplishments=f"built it; {nothing}", blockers=nothing, next_steps=nothing)
    )
    assert section(markdown, "Done") == ["built it"]
    assert section(markdown, "Open blockers") == ["_none_"]
    assert section(markdown, "Next steps") == ["_none recorded_"]
    assert "1 item done, no blockers open, no next steps." in section(markdown, "Summary")[0]
    # A previous handoff whose blocker was typed as "none" carries nothing over.
    previous = render_minimal_handoff(context(blockers=nothing, next_steps=nothing))
    later = render_rules_handoff(context(previous_handoff=previous))
    assert section(later, "Open blockers") == ["_none_"]


def test_words_that_merely_start_like_nothing_are_items() -> None:
    assert split_items("no-op migration; nonexistent key; Nan bread; na/nb") == [
        "no-op migration",
        "nonexistent key",
        "Nan bread",
        "na/nb",
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {},
            "Session #2 (development) on main set out to: ship the checkout. 1 item done, "
            "no blockers open, no next steps.",
        ),
        (
            {"account_name": None},
            "Session #2 (development) set out to: ship the checkout. 1 item done, no blockers "
            "open, no next steps.",
        ),
        (
            {"objectives": ""},
            "Session #2 (development) on main had no objectives recorded. 1 item done, no "
            "blockers open, no next steps.",
        ),
        (
            {"account_name": None, "objectives": "", "accomplishments": ""},
            "Session #2 (development) had no objectives recorded. No items done, no blockers "
            "open, no next steps.",
        ),
        (
            {
                "objectives": "Is the cart fast?",
                "accomplishments": "a; b",
                "blockers": "x; y",
                "next_steps": "z",
                "previous_session_number": 1,
            },
            "Session #2 (development) on main set out to: Is the cart fast? 2 items done, "
            "2 blockers open, 1 next step. Continues from session #1.",
        ),
        (
            {"account_name": None, "objectives": "", "blockers": "x", "previous_session_number": 1},
            "Session #2 (development) had no objectives recorded. 1 item done, 1 blocker open, "
            "1 next step. Continues from session #1.",
        ),
    ],
    ids=["all", "no-account", "no-objective", "neither", "plurals", "no-account-previous"],
)
def test_the_summary_reads_well(overrides: dict[str, Any], expected: str) -> None:
    summary = section(render_rules_handoff(context(**overrides)), "Summary")
    assert summary == [expected]
    assert "(s)" not in render_rules_handoff(context(**overrides))


def test_budget_counts_sessions_left_in_words() -> None:
    def rate(remaining: int, used: int) -> str:
        budget = section(
            render_rules_handoff(context(account_credits_remaining=remaining, credits_used=used)),
            "Budget",
        )
        return next(line for line in budget if line.startswith("At this session's rate"))

    assert rate(30, 30) == "At this session's rate: about 1 more session on it"
    assert rate(10, 30) == "At this session's rate: not enough left for another session"
    assert rate(90, 30) == "At this session's rate: about 3 more sessions on it"
