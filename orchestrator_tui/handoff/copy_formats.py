"""The shapes a handoff is copied in: plain Markdown, the first message of the next session,
and a snippet for an AGENTS.md / CLAUDE.md file."""

from __future__ import annotations

import re

COPY_FORMATS = {
    "markdown": "Markdown",
    "first-message": "first message for the next session",
    "agents": "AGENTS.md / CLAUDE.md snippet",
}
_HEADING_RE = re.compile(r"^(#{1,4})(\s)", re.MULTILINE)


def first_message(handoff: str, project: str) -> str:
    """What to paste as the first message of a fresh AI session: an instruction line, then
    the handoff."""
    return (
        f"We are continuing work on {project}. Below is the handoff from the previous session: "
        "read it, confirm in two or three lines what you understood and what you will do "
        "first, then wait for my go-ahead.\n\n" + handoff.strip() + "\n"
    )


def agents_snippet(handoff: str, project: str) -> str:
    """A section to append to AGENTS.md or CLAUDE.md: the handoff under one heading, its own
    headings two levels down (below the section's own) so that the file's outline stays
    intact."""
    body = _HEADING_RE.sub(lambda match: "##" + match.group(1) + match.group(2), handoff.strip())
    return (
        f"## Current state of {project} (session handoff)\n\n"
        "<!-- Written by orchestrator-tui; replace this section with the next handoff. -->\n\n"
        + body
        + "\n"
    )


def render_copy(handoff: str, project: str, shape: str) -> str:
    if shape == "first-message":
        return first_message(handoff, project)
    if shape == "agents":
        return agents_snippet(handoff, project)
    return handoff
