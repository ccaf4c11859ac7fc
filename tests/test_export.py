"""Project export: the JSON record is complete and exact; the Markdown reads well."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import (
    HandoffQueueItem,
    KnowledgeItem,
    ProjectFile,
    WorkSession,
)
from orchestrator_tui.errors import NotFoundError
from orchestrator_tui.services import accounts, handoffs, projects, sessions
from orchestrator_tui.services.export import (
    FORMAT,
    VERSION,
    demote_headings,
    export_markdown,
    export_project,
)


def _account(db: Database, name: str, credits: int, platform: str = "claude") -> None:
    accounts.create_account(
        db,
        accounts.AccountFields(
            name=name,
            platform=platform,
            credit_limit=credits,
            specialization="python",
            notes="token: sk-do-not-export",
        ),
    )


def _session(
    db: Database,
    project: str,
    account: str | None,
    credits: int,
    done: str,
    turns: list[tuple[str, str]] | None = None,
    blockers: str = "",
) -> int:
    started = sessions.start_session(db, project, account=account, objectives=f"Goal: {done}")
    sid = started.session.id
    if turns:
        sessions.add_turns(db, sid, turns)
    sessions.complete_session(db, sid, credits, done, blockers=blockers, next_steps="Keep going")
    handoffs.generate_handoff(db, sid)
    return sid


@pytest.fixture
def filled(db: Database) -> dict[str, Any]:
    """A project with three sessions (turns, versions, files, knowledge, queue), an unused
    account, an account deleted after its session, and a second project that must not leak."""
    projects.create_project(db, "Shop", "Online shop\nwith two lines")
    projects.create_project(db, "Other")
    _account(db, "alpha", 1000)
    _account(db, "beta", 2000, "chatgpt")
    _account(db, "unused", 500, "gemini")
    _account(db, "gone", 300, "cursor")
    _account(db, "other-only", 300)

    s1 = _session(
        db,
        "Shop",
        "alpha",
        100,
        "Cart in src/cart.ts\nCheckout page",
        turns=[
            ("user", "Build the cart in src/cart.ts"),
            ("assistant", "Done. TypeError: x is undefined was fixed.\nTODO: add tests"),
            ("tool", "$ npm test\n3 passed"),
        ],
        blockers="Stripe keys missing",
    )
    handoffs.save_edit(db, s1, "# Edited handoff\n\nMy own words.\n")
    handoffs.generate_handoff(db, s1)  # version 3
    s2 = _session(db, "Shop", "gone", 50, "Emails")
    accounts.delete_account(db, "gone")
    s3 = _session(db, "Shop", "beta", 200, "Admin list")
    s4 = sessions.start_session(db, "Shop", account="alpha", objectives="Still running").session.id
    sessions.add_turns(db, s4, [("user", "In progress work on src/admin.tsx")])
    other = _session(db, "Other", "other-only", 10, "Unrelated work")

    with db.unit() as session:
        shop = projects.get_project(db, "Shop").id
        other_id = projects.get_project(db, "Other").id
        session.add(ProjectFile(project_id=shop, session_id=s1, path="src/cart.ts", change="added",
                                lines_added=120, importance=5))  # fmt: skip
        session.add(ProjectFile(project_id=shop, session_id=None, path="README.md", lines_added=3))
        session.add(ProjectFile(project_id=other_id, session_id=other, path="leak.py"))
        session.add(KnowledgeItem(project_id=shop, category="tip", title="Use Decimal",
                                  body="Never floats for money", tags="money,python",
                                  source_session_id=s1, usage_count=2))  # fmt: skip
        session.add(KnowledgeItem(project_id=other_id, category="tip", title="Leak"))
        session.add(HandoffQueueItem(project_id=shop, from_account_name="alpha",
                                     to_account_name="beta", content="Rotate to beta"))  # fmt: skip
    return {"s1": s1, "s2": s2, "s3": s3, "s4": s4, "other": other}


def test_json_document_is_complete(db: Database, filled: dict[str, Any]) -> None:
    document = export_project(db, "Shop")
    json.dumps(document)  # JSON-ready as it is
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None

    project = document["project"]
    assert project["name"] == "Shop" and project["description"] == "Online shop\nwith two lines"
    assert project["session_count"] == 4 and project["credits_used"] == 350
    assert project["in_progress"] == 1

    exported = document["sessions"]
    assert [s["number"] for s in exported] == [1, 2, 3, 4]
    assert [s["id"] for s in exported] == [filled[k] for k in ("s1", "s2", "s3", "s4")]
    first = exported[0]
    assert first["status"] == "completed" and first["credits_used"] == 100
    assert first["account_name"] == "alpha"
    assert first["objectives"] == "Goal: Cart in src/cart.ts\nCheckout page"
    assert first["accomplishments"] == "Cart in src/cart.ts\nCheckout page"
    assert first["blockers"] == "Stripe keys missing" and first["next_steps"] == "Keep going"
    assert [(t["position"], t["role"]) for t in first["turns"]] == [
        (0, "user"),
        (1, "assistant"),
        (2, "tool"),
    ]
    assert first["turn_count"] == 3
    assert first["turns"][1]["content"].startswith("Done. TypeError")
    # Every handoff version, oldest first, with its metadata.
    versions = first["handoffs"]
    assert [(h["version"], h["provider"]) for h in versions] == [
        (1, "rules"),
        (2, "edited"),
        (3, "rules"),
    ]
    assert versions[1]["content"] == "# Edited handoff\n\nMy own words.\n"
    for version in versions:
        assert version["handoff_chars"] == len(version["content"])
        assert set(version) >= {"id", "model", "created_at", "source_chars"}
    assert [f["path"] for f in first["files"]] == ["src/cart.ts"]
    assert first["files"][0]["lines_added"] == 120

    # The deleted account's session keeps its name; the open session is there too.
    assert exported[1]["account_name"] == "gone" and exported[1]["account_id"] is None
    assert exported[3]["status"] == "in_progress" and exported[3]["handoffs"] == []
    assert exported[3]["turns"][0]["content"] == "In progress work on src/admin.tsx"
    # Each session points at the handoff it loaded.
    assert exported[1]["loaded_handoff_id"] == versions[2]["id"]

    assert sorted(f["path"] for f in document["project_files"]) == ["README.md", "src/cart.ts"]
    assert [k["title"] for k in document["knowledge_items"]] == ["Use Decimal"]
    assert document["knowledge_items"][0]["tags"] == "money,python"
    assert [q["content"] for q in document["handoff_queue"]] == ["Rotate to beta"]

    # Only the accounts the sessions used (still existing), with no secrets.
    used = {a["name"]: a for a in document["accounts"]}
    assert set(used) == {"alpha", "beta"}
    assert used["alpha"]["sessions_in_project"] == 2
    assert used["alpha"]["credits_used_in_project"] == 100
    assert used["beta"]["platform"] == "chatgpt"
    assert "sk-do-not-export" not in json.dumps(document)
    assert all("notes" not in account for account in document["accounts"])

    assert "leak" not in json.dumps(document).lower()
    assert document["counts"] == {
        "sessions": 4,
        "turns": 4,
        "handoff_versions": 5,
        "sessions_with_handoff": 3,
        "project_files": 2,
        "knowledge_items": 1,
        "handoff_queue": 1,
        "accounts": 2,
    }


def test_times_are_iso_utc(db: Database, filled: dict[str, Any]) -> None:
    document = export_project(db, "Shop")
    first = document["sessions"][0]
    for value in (
        first["started_at"],
        first["ended_at"],
        first["turns"][0]["created_at"],
        first["handoffs"][0]["created_at"],
        document["project"]["created_at"],
        document["accounts"][0]["created_at"],
    ):
        parsed = datetime.fromisoformat(value)
        assert parsed.utcoffset() == timedelta(0), value
        assert value.endswith("+00:00")


def test_paging_gives_the_same_document(db: Database, filled: dict[str, Any]) -> None:
    whole = export_project(db, "Shop")
    paged = export_project(db, "Shop", page_size=1)
    whole.pop("exported_at")
    paged.pop("exported_at")
    assert paged == whole
    assert (
        export_markdown(db, "Shop", page_size=1).split("\n", 3)[3]
        == export_markdown(db, "Shop").split("\n", 3)[3]
    )


def test_project_by_id_and_unknown(db: Database, filled: dict[str, Any]) -> None:
    shop = projects.get_project(db, "Shop")
    assert export_project(db, shop.id)["project"]["name"] == "Shop"
    with pytest.raises(NotFoundError):
        export_project(db, "Nope")
    with pytest.raises(NotFoundError):
        export_markdown(db, "Nope")


def test_empty_project(db: Database) -> None:
    projects.create_project(db, "Empty")
    document = export_project(db, "Empty")
    assert document["sessions"] == [] and document["accounts"] == []
    assert "_No sessions yet._" in export_markdown(db, "Empty")


def test_many_sessions_are_all_exported_in_order(db: Database) -> None:
    projects.create_project(db, "Big")
    shop = projects.get_project(db, "Big").id
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.unit() as session:
        for number in range(1, 451):
            session.add(
                WorkSession(
                    project_id=shop,
                    number=number,
                    status="completed",
                    credits_used=number,
                    started_at=start + timedelta(hours=number),
                )
            )
    document = export_project(db, "Big")
    assert [s["number"] for s in document["sessions"]] == list(range(1, 451))
    assert document["project"]["credits_used"] == sum(range(1, 451))
    markdown = export_markdown(db, "Big")
    assert markdown.count("\n### Session #") == 450
    assert markdown.index("### Session #9\n") < markdown.index("### Session #10\n")


def test_markdown_reads_well(db: Database, filled: dict[str, Any]) -> None:
    markdown = export_markdown(db, "Shop")
    lines = markdown.splitlines()
    assert lines[0] == "# Shop"
    # One top-level heading: the handoffs' own headings sit below the session headings.
    assert [line for line in lines if line.startswith("# ")] == ["# Shop"]
    headings = [line for line in lines if line.startswith("### Session #")]
    # Each heading names the session, then its title (taken from its first objective).
    assert [heading.split(" — ")[0] for heading in headings] == [
        "### Session #1",
        "### Session #2",
        "### Session #3",
        "### Session #4",
    ]
    assert headings[3] == "### Session #4 — Still running"
    first = markdown[markdown.index("### Session #1") : markdown.index("### Session #2")]
    assert "- Status: completed" in first and "- Account: alpha" in first
    assert "- Credits used: 100" in first
    assert "**Accomplishments**" in first
    assert "- Cart in src/cart.ts\n- Checkout page" in first  # several lines become a list
    assert "Stripe keys missing" in first
    # The latest version of the handoff is shown (the rules version 3, not the edit).
    assert "version 3" in first and "My own words." not in first
    assert "#### Handoff: Shop · session #1" in first
    fourth = markdown[markdown.index("### Session #4") :]
    assert "- Status: in_progress" in fourth and "- Handoff: none" in fourth
    assert "## Accounts used" in markdown and "| alpha | claude |" in markdown
    assert "## Files" in markdown and "`src/cart.ts`" in markdown
    assert "## Knowledge" in markdown and "Use Decimal" in markdown
    assert "leak" not in markdown.lower()
    assert "sk-do-not-export" not in markdown


def test_latest_edit_is_what_markdown_shows(db: Database, filled: dict[str, Any]) -> None:
    handoffs.save_edit(db, filled["s3"], "# Mine\n\n## Next steps\n- Call Bob\n")
    markdown = export_markdown(db, "Shop")
    third = markdown[markdown.index("### Session #3") : markdown.index("### Session #4")]
    assert "#### Mine" in third and "##### Next steps" in third and "- Call Bob" in third


def test_demote_headings_leaves_code_alone() -> None:
    text = "# Title\n```\n# not a heading\n```\n###### deep\n#hashtag"
    assert demote_headings(text, 2) == (
        "### Title\n```\n# not a heading\n```\n###### deep\n#hashtag"
    )


def test_export_reads_only(db: Database, filled: dict[str, Any]) -> None:
    with db.unit() as session:
        session.exec(update(WorkSession).where(WorkSession.id == filled["s2"]).values(title="Kept"))
    before = export_project(db, "Shop")
    export_markdown(db, "Shop")
    after = export_project(db, "Shop")
    before.pop("exported_at")
    after.pop("exported_at")
    assert before == after
    assert after["sessions"][1]["title"] == "Kept"
