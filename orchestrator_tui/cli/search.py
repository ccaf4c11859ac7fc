"""`search QUERY`: one full-text search over turns, handoffs, sessions and knowledge items."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from orchestrator_tui.cli.common import Result, common_options, open_db, to_jsonable, when

if TYPE_CHECKING:
    from orchestrator_tui.cli.common import Commands
    from orchestrator_tui.services.search import SearchHit

KINDS = ("turn", "handoff", "session", "knowledge")


def _marked(hit: SearchHit) -> str:
    """The snippet on one line, matches between » and «."""
    out, last = [], 0
    for start, end in hit.highlights:
        out += [hit.snippet[last:start], "»", hit.snippet[start:end], "«"]
        last = end
    out.append(hit.snippet[last:])
    return " ".join("".join(out).split())


def _where(hit: SearchHit) -> str:
    if hit.kind == "knowledge":
        return f"knowledge #{hit.id} {hit.title!r}"
    place = f"{hit.project} #{hit.session_number}"
    if hit.kind == "turn":
        return f"{place} turn {hit.turn_position} ({hit.role})"
    return f"{place} {hit.kind}"


def cmd_search(args: argparse.Namespace, url: str) -> Result:
    from orchestrator_tui.services.search import search

    db = open_db(url, create=False)
    try:
        page = search(
            db,
            args.query,
            project=args.project,
            kinds=args.kind or None,
            offset=args.offset,
            limit=args.limit,
        )
    finally:
        db.close()
    payload = to_jsonable(page)
    if not page.hits:
        text = f"Nothing matches {args.query!r}."
    else:
        lines = [f"{_where(hit)} · {when(hit.created_at)}\n    {_marked(hit)}" for hit in page.hits]
        if page.newest_first:
            lines.append(
                f"(very common words: the newest {', '.join(page.newest_first)} matches are shown"
                " first, not the best)"
            )
        if page.has_more:
            lines.append(f"More: --offset {page.offset + len(page.hits)}")
        text = "\n".join(lines)
    return Result(payload, text)


def register(commands: Commands) -> None:
    search = common_options(
        commands.add_parser(
            "search",
            help="search conversation turns, handoffs, sessions and knowledge items",
        )
    )
    search.add_argument(
        "query",
        metavar="QUERY",
        help='words (all must match), "a phrase", prefix*, -excluded',
    )
    search.add_argument("--project", metavar="P", help="only this project (name or id)")
    search.add_argument(
        "--kind", action="append", choices=KINDS, help="only these kinds (repeatable)"
    )
    search.add_argument("--limit", type=int, default=20, metavar="N", help="hits per page (20)")
    search.add_argument("--offset", type=int, default=0, metavar="N", help="skip N hits")
    search.set_defaults(handler=cmd_search)
