"""Planning across the account pool: which account should run a project's next session
(recommend), and moving a project to the next account when one runs dry (rotate), with a
briefing queued in the handoff queue for the next session to load.

The ranking, in order: usable (available or active) with at least the minimum credits;
more specialization tags matching the project (or the asked specialization); enough credits
for what this project's sessions usually cost (their median); credits that come back soon
anyway (a reset within ``reset_soon_hours``) spent first; most credits; least recently used;
then the name, so that the order is always the same for the same data and clock.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import Account, HandoffQueueItem, Project, WorkSession, utcnow
from orchestrator_tui.errors import ConflictError, ValidationError
from orchestrator_tui.handoff.rules import (
    DECISIONS,
    FILES,
    STEPS,
    SUMMARY,
    split_items,
)
from orchestrator_tui.records import (
    AccountStatus,
    ExcludedAccount,
    ProjectStatus,
    QueuedHandoff,
    RankedAccount,
    Recommendation,
    Rotation,
    SessionStatus,
)
from orchestrator_tui.repositories import accounts as account_repo
from orchestrator_tui.repositories import handoffs as handoff_repo
from orchestrator_tui.repositories import projects as project_repo
from orchestrator_tui.repositories import queue as queue_repo
from orchestrator_tui.repositories import sessions as session_repo
from orchestrator_tui.settings import AccountSettings, load_account_settings
from orchestrator_tui.validation import MAX_CREDITS

USABLE = (AccountStatus.AVAILABLE, AccountStatus.ACTIVE)
# Words that say nothing about what an account is good at.
_STOP = "a an and are as at be by for from has have in into is it its of on or our over so the"
STOP_WORDS = frozenset(f"{_STOP} their this that to under up via was we were with your".split())
_WORD_RE = re.compile(r"[a-z0-9][a-z0-9+#]*")
_TAG_SPLIT_RE = re.compile(r"[,;/\n]")
# The handoff sections a rotation briefing carries over (the rest is in the session rows).
BRIEFING_SECTIONS = (SUMMARY, STEPS, DECISIONS, FILES)
HANDOFF_EXCERPT = 1500  # characters of a handoff without those sections


class NoCandidateError(ConflictError):
    """No account qualifies to take over; nothing was changed."""


def _stem(word: str) -> str:
    """Plural and singular alike: ``pipelines`` matches ``pipeline``."""
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


def words(text: str) -> list[str]:
    """The words of ``text`` that can name a skill, casefolded, each once, in order."""
    found = _WORD_RE.findall(text.casefold())
    return list(dict.fromkeys(word for word in found if len(word) > 1 and word not in STOP_WORDS))


def keywords(text: str) -> set[str]:
    """Those words singular: what specializations are matched on."""
    return {_stem(word) for word in words(text)}


def tags(specialization: str) -> list[str]:
    return [tag.strip() for tag in _TAG_SPLIT_RE.split(specialization) if tag.strip()]


def matching_tags(specialization: str, wanted: set[str]) -> list[str]:
    """The account's tags that share a keyword with what is wanted, as the account names them."""
    return [tag for tag in tags(specialization) if keywords(tag) & wanted]


# --- words for times -----------------------------------------------------------------------


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return "under an hour"
    if hours < 48:
        count = round(hours)
        return f"{count} hour{'s' if count != 1 else ''}"
    days, rest = divmod(round(hours), 24)
    return f"{days} days" + (f" {rest} hour{'s' if rest != 1 else ''}" if rest else "")


def reset_words(account: Account, now: datetime) -> str:
    if account.next_reset_at is None:
        return "its credits do not reset"
    cadence = "" if account.reset_cadence == "none" else f", {account.reset_cadence}"
    moment = account.next_reset_at
    return f"resets in {_span(moment - now)} ({_utc(moment)}{cadence})"


def _last_used_words(account: Account, now: datetime) -> str:
    if account.last_used_at is None:
        return "never used yet"
    ago = now - account.last_used_at
    return "last used just now" if ago < timedelta(hours=1) else f"last used {_span(ago)} ago"


# --- the ranking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What an account is ranked against."""

    minimum: int
    wanted: set[str]
    wanted_words: list[str]  # as written, for the user
    typical_cost: int | None
    soon: timedelta
    now: datetime


def _typical_cost(session: Session, project_id: int) -> int | None:
    """The median credits of a project's completed sessions, rounded up."""
    spent = session_repo.completed_credits(session, project_id)
    return math.ceil(statistics.median(spent)) if spent else None


def _exclusion(account: Account, context: _Context) -> str | None:
    if account.status == AccountStatus.BLOCKED:
        return "blocked"
    if account.status == AccountStatus.EXHAUSTED:
        return f"exhausted; {reset_words(account, context.now)}"
    if account.credits_remaining < context.minimum:
        return (
            f"only {account.credits_remaining:,} credits left (the minimum is "
            f"{context.minimum:,}); {reset_words(account, context.now)}"
        )
    return None


def _rank_one(account: Account, context: _Context) -> RankedAccount:
    assert account.id is not None
    now = context.now
    matches = matching_tags(account.specialization, context.wanted)
    typical = context.typical_cost
    covers = typical is None or account.credits_remaining >= typical
    resets_soon = account.next_reset_at is not None and account.next_reset_at - now <= context.soon
    state = "active: a session in progress uses it" if account.status == "active" else "available"
    reasons = [f"{account.credits_remaining:,} of {account.credit_limit:,} credits left; {state}"]
    if matches:
        reasons.append("specialization matches: " + ", ".join(matches))
    elif context.wanted:
        reasons.append("no specialization match")
    if typical is not None:
        if covers:
            reasons.append(f"enough for a typical session of this project ({typical:,} credits)")
        else:
            reasons.append(
                f"fewer credits than a typical session of this project ({typical:,}): it may "
                "run out mid-session"
            )
    if resets_soon:
        reasons.append(
            f"{reset_words(account, now)}: what it has left comes back anyway, so it is spent first"
        )
    else:
        reasons.append(reset_words(account, now))
    reasons.append(_last_used_words(account, now))
    return RankedAccount(
        id=account.id,
        name=account.name,
        platform=account.platform,
        status=account.status,
        credits_remaining=account.credits_remaining,
        credit_limit=account.credit_limit,
        reset_cadence=account.reset_cadence,
        next_reset_at=account.next_reset_at,
        last_used_at=account.last_used_at,
        specialization_matches=matches,
        covers_typical_cost=covers,
        resets_soon=resets_soon,
        reasons=reasons,
    )


def _order(ranked: RankedAccount) -> tuple[object, ...]:
    never = ranked.last_used_at is None
    last_used = ranked.last_used_at or datetime.min.replace(tzinfo=UTC)
    return (
        -len(ranked.specialization_matches),
        not ranked.covers_typical_cost,
        not ranked.resets_soon,
        -ranked.credits_remaining,
        not never,
        last_used,
        ranked.name.casefold(),
        ranked.id,
    )


def _recommend(
    session: Session,
    project: Project | None,
    context: _Context,
    leaving: int | None = None,
) -> Recommendation:
    ranked: list[RankedAccount] = []
    excluded: list[ExcludedAccount] = []
    for account in session.exec(select(Account).order_by(col(Account.name))).all():
        reason = "being rotated out" if account.id == leaving else _exclusion(account, context)
        if reason is None:
            ranked.append(_rank_one(account, context))
        else:
            excluded.append(
                ExcludedAccount(account.name, account.status, account.credits_remaining, reason)
            )
    ranked.sort(key=_order)
    if len(ranked) > 1:
        best = ranked[0]
        why = "ranked first: " + _why_first(best, ranked[1])
        ranked[0] = replace(best, reasons=[why, *best.reasons])
    queued = None
    if project is not None and project.id is not None:
        waiting = queue_repo.pending(session, project.id)
        queued = waiting[0].to_account_name if waiting else None
    return Recommendation(
        ranked=ranked,
        excluded=excluded,
        min_credits=context.minimum,
        project=project.name if project else None,
        typical_cost=context.typical_cost,
        keywords=context.wanted_words,
        queued_account=queued,
    )


def _why_first(best: RankedAccount, second: RankedAccount) -> str:
    """What put the first account ahead of the second, in the ranking's words."""
    other = second.name
    if len(best.specialization_matches) != len(second.specialization_matches):
        return f"a closer specialization match than {other}"
    if best.covers_typical_cost != second.covers_typical_cost:
        return f"enough credits for a typical session, unlike {other}"
    if best.resets_soon != second.resets_soon:
        return f"its credits come back sooner than {other}'s"
    if best.credits_remaining != second.credits_remaining:
        return f"more credits left than {other}"
    if best.last_used_at != second.last_used_at:
        return f"used less recently than {other}"
    return f"tied with {other}; first by name"


def _context(
    session: Session,
    project: Project | None,
    min_credits: int | None,
    specialization: str | None,
    now: datetime,
    settings: AccountSettings,
) -> _Context:
    minimum = settings.min_credits if min_credits is None else min_credits
    if not 0 <= minimum <= MAX_CREDITS:
        raise ValidationError({"min_credits": f"between 0 and {MAX_CREDITS:,}"})
    if specialization and specialization.strip():
        text = specialization
    elif project is not None:
        text = f"{project.name} {project.description}"
    else:
        text = ""
    typical = _typical_cost(session, project.id) if project and project.id else None
    return _Context(
        minimum=minimum,
        wanted=keywords(text),
        wanted_words=words(text),
        typical_cost=typical,
        soon=timedelta(hours=settings.reset_soon_hours),
        now=now,
    )


def recommend(
    db: Database,
    project: int | str | None = None,
    min_credits: int | None = None,
    specialization: str | None = None,
    now: datetime | None = None,
    settings: AccountSettings | None = None,
) -> Recommendation:
    """The accounts that qualify for a project's next session, best first, each with its
    reasons, and those that do not with why. Without ``specialization`` the project's name
    and description are what specializations are matched against."""
    settings = settings or load_account_settings()
    with db.unit() as session:
        found = project_repo.require(session, project) if project is not None else None
        context = _context(session, found, min_credits, specialization, now or utcnow(), settings)
        return _recommend(session, found, context)


# --- rotation ------------------------------------------------------------------------------


def _sections(markdown: str) -> dict[str, str]:
    """A handoff's ``## `` sections by heading (the carried-over marker left out)."""
    found: dict[str, str] = {}
    heading: str | None = None
    lines: list[str] = []
    for line in [*markdown.splitlines(), "## "]:
        if line.startswith("## "):
            if heading is not None and "\n".join(lines).strip():
                found[heading] = "\n".join(lines).strip()
            heading, lines = line[3:].split(" (")[0].strip(), []
        else:
            lines.append(line)
    return found


def _items(text: str) -> list[str]:
    return [f"- {item}" for item in split_items(text)] or ["_none recorded_"]


def _briefing(
    session: Session,
    project: Project,
    leaving: Account,
    best: RankedAccount,
    now: datetime,
) -> str:
    assert project.id is not None
    lines = [
        f"# Rotation briefing: {project.name}",
        "",
        f"_{_utc(now)}: **{leaving.name}** ran out ({leaving.credits_remaining:,} of "
        f"{leaving.credit_limit:,} credits left by the count here); continue on "
        f"**{best.name}** ({best.platform})._",
        "",
        "## The new account",
        *[f"- {reason}" for reason in best.reasons],
    ]
    latest = session.exec(
        select(WorkSession)
        .where(
            WorkSession.project_id == project.id,
            WorkSession.status == SessionStatus.COMPLETED,
        )
        .order_by(col(WorkSession.number).desc())
        .limit(1)
    ).first()
    if latest is None:
        lines += ["", "## Last accomplishments", "_no session of this project completed yet_"]
    else:
        lines += ["", f"## Last accomplishments (session #{latest.number})"]
        lines += _items(latest.accomplishments)
        lines += ["", "## Open blockers", *_items(latest.blockers)]
    running = session_repo.in_progress(session, project.id)
    if running is not None:
        objectives = "; ".join(split_items(running.objectives))
        lines += [
            "",
            "## Still open",
            f"Session #{running.number} on {running.account_name or 'no account'} is in "
            "progress (complete it to record what it used)"
            + (f"; its objectives: {objectives}" if objectives else "."),
        ]
    handoff = handoff_repo.latest_in_project(session, project.id)
    if handoff is not None:
        owner = session.get(WorkSession, handoff.session_id)
        number = owner.number if owner else 0
        lines += ["", f"## From the latest handoff (session #{number}, version {handoff.version})"]
        sections = _sections(handoff.content)
        kept = [(name, sections[name]) for name in BRIEFING_SECTIONS if name in sections]
        for name, body in kept:
            lines += ["", f"### {name}", body]
        if not kept:
            excerpt = handoff.content.strip()
            if len(excerpt) > HANDOFF_EXCERPT:
                excerpt = excerpt[:HANDOFF_EXCERPT].rstrip() + "\n\n…"
            lines += ["", excerpt]
    return "\n".join(lines) + "\n"


def _no_candidate(session: Session, plan: Recommendation, leaving: Account, now: datetime) -> str:
    project = plan.project or "the project"
    message = (
        f"No account can take over from {leaving.name} on {project}: none is available or "
        f"active with at least {plan.min_credits:,} credits. Nothing was changed."
    )
    upcoming = session.exec(
        select(Account)
        .where(
            col(Account.next_reset_at).is_not(None),
            col(Account.status) != AccountStatus.BLOCKED,
            col(Account.credit_limit) >= plan.min_credits,
        )
        .order_by(col(Account.next_reset_at), col(Account.name))
        .limit(1)
    ).first()
    if upcoming is None or upcoming.next_reset_at is None:
        return (
            message + " No account has a reset scheduled: add credits (`account edit NAME "
            "--remaining N`) or an account (`account add`)."
        )
    return (
        f"{message} The first reset: {upcoming.name} {reset_words(upcoming, now)}, back to "
        f"{upcoming.credit_limit:,} credits."
    )


def rotate(
    db: Database,
    account: int | str,
    project: int | str,
    now: datetime | None = None,
    min_credits: int | None = None,
    settings: AccountSettings | None = None,
) -> Rotation:
    """Mark ``account`` exhausted (a blocked one stays blocked), pick the next account for
    ``project`` by the same ranking as ``recommend``, and queue a rotation briefing for the
    project's next session. One transaction: when no account qualifies, NoCandidateError
    says when the first one resets, and nothing was changed."""
    now = now or utcnow()
    settings = settings or load_account_settings()
    with db.unit() as session:
        leaving = account_repo.require(session, account)
        found = project_repo.require(session, project)
        assert found.id is not None
        if found.status == ProjectStatus.ARCHIVED:
            raise ConflictError(f"Project {found.name!r} is archived; unarchive it first.")
        if leaving.status != AccountStatus.BLOCKED:
            leaving.status = AccountStatus.EXHAUSTED
        session.flush()
        context = _context(session, found, min_credits, None, now, settings)
        plan = _recommend(session, found, context, leaving=leaving.id)
        best = plan.best
        if best is None:
            raise NoCandidateError(_no_candidate(session, plan, leaving, now))
        item = HandoffQueueItem(
            project_id=found.id,
            from_account_id=leaving.id,
            to_account_id=best.id,
            from_account_name=leaving.name,
            to_account_name=best.name,
            content=_briefing(session, found, leaving, best, now),
            status=queue_repo.PENDING,
            created_at=now,
        )
        session.add(item)
        session.flush()
        return Rotation(
            from_account=account_repo.to_view(leaving),
            to_account=best,
            queued=queue_repo.to_view(item, found.name),
        )


def queue(
    db: Database,
    project: int | str | None = None,
    status: str | None = queue_repo.PENDING,
    limit: int = 200,
) -> list[QueuedHandoff]:
    """The handoff queue, newest first: pending briefings by default (``status=None``: all)."""
    with db.unit() as session:
        project_id = project_repo.require(session, project).id if project is not None else None
        return queue_repo.items(session, project_id, status, limit)
