"""The export round trip: export a project, import it into another database, export again:
the same content apart from ids and the export time. Renaming, refusals, bad exports (nothing
written), streaming in bounded memory, and the `import` command."""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.models import ConversationTurn, WorkSession
from orchestrator_tui.services import (
    accounts,
    demo,
    export,
    files,
    handoffs,
    imports,
    projects,
    sessions,
)
from orchestrator_tui.services.files import FileFields
from orchestrator_tui.services.project_import import (
    ExportImportCancelled,
    InvalidExportError,
    ProjectExistsError,
    import_export,
    is_export,
    read_summary,
)
from tests.db_helpers import table_rows

from .test_project_files import write_claude_transcript

DEMO_PROJECTS = ("Atlas Storefront", "ledgerline", "Nightjar ETL")


def normalised(value: Any, key: str = "") -> Any:
    """The export without what an import changes: ids (cross-references stay checked by
    being there or null) and the export time."""
    if isinstance(value, dict):
        return {k: normalised(v, k) for k, v in value.items() if k != "exported_at"}
    if isinstance(value, list):
        return [normalised(item) for item in value]
    if (key == "id" or key.endswith("_id")) and isinstance(value, int):
        return "<id>"
    return value


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Database]:
    """A second, empty database."""
    database = Database.open(f"sqlite:///{tmp_path / 'other.db'}")
    yield database
    database.close()


def write_export(db: Database, project: str, path: Path) -> Path:
    path.write_text("".join(export.iter_json(db, project)), encoding="utf-8")
    return path


def test_round_trip_of_the_demo_data(db: Database, other: Database, tmp_path: Path) -> None:
    demo.load_demo(db, now=demo.DEMO_NOW)
    for name in DEMO_PROJECTS:
        source = write_export(db, name, tmp_path / f"{name}.json")
        assert is_export(source)
        report = import_export(other, source)
        before = export.export_project(db, name)
        after = export.export_project(other, name)
        assert normalised(after) == normalised(before), name
        assert report.sessions == before["counts"]["sessions"]
        assert report.turns == before["counts"]["turns"]
    # The accounts came with the credits the export gave; a later project matched them.
    pool = {a.name: a for a in accounts.list_accounts(other).items}
    original = {a.name: a for a in accounts.list_accounts(db).items}
    for name, account in pool.items():
        assert (account.credits_remaining, account.credit_limit, account.platform) == (
            original[name].credits_remaining,
            original[name].credit_limit,
            original[name].platform,
        )
        assert account.notes == ""  # notes are never exported
    # Cross-references point at the new rows: each loaded handoff is the previous session's.
    for row in sessions.timeline(other, "Atlas Storefront", 0, 100).items:
        detail = sessions.get_session(other, row.id)
        if detail.loaded_handoff is not None:
            assert detail.loaded_handoff.session_number < detail.number


def test_round_trip_with_imported_transcripts(
    db: Database, other: Database, tmp_path: Path
) -> None:
    write_claude_transcript(tmp_path / "claude.jsonl")
    (tmp_path / "chat.txt").write_text(
        "User: add a login page\nAssistant: Added src/login.py\n", encoding="utf-8"
    )
    imports.import_path(db, tmp_path / "claude.jsonl", project="Shop")
    imports.import_path(db, tmp_path / "chat.txt", project="Shop")
    with db.unit() as session:  # usage as a Claude Code transcript reports it
        work = session.get(WorkSession, 1)
        assert work is not None
        work.input_tokens, work.output_tokens = 1200, 300
    first = sessions.timeline(db, "Shop").items[-1].id
    files.add_file(db, "Shop", FileFields("notes.md", "created", 4, 0, 5, "by hand"), first)
    handoffs.generate_handoff(db, first)
    before = export.export_project(db, "Shop")
    assert before["sessions"][0]["source_format"] == "claude-code"
    assert before["sessions"][0]["usage"]["input_tokens"] == 1200

    import_export(other, write_export(db, "Shop", tmp_path / "shop.json"))
    after = export.export_project(other, "Shop")
    assert normalised(after) == normalised(before)
    # The transcript links came along: importing the transcript here again adds nothing new.
    again = imports.import_path(other, tmp_path / "claude.jsonl", project="Shop")
    assert again.sessions_created == 0 and again.turns_added == 0


def test_rename_into_the_same_database(db: Database, tmp_path: Path) -> None:
    write_claude_transcript(tmp_path / "claude.jsonl")
    imports.import_path(db, tmp_path / "claude.jsonl", project="Shop")
    source = write_export(db, "Shop", tmp_path / "shop.json")

    with pytest.raises(ProjectExistsError) as refused:
        import_export(db, source)
    assert "already has a project named 'Shop'" in str(refused.value)
    with pytest.raises(ProjectExistsError) as taken:
        import_export(db, source, rename="SHOP")  # names ignore case
    assert "the new name 'SHOP' is taken" in str(taken.value)

    report = import_export(db, source, rename="Shop (copy)")
    assert (report.project, report.renamed_from) == ("Shop (copy)", "Shop")
    assert report.unlinked_transcripts == 1
    original = normalised(export.export_project(db, "Shop"))
    copy = normalised(export.export_project(db, "Shop (copy)"))
    assert copy["project"]["name"] == "Shop (copy)"
    # The copy keeps everything but the link to the transcript, which stays with the original.
    assert copy["sessions"][0]["source_id"] is None
    assert original["sessions"][0]["source_id"] == "claude-1"
    for document in (original, copy):
        document["project"]["name"] = document["sessions"][0]["source_id"] = None
    assert copy == original


def test_a_refused_import_writes_nothing(db: Database, tmp_path: Path) -> None:
    demo.load_demo(db, now=demo.DEMO_NOW)
    source = write_export(db, "ledgerline", tmp_path / "l.json")
    before = table_rows(tmp_path / "test.db")
    with pytest.raises(ProjectExistsError):
        import_export(db, source)
    assert table_rows(tmp_path / "test.db") == before


def _document(db: Database) -> dict[str, Any]:
    projects.create_project(db, "Shop")
    sid = sessions.start_session(db, "Shop").session.id
    sessions.add_turns(db, sid, [("user", "one"), ("assistant", "two")])
    sessions.complete_session(db, sid, 0, "Done")
    handoffs.generate_handoff(db, sid)
    return export.export_project(db, "Shop")


def _broken(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(what, file text, words of the error) for exports that must be refused."""
    text = json.dumps(document)
    yield "cut short", text[: len(text) // 2], "not valid JSON"
    yield "not an object", "[1, 2]", "is not a JSON object"
    newer = dict(document, version=2)
    yield "too new", json.dumps(newer), "version 2, written by a newer orchestrator-tui"
    yield (
        "no version",
        json.dumps({k: v for k, v in document.items() if k != "version"}),
        ('"version" is missing'),
    )
    other_format = dict(document, format="something-else")
    yield "wrong marker", json.dumps(other_format), "marker"
    bad_role = json.loads(text)
    bad_role["sessions"][0]["turns"][1]["role"] = "bot"
    yield "bad role", json.dumps(bad_role), "sessions[0].turns[1].role is 'bot'"
    partial = json.loads(text)
    partial["sessions"][0]["turns"].pop()
    yield "a turn missing", json.dumps(partial), "says 2 turns but holds 1"
    no_sessions = json.loads(text)
    no_sessions["sessions"] = []
    yield "sessions missing", json.dumps(no_sessions), "say 1 sessions but the file holds 0"
    bad_time = json.loads(text)
    bad_time["sessions"][0]["started_at"] = "yesterday"
    yield "bad time", json.dumps(bad_time), "started_at is not an ISO 8601 time"
    out_of_range = json.loads(text)
    out_of_range["sessions"][0]["ended_at"] = "0001-01-01T00:00:00+05:00"
    yield "time out of range", json.dumps(out_of_range), "ended_at is not an ISO 8601 time"
    huge = json.loads(text)
    huge["sessions"][0]["turns"][0]["position"] = 2**60
    yield "huge number", json.dumps(huge), "sessions[0].turns[0].position is too large"
    no_name = json.loads(text)
    del no_name["project"]["name"]
    yield "no project name", json.dumps(no_name), '"project".name is missing'


def test_bad_exports_are_refused_and_nothing_is_written(
    db: Database, other: Database, tmp_path: Path
) -> None:
    document = _document(db)
    target = tmp_path / "other.db"
    before = table_rows(target)
    for what, text, words in _broken(document):
        path = tmp_path / "bad.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InvalidExportError) as refused:
            import_export(other, path)
        assert words in str(refused.value), what
        assert "nothing was written" in str(refused.value).lower(), what
        assert table_rows(target) == before, what


def test_a_cancelled_import_writes_nothing(db: Database, other: Database, tmp_path: Path) -> None:
    _document(db)
    source = write_export(db, "Shop", tmp_path / "s.json")
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()  # the user presses Escape as soon as it starts

    with pytest.raises(ExportImportCancelled):
        import_export(other, source, progress=progress, cancel=cancel)
    assert projects.list_projects(other).total == 0
    assert seen and seen[0][1] == 2 * source.stat().st_size  # two passes over the file
    seen.clear()
    report = import_export(other, source, progress=lambda done, total: seen.append((done, total)))
    assert report.sessions == 1 and seen[-1] == (seen[-1][1], seen[-1][1])


def test_the_summary_of_an_export(db: Database, tmp_path: Path) -> None:
    document = _document(db)
    summary = read_summary(write_export(db, "Shop", tmp_path / "s.json"))
    assert (summary.project, summary.version) == ("Shop", 1)
    assert summary.counts["turns"] == 2 and summary.counts["sessions"] == 1
    assert summary.exported_at is not None
    assert document["format"] == "orchestrator-tui-export"
    text = tmp_path / "chat.txt"
    text.write_text('User: {"format": "orchestrator-tui-export"}\n', encoding="utf-8")
    assert not is_export(text)  # a transcript that mentions it is no export
    assert not is_export(tmp_path / "missing.json")


def _big_project(db: Database, turns: int, size: int) -> None:
    projects.create_project(db, "Big")
    started = datetime(2026, 1, 1, tzinfo=UTC)
    with db.unit() as session:
        work = WorkSession(
            project_id=projects.get_project(db, "Big").id, number=1, started_at=started
        )
        session.add(work)
        session.flush()
        session.execute(
            ConversationTurn.__table__.insert(),  # type: ignore[attr-defined]
            [
                {
                    "session_id": work.id,
                    "position": position,
                    "role": "user" if position % 2 else "assistant",
                    "content": f"turn {position} " + "x" * size,
                    "created_at": started + timedelta(seconds=position),
                    "kind": "text",
                    "is_error": False,
                    "thread": "",
                }
                for position in range(turns)
            ],
        )


def test_a_big_session_streams_in_bounded_memory(
    db: Database, other: Database, tmp_path: Path
) -> None:
    turns, size = 2000, 4000  # about 8 MB of turns
    _big_project(db, turns, size)
    tracemalloc.start()
    try:
        written = 0
        for chunk in export.iter_json(db, "Big", turn_page=50):
            written += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written > turns * size
    assert peak < written / 3, (peak, written)  # pages of turns, never the whole session

    source = write_export(db, "Big", tmp_path / "big.json")
    report = import_export(other, source)
    assert report.turns == turns
    back = export.export_project(other, "Big", turn_page=500)
    assert [t["position"] for t in back["sessions"][0]["turns"]] == list(range(turns))
    assert normalised(back) == normalised(export.export_project(db, "Big"))


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_import_command_with_an_export(
    cli: Callable[..., tuple[int, str, str]], db: Database, tmp_path: Path
) -> None:
    demo.load_demo(db, now=demo.DEMO_NOW)
    source_db = str(tmp_path / "test.db")
    target_db = str(tmp_path / "target.db")
    code, out, _ = cli("--db", source_db, "export", "Nightjar ETL")
    assert code == 0
    printed = json.loads(out)  # streamed to stdout, one JSON document
    path = tmp_path / "nightjar.json"
    path.write_text(out, encoding="utf-8")

    code, out, err = cli("--db", target_db, "import", str(path), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "export" and report["project"] == "Nightjar ETL"
    assert report["sessions"] == printed["counts"]["sessions"]
    assert sorted(report["accounts_created"]) == sorted(a["name"] for a in printed["accounts"])

    code, out, err = cli("--db", target_db, "import", str(path))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "already has a project named 'Nightjar ETL'" in err
    assert "--rename NEW" in err

    code, out, err = cli("--db", target_db, "import", str(path), "--rename", "Nightjar 2")
    assert code == 0, err
    assert "Imported project 'Nightjar 2' (renamed from 'Nightjar ETL')" in out
    assert "Accounts already here" in out

    code, _, err = cli("--db", target_db, "import", str(path), "--project", "X")
    assert code == 1 and "--project does not apply to a project export" in err
    transcript = tmp_path / "chat.txt"
    transcript.write_text("User: hi\nAssistant: hello\n", encoding="utf-8")
    code, _, err = cli("--db", target_db, "import", str(transcript), "--rename", "X")
    assert code == 1 and "--rename applies to a project export" in err

    broken = tmp_path / "broken.json"
    broken.write_text(path.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    code, _, err = cli("--db", target_db, "import", str(broken), "--rename", "Nightjar 3")
    assert code == 1 and "not valid JSON" in err and "Traceback" not in err
    code, out, _ = cli("--db", target_db, "project", "list", "--json")
    assert sorted(p["name"] for p in json.loads(out)["projects"]) == ["Nightjar 2", "Nightjar ETL"]

    code, again, _ = cli("--db", target_db, "export", "Nightjar ETL")
    assert normalised(json.loads(again)) == normalised(printed)


LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    if path:
        yield path


def test_any_damaged_field_is_imported_or_refused_cleanly(
    db: Database, other: Database, tmp_path: Path
) -> None:
    """Whatever one field of an export holds instead, the import succeeds or is refused with
    an InvalidExportError, and a refused import writes nothing."""
    _document(db)
    files.add_file(
        db, "Shop", FileFields("a.py", importance=4), sessions.timeline(db, "Shop").items[0].id
    )
    document = export.export_project(db, "Shop")
    leaves = list(_leaves(document))
    path = tmp_path / "damaged.json"
    target = tmp_path / "other.db"
    attempts = iter(range(10**6))

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.sampled_from(leaves), LEAF)
    def damaged(where: tuple[Any, ...], value: Any) -> None:
        broken = json.loads(json.dumps(document))
        holder = broken
        for step in where[:-1]:
            holder = holder[step]
        holder[where[-1]] = value
        path.write_text(json.dumps(broken), encoding="utf-8")
        before = table_rows(target)
        try:
            import_export(other, path, rename=f"Copy {next(attempts)}")
        except InvalidExportError:
            assert table_rows(target) == before

    damaged()
