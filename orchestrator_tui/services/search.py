"""One search over conversation turns, handoffs, sessions' text and knowledge items.

On SQLite the FTS5 index (orchestrator_tui/db/fts.py) answers: ranked by bm25, a snippet
around the best match with the matched words marked. A query whose every word is very
common (in more than ``COMMON_ROWS`` rows of an index) is not ranked over all its rows,
which would take seconds on a million turns: the newest ``COMMON_ROWS``-th of them are, and
the page says so (``newest_first``). Elsewhere a slower LIKE search stands in, newest first.

What the user types never reaches FTS5 as syntax: words become quoted terms (so ``-``,
``:``, ``(``, ``*`` and ``AND`` are text), ``"several words"`` is a phrase, ``word*`` a
prefix, ``-word`` excludes. Snippets are redacted like everything else that is shown.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from orchestrator_tui.db import fts
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import as_utc
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.redact import find_secrets, marker
from orchestrator_tui.repositories import projects as project_repo

KINDS = tuple(index.kind for index in fts.INDEXES)
MAX_QUERY = 500  # characters of a query
MAX_LIMIT = 200
COMMON_ROWS = 20_000
SNIPPET_TOKENS = 24
LIKE_SNIPPET = 160  # characters around the first match, for the LIKE search
_START, _END = "\x02", "\x03"  # FTS5 marks matches with these in snippets
# Column weights for bm25: a title counts more than the body.
_WEIGHTS = {"session": "3.0, 1.0, 1.0, 1.0, 1.0, 1.0", "knowledge": "3.0, 1.0, 2.0"}
_QUERY_PART_RE = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False
    exclude: bool = False

    def fts(self) -> str:
        quoted = '"' + " ".join(self.words) + '"'
        return quoted + ("*" if self.prefix else "")


@dataclass(frozen=True)
class SearchHit:
    kind: str  # turn, handoff, session, knowledge
    id: int  # the turn's, handoff's, session's or knowledge item's id
    session_id: int | None
    session_number: int | None
    project: str | None
    title: str  # the session's title, or the knowledge item's
    snippet: str
    highlights: tuple[tuple[int, int], ...]  # spans of ``snippet`` that matched
    turn_position: int | None = None
    role: str | None = None
    created_at: datetime | None = None
    score: float = 0.0  # lower is better (bm25)


@dataclass(frozen=True)
class SearchPage:
    query: str
    hits: list[SearchHit]
    offset: int
    has_more: bool
    method: str  # "fts5" or "like"
    newest_first: list[str] = field(default_factory=list)  # kinds not ranked (too common)


def parse_query(query: str, *, typing: bool = False) -> list[Term]:
    """The terms of what the user typed; ValidationError when nothing is left to look for.
    ``typing``: the query is being typed, so its last word (not followed by a space) may be
    unfinished and is looked for as a prefix."""
    if len(query) > MAX_QUERY:
        raise ValidationError({"query": f"at most {MAX_QUERY} characters"})
    terms: list[Term] = []
    for match in _QUERY_PART_RE.finditer(query):
        if match[2] is not None:  # "a phrase"
            phrase = tuple(words(match[2]))
            if phrase:
                terms.append(Term(phrase, exclude=bool(match[1])))
            continue
        raw = match[4]
        prefix = raw.endswith("*")
        found = tuple(words(raw))
        if found:
            terms.append(Term(found, prefix=prefix, exclude=bool(match[3])))
    if typing and terms and query[-1:].isalnum():
        last = terms[-1]
        terms[-1] = Term(last.words, prefix=True, exclude=last.exclude)
    if not any(not term.exclude for term in terms):
        raise ValidationError(
            {"query": "type a word to search for (punctuation alone finds nothing)"}
        )
    return terms


def words(raw: str) -> list[str]:
    """Words as the index holds them: lower case, accents removed, split at punctuation."""
    plain = unicodedata.normalize("NFKD", raw.casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return _WORD_RE.findall(plain)


def fts_query(terms: list[Term]) -> str:
    wanted = " ".join(term.fts() for term in terms if not term.exclude)
    unwanted = " ".join(f"NOT {term.fts()}" for term in terms if term.exclude)
    return f"{wanted} {unwanted}".strip()


def search(
    db: Database,
    query: str,
    *,
    project: str | int | None = None,
    kinds: Iterable[str] | None = None,
    offset: int = 0,
    limit: int = 20,
    typing: bool = False,
) -> SearchPage:
    """A page of hits, best first (see the module's note); ``typing`` as in ``parse_query``."""
    terms = parse_query(query, typing=typing)
    chosen = tuple(kinds) if kinds else KINDS
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown:
        raise ValidationError({"kind": f"unknown kind {unknown[0]!r}; use {', '.join(KINDS)}"})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": f"from 1 to {MAX_LIMIT}"})
    if offset < 0:
        raise ValidationError({"offset": "0 or more"})
    with db.unit() as session:
        project_id = project_repo.require(session, project).id if project is not None else None
        connection = session.connection()
        if fts.index_present(connection):
            return _fts_search(connection, query, terms, chosen, project_id, offset, limit)
        return _like_search(connection, query, terms, chosen, project_id, offset, limit)


# --- FTS5 ---------------------------------------------------------------------------------


def _rows_with(connection: Connection, index: fts.FtsIndex, term: Term) -> int:
    """How many rows hold the term (an upper bound for a prefix; the rarest word of a
    phrase)."""
    vocab = f"{index.table}_vocab"
    counts = []
    for position, word in enumerate(term.words):
        if term.prefix and position == len(term.words) - 1:
            found = connection.execute(
                text(f"SELECT coalesce(sum(doc), 0) FROM {vocab} WHERE term >= :w AND term < :end"),
                {"w": word, "end": word + "\U0010ffff"},
            ).scalar_one()
        else:
            found = connection.execute(
                text(f"SELECT coalesce(max(doc), 0) FROM {vocab} WHERE term = :w"), {"w": word}
            ).scalar_one()
        counts.append(int(found))
    return min(counts)


def _too_common(connection: Connection, index: fts.FtsIndex, terms: list[Term]) -> bool:
    wanted = [term for term in terms if not term.exclude]
    return min(_rows_with(connection, index, term) for term in wanted) > COMMON_ROWS


_SCOPE = {
    # How each kind reaches its session and project (alias ``s``), from the source row ``r``.
    "turn": "JOIN conversation_turn r ON r.id = f.rowid JOIN session s ON s.id = r.session_id",
    "handoff": "JOIN handoff r ON r.id = f.rowid JOIN session s ON s.id = r.session_id",
    "session": "JOIN session r ON r.id = f.rowid JOIN session s ON s.id = r.id",
    "knowledge": "JOIN knowledge_item r ON r.id = f.rowid LEFT JOIN session s "
    "ON s.id = r.source_session_id",
}


def _fts_hits(
    connection: Connection,
    index: fts.FtsIndex,
    match: str,
    project_id: int | None,
    count: int,
    newest: bool,
) -> list[tuple[int, str, float]]:
    table = index.table
    weights = _WEIGHTS.get(index.kind)
    score = f"bm25({table}, {weights})" if weights else f"bm25({table})"
    order = "f.rowid DESC" if newest else "score, f.rowid DESC"  # ties: as _fts_search sorts
    where = f"{table} MATCH :match"
    scope = ""
    if project_id is not None:
        scope = _SCOPE[index.kind]
        if index.kind == "knowledge":
            where += " AND (r.project_id = :project OR r.project_id IS NULL)"
        else:
            where += " AND s.project_id = :project"
    rows = connection.execute(
        text(
            f"SELECT f.rowid, snippet({table}, -1, char(2), char(3), '…', {SNIPPET_TOKENS}), "
            f"{score} AS score FROM {table} f {scope} WHERE {where} ORDER BY {order} "
            "LIMIT :count"
        ),
        {"match": match, "project": project_id, "count": count},
    ).all()
    return [(int(row[0]), str(row[1] or ""), float(row[2])) for row in rows]


def _fts_search(
    connection: Connection,
    query: str,
    terms: list[Term],
    kinds: tuple[str, ...],
    project_id: int | None,
    offset: int,
    limit: int,
) -> SearchPage:
    match = fts_query(terms)
    wanted = offset + limit + 1
    found: list[tuple[float, str, int, str]] = []
    newest_first = []
    for kind in kinds:
        index = fts.BY_KIND[kind]
        newest = _too_common(connection, index, terms)
        if newest:
            newest_first.append(kind)
        for row_id, snippet, score in _fts_hits(
            connection, index, match, project_id, wanted, newest
        ):
            found.append((score, kind, row_id, snippet))
    found.sort(key=lambda item: (item[0], item[1], -item[2]))
    chosen = found[offset : offset + limit]
    hits = _describe(
        connection, [(kind, row_id, snippet, score) for score, kind, row_id, snippet in chosen]
    )
    return SearchPage(query, hits, offset, len(found) > offset + limit, "fts5", newest_first)


def _marked(snippet: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet without FTS5's marks, the marked spans, and secrets redacted (a span that
    touched a secret goes with it)."""
    plain: list[str] = []
    spans: list[tuple[int, int]] = []
    size = 0
    start = -1
    for piece in re.split(f"([{_START}{_END}])", snippet):
        if piece == _START:
            start = size
        elif piece == _END:
            if start >= 0:
                spans.append((start, size))
            start = -1
        else:
            plain.append(piece)
            size += len(piece)
    return _redacted("".join(plain), spans)


def _redacted(
    content: str, spans: list[tuple[int, int]]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    findings = find_secrets(content)
    if not findings:
        return content, tuple(spans)
    out: list[str] = []
    kept: list[tuple[int, int]] = []
    shift = 0
    last = 0
    for finding in findings:
        out.append(content[last : finding.start])
        replacement = marker(finding.kind)
        out.append(replacement)
        for span_start, span_end in spans:
            if span_end <= finding.start and last <= span_start:
                kept.append((span_start + shift, span_end + shift))
        shift += len(replacement) - (finding.end - finding.start)
        last = finding.end
    out.append(content[last:])
    kept += [(a + shift, b + shift) for a, b in spans if a >= last]
    return "".join(out), tuple(kept)


def _describe(connection: Connection, chosen: list[tuple[str, int, str, float]]) -> list[SearchHit]:
    """The hits with their session, project and place, read in one query per kind."""
    details: dict[tuple[str, int], tuple[object, ...]] = {}
    for kind in {kind for kind, *_ in chosen}:
        ids = [row_id for hit_kind, row_id, *_ in chosen if hit_kind == kind]
        for row in connection.execute(text(_DETAILS[kind].format(ids=_id_list(ids)))).all():
            details[(kind, int(row[0]))] = tuple(row[1:])
    hits = []
    for kind, row_id, snippet, score in chosen:
        found = details.get((kind, row_id))
        if found is None:  # deleted meanwhile
            continue
        session_id, number, project, title, position, role, created = found
        plain, spans = _marked(snippet)
        hits.append(
            SearchHit(
                kind=kind,
                id=row_id,
                session_id=_int(session_id),
                session_number=_int(number),
                project=str(project) if project is not None else None,
                title=str(title or ""),
                snippet=plain,
                highlights=spans,
                turn_position=_int(position),
                role=str(role) if role is not None else None,
                created_at=as_utc(created),
                score=score,
            )
        )
    return hits


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None


def _id_list(ids: list[int]) -> str:
    return ", ".join(str(int(row_id)) for row_id in ids) or "NULL"


_SESSION_COLUMNS = "s.id, s.number, p.name, s.title"
_DETAILS = {
    "turn": f"SELECT r.id, {_SESSION_COLUMNS}, r.position, r.role, r.created_at "
    "FROM conversation_turn r JOIN session s ON s.id = r.session_id "
    "JOIN project p ON p.id = s.project_id WHERE r.id IN ({ids})",
    "handoff": f"SELECT r.id, {_SESSION_COLUMNS}, NULL, NULL, r.created_at FROM handoff r "
    "JOIN session s ON s.id = r.session_id JOIN project p ON p.id = s.project_id "
    "WHERE r.id IN ({ids})",
    "session": f"SELECT r.id, {_SESSION_COLUMNS}, NULL, NULL, r.started_at FROM session r "
    "JOIN session s ON s.id = r.id JOIN project p ON p.id = s.project_id WHERE r.id IN ({ids})",
    "knowledge": "SELECT r.id, s.id, s.number, p.name, r.title, NULL, NULL, r.updated_at "
    "FROM knowledge_item r LEFT JOIN session s ON s.id = r.source_session_id "
    "LEFT JOIN project p ON p.id = coalesce(r.project_id, s.project_id) "
    "WHERE r.id IN ({ids})",
}


# --- LIKE, where there is no FTS5 ---------------------------------------------------------

_LIKE_TEXT = {
    "turn": "r.content",
    "handoff": "r.content",
    "session": "r.title || ' ' || r.objectives || ' ' || r.accomplishments || ' ' || "
    "r.blockers || ' ' || r.next_steps || ' ' || r.notes",
    "knowledge": "r.title || ' ' || r.body || ' ' || r.tags",
}
_LIKE_FROM = {
    "turn": "conversation_turn r JOIN session s ON s.id = r.session_id",
    "handoff": "handoff r JOIN session s ON s.id = r.session_id",
    "session": "session r JOIN session s ON s.id = r.id",
    "knowledge": "knowledge_item r LEFT JOIN session s ON s.id = r.source_session_id",
}


def _like_pattern(term: Term) -> str:
    # Words are letters and digits only (parse_query), so nothing in them is a LIKE wildcard.
    return "%" + " ".join(term.words) + "%"


def _like_search(
    connection: Connection,
    query: str,
    terms: list[Term],
    kinds: tuple[str, ...],
    project_id: int | None,
    offset: int,
    limit: int,
) -> SearchPage:
    """Every term as a case-insensitive substring, newest first: slower, but anywhere."""
    wanted = offset + limit + 1
    found: list[tuple[str, int, str, float, object]] = []
    params: dict[str, object] = {"count": wanted, "project": project_id}
    for number, term in enumerate(terms):
        params[f"t{number}"] = _like_pattern(term)
    for kind in kinds:
        body = _LIKE_TEXT[kind]
        conditions = [
            f"lower({body}) {'NOT ' if term.exclude else ''}LIKE :t{number}"
            for number, term in enumerate(terms)
        ]
        if project_id is not None:
            conditions.append(
                "(r.project_id = :project OR r.project_id IS NULL)"
                if kind == "knowledge"
                else "s.project_id = :project"
            )
        rows = connection.execute(
            text(
                f"SELECT r.id, {body} FROM {_LIKE_FROM[kind]} WHERE "
                + " AND ".join(conditions)
                + " ORDER BY r.id DESC LIMIT :count"
            ),
            params,
        ).all()
        for rank, (row_id, content) in enumerate(rows):
            found.append((kind, int(row_id), _like_snippet(str(content or ""), terms), rank, None))
    found.sort(key=lambda item: (item[3], item[0]))
    chosen = found[offset : offset + limit]
    hits = _describe(connection, [(kind, row_id, snip, 0.0) for kind, row_id, snip, *_ in chosen])
    return SearchPage(query, hits, offset, len(found) > offset + limit, "like")


def _like_snippet(content: str, terms: list[Term]) -> str:
    """About ``LIKE_SNIPPET`` characters around the first match, matches marked like FTS5's."""
    lowered = content.casefold()
    needles = [" ".join(term.words) for term in terms if not term.exclude]
    first = min((lowered.find(needle) for needle in needles if needle in lowered), default=0)
    start = max(0, first - LIKE_SNIPPET // 3)
    end = min(len(content), start + LIKE_SNIPPET)
    window = content[start:end]
    marks = sorted(
        (match.start(), match.end())
        for needle in needles
        for match in re.finditer(re.escape(needle), window.casefold())
    )
    out, last = [], 0
    for mark_start, mark_end in marks:
        if mark_start < last:
            continue
        out += [window[last:mark_start], _START, window[mark_start:mark_end], _END]
        last = mark_end
    out.append(window[last:])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(content) else "")
