"""The pieces every importer shares."""

from __future__ import annotations

from orchestrator_tui.importers.model import (
    HOLD_CHARS,
    HOLD_EVENTS,
    Event,
    FileChange,
    Start,
    TitleGate,
    Turn,
    edit_counts,
)


def _gate(title: list[str]) -> TitleGate:
    return TitleGate(lambda: Start(source_format="text", source_id="s", title=title[0]))


def test_start_carries_the_title_found_after_the_first_events() -> None:
    title = [""]
    gate = _gate(title)
    out: list[Event] = []
    out += gate.send(FileChange("a.py", "modified"), titled=False)
    out += gate.send(Turn("assistant", "hello"), titled=False)
    assert out == []  # held back
    title[0] = "Fix the parser"
    out += gate.send(Turn("user", "Fix the parser"), titled=True)
    assert isinstance(out[0], Start) and out[0].title == "Fix the parser"
    assert [type(event) for event in out[1:]] == [FileChange, Turn, Turn]
    assert list(gate.send(Turn("user", "more"), titled=True)) == [Turn("user", "more")]
    assert list(gate.open()) == []  # Start goes out once


def test_the_gate_opens_early_when_too_much_waits() -> None:
    gate = _gate(["untitled"])
    released = [
        event
        for _ in range(HOLD_EVENTS + 1)
        for event in gate.send(Turn("tool", "x"), titled=False)
    ]
    assert isinstance(released[0], Start) and len(released) == HOLD_EVENTS + 2

    gate = _gate(["untitled"])
    big = Turn("assistant", "x" * (HOLD_CHARS + 1))
    released = list(gate.send(big, titled=False))
    assert isinstance(released[0], Start) and released[1] is big


def test_edit_counts_leave_out_the_context_both_sides_share() -> None:
    old = ["def f():", "    return 1", ""]
    new = ["def f():", "    x = 2", "    return x", ""]
    assert edit_counts(old, new) == (2, 1)
    assert edit_counts([], ["a", "b"]) == (2, 0)
    assert edit_counts(["a", "b"], []) == (0, 2)
    assert edit_counts(["same"], ["same"]) == (0, 0)
    # a repeated line is counted once as context, not on both ends
    assert edit_counts(["x"], ["x", "x"]) == (1, 0)
