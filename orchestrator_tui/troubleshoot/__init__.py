"""The troubleshooting assistant's offline parts: reading an error out of a paste
(``signature``) and the rules of thumb for common errors (``heuristics``). The use case, with
the search of past sessions and the LLM, is ``orchestrator_tui.services.troubleshoot``."""
