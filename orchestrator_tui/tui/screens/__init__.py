"""Screens. ``ALL_SCREENS`` feeds the help screen's key map."""

from __future__ import annotations

from orchestrator_tui.tui.screens.accounts import AccountsScreen
from orchestrator_tui.tui.screens.base import BaseScreen
from orchestrator_tui.tui.screens.dashboard import DashboardScreen
from orchestrator_tui.tui.screens.handoff import HandoffEditorScreen, HandoffViewScreen
from orchestrator_tui.tui.screens.projects import ProjectsScreen
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.timeline import TimelineScreen

ALL_SCREENS: tuple[type[BaseScreen], ...] = (
    DashboardScreen,
    ProjectsScreen,
    TimelineScreen,
    SessionDetailScreen,
    HandoffEditorScreen,
    HandoffViewScreen,
    AccountsScreen,
)
