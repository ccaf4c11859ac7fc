"""The troubleshooting assistant (F17): paste an error, a stack trace and code; get what went
wrong, how to fix it and how to prevent it.

Offline, ``analyse`` reads the error's signature out of the paste, finds the past
conversations, handoffs, session notes and knowledge items that mention the same error
(with, for a conversation, whether a later turn resolved it: the rules engine's error
tracking, ``handoff.extract``), adds rules of thumb for common errors, and writes an answer
from all that. ``write_answer`` then asks the configured LLM for Root cause, Fix steps and
Prevention with that material as context; when no LLM is configured or it fails, the offline
answer stands and the reason is given. ``troubleshoot`` does both. Nothing is stored.

The search is bounded whatever the database holds: texts are matched with ``LIKE`` on the
error's most distinctive literal (its code, its type, or the longest fixed part of its
message), the turns newest first in slices of ``SCAN_CHUNK`` ids, at most
``MAX_SCAN_TURNS`` of them, grouped by session in SQL; only a window of text around each hit
is read. Where the full-text index exists, it picks each slice's candidate turns (those
holding every word of the literal) and LIKE only confirms them: about twice as fast on a
million turns (0.35 s against 0.68 s).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, func, or_, select
from sqlalchemy import text as sql_text
from sqlmodel import Session, col

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    ConversationTurn,
    Handoff,
    KnowledgeItem,
    Project,
    WorkSession,
    as_utc,
)
from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.handoff.extract import SCAN_TURN_CHARS, Extractor, TurnRecord
from orchestrator_tui.handoff.text import code, shorten
from orchestrator_tui.records import (
    ErrorSignature,
    Heuristic,
    TroubleshootAnalysis,
    TroubleshootAnswer,
    TroubleshootMatch,
)
from orchestrator_tui.redact import redact
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.settings import HandoffSettings
from orchestrator_tui.troubleshoot.heuristics import diagnose
from orchestrator_tui.troubleshoot.signature import (
    HEAD_CHARS,
    MAX_ANALYSED,
    cap_text,
    literal_fragments,
    matching_key,
    normalize,
    parse_error,
    searchable_type,
    words,
)

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
SCAN_CHUNK = 50_000  # turn ids per query
MAX_SCAN_TURNS = 1_000_000  # the newest turns searched, at most
STRICT_ENOUGH = 40  # sessions where the exact text was found: enough to stop the scan
LOOSE_SESSIONS = 200  # sessions with a looser mention kept, at most
WINDOWS = 120  # texts read around a hit, at most, per kind
OTHER_CANDIDATES = 200  # handoffs, session fields and knowledge items per query
KNOWLEDGE_RECENT = 1_000  # the newest knowledge items are all compared, in prose
WINDOW_BEFORE = 1_200  # characters read before a hit
WINDOW_CHARS = 3_200
KNOWLEDGE_BODY_CHARS = 4_000
NEEDLE_CHARS = 80
MIN_NEEDLE = 3
RESOLVE_BEFORE = 5  # turns before a hit fed to the rules engine (its tool call)
RESOLVE_AFTER = 150  # turns after it where a fix is looked for
SNIPPET_CHARS = 300
FOLLOWUP_CHARS = 300
SESSION_FIELDS = ("blockers", "accomplishments", "notes")
EXACT, SIGNATURE, SIMILAR = 3, 2, 1
LEVEL_NAMES = {EXACT: "exact", SIGNATURE: "signature", SIMILAR: "similar"}
_KIND_PREFERENCE = {"turn": 2, "session": 1, "handoff": 0}
# Parts of exception names and modules that say nothing about which error it is.
_GENERIC_TERMS = frozenset(
    {"error", "errors", "exception", "exceptions", "java", "lang", "util", "builtins", "core"}
)
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


class Cancelled(OrchestratorError):
    """The caller's ``cancel`` event was set while the search ran."""


def read_paste(chunks: Iterable[str]) -> tuple[str, int]:
    """The text ``analyse`` looks at, read from ``chunks`` in bounded memory (the start and
    the end of a long paste, as ``cap_text`` cuts it), and the paste's full length."""
    head: list[str] = []
    head_chars = 0
    tail: deque[str] = deque()
    tail_chars = 0
    keep_tail = MAX_ANALYSED - HEAD_CHARS
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if head_chars < HEAD_CHARS:
            taken = chunk[: HEAD_CHARS - head_chars]
            head.append(taken)
            head_chars += len(taken)
            chunk = chunk[len(taken) :]
        if chunk:
            tail.append(chunk)
            tail_chars += len(chunk)
            while tail and tail_chars - len(tail[0]) >= keep_tail:
                tail_chars -= len(tail.popleft())
    if total <= MAX_ANALYSED:
        return "".join(head) + "".join(tail), total
    return "".join(head) + "\n" + "".join(tail)[-keep_tail:], total


# --- what is searched for, and how well a text matches ------------------------------------


@dataclass(frozen=True)
class Probe:
    """What the search looks for. A text is a candidate when it holds ``loose`` (ignoring
    ASCII case); those that also hold ``strict`` (the message as written, or its longest
    fixed part) are likelier matches and are looked at first."""

    loose: str
    strict: str | None = None


def _needle(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= NEEDLE_CHARS:
        return text
    cut = text[:NEEDLE_CHARS]
    return cut[: cut.rfind(" ")] if " " in cut[20:] else cut


def _only_quoted_values(message: str) -> bool:
    """Whether the message's only variable parts are quoted values (then it is searched for
    as written: ``No module named 'requests'``)."""
    return all(name == "q" for name in re.findall(r"<(\w+)>", normalize(message)))


def probe_for(signature: ErrorSignature) -> Probe | None:
    """The needles for ``signature``: the loose one is its code (unless a bare number such
    as an HTTP status), else its type, else the longest fixed part of its message; None when
    nothing in it is worth searching for."""
    message = signature.message.strip()
    fragments = literal_fragments(message) if message else []
    error_code = signature.code if signature.code and not signature.code.isdigit() else None
    loose = (
        error_code
        or searchable_type(signature)
        or (_needle(fragments[0]) if fragments else None)
        or signature.code
        or _needle(signature.headline)
    )
    if not loose or len(loose) < MIN_NEEDLE:
        return None
    strict: str | None = None
    if message and len(message) <= NEEDLE_CHARS and _only_quoted_values(message):
        strict = message
    elif fragments:
        strict = _needle(fragments[0])
    if strict is not None and (len(strict) < MIN_NEEDLE or strict.lower() in loose.lower()):
        strict = None
    return Probe(loose, strict)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") else word


class Matcher:
    """How closely a text mentions the error: EXACT (its message as written), SIGNATURE
    (the same once paths, numbers, ids and quoted values are set aside), SIMILAR (its type or
    code and most of its words), or 0. A type or code, when the error has one, must be in the
    text for any level."""

    def __init__(self, signature: ErrorSignature) -> None:
        self.required = [
            re.compile(rf"(?<![\w$]){re.escape(token)}(?![\w$])", re.IGNORECASE)
            for token in (searchable_type(signature), signature.code)
            if token
        ]
        self.exact = " ".join(matching_key(signature).split()).lower()
        self.normalized = signature.normalized
        self.keywords = {_stem(word) for word in signature.keywords}
        # Words of the type and its module: SignatureVerificationError, stripe.error...
        name_words = [
            piece.lower()
            for part in signature.error_type.split(".")
            for piece in _CAMEL_RE.findall(part)
        ]
        self.name_terms = {
            _stem(word) for word in name_words if len(word) > 2 and word not in _GENERIC_TERMS
        }

    def level(self, text: str) -> int:
        if not all(pattern.search(text) for pattern in self.required):
            return 0
        # Without a type or code, a message of one word ("Error: boom") is no identity.
        distinctive = bool(self.required) or len(words(self.normalized)) >= 2
        flat = " ".join(text.split()).lower()
        if distinctive and self.exact and self.exact in flat:
            return EXACT
        normalized = normalize(text)
        if distinctive and self.normalized and self.normalized in normalized:
            return SIGNATURE
        found = {_stem(word) for word in words(normalized)}
        hits = len(self.keywords & found)
        if self.required:
            return SIMILAR if not self.keywords or hits * 2 >= len(self.keywords) else 0
        return SIMILAR if len(self.keywords) >= 2 and hits * 3 >= len(self.keywords) * 2 else 0

    def prose_level(self, text: str) -> int:
        """``level``, or SIMILAR for prose about the error (a knowledge item): its type and a
        word of its message, or two words of its name and message without its type
        ("Stripe webhook signature fails" for ``stripe.error.SignatureVerificationError``)."""
        level = self.level(text)
        if level:
            return level
        found = {_stem(word) for word in words(normalize(text))}
        hits = (self.keywords | self.name_terms) & found
        if self.required and all(pattern.search(text) for pattern in self.required):
            return SIMILAR if hits else 0  # its type, and something of its message
        strong = self.name_terms & found
        return SIMILAR if strong and len(hits) >= 2 else 0


# --- the search ---------------------------------------------------------------------------


@dataclass
class Candidate:
    """A text that holds the loose needle, with a window of it around the hit."""

    kind: str  # turn, handoff, session, knowledge
    source_id: int  # the turn's, handoff's, session's or knowledge item's id
    session_id: int | None
    window: str
    strict: bool
    when: datetime | None = None
    position: int | None = None  # a turn's
    occurrences: int = 1
    field: str | None = None  # a session's
    title: str = ""  # a knowledge item's
    category: str | None = None
    project_id: int | None = None


@dataclass
class Candidates:
    items: list[Candidate] = field(default_factory=list)
    turns_searched: int = 0
    capped: bool = False


def _like(column: Any, needle: str) -> ColumnElement[bool]:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    result: ColumnElement[bool] = column.like(f"%{escaped}%", escape="\\")
    return result


def _window(column: Any, needle: str) -> Any:
    """The text of ``column`` around the first ``needle`` (ASCII case ignored, as LIKE does)."""
    found = func.instr(func.lower(column), needle.lower())
    return func.substr(column, func.max(found - WINDOW_BEFORE, 1), WINDOW_CHARS)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Stopped before the search finished.")


def _indexed_turns(session: Session, needle: str) -> Callable[[int, int], Any] | None:
    """With the full-text index: the ids, between two bounds, of the turns holding every word
    of ``needle`` (a superset of those holding the text itself). None without the index, or
    when the needle has no word to look up."""
    from orchestrator_tui.db import fts
    from orchestrator_tui.services.search import Term, fts_query, words

    found = words(needle)
    if not found or not fts.index_present(session.connection()):
        return None
    match = fts_query([Term((word,)) for word in found])

    def ids(lower: int, upper: int) -> Any:
        return (
            sql_text(
                "SELECT rowid FROM turn_fts WHERE turn_fts MATCH :match "
                "AND rowid >= :lower AND rowid < :upper"
            )
            .bindparams(match=match, lower=lower, upper=upper)
            .columns(rowid=Integer)
        )

    return ids


def _scan_turns(
    session: Session, probe: Probe, project_id: int | None, cancel: threading.Event | None
) -> Candidates:
    """The turns that mention the error, one per session (its latest strict hit, else its
    latest hit), newest first, in slices of SCAN_CHUNK ids, grouped by session in SQL."""
    turn_id = col(ConversationTurn.id)
    content = col(ConversationTurn.content)
    session_id = col(ConversationTurn.session_id)
    lowest, highest = session.execute(select(func.min(turn_id), func.max(turn_id))).one()
    result = Candidates()
    if highest is None:
        return result
    loose = _like(content, probe.loose)
    strict = _like(content, probe.strict) if probe.strict else None
    strict_id = func.max(case((strict, turn_id), else_=None)) if strict is not None else None
    own: ColumnElement[bool] | None = None
    if project_id is not None:
        own = session_id.in_(
            select(col(WorkSession.id)).where(col(WorkSession.project_id) == project_id)
        )
    indexed = _indexed_turns(session, probe.loose)
    hits: dict[int, list[int | None]] = {}  # session -> [latest id, latest strict id, count]
    upper = highest + 1
    while upper > lowest and upper > highest + 1 - MAX_SCAN_TURNS:
        _check(cancel)
        lower = max(upper - SCAN_CHUNK, lowest, highest + 1 - MAX_SCAN_TURNS)
        columns: list[Any] = [session_id, func.max(turn_id), func.count()]
        if strict_id is not None:
            columns.append(strict_id)
        query = (
            select(*columns).where(turn_id >= lower, turn_id < upper, loose).group_by(session_id)
        )
        if indexed is not None:  # the index finds the slice's candidates; LIKE confirms them
            query = query.where(turn_id.in_(indexed(lower, upper)))
        if own is not None:
            query = query.where(own)
        for row in session.execute(query):
            owner, latest, count = row[0], row[1], row[2]
            exact = row[3] if strict_id is not None else None
            entry = hits.get(owner)
            if entry is None:
                if len(hits) >= LOOSE_SESSIONS and exact is None:
                    continue
                hits[owner] = [latest, exact, count]
            else:
                entry[1] = entry[1] or exact  # the newest strict hit was seen first
                entry[2] = (entry[2] or 0) + count
        upper = lower
        strict_sessions = sum(1 for entry in hits.values() if entry[1] is not None)
        if strict_sessions >= STRICT_ENOUGH or (strict is None and len(hits) >= LOOSE_SESSIONS):
            break
    result.capped = upper > lowest
    counted = select(func.count()).where(turn_id >= upper)
    if own is not None:
        counted = counted.where(own)
    result.turns_searched = int(session.execute(counted).scalar_one())
    ranked = sorted(
        hits.items(), key=lambda item: (item[1][1] is None, -int(item[1][1] or item[1][0] or 0))
    )[:WINDOWS]
    for exact_hit in (True, False):
        chosen = {
            int((entry[1] if exact_hit else entry[0]) or 0): int(entry[2] or 1)
            for _, entry in ranked
            if (entry[1] is not None) == exact_hit
        }
        if not chosen:
            continue
        needle = probe.strict if exact_hit and probe.strict else probe.loose
        rows = session.execute(
            select(
                turn_id,
                session_id,
                col(ConversationTurn.position),
                col(ConversationTurn.created_at),
                _window(content, needle),
            ).where(turn_id.in_(chosen))
        )
        for found_id, owner, position, created, window in rows:
            result.items.append(
                Candidate(
                    "turn",
                    found_id,
                    owner,
                    window or "",
                    exact_hit,
                    as_utc(created),
                    position=position,
                    occurrences=chosen[found_id],
                )
            )
    return result


def _strict_flag(column: Any, probe: Probe) -> Any:
    if probe.strict is None:
        return func.abs(0)
    return case((_like(column, probe.strict), 1), else_=0)


def find_candidates(
    session: Session,
    probe: Probe,
    project_id: int | None = None,
    cancel: threading.Event | None = None,
) -> Candidates:
    """Every text that mentions the error: conversation turns, handoffs, session fields and
    knowledge items (the newest KNOWLEDGE_RECENT of those too, since they word errors in
    prose). The only function that queries for text."""
    found = _scan_turns(session, probe, project_id, cancel)
    _check(cancel)
    project_sessions = (
        select(col(WorkSession.id)).where(col(WorkSession.project_id) == project_id)
        if project_id is not None
        else None
    )

    content = col(Handoff.content)
    query = (
        select(
            col(Handoff.id),
            col(Handoff.session_id),
            col(Handoff.created_at),
            _strict_flag(content, probe),
            _window(content, probe.strict or probe.loose),
        )
        .where(_like(content, probe.loose))
        .order_by(_strict_flag(content, probe).desc(), col(Handoff.id).desc())
        .limit(OTHER_CANDIDATES)
    )
    if project_sessions is not None:
        query = query.where(col(Handoff.session_id).in_(project_sessions))
    for handoff_id, owner, created, strict, window in session.execute(query):
        found.items.append(
            Candidate("handoff", handoff_id, owner, window or "", bool(strict), as_utc(created))
        )

    for name in SESSION_FIELDS:
        text = col(getattr(WorkSession, name))
        when = func.coalesce(col(WorkSession.ended_at), col(WorkSession.started_at))
        query = (
            select(
                col(WorkSession.id),
                when,
                _strict_flag(text, probe),
                _window(text, probe.strict or probe.loose),
            )
            .where(_like(text, probe.loose))
            .order_by(_strict_flag(text, probe).desc(), col(WorkSession.id).desc())
            .limit(OTHER_CANDIDATES)
        )
        if project_id is not None:
            query = query.where(col(WorkSession.project_id) == project_id)
        for owner, moment, strict, window in session.execute(query):
            found.items.append(
                Candidate(
                    "session", owner, owner, window or "", bool(strict), as_utc(moment), field=name
                )
            )

    _check(cancel)
    item = KnowledgeItem
    knowledge_columns = (
        col(item.id),
        col(item.source_session_id),
        col(item.updated_at),
        col(item.title),
        col(item.tags),
        func.substr(col(item.body), 1, KNOWLEDGE_BODY_CHARS),
        col(item.category),
        col(item.project_id),
    )
    mentions = or_(
        _like(col(item.title), probe.loose),
        _like(col(item.body), probe.loose),
        _like(col(item.tags), probe.loose),
    )
    queries = [
        select(*knowledge_columns)
        .where(mentions)
        .order_by(col(item.id).desc())
        .limit(OTHER_CANDIDATES),
        select(*knowledge_columns).order_by(col(item.id).desc()).limit(KNOWLEDGE_RECENT),
    ]
    seen: set[int] = set()
    for query in queries:
        if project_id is not None:
            query = query.where(
                or_(col(item.project_id) == project_id, col(item.project_id).is_(None))
            )
        for row in session.execute(query):
            knowledge_id, owner, updated, title, tags, body, category, item_project = row
            if knowledge_id in seen:
                continue
            seen.add(knowledge_id)
            found.items.append(
                Candidate(
                    "knowledge",
                    knowledge_id,
                    owner,
                    f"{title}\n{tags}\n{body or ''}",
                    False,
                    as_utc(updated),
                    title=title,
                    category=category,
                    project_id=item_project,
                )
            )
    return found


# --- from candidates to matches -----------------------------------------------------------


def _snippet(window: str, probe: Probe | None, next_line: bool = False) -> str:
    """The line of ``window`` with the hit (a long one: the part around it), with the line
    after it when ``next_line`` and the line is short (a frame, a hint), on one line."""
    low = window.lower()
    position = -1
    for needle in (probe.strict, probe.loose) if probe is not None else ():
        if needle:
            position = low.find(needle.lower())
            if position >= 0:
                break
    if position < 0:
        return shorten(window, SNIPPET_CHARS)
    start = window.rfind("\n", 0, position) + 1
    end = window.find("\n", position)
    line = window[start : end if end >= 0 else len(window)].strip()
    if len(line) > SNIPPET_CHARS:  # a long line: the part around the hit
        at = position - start
        line = "…" + line[max(at - SNIPPET_CHARS // 3, 0) :].lstrip()
    elif end >= 0 and next_line:
        following = window[end + 1 :].lstrip("\n").split("\n", 1)[0].strip()
        if following:
            line = f"{line} ⏎ {following}"
    return shorten(redact(line), SNIPPET_CHARS)


def _resolution(
    session: Session, matcher: Matcher, session_id: int, position: int
) -> tuple[bool | None, str | None, str | None]:
    """Whether the rules engine sees the error resolved in the turns after ``position``
    (None: it does not see it as an error there), how, and the assistant's next words."""
    turn = ConversationTurn
    content = col(turn.content)
    half = SCAN_TURN_CHARS // 2
    scanned = case(
        (
            func.length(content) > SCAN_TURN_CHARS,
            func.substr(content, 1, half) + "\n" + func.substr(content, -half),
        ),
        else_=content,
    )
    rows = session.execute(
        select(
            col(turn.position),
            col(turn.role),
            scanned,
            col(turn.kind),
            col(turn.tool_name),
            col(turn.is_error),
            col(turn.thread),
            col(turn.source_message_id),
        )
        .where(
            col(turn.session_id) == session_id,
            col(turn.position) >= position - RESOLVE_BEFORE,
            col(turn.position) <= position + RESOLVE_AFTER,
        )
        .order_by(col(turn.position))
    )
    extractor = Extractor()
    followup: str | None = None
    for at, role, text, kind, tool, is_error, thread, source_id in rows:
        text = text or ""
        extractor.add(TurnRecord(role, text, kind, tool, bool(is_error), thread, source_id))
        if followup is None and at > position and role == "assistant" and kind == "text":
            followup = shorten(redact(text), FOLLOWUP_CHARS) or None
    facts = extractor.facts()
    for error in facts.resolved_errors:
        if matcher.level(error.text):
            return True, redact(error.resolution or "resolved"), followup
    if any(matcher.level(error.text) for error in facts.open_errors):
        return False, None, followup
    return None, None, followup


def _rank(match: TroubleshootMatch, level: int) -> tuple[bool, int, bool, int, float]:
    """Knowledge items that record an error's solution first; then by level; a resolved
    mention before others; a conversation (which tells what happened next) before a
    session's notes and a handoff; the latest first."""
    solution = match.kind == "knowledge" and match.category == "error_solution"
    moment = match.occurred_at.timestamp() if match.occurred_at else 0.0
    preference = _KIND_PREFERENCE.get(match.kind, 0)
    return (not solution, -level, match.resolved is not True, -preference, -moment)


Ranked = list[tuple[TroubleshootMatch, int, Candidate]]  # with its level and its text


def _best_per_session(
    candidates: Iterable[Candidate], matcher: Matcher
) -> tuple[list[tuple[int, Candidate]], list[tuple[int, Candidate]]]:
    """The best mention of each session (by level, then conversation before session field
    before handoff), and the knowledge items that match, each with its level."""
    best: dict[int, tuple[int, int, Candidate]] = {}
    knowledge: list[tuple[int, Candidate]] = []
    for candidate in candidates:
        if candidate.kind == "knowledge":
            level = matcher.prose_level(candidate.window)
            if level:
                knowledge.append((level, candidate))
            continue
        level = matcher.level(candidate.window)
        if not level or candidate.session_id is None:
            continue
        key = (level, _KIND_PREFERENCE[candidate.kind])
        held = best.get(candidate.session_id)
        if held is None or key > held[:2]:
            best[candidate.session_id] = (*key, candidate)
    return [(level, hit) for level, _, hit in best.values()], knowledge


def _matches(
    session: Session,
    probe: Probe,
    sessions_hits: list[tuple[int, Candidate]],
    knowledge: list[tuple[int, Candidate]],
) -> Ranked:
    """The records of the hits, with their session's project, number and title."""
    sessions = _sessions(
        session,
        {hit.session_id for _, hit in sessions_hits}
        | {hit.session_id for _, hit in knowledge if hit.session_id is not None},
    )
    projects = _project_names(session, {hit.project_id for _, hit in knowledge})
    ranked: Ranked = []
    for level, hit in sessions_hits:
        meta = sessions.get(hit.session_id) if hit.session_id is not None else None
        if meta is None:
            continue
        match = TroubleshootMatch(
            kind=hit.kind,
            level=LEVEL_NAMES[level],
            session_id=hit.session_id,
            project=meta[0],
            number=meta[1],
            title=meta[2],
            snippet=_snippet(hit.window, probe, next_line=hit.kind == "turn"),
            occurred_at=hit.when,
            occurrences=hit.occurrences,
            field=hit.field,
        )
        ranked.append((match, level, hit))
    for level, hit in knowledge:
        meta = sessions.get(hit.session_id) if hit.session_id is not None else None
        body = hit.window.split("\n", 2)[2] if hit.window.count("\n") >= 2 else ""
        match = TroubleshootMatch(
            kind="knowledge",
            level=LEVEL_NAMES[level],
            session_id=hit.session_id if meta is not None else None,
            project=projects.get(hit.project_id) if hit.project_id is not None else None,
            number=meta[1] if meta is not None else None,
            title=hit.title,
            snippet=shorten(redact(body), SNIPPET_CHARS * 2),
            occurred_at=hit.when,
            knowledge_id=hit.source_id,
            category=hit.category,
        )
        ranked.append((match, level, hit))
    return ranked


def _with_resolution(session: Session, matcher: Matcher, ranked: Ranked) -> Ranked:
    """The conversations' matches with whether a later turn resolved the error, what the
    assistant said next, and the turn's place in its session."""
    done: Ranked = []
    for match, level, hit in ranked:
        if hit.kind == "turn" and hit.position is not None and match.session_id is not None:
            resolved, how, followup = _resolution(session, matcher, match.session_id, hit.position)
            index = session.execute(
                select(func.count()).where(
                    col(ConversationTurn.session_id) == match.session_id,
                    col(ConversationTurn.position) < hit.position,
                )
            ).scalar_one()
            match = replace(
                match, resolved=resolved, resolution=how, followup=followup, turn_index=index
            )
        done.append((match, level, hit))
    return done


def find_matches(
    db: Database,
    signature: ErrorSignature,
    *,
    project: str | int | None = None,
    limit: int = DEFAULT_LIMIT,
    cancel: threading.Event | None = None,
) -> tuple[list[TroubleshootMatch], Candidates]:
    """The past mentions of the error, best first (see ``_rank``), at most ``limit``: one per
    session (its conversation first: it tells whether a fix followed), and the knowledge
    items. The resolutions are looked up for twice ``limit`` of them, then all are ranked
    again, so that a resolved mention can move up."""
    probe = probe_for(signature)
    limit = max(1, min(limit, MAX_LIMIT))
    matcher = Matcher(signature)
    with db.unit() as session:
        project_id = project_repo.require(session, project).id if project is not None else None
        if probe is None:
            return [], Candidates()
        candidates = find_candidates(session, probe, project_id, cancel)
        sessions_hits, knowledge = _best_per_session(candidates.items, matcher)
        ranked = _matches(session, probe, sessions_hits, knowledge)
        ranked.sort(key=lambda entry: _rank(entry[0], entry[1]))
        ranked = _with_resolution(session, matcher, ranked[: limit * 2])
        ranked.sort(key=lambda entry: _rank(entry[0], entry[1]))
        return [match for match, _, _ in ranked[:limit]], candidates


def _sessions(session: Session, ids: set[int | None]) -> dict[int, tuple[str, int, str]]:
    """Project name, number and title (or objectives) of each session."""
    wanted = [item for item in ids if item is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(
            col(WorkSession.id),
            col(Project.name),
            col(WorkSession.number),
            col(WorkSession.title),
            func.substr(col(WorkSession.objectives), 1, 200),
        )
        .join(Project, col(Project.id) == col(WorkSession.project_id))
        .where(col(WorkSession.id).in_(wanted))
    )
    return {row[0]: (row[1], row[2], row[3] or shorten(row[4] or "", 120)) for row in rows}


def _project_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [item for item in ids if item is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(col(Project.id), col(Project.name)).where(col(Project.id).in_(wanted))
    )
    return {row[0]: row[1] for row in rows}


# --- the offline answer -------------------------------------------------------------------


def _match_heading(match: TroubleshootMatch) -> str:
    if match.kind == "knowledge":
        scope = f" ({match.project})" if match.project else ""
        return f"**Knowledge** · {match.category} · {match.title}{scope}"
    where = {
        "turn": f"conversation, turn {match.turn_index + 1:,}"
        if match.turn_index is not None
        else "conversation",
        "handoff": "handoff",
        "session": f"session {match.field}",
    }[match.kind]
    title = f" · {match.title}" if match.title else ""
    when = f" · {match.occurred_at:%Y-%m-%d}" if match.occurred_at else ""
    return f"**{match.project} #{match.number}**{title} · {where} · {match.level} match{when}"


def _render_match(index: int, match: TroubleshootMatch) -> list[str]:
    """One numbered item; its paragraphs indented by four spaces, so that they stay inside
    the item whatever the number's width."""
    lines = [f"{index}. {_match_heading(match)}", ""]
    if match.kind == "knowledge":
        return [*lines, f"    {match.snippet}", ""]
    lines += [f"    > {match.snippet}", ""]
    said: list[str] = []
    if match.resolved is True:
        said.append(f"✔ **Resolved** later in that session: {match.resolution}")
    elif match.resolved is False:
        said.append("No later fix detected in that session.")
    if match.followup:
        said.append(f"Next, the assistant said: “{match.followup}”")
    if match.occurrences > 1:
        said.append(f"({match.occurrences:,} turns of that session mention it.)")
    if said:
        lines += ["    " + " ".join(said), ""]
    return lines


def render_seen_before(matches: Iterable[TroubleshootMatch]) -> str:
    """The "Seen before" section: each past mention, what fixed it, what came next."""
    lines = ["## Seen before", ""]
    found = list(matches)
    for index, match in enumerate(found, 1):
        lines += _render_match(index, match)
    if not found:
        lines.append("_Nothing in your sessions, handoffs or knowledge base mentions this error._")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_offline(
    signature: ErrorSignature,
    matches: Iterable[TroubleshootMatch],
    heuristics: Iterable[Heuristic],
    notes: Iterable[str] = (),
) -> str:
    """The answer without an LLM: the error, where it was seen before (and what fixed it),
    and the rules of thumb, labelled as such."""
    lines = ["## Error", ""]
    if signature.found:
        message = code(signature.message or signature.headline)
        lines.append(f"- **{signature.error_type}** ({signature.language}): {message}")
        if signature.frames:
            frame = signature.frames[0]
            where = f"{frame.file}:{frame.line}" if frame.line else frame.file
            lines.append(
                f"- Raised at {code(where)}"
                + (f" in {code(frame.function)}" if frame.function else "")
                + f" · {len(signature.frames)} frame(s) in the trace"
            )
    else:
        lines.append(
            f"- No error message recognised; searched for {code(signature.headline or '?')}."
        )
    lines += [f"- _{note}_" for note in notes]
    lines += ["", render_seen_before(matches).rstrip("\n")]
    rules = list(heuristics)
    if rules:
        lines += [
            "",
            "## Rule of thumb (heuristic)",
            "",
            "_General advice for this kind of error, not an analysis of your code._",
        ]
        for heuristic in rules:
            lines += ["", f"**Likely cause:** {heuristic.cause}", "", "**Fix steps:**", ""]
            lines += [f"{number}. {step}" for number, step in enumerate(heuristic.steps, 1)]
            lines += ["", f"**Prevention:** {heuristic.prevention}"]
    return "\n".join(lines) + "\n"


def analyse(
    db: Database | None,
    text: str,
    *,
    project: str | int | None = None,
    limit: int = DEFAULT_LIMIT,
    input_chars: int | None = None,
    cancel: threading.Event | None = None,
) -> TroubleshootAnalysis:
    """The offline part: signature, past mentions (none without a database), rules of thumb
    and the answer written from them. ``input_chars`` is the paste's length when the caller
    has already cut it (``read_paste``)."""
    if not text.strip():
        raise ValidationError(
            {"paste": "nothing to analyse: paste an error message, a stack trace or code"}
        )
    analysed, cut = cap_text(text)
    total = max(input_chars or 0, len(text))
    truncated = cut or total > len(text)
    signature = parse_error(analysed)
    notes: list[str] = []
    if truncated:
        notes.append(
            f"The paste has {total:,} characters: its first {HEAD_CHARS:,} and its last "
            f"{MAX_ANALYSED - HEAD_CHARS:,} were analysed."
        )
    matches: list[TroubleshootMatch] = []
    searched = Candidates()
    if db is None:
        notes.append("No database yet: past sessions were not searched.")
    else:
        matches, searched = find_matches(db, signature, project=project, limit=limit, cancel=cancel)
        if searched.capped:
            notes.append(f"Searched the latest {searched.turns_searched:,} turns.")
    heuristics = diagnose(signature)
    return TroubleshootAnalysis(
        text=analysed,
        input_chars=total,
        truncated=truncated,
        signature=signature,
        matches=tuple(matches),
        heuristics=heuristics,
        answer=render_offline(signature, matches, heuristics, notes),
        turns_searched=searched.turns_searched,
        search_capped=searched.capped,
        notes=tuple(notes),
    )


# --- the LLM's answer ---------------------------------------------------------------------


def write_answer(
    analysis: TroubleshootAnalysis,
    settings: HandoffSettings | None = None,
    provider: str | None = None,
    *,
    on_piece: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> TroubleshootAnswer:
    """The answer of ``provider`` (default: the settings'): ``rules`` is the offline one; an
    LLM streams its text to ``on_piece`` (from the calling thread) and stops when ``cancel``
    is set. Whenever the LLM does not deliver (no token, a server error, a reply without the
    three sections, a cancel), the offline answer stands and ``fallback_reason`` says why."""
    from orchestrator_tui.services.handoffs import LLM_PROVIDERS, known_providers

    settings = settings or HandoffSettings()
    provider = provider or settings.provider
    if provider not in known_providers():
        known = ", ".join(known_providers())
        raise ValidationError({"provider": f"unknown provider {provider!r}; use one of {known}"})
    if provider not in LLM_PROVIDERS:
        return TroubleshootAnswer(analysis.answer, "rules")
    from orchestrator_tui.llm import LLMCancelled, LLMConfig, LLMError, complete_chat
    from orchestrator_tui.llm.troubleshoot_prompt import (
        SECTIONS,
        build_troubleshoot_messages,
        read_answer,
    )

    try:
        config = LLMConfig(
            provider=provider,
            model=settings.model,
            base_url=settings.base_url,
            input_budget=settings.input_budget,
        )
        messages = build_troubleshoot_messages(analysis, config.input_budget)
        answer = read_answer(complete_chat(config, messages, on_piece, cancel))
        if not answer:
            raise LLMError(f"the model's reply has none of the sections {', '.join(SECTIONS)}")
    except LLMCancelled as stopped:
        return TroubleshootAnswer(analysis.answer, "rules", fallback_reason=stopped.reason)
    except LLMError as error:
        log.warning("%s troubleshooting failed (%s); the offline answer stands", provider, error)
        return TroubleshootAnswer(
            analysis.answer, "rules", fallback_reason=f"{provider}: {error.reason}"
        )
    return TroubleshootAnswer(redact(answer), provider, config.model)


def troubleshoot(
    db: Database | None,
    text: str,
    *,
    project: str | int | None = None,
    settings: HandoffSettings | None = None,
    provider: str | None = None,
    limit: int = DEFAULT_LIMIT,
    input_chars: int | None = None,
    on_piece: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[TroubleshootAnalysis, TroubleshootAnswer]:
    """``analyse``, then ``write_answer``."""
    analysis = analyse(
        db, text, project=project, limit=limit, input_chars=input_chars, cancel=cancel
    )
    return analysis, write_answer(analysis, settings, provider, on_piece=on_piece, cancel=cancel)
