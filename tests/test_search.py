"""Full-text search: the index kept in step by triggers, safe queries, ranking, paging, the
project filter, redacted snippets, the LIKE fallback, the migration and the command line."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from orchestrator_tui.cli import main
from orchestrator_tui.db import fts, migrate
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.engine import create_db_engine
from orchestrator_tui.db.migrate import MIGRATIONS_DIR
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.services import imports, projects, search, sessions
from orchestrator_tui.services.search import SearchPage, parse_query

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def _session(db: Database, project: str = "shop", objectives: str = "") -> int:
    if not any(p.name == project for p in projects.list_projects(db).items):
        projects.create_project(db, project)
    return sessions.start_session(db, project, objectives=objectives).session.id


def _sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement), params)


def _consistent(db: Database) -> None:
    """FTS5 compares each index with the rows it indexes; it raises when they differ."""
    with db.engine.begin() as connection:
        for index in fts.INDEXES:
            connection.exec_driver_sql(
                f"INSERT INTO {index.table}({index.table}, rank) VALUES ('integrity-check', 1)"
            )


def _kinds(page: SearchPage) -> list[tuple[str, int]]:
    return [(hit.kind, hit.id) for hit in page.hits]


def test_the_migration_indexes_what_the_code_expects() -> None:
    path = MIGRATIONS_DIR / "versions" / "0003_search.py"
    spec = importlib.util.spec_from_file_location("m0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple((i.table, i.source, i.columns) for i in fts.INDEXES) == module.INDEXES
    assert module.TOKENIZER == fts.TOKENIZER


def test_every_kind_is_found_and_kept_in_step_with_writes(db: Database) -> None:
    session_id = _session(db, objectives="Make checkout idempotent")
    sessions.add_turns(
        db, session_id, [("user", "The cart total is wrong"), ("assistant", "Fixed cart.py")]
    )
    with db.unit() as unit:
        unit.connection().execute(
            text(
                "INSERT INTO knowledge_item (category, title, body, tags, usage_count, "
                "created_at, updated_at) VALUES ('tip', 'Idempotent webhooks', "
                "'Store the event id', 'stripe', 0, '2026-01-01', '2026-01-01')"
            )
        )
    sessions.complete_session(db, session_id, 10, "Checkout is idempotent now")
    from orchestrator_tui.services import handoffs

    handoffs.generate_handoff(db, session_id, "rules")
    found = {hit.kind for hit in search.search(db, "idempotent").hits}
    assert found == {"session", "handoff", "knowledge"}
    turn = search.search(db, "cart total", kinds=["turn"]).hits[0]
    assert (turn.kind, turn.session_id, turn.turn_position, turn.role) == (
        "turn",
        session_id,
        0,
        "user",
    )
    assert turn.snippet[slice(*turn.highlights[0])].lower() == "cart"

    # edits: the new words are found, the old ones no longer
    _sql(db, "UPDATE conversation_turn SET content = 'The basket sum' WHERE position = 0")
    _sql(db, "UPDATE knowledge_item SET title = 'Replay-safe handlers'")
    assert search.search(db, "cart total", kinds=["turn"]).hits == []
    assert [hit.kind for hit in search.search(db, "basket").hits] == ["turn"]
    assert [hit.kind for hit in search.search(db, "replay").hits] == ["knowledge"]
    _consistent(db)

    # deletes, including the rows a project's deletion cascades to
    _sql(db, "DELETE FROM knowledge_item")
    _sql(db, "DELETE FROM project")
    assert search.search(db, "idempotent").hits == []
    assert search.search(db, "basket").hits == []
    _consistent(db)


def test_imported_turns_are_indexed(db: Database, tmp_path: Path) -> None:
    transcript = tmp_path / "chat.txt"
    transcript.write_text(
        "User: Why does the zeppelin parser fail?\nAssistant: It reads UTF-16.\n",
        encoding="utf-8",
    )
    imports.import_path(db, transcript, project="imported")
    hits = search.search(db, "zeppelin").hits  # the turn, and the session it titles
    assert sorted((hit.kind, hit.project, hit.role or "") for hit in hits) == [
        ("session", "imported", ""),
        ("turn", "imported", "user"),
    ]
    _consistent(db)


def test_ranking_paging_and_the_project_filter(db: Database) -> None:
    first = _session(db, "alpha")
    second = _session(db, "beta")
    sessions.add_turns(db, first, [("user", f"note {n} about the walrus") for n in range(25)])
    sessions.add_turns(
        db, second, [("user", "walrus walrus walrus"), ("assistant", "unrelated words")]
    )
    best = search.search(db, "walrus", limit=1)
    assert best.hits[0].project == "beta"  # three times in three words beats once in five
    pages = [search.search(db, "walrus", offset=offset, limit=10) for offset in (0, 10, 20)]
    seen = [key for page in pages for key in _kinds(page)]
    assert len(seen) == len(set(seen)) == 26
    assert [page.has_more for page in pages] == [True, True, False]
    alpha = search.search(db, "walrus", project="alpha", limit=50).hits
    assert len(alpha) == 25 and {hit.project for hit in alpha} == {"alpha"}
    assert search.search(db, "walrus -walrus").hits == []
    assert [hit.project for hit in search.search(db, '"walrus walrus"').hits] == ["beta"]


def test_very_common_words_come_newest_first(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    session_id = _session(db)
    sessions.add_turns(db, session_id, [("user", f"common word {n}") for n in range(6)])
    monkeypatch.setattr(search, "COMMON_ROWS", 3)
    page = search.search(db, "common", limit=3)
    assert page.newest_first == ["turn"]
    assert [hit.turn_position for hit in page.hits] == [5, 4, 3]
    assert search.search(db, "common word 2").hits[0].turn_position == 2  # "2" is rare


def test_snippets_never_show_a_secret(db: Database) -> None:
    session_id = _session(db)
    # Written past the services (which redact), as an older version might have stored it.
    _sql(
        db,
        "UPDATE session SET notes = :notes WHERE id = :id",
        notes=f"the deploy key is {TOKEN} for the orchard service",
        id=session_id,
    )
    hit = search.search(db, "orchard").hits[0]
    assert TOKEN not in hit.snippet
    assert "[REDACTED:github-token]" in hit.snippet
    assert hit.snippet[slice(*hit.highlights[-1])] == "orchard"


def test_no_typed_query_is_an_fts_syntax_error(db: Database) -> None:
    sessions.add_turns(db, _session(db), [("user", 'AND OR NOT NEAR ( ) * : ^ - " text')])

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=60))
    def check(query: str) -> None:
        try:
            search.search(db, query)
            search.search(db, query, typing=True)
        except ValidationError:
            assert not any(not term.exclude for term in _terms_or_empty(query))

    check()


def _terms_or_empty(query: str) -> list[search.Term]:
    try:
        return parse_query(query)
    except ValidationError:
        return []


def test_queries_are_read_as_words_phrases_prefixes_and_exclusions() -> None:
    terms = parse_query('Crème -brûlée "raw body" migr* AND (x:y')
    assert [(t.words, t.prefix, t.exclude) for t in terms] == [
        (("creme",), False, False),
        (("brulee",), False, True),
        (("raw", "body"), False, False),
        (("migr",), True, False),
        (("and",), False, False),
        (("x", "y"), False, False),
    ]
    assert search.fts_query(terms) == '"creme" "raw body" "migr"* "and" "x y" NOT "brulee"'
    assert parse_query("webh", typing=True)[0].prefix
    assert not parse_query("webh ", typing=True)[0].prefix
    with pytest.raises(ValidationError):
        parse_query("  -- ")
    with pytest.raises(ValidationError):
        parse_query("x" * 501)


def test_without_the_index_a_like_search_answers(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = _session(db, objectives="Tune the heron exporter")
    sessions.add_turns(db, session_id, [("user", "heron 100% done"), ("assistant", "ok")])
    monkeypatch.setattr(fts, "index_present", lambda connection: False)
    page = search.search(db, "HERON")
    assert page.method == "like"
    assert {hit.kind for hit in page.hits} == {"turn", "session"}
    turn = next(hit for hit in page.hits if hit.kind == "turn")
    assert turn.snippet[slice(*turn.highlights[0])] == "heron"
    assert search.search(db, "heron -exporter").hits[0].kind == "turn"
    assert search.search(db, "heron", kinds=["knowledge"]).hits == []


def test_an_older_database_is_indexed_on_upgrade_and_downgrade_removes_it(db_url: str) -> None:
    engine = create_db_engine(db_url)
    config = migrate._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002_imports")
    engine.dispose()
    path = Path(db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as raw:
        raw.execute(
            "INSERT INTO project (id, name, description, status, created_at, updated_at) "
            "VALUES (1, 'old', '', 'active', '2026-01-01', '2026-01-01')"
        )
        raw.execute(
            "INSERT INTO session (id, project_id, number, status, session_type, title, "
            "objectives, accomplishments, blockers, next_steps, started_at, notes) "
            "VALUES (1, 1, 1, 'completed', 'development', 'Old work', '', '', '', '', "
            "'2026-01-01', '')"
        )
        raw.execute(
            "INSERT INTO conversation_turn (session_id, position, role, content, kind, "
            "is_error, thread) VALUES (1, 0, 'user', 'the quokka migration', 'text', 0, '')"
        )
    database = Database.open(db_url)
    try:
        assert [hit.kind for hit in search.search(database, "quokka").hits] == ["turn"]
        config = migrate._alembic_config(database.engine)
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0002_imports")
    finally:
        database.close()
    with sqlite3.connect(path) as raw:
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_master")}
    assert not any(fts.is_index_table(name) for name in names)
    assert not any(name.endswith(("_ai", "_ad", "_au")) for name in names)


def test_search_command(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    database = Database.open(db_url)
    try:
        session_id = _session(database, "cli")
        sessions.add_turns(database, session_id, [("user", "the albatross test fails")])
    finally:
        database.close()
    assert main(["--db", db_url, "search", "albatross", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["method"] == "fts5" and payload["has_more"] is False
    (hit,) = payload["hits"]
    assert (hit["kind"], hit["session_id"], hit["project"]) == ("turn", session_id, "cli")
    assert main(["--db", db_url, "search", "albatross"]) == 0
    assert "»albatross«" in capsys.readouterr().out
    assert main(["--db", db_url, "search", "?!"]) == 1
    assert "QUERY: type a word" in capsys.readouterr().err
    assert main(["--db", db_url, "search", "x", "--project", "nope"]) == 1


def test_a_bulk_import_indexes_its_turns_at_the_end_or_not_at_all(
    db: Database, tmp_path: Path
) -> None:
    first = tmp_path / "first.txt"
    first.write_text("User: the marmot fails\nAssistant: fixed the marmot\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.txt").write_text(f"User: the ibex {name}\nAssistant: ok\n", "utf-8")
    imports.import_path(db, first, project="p")
    cancel = threading.Event()

    def stop_after_the_first_file(done: int, total: int) -> None:
        if done >= total // 2:
            cancel.set()  # the first transcript is written by now

    with pytest.raises(imports.ImportCancelled):
        imports.import_path(
            db,
            folder,
            project="p",
            format_name="text",
            progress=stop_after_the_first_file,
            cancel=cancel,
        )
    assert [hit.role for hit in search.search(db, "marmot", kinds=["turn"]).hits] == [
        "assistant",
        "user",
    ]
    assert search.search(db, "ibex").hits == []
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql(f"SELECT count(*) FROM {fts.DEFERRED}").scalar() == 0
    sessions.add_turns(db, _session(db), [("user", "a marmot again")])  # the trigger again
    assert len(search.search(db, "marmot", kinds=["turn"]).hits) == 3
    _consistent(db)
