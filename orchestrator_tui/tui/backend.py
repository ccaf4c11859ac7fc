"""The service modules, imported on first use inside a worker thread.

Importing a service pulls in SQLAlchemy and SQLModel (about half a second). Written as
``backend.sessions.complete_session(db, ...)`` inside a job, that import happens in the
worker's thread, never on the event loop, and never before the first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrator_tui.services import (
        accounts as accounts,
    )
    from orchestrator_tui.services import (
        analytics as analytics,
    )
    from orchestrator_tui.services import (
        dashboard as dashboard,
    )
    from orchestrator_tui.services import (
        demo as demo,
    )
    from orchestrator_tui.services import (
        files as files,
    )
    from orchestrator_tui.services import (
        handoffs as handoffs,
    )
    from orchestrator_tui.services import (
        imports as imports,
    )
    from orchestrator_tui.services import (
        knowledge as knowledge,
    )
    from orchestrator_tui.services import (
        project_import as project_import,
    )
    from orchestrator_tui.services import (
        projects as projects,
    )
    from orchestrator_tui.services import (
        rotation as rotation,
    )
    from orchestrator_tui.services import (
        sessions as sessions,
    )
else:

    def __getattr__(name: str) -> object:
        return importlib.import_module(f"orchestrator_tui.services.{name}")
