"""The search screen with Pilot: / opens it, hits come as the query is typed, Enter opens the
session scrolled to the matching turn, the next page loads on demand."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import projects, search, sessions
from orchestrator_tui.tui.app import OrchestratorApp
from orchestrator_tui.tui.screens.search import PAGE, SearchScreen
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen

from .conftest import SIZE, press, settle, type_text


@pytest.fixture
def seeded_turns(db: Database) -> int:
    projects.create_project(db, "Aviary")
    session_id = sessions.start_session(db, "Aviary").session.id
    turns = [("user", f"filler turn {n}") for n in range(40)]
    turns[33] = ("assistant", "The pelican exporter drops the last row.")
    sessions.add_turns(db, session_id, turns)
    return session_id


async def test_typing_finds_and_enter_opens_the_turn(
    app: OrchestratorApp, db: Database, seeded_turns: int
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await type_text(pilot, "pelic")  # the last word is read as a prefix while typing
        await pilot.pause(0.4)
        await settle(pilot)
        assert [hit.turn_position for hit in screen.hits] == [33]
        status = screen.query_one("#search-status", Static)
        assert "1 hits" in str(status.render())
        await press(pilot, "down", "enter")
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen)
        assert (detail.session_id, detail.marked_turn) == (seeded_turns, 33)
        await pilot.pause(0.6)
        marked = detail.query_one(".turn-marked", Static)
        assert "pelican" in str(marked.render())
        box = detail.query_one("#detail")
        assert box.scroll_y > 0 and box.region.contains_point(marked.region.offset)
    # Searching wrote nothing.
    assert sessions.get_session(db, seeded_turns).turn_count == 40


async def test_more_hits_load_on_demand_and_a_bad_query_says_why(
    app: OrchestratorApp, db: Database, seeded_turns: int
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await type_text(pilot, "filler ")
        await press(pilot, "enter")
        hits = screen.query_one("#search-hits", OptionList)
        assert len(screen.hits) == PAGE and hits.option_count == PAGE + 1  # + "more hits"
        hits.highlighted = PAGE
        await press(pilot, "enter")
        assert len(screen.hits) == 39  # turn 33 is not filler
        assert len({hit.id for hit in screen.hits}) == 39
        query = screen.query_one("#search-query", Input)
        query.focus()
        query.value = "-filler"
        await pilot.pause(0.4)
        await settle(pilot)
        assert "type a word" in str(screen.query_one("#search-status", Static).render())
        await press(pilot, "escape")
        assert not isinstance(app.screen, SearchScreen)


def test_the_screen_describes_hits_with_their_place(db: Database, seeded_turns: int) -> None:
    from orchestrator_tui.tui.screens.search import describe_hit

    hit = search.search(db, "pelican").hits[0]
    line = describe_hit(hit)
    assert line.plain.startswith("Aviary #1 · turn 33 (assistant)")
    assert any(span.style == "bold reverse" for span in line.spans)
