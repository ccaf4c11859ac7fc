"""Project files (F20): the service (add, edit, delete, paged lists, per-path summary), the
`file` commands, what importers record, and the handoff's key files ranked by importance."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.services import files, handoffs, imports, projects, sessions
from orchestrator_tui.services.files import FileFields


@pytest.fixture
def shop(db: Database) -> dict[str, int]:
    """Project Shop with sessions #1 (completed) and #2 (open); project Other with one."""
    projects.create_project(db, "Shop")
    projects.create_project(db, "Other")
    first = sessions.start_session(db, "Shop", objectives="Cart").session.id
    sessions.complete_session(db, first, 0, "Cart done")
    second = sessions.start_session(db, "Shop", objectives="Checkout").session.id
    other = sessions.start_session(db, "Other").session.id
    return {"s1": first, "s2": second, "other": other}


def test_add_edit_delete_and_list(db: Database, shop: dict[str, int]) -> None:
    added = files.add_file(
        db,
        "shop",  # names ignore case
        FileFields("src/cart.py", "created", "1,200", "0", "5", "the cart model"),
        shop["s1"],
    )
    assert (added.session_number, added.lines_added, added.importance) == (1, 1200, 5)
    plain = files.add_session_file(db, shop["s2"], FileFields("src/cart.py", lines_added=3))
    assert (plain.change, plain.importance, plain.session_number) == ("modified", 3, 2)
    project_level = files.add_file(db, "Shop", FileFields("README.md", importance=2))
    assert project_level.session_id is None

    page = files.list_files(db, "Shop")
    assert page.total == 3
    # The most important first.
    assert [item.importance for item in page.items] == [5, 3, 2]
    assert [item.id for item in files.list_files(db, "Shop", shop["s2"]).items] == [plain.id]
    assert files.session_files(db, shop["s1"]).items == [added]

    edited = files.update_file(
        db, plain.id, FileFields("src/cart.py", "deleted", 0, 40, 4, "moved to lib/")
    )
    assert (edited.change, edited.lines_removed, edited.importance) == ("deleted", 40, 4)
    assert files.get_file(db, plain.id) == edited

    assert files.delete_file(db, project_level.id) == project_level
    with pytest.raises(NotFoundError):
        files.get_file(db, project_level.id)
    assert files.list_files(db, "Shop").total == 2


def test_paging(db: Database, shop: dict[str, int]) -> None:
    for number in range(7):
        files.add_file(db, "Shop", FileFields(f"f{number}.py"), shop["s1"])
    first = files.list_files(db, "Shop", offset=0, limit=3)
    rest = files.list_files(db, "Shop", offset=3, limit=10)
    assert first.total == rest.total == 7 and first.has_more and not rest.has_more
    assert [i.path for i in first.items + rest.items] == [f"f{n}.py" for n in range(7)]
    with pytest.raises(ValidationError):
        files.list_files(db, "Shop", limit=0)


def test_every_bad_field_is_reported_and_nothing_written(
    db: Database, shop: dict[str, int]
) -> None:
    with pytest.raises(ValidationError) as refused:
        files.add_file(db, "Shop", FileFields(" ", "renamed", "-1", "x", "6", "ok"), shop["s1"])
    assert set(refused.value.errors) == {
        "path",
        "change",
        "lines_added",
        "lines_removed",
        "importance",
    }
    assert "negative" in refused.value.errors["lines_added"]
    assert "1 to 5" in refused.value.errors["importance"]
    with pytest.raises(ValidationError) as wrong_project:
        files.add_file(db, "Shop", FileFields("a.py"), shop["other"])
    assert "another project" in wrong_project.value.errors["session_id"]
    with pytest.raises(ValidationError):
        files.add_file(db, "Shop", FileFields("two\nlines"))
    with pytest.raises(NotFoundError):
        files.add_file(db, "Nope", FileFields("a.py"))
    with pytest.raises(NotFoundError):
        files.update_file(db, 999, FileFields("a.py"))
    assert files.list_files(db, "Shop").total == 0


def test_summary_per_path(db: Database, shop: dict[str, int]) -> None:
    files.add_file(db, "Shop", FileFields("src/cart.py", "created", 100, 0, 3), shop["s1"])
    files.add_file(db, "Shop", FileFields("src/cart.py", "modified", 10, 4, 5), shop["s2"])
    files.add_file(db, "Shop", FileFields("src/cart.py", "modified", 1, 1, 2))  # project-level
    files.add_file(db, "Shop", FileFields("docs/a.md", "created", 500, 0, 3), shop["s2"])
    files.add_file(db, "Shop", FileFields("z.txt", "deleted", 0, 9, 3), shop["s1"])
    files.add_file(db, "Other", FileFields("src/cart.py"), shop["other"])
    page = files.summarize(db, "Shop")
    assert page.total == 3
    cart, docs, z = page.items
    assert (cart.path, cart.session_numbers, cart.rows) == ("src/cart.py", (1, 2), 3)
    assert (cart.lines_added, cart.lines_removed, cart.importance) == (111, 5, 5)
    assert cart.last_change == "modified"
    # Equal importance: the most changed first.
    assert (docs.path, z.path) == ("docs/a.md", "z.txt")
    assert [row.session_number for row in files.path_rows(db, "Shop", "src/cart.py")] == [
        1,
        2,
        None,
    ]
    second = files.summarize(db, "Shop", offset=1, limit=1)
    assert [item.path for item in second.items] == ["docs/a.md"] and second.has_more


def test_key_files_of_the_handoff_are_ranked_by_importance(
    db: Database, shop: dict[str, int]
) -> None:
    files.add_file(db, "Shop", FileFields("src/big.py", "modified", 400, 100, 3), shop["s1"])
    files.add_file(db, "Shop", FileFields("src/core.py", "modified", 2, 0, 5), shop["s1"])
    files.add_file(db, "Shop", FileFields("src/minor.py", "modified", 900, 0, 1), shop["s1"])
    content = handoffs.generate_handoff(db, shop["s1"]).content
    section = content[content.index("Key files") :]
    order = [section.index(name) for name in ("src/core.py", "src/big.py", "src/minor.py")]
    assert order == sorted(order)
    assert "`src/core.py` — modified, +2, importance 5" in section
    assert "`src/big.py` — modified, +400 −100\n" in section + "\n"  # the default goes unsaid


CLAUDE_LINES = [
    {
        "type": "user",
        "uuid": "u1",
        "parentUuid": None,
        "sessionId": "claude-1",
        "cwd": "/home/me/shop",
        "timestamp": "2026-02-10T10:00:00Z",
        "message": {"role": "user", "content": "Fix the total in src/cart.py"},
    },
    {
        "type": "assistant",
        "uuid": "a1",
        "parentUuid": "u1",
        "sessionId": "claude-1",
        "cwd": "/home/me/shop",
        "timestamp": "2026-02-10T10:01:00Z",
        "message": {
            "id": "msg-1",
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "e1",
                    "name": "Edit",
                    "input": {
                        "file_path": "/home/me/shop/src/cart.py",
                        "old_string": "def total():\n    return 0\n",
                        "new_string": "def total():\n    return sum(items)\n    # done\n",
                    },
                }
            ],
        },
    },
    {
        "type": "user",
        "uuid": "r1",
        "parentUuid": "a1",
        "sessionId": "claude-1",
        "cwd": "/home/me/shop",
        "timestamp": "2026-02-10T10:02:00Z",
        "message": {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "e1", "content": "ok"}],
        },
    },
]


def write_claude_transcript(path: Path) -> Path:
    path.write_text("\n".join(json.dumps(line) for line in CLAUDE_LINES) + "\n", encoding="utf-8")
    return path


def test_importers_record_files_with_their_line_counts(db: Database, tmp_path: Path) -> None:
    write_claude_transcript(tmp_path / "claude.jsonl")
    aider_history = tmp_path / ".aider.chat.history.md"
    aider_history.write_text(
        "# aider chat started at 2026-02-11 09:00:00\n\n#### rename x  \n\n"
        "src/x.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\ny = 1\nz = 2\n"
        ">>>>>>> REPLACE\n```\n\n> Applied edit to src/x.py  \n",
        encoding="utf-8",
    )
    imports.import_path(db, tmp_path / "claude.jsonl", project="Shop")
    imports.import_path(db, aider_history, project="Shop")
    rows = {item.path: item for item in files.list_files(db, "Shop").items}
    cart = rows["/home/me/shop/src/cart.py"]
    assert (cart.change, cart.lines_added, cart.lines_removed) == ("modified", 2, 1)
    assert (cart.importance, cart.session_number) == (3, 1)
    x = rows["src/x.py"]
    assert (x.change, x.lines_added, x.lines_removed, x.session_number) == ("modified", 2, 1, 2)


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., tuple[int, Any, str]]:
    database = tmp_path / "cli.db"

    def run(*args: str) -> tuple[int, Any, str]:
        code = main(["--db", str(database), *args])
        out, err = capsys.readouterr()
        try:
            return code, json.loads(out), err
        except ValueError:
            return code, out, err

    return run


def test_file_commands(cli: Callable[..., tuple[int, Any, str]]) -> None:
    assert cli("project", "add", "Shop")[0] == 0
    code, started, _ = cli("session", "start", "Shop", "--json")
    session_id = str(started["session_id"])

    code, added, _ = cli(
        "file", "add", "Shop", "src/cart.py", "--session", session_id, "--change", "created",
        "--added", "120", "--importance", "5", "--notes", "the cart", "--json",
    )  # fmt: skip
    assert code == 0
    assert added["file"]["session_number"] == 1 and added["file"]["lines_added"] == 120
    code, other, _ = cli("file", "add", "Shop", "README.md", "--json")
    assert code == 0 and other["file"]["session_id"] is None

    code, listed, _ = cli("file", "list", "Shop", "--json")
    assert code == 0 and listed["total"] == 2
    assert [item["path"] for item in listed["files"]] == ["src/cart.py", "README.md"]
    code, only, _ = cli("file", "list", "Shop", "--session", session_id, "--json")
    assert [item["path"] for item in only["files"]] == ["src/cart.py"]
    code, by_path, _ = cli("file", "list", "Shop", "--by-path", "--json")
    assert [(p["path"], p["session_numbers"]) for p in by_path["paths"]] == [
        ("src/cart.py", [1]),
        ("README.md", []),
    ]
    code, text, _ = cli("file", "list", "Shop")
    assert "src/cart.py  (the cart)" in text

    file_id = str(added["file"]["id"])
    code, edited, _ = cli("file", "edit", file_id, "--removed", "7", "--notes", "", "--json")
    assert code == 0
    assert (edited["file"]["lines_removed"], edited["file"]["notes"]) == (7, "")
    assert edited["file"]["lines_added"] == 120  # what was not given stays

    code, out, err = cli("file", "edit", file_id, "--importance", "0")
    assert code == 1 and out == "" and "--importance: '0' is not 1 to 5" in err
    code, _, err = cli("file", "edit", file_id)
    assert code == 2 and "nothing to change" in err
    code, _, err = cli("file", "add", "Shop", "x.py", "--added", "-2")
    assert code == 1 and "--added: a number of lines cannot be negative" in err

    code, deleted, _ = cli("file", "delete", file_id, "--json")
    assert code == 0 and deleted["file"]["path"] == "src/cart.py"
    code, _, err = cli("file", "delete", file_id)
    assert code == 1 and f"No project file with id {file_id}" in err
    assert cli("file", "list", "Shop", "--json")[1]["total"] == 1
