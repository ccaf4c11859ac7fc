"""orchestrator-tui: a terminal cockpit for AI-assisted work sessions and their handoffs."""

__version__ = "0.1.0"
