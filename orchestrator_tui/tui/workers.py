"""Database work off the event loop: every query runs in a thread worker that hands its
result back to the UI thread. User-facing errors become notifications (or go to a form's own
error handler); anything else is reported once by the app's central handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from orchestrator_tui.errors import OrchestratorError

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database

T = TypeVar("T")


def db_work(
    node: DOMNode,
    job: Callable[[Database], T],
    then: Callable[[T], object] | None = None,
    *,
    group: str,
    description: str,
    on_error: Callable[[OrchestratorError], object] | None = None,
    exclusive: bool = True,
) -> Worker[T | None]:
    """Run ``job(db)`` in a thread; call ``then(result)`` on the UI thread unless cancelled."""
    app = node.app

    def run() -> T | None:
        from orchestrator_tui.tui.app import OrchestratorApp

        assert isinstance(app, OrchestratorApp)
        try:
            result = job(app.database())
        except OrchestratorError as error:
            if get_current_worker().is_cancelled:
                return None
            if on_error is not None:
                app.call_from_thread(on_error, error)
            else:
                app.call_from_thread(app.report_error, error)
            return None
        if then is not None and not get_current_worker().is_cancelled:
            app.call_from_thread(then, result)
        return result

    return node.run_worker(
        run,
        thread=True,
        group=group,
        description=description,
        exclusive=exclusive,
        exit_on_error=False,
    )
