"""Every screen whose keys the help screen lists (importing this loads them all)."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from orchestrator_tui.tui.screens.accounts import AccountsScreen
from orchestrator_tui.tui.screens.analytics import AnalyticsScreen, ScopePicker
from orchestrator_tui.tui.screens.dashboard import DashboardScreen
from orchestrator_tui.tui.screens.files import ProjectFilesScreen
from orchestrator_tui.tui.screens.form import FormModal
from orchestrator_tui.tui.screens.handoff import (
    HandoffEditorScreen,
    HandoffViewScreen,
    VersionsModal,
)
from orchestrator_tui.tui.screens.import_screen import ImportScreen
from orchestrator_tui.tui.screens.knowledge import (
    KnowledgePicker,
    KnowledgeScreen,
    SuggestionsScreen,
)
from orchestrator_tui.tui.screens.pool import BriefingScreen
from orchestrator_tui.tui.screens.projects import ProjectsScreen
from orchestrator_tui.tui.screens.search import SearchScreen
from orchestrator_tui.tui.screens.session_detail import SessionDetailScreen
from orchestrator_tui.tui.screens.settings import SettingsForm
from orchestrator_tui.tui.screens.timeline import TimelineScreen
from orchestrator_tui.tui.screens.troubleshoot import TroubleshootScreen

# Each has BINDINGS, HELP_TITLE and optionally HELP_EXTRA (keys that are not bindings).
ALL_SCREENS: tuple[type[Screen[Any]], ...] = (
    DashboardScreen,
    ProjectsScreen,
    TimelineScreen,
    SessionDetailScreen,
    ProjectFilesScreen,
    HandoffEditorScreen,
    VersionsModal,
    HandoffViewScreen,
    AccountsScreen,
    AnalyticsScreen,
    ScopePicker,
    BriefingScreen,
    ImportScreen,
    KnowledgeScreen,
    SuggestionsScreen,
    KnowledgePicker,
    SearchScreen,
    TroubleshootScreen,
    SettingsForm,
    FormModal,
)
