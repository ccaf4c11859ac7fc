"""The knowledge base: validation, filters, paging, usage counts, suggestions from a session
(and not twice), the AGENTS.md export, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.services import knowledge, projects, sessions
from orchestrator_tui.services.knowledge import KnowledgeFields

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def _item(
    db: Database,
    title: str,
    category: str = "tip",
    *,
    body: str = "",
    tags: str = "",
    project: str | None = None,
) -> int:
    return knowledge.add_item(db, KnowledgeFields(category, title, body, tags, project)).id


@pytest.fixture
def shop(db: Database) -> int:
    projects.create_project(db, "shop")
    session_id = sessions.start_session(db, "shop").session.id
    sessions.add_turns(
        db,
        session_id,
        [
            ("user", "Fix the cart. It must stay on Python 3.11."),
            ("assistant", "We'll use SQLite instead of Postgres for the cache."),
        ],
    )
    return session_id


def test_fields_are_checked_and_normalised(db: Database) -> None:
    with pytest.raises(ValidationError) as refused:
        knowledge.add_item(db, KnowledgeFields("recipe", "  ", "x" * 20_001))
    assert set(refused.value.errors) == {"category", "title", "body"}
    item = knowledge.add_item(
        db,
        KnowledgeFields(
            "Best practice", "  Pin   versions ", f"token {TOKEN}", " Python, #CI,python ,"
        ),
    )
    assert (item.category, item.title, item.tags, item.project) == (
        "best_practice",
        "Pin versions",
        "python, ci",
        None,
    )
    assert TOKEN not in item.body and "[REDACTED:github-token]" in item.body
    with pytest.raises(NotFoundError):
        knowledge.get_item(db, 999)
    with pytest.raises(NotFoundError):
        knowledge.add_item(db, KnowledgeFields("tip", "t", project="no such project"))


def test_filters_paging_edits_uses_and_deletes(db: Database) -> None:
    projects.create_project(db, "shop")
    projects.create_project(db, "blog")
    first = _item(db, "Retry webhooks", "error_solution", tags="stripe,webhooks", project="shop")
    _item(db, "Cache images", "optimization", tags="cdn", project="blog")
    _item(db, "Small commits", "best_practice", body="One change per commit")
    assert {i.title for i in knowledge.list_items(db, project="shop").items} == {
        "Retry webhooks",
        "Small commits",
    }
    assert [i.title for i in knowledge.list_items(db, tag="WEBHOOKS").items] == ["Retry webhooks"]
    assert knowledge.list_items(db, tag="webhook").items == []  # a whole tag, not a part
    assert [i.title for i in knowledge.list_items(db, text="per commit").items] == ["Small commits"]
    assert [i.title for i in knowledge.list_items(db, category="optimization").items] == [
        "Cache images"
    ]
    page = knowledge.list_items(db, limit=2)
    assert (len(page.items), page.total, page.has_more) == (2, 3, True)

    knowledge.use_item(db, first)
    used = knowledge.use_item(db, first)
    assert used.usage_count == 2
    assert knowledge.list_items(db).items[0].id == first  # the most used first

    edited = knowledge.update_item(
        db, first, KnowledgeFields("pattern", "Idempotent webhooks", "", "stripe", None)
    )
    assert (edited.category, edited.project, edited.usage_count) == ("pattern", None, 2)
    knowledge.delete_item(db, first)
    assert knowledge.list_items(db).total == 2
    with pytest.raises(NotFoundError):
        knowledge.delete_item(db, first)


def test_suggestions_come_from_the_conversation_and_are_not_repeated(
    db: Database, shop: int
) -> None:
    found = knowledge.suggestions(db, shop)
    kinds = {(s.category, s.title) for s in found}
    assert ("best_practice", "It must stay on Python 3.11.") in kinds
    decision = next(s for s in found if s.category == "pattern")
    assert "Chosen: SQLite. Rejected: Postgres for the cache." in decision.body
    index = found.index(decision)
    promoted = knowledge.promote(db, shop, index, tags="db")
    assert (promoted.project, promoted.source_session_id, promoted.tags) == ("shop", shop, "db")
    again = knowledge.suggestions(db, shop)
    assert decision.title not in {s.title for s in again}
    assert len(again) == len(found) - 1
    with pytest.raises(ValidationError):
        knowledge.promote(db, shop, 99)
    assert knowledge.recent_suggestions(db, "shop") == again


def test_the_agents_snippet_groups_by_category(db: Database) -> None:
    _item(db, "Raw body for Stripe", "error_solution", body="Read request.body()", tags="stripe")
    _item(db, "Small commits", "best_practice")
    snippet = knowledge.agents_snippet(knowledge.list_items(db).items, "shop")
    assert snippet.startswith("## Project knowledge for shop\n")
    assert snippet.index("### Errors and their fixes") < snippet.index("### Best practices")
    assert "- **Raw body for Stripe**: Read request.body() _(stripe)_" in snippet
    assert "_No items yet._" in knowledge.agents_snippet([])


def test_the_knowledge_commands(
    db_url: str, shop: int, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", db_url, "knowledge", *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, out, _ = run("add", "Pin versions", "--category", "tip", "--tags", "ci", "--json")
    assert code == 0
    item_id = json.loads(out)["item"]["id"]
    code, _, err = run("add", "x", "--category", "tip", "--project", "nope")
    assert code == 1 and "nope" in err
    code, out, _ = run("list", "--tag", "ci", "--json")
    assert [i["title"] for i in json.loads(out)["items"]] == ["Pin versions"]
    assert run("edit", str(item_id), "--title", "Pin every version")[0] == 0
    code, out, _ = run("suggest", str(shop), "--json")
    suggestions = json.loads(out)["suggestions"]
    assert suggestions and suggestions[0]["source_session_id"] == shop
    assert run("promote", str(shop), "0")[0] == 0
    target = tmp_path / "AGENTS-knowledge.md"
    code, out, _ = run("export", "--output", str(target), "--json")
    assert code == 0 and json.loads(out)["items"] == 2
    assert "Pin every version" in target.read_text(encoding="utf-8")
    assert run("delete", str(item_id))[0] == 0
    code, _, err = run("delete", str(item_id))
    assert code == 1 and "No knowledge item" in err
