"""SVG snapshots of the main screens on the demo data (fixed clock, UTC, cursor frozen).

After an intended visual change: `pytest tests/tui/test_snapshots.py --snapshot-update`,
then look at the new SVGs before committing them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from textual import events
from textual.pilot import Pilot

from orchestrator_tui.db.database import Database
from orchestrator_tui.services import analytics, demo
from orchestrator_tui.tui.app import OrchestratorApp

from .conftest import SIZE, freeze_cursors, settle

SnapCompare = Callable[..., bool]


@pytest.fixture
def demo_app(db: Database, db_url: str) -> Iterator[OrchestratorApp]:
    demo.load_demo(db, now=demo.DEMO_NOW)
    yield OrchestratorApp(db_url, clock=lambda: demo.DEMO_NOW)


def keys(*pressed: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Press keys one at a time, letting the workers finish after each."""

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)
        freeze_cursors(pilot.app)  # type: ignore[arg-type]
        await settle(pilot)

    return run


def test_welcome(snap_compare: SnapCompare, app: OrchestratorApp) -> None:
    assert snap_compare(app, terminal_size=SIZE, run_before=keys())


def test_projects(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys())


def test_dashboard(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("d"))


def test_timeline(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("enter"))


def test_session_detail(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("enter", "down", "enter"))


def test_complete_session_form(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("enter", "c"))


def test_handoff_editor(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("enter", "down", "h"))


def test_account_pool(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("a"))


def test_analytics(
    snap_compare: SnapCompare, demo_app: OrchestratorApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "utcnow", lambda: demo.DEMO_NOW)  # the demo's own clock
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("s"))


def test_new_session_form(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    """The recommended account preselected, with its reasons."""
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("down", "enter", "n"))


def test_help(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("question_mark"))


def test_troubleshoot(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    """A JavaScript error pasted and analysed offline: the demo's past mentions and the
    offline answer."""
    paste = (
        "TypeError: Cannot read properties of undefined (reading 'map')\n"
        "    at ProductPage (apps/web/app/products/[slug]/page.tsx:40:12)\n"
    )

    async def run(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        pilot.app.post_message(events.Paste(paste))
        await pilot.press("ctrl+s")
        await settle(pilot)
        freeze_cursors(pilot.app)  # type: ignore[arg-type]
        await settle(pilot)

    assert snap_compare(demo_app, terminal_size=SIZE, run_before=run)


def test_project_files(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("enter", "f"))


def test_search(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    """Hits for a query, best first, the matched words highlighted."""
    typed = keys("slash", *"stripe webhook", "enter")
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=typed)


def test_knowledge(snap_compare: SnapCompare, demo_app: OrchestratorApp) -> None:
    """The demo's knowledge base, the most used first, the selected item's body below."""
    assert snap_compare(demo_app, terminal_size=SIZE, run_before=keys("k", "down"))
