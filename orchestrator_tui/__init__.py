"""orchestrator-tui: a terminal cockpit for AI-assisted work sessions and their handoffs."""

import logging

__version__ = "0.1.0"

# A library stays quiet unless the program configures logging (the TUI logs to a file);
# without this, Python's last-resort handler would print warnings on the CLI's stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
