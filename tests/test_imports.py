"""The import service: transcripts in, imported sessions out, all or nothing, idempotent."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from orchestrator_tui.db.database import Database
from orchestrator_tui.errors import NotFoundError, ValidationError
from orchestrator_tui.services import export, imports, projects, sessions
from orchestrator_tui.services.imports import ImportCancelled
from tests.conftest import SHARED_FORMATS

HF_TOKEN = "hf_" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb"
CONVERSATION = f"""User: Please add a login page to src/login.py
Assistant: Done. I created src/login.py with a form.
User: my token is {HF_TOKEN} keep it safe
Assistant: I will not store it.
"""


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
            for table in ("project", "session", "conversation_turn", "project_file")
        }


def _write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def test_a_text_transcript_becomes_an_imported_session(db: Database, tmp_path: Path) -> None:
    source = _write(tmp_path / "chat.txt", CONVERSATION)
    report = imports.import_path(db, source, project="Shop")

    assert report.projects_created == ["Shop"]
    assert (report.sessions_created, report.turns_added, report.files_read) == (1, 4, 1)
    assert report.redactions["huggingface-token"] == 1
    imported = report.sessions[0]
    detail = sessions.get_session(db, imported.session_id)
    assert (detail.status, detail.number, detail.turn_count) == ("imported", 1, 4)
    turns = sessions.turns(db, imported.session_id).items
    assert [turn.role for turn in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[0].content == "Please add a login page to src/login.py"
    assert HF_TOKEN not in turns[2].content
    assert "[REDACTED:huggingface-token]" in turns[2].content
    assert source.read_text(encoding="utf-8") == CONVERSATION  # the original is untouched


def test_importing_the_same_file_again_adds_nothing_then_only_what_is_new(
    db: Database, tmp_path: Path
) -> None:
    source = _write(tmp_path / "chat.txt", CONVERSATION)
    imports.import_path(db, source, project="Shop")
    before = _counts(db)
    again = imports.import_path(db, source, project="Shop")
    assert (again.sessions_created, again.turns_added) == (0, 0)
    assert not again.sessions[0].new
    assert _counts(db) == before


def test_imported_sessions_are_numbered_after_the_projects_own(
    db: Database, tmp_path: Path
) -> None:
    project = projects.create_project(db, "Shop")
    started = sessions.start_session(db, project.id, objectives="by hand")
    sessions.complete_session(db, started.session.id, 0, "did it")
    report = imports.import_path(db, _write(tmp_path / "a.txt", CONVERSATION), project="shop")
    assert report.projects_created == []  # "shop" is "Shop", ignoring case
    assert report.sessions[0].number == 2
    completed = sessions.complete_session(db, report.sessions[0].session_id, 5, "reviewed it")
    assert completed.status == "completed"


def test_a_cancelled_import_writes_nothing(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for index in range(3):
        _write(folder / f"chat{index}.txt", CONVERSATION.replace("login", f"page{index}"))
    before = _counts(db)
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done > 0:
            cancel.set()  # after the first file: the transaction must roll back

    with pytest.raises(ImportCancelled):
        imports.import_path(
            db, folder, project="Shop", format_name="text", progress=progress, cancel=cancel
        )
    assert _counts(db) == before
    with pytest.raises(NotFoundError):
        projects.get_project(db, "Shop")


def test_bad_paths_and_formats_are_refused_with_a_reason(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        imports.import_path(db, tmp_path / "missing.jsonl", project="p")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationError, match="no transcript"):
        imports.import_path(db, empty, project="p")
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(ValidationError, match="not a transcript"):
        imports.import_path(db, binary, project="p")
    with pytest.raises(ValidationError, match="unknown format"):
        imports.import_path(db, _write(tmp_path / "a.txt", "x"), format_name="word")
    with pytest.raises(ValidationError, match="project"):
        imports.import_path(db, _write(tmp_path / "b.txt", CONVERSATION))  # no folder known
    assert _counts(db)["session"] == 0


def _shared(name: str) -> Path:
    path = SHARED_FORMATS / name
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/formats is absent)")
    return path


def test_claude_code_transcripts_map_to_the_project_of_their_folder(
    db: Database, tmp_path: Path
) -> None:
    source = _shared("claude_code_session_tool_heavy_real.jsonl")
    report = imports.import_path(db, source)
    assert report.sessions_created == 1
    imported = report.sessions[0]
    detail = sessions.get_session(db, imported.session_id)
    assert detail.status == "imported"
    assert imported.project in report.projects_created
    # The export carries the tokens with Anthropic's field names, and the turn kinds.
    document = export.export_project(db, imported.project)
    session = document["sessions"][0]
    assert session["source_format"] == "claude-code"
    usage = session["usage"]
    assert set(usage) == {
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    }
    assert usage["output_tokens"] > 0
    kinds = {turn["kind"] for turn in session["turns"]}
    assert {"text", "tool_call", "tool_result"} <= kinds
    json.dumps(document)  # serialisable as it is


def test_a_folder_imports_every_transcript_with_one_progress(db: Database, tmp_path: Path) -> None:
    if not SHARED_FORMATS.exists():
        pytest.skip("../shared/formats is absent")
    seen: list[tuple[int, int]] = []
    report = imports.import_path(
        db, SHARED_FORMATS, project="Everything", progress=lambda d, t: seen.append((d, t))
    )
    formats = {item.source_format for item in report.sessions}
    assert {"claude-code", "codex", "chatgpt", "aider"} <= formats
    totals = {total for _, total in seen}
    assert len(totals) == 1  # one bar for the lot
    assert seen[-1][0] == seen[-1][1]
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    again = imports.import_path(db, SHARED_FORMATS, project="Everything")
    assert (again.sessions_created, again.turns_added) == (0, 0)
