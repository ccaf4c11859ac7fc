"""The command line, in-process (``main([...])``) and as the real console script."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui import __version__
from orchestrator_tui.cli import common as cli_common
from orchestrator_tui.cli import main
from orchestrator_tui.db.database import Database
from orchestrator_tui.db.migrate import HEAD_REVISION
from orchestrator_tui.services import accounts, handoffs, projects, sessions
from tests.db_helpers import table_rows

REPO = Path(__file__).resolve().parents[1]
PREFIX = "orchestrator-tui: error: "


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never send OSC 52 to the terminal running the tests."""
    monkeypatch.setattr(cli_common, "_osc52_writer", lambda: None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], db_path: Path) -> Callable[..., Run]:
    def _run(*args: str, db: Path | None = db_path) -> Run:
        argv = ["--db", str(db), *args] if db is not None else list(args)
        code = main(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return _run


@pytest.fixture
def opened(db_path: Path) -> Iterator[Callable[[], Database]]:
    """Open the CLI's database through the services, to check what the commands did."""
    handles: list[Database] = []

    def _open() -> Database:
        handles.append(Database.open(f"sqlite:///{db_path}"))
        return handles[-1]

    yield _open
    for handle in handles:
        handle.close()


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "orchestrator-tui"
    return [str(script)] if script.exists() else [sys.executable, "-m", "orchestrator_tui"]


def run_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(REPO)
    environment.update(env or {})
    return subprocess.run(
        [*console_script(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def assert_refused(result: Run, *needles: str) -> None:
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith(PREFIX), result.err
    assert result.err.count("\n") == 1, result.err  # one line
    assert "Traceback" not in result.err
    for needle in needles:
        assert needle in result.err, (needle, result.err)


@pytest.fixture
def loop_db(run: Callable[..., Run]) -> dict[str, Any]:
    """A project, an account with 1,000 credits and an open session on it."""
    assert run("project", "add", "Web App", "--description", "The shop").code == 0
    assert run("project", "add", "Idle").code == 0
    assert (
        run("account", "add", "claude-main", "--platform", "claude", "--credits", "1000").code == 0
    )
    started = run("session", "start", "Web App", "--account", "claude-main", "--json")
    assert started.code == 0, started
    return dict(started.json())


# --- Basics ----------------------------------------------------------------------------------


def test_version_in_process(run: Callable[..., Run]) -> None:
    result = run("--version", db=None)
    assert result.code == 0
    assert result.out.strip() == f"orchestrator-tui {__version__}"


def test_version_and_lazy_start_as_console_script() -> None:
    done = run_process("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"orchestrator-tui {__version__}"
    # Importing the CLI and answering --version loads no database code.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from orchestrator_tui.cli import main; main(['--version']); "
            "print(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'textual') "
            "if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    assert probe.stdout.strip().splitlines()[-1] == "[]"


def test_usage_errors_exit_2(run: Callable[..., Run]) -> None:
    missing = run("session", "complete", "1")
    assert missing.code == 2
    assert "--credits" in missing.err and "Traceback" not in missing.err
    assert run("session", "show", "not-a-number").code == 2
    assert run("project").code == 2
    assert run("account", "add", "x", "--platform", "myspace").code == 2


def test_help_exits_0(run: Callable[..., Run]) -> None:
    result = run("--help", db=None)
    assert result.code == 0
    for command in ("demo", "db", "project", "account", "session", "handoff", "export"):
        assert command in result.out


def test_db_option_env_and_default(
    run: Callable[..., Run],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_environment: Path,
) -> None:
    explicit = tmp_path / "explicit.db"
    from_env = tmp_path / "env" / "from-env.db"
    assert run("project", "add", "Explicit", db=explicit).code == 0
    assert explicit.exists()

    monkeypatch.setenv("ORCHESTRATOR_TUI_DB", str(from_env))
    assert run("project", "add", "From env", db=None).code == 0
    assert from_env.exists()
    listed = run("project", "list", "--json", db=None).json()
    assert [p["name"] for p in listed["projects"]] == ["From env"]

    # --db wins over the environment, before or after the command.
    listed = run("project", "list", "--json", "--db", str(explicit), db=None).json()
    assert [p["name"] for p in listed["projects"]] == ["Explicit"]
    # A SQLAlchemy URL works as well as a path.
    url_run = run("--db", f"sqlite:///{explicit}", "project", "list", "--json", db=None)
    assert [p["name"] for p in url_run.json()["projects"]] == ["Explicit"]

    monkeypatch.delenv("ORCHESTRATOR_TUI_DB")
    assert run("project", "add", "Default", db=None).code == 0
    assert (isolated_environment / "orchestrator.db").exists()


def test_db_env_in_console_script(tmp_path: Path) -> None:
    target = tmp_path / "script.db"
    done = run_process(
        "project", "add", "Scripted", "--json", env={"ORCHESTRATOR_TUI_DB": str(target)}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project"]["name"] == "Scripted"
    assert target.exists()


def test_no_command_opens_the_tui(
    run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    opened: list[str] = []

    def fake_run(url: str) -> int:
        opened.append(url)
        return 0

    fake = types.ModuleType("orchestrator_tui.tui.app")
    fake.run = fake_run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "orchestrator_tui.tui.app", fake)
    assert run().code == 0
    assert opened == [f"sqlite:///{db_path.resolve()}"]


def test_db_upgrade(run: Callable[..., Run], db_path: Path) -> None:
    first = run("db", "upgrade", "--json")
    assert first.code == 0
    assert first.json() == {
        "database": f"sqlite:///{db_path.resolve()}",
        "revision": HEAD_REVISION,
        "previous": None,
    }
    again = run("db", "upgrade")
    assert again.code == 0
    assert HEAD_REVISION in again.out and "up to date" in again.out


# --- The loop --------------------------------------------------------------------------------


def test_full_loop_in_process(run: Callable[..., Run], opened: Callable[[], Database]) -> None:
    project = run("project", "add", "Web App", "--description", "The shop", "--json")
    assert project.code == 0
    assert project.json()["project"]["name"] == "Web App"
    account = run(
        "account", "add", "claude-main", "--platform", "Claude", "--credits", "1000",
        "--specialization", "python, testing", "--reset", "weekly", "--json",
    )  # fmt: skip
    assert account.code == 0
    assert account.json()["account"]["platform"] == "claude"
    assert account.json()["account"]["credits_remaining"] == 1000
    assert account.json()["account"]["reset_cadence"] == "weekly"

    first = run(
        "session", "start", "Web App", "--account", "claude-main", "--objectives", "Login page",
        "--type", "development", "--json",
    )  # fmt: skip
    assert first.code == 0
    started = first.json()
    assert started["number"] == 1
    assert started["previous_handoff"] is None
    session_id = started["session_id"]

    done = run(
        "session", "complete", str(session_id), "--credits", "250",
        "--accomplishments", "Login form in src/login.tsx\nSession cookie",
        "--blockers", "OAuth redirect fails on Safari", "--next-steps", "Fix the OAuth redirect",
        "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    completed = done.json()
    assert completed["session_id"] == session_id
    assert completed["handoff_id"] is not None
    assert "Login form in src/login.tsx" in completed["handoff"]
    assert "OAuth redirect fails on Safari" in completed["handoff"]
    assert completed["account_credits_remaining"] == 750

    second = run("session", "start", "Web App", "--account", "claude-main", "--json")
    assert second.code == 0
    assert second.json()["number"] == 2
    assert second.json()["previous_handoff"] == completed["handoff"]

    db = opened()
    assert accounts.get_account(db, "claude-main").credits_remaining == 750
    stored = handoffs.latest_handoff(db, session_id)
    assert stored is not None
    assert stored.id == completed["handoff_id"]
    assert stored.content == completed["handoff"]
    assert stored.provider == "rules"
    detail = sessions.get_session(db, session_id)
    assert detail.status == "completed"
    assert detail.credits_used == 250
    next_detail = sessions.get_session(db, second.json()["session_id"])
    assert next_detail.loaded_handoff is not None
    assert next_detail.loaded_handoff.id == completed["handoff_id"]


def test_text_output_is_readable(run: Callable[..., Run], loop_db: dict[str, Any]) -> None:
    session_id = str(loop_db["session_id"])
    done = run("session", "complete", session_id, "--credits", "100", "--accomplishments", "Ship")
    assert done.code == 0
    assert done.out.startswith("Completed session #1 of 'Web App'")
    assert "# Handoff: Web App · session #1" in done.out
    listed = run("project", "list")
    assert "Web App" in listed.out and "100" in listed.out
    pool = run("account", "list")
    assert "claude-main" in pool.out and "900/1,000" in pool.out
    shown = run("session", "show", session_id)
    assert "Status:       completed" in shown.out
    assert "Ship" in shown.out and "Handoff (version 1 of 1, rules" in shown.out
    started = run("session", "start", "Web App")
    assert "Handoff from session #1" in started.out


def test_session_show_json(run: Callable[..., Run], loop_db: dict[str, Any]) -> None:
    session_id = str(loop_db["session_id"])
    run("session", "complete", session_id, "--credits", "10", "--accomplishments", "Done it")
    shown = run("session", "show", session_id, "--json")
    assert shown.code == 0
    data = shown.json()
    assert data["session_id"] == loop_db["session_id"]
    assert data["status"] == "completed"
    assert data["accomplishments"] == "Done it"
    assert data["produced_handoff"]["content"] == data["handoff"]
    assert [v["version"] for v in data["handoff_versions"]] == [1]
    assert data["started_at"].endswith("+00:00")


def test_full_loop_as_console_script(tmp_path: Path) -> None:
    db = str(tmp_path / "proc.db")
    steps = [
        ("project", "add", "Pipeline"),
        ("account", "add", "gpt-team", "--platform", "chatgpt", "--credits", "500"),
    ]
    for step in steps:
        done = run_process("--db", db, *step, "--json")
        assert done.returncode == 0, done.stderr
    started = run_process(
        "--db", db, "session", "start", "Pipeline", "--account", "gpt-team", "--json"
    )
    assert started.returncode == 0, started.stderr
    session_id = json.loads(started.stdout)["session_id"]
    completed = run_process(
        "--db", db, "session", "complete", str(session_id), "--credits", "120",
        "--accomplishments", "Extractor written", "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    handoff = json.loads(completed.stdout)["handoff"]
    again = run_process("--db", db, "session", "start", "Pipeline", "--json")
    assert json.loads(again.stdout)["previous_handoff"] == handoff
    # An error from the real script: one line, status 1, no traceback.
    missing = run_process("--db", db, "session", "start", "No such project")
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr.startswith(PREFIX) and missing.stderr.count("\n") == 1
    assert "Traceback" not in missing.stderr


# --- Refusals --------------------------------------------------------------------------------

COMPLETE = "session complete {sid}"
REFUSALS: list[tuple[str, str, tuple[str, ...]]] = [
    ("unknown project", "session start Nope", ("No project 'Nope'",)),
    ("unknown account", "session start Idle --account ghost", ("ghost",)),
    ("unknown session", "session complete 999 --credits 1 --accomplishments x", ("999",)),
    ("show unknown session", "session show 999", ("999",)),
    ("handoff unknown session", "handoff 999", ("999",)),
    ("export unknown project", "export Nope", ("Nope",)),
    ("negative credits", f"{COMPLETE} --credits=-5 --accomplishments x", ("--credits", "negative")),
    ("non-numeric credits", f"{COMPLETE} --credits lots --accomplishments x", ("not a number",)),
    ("fractional credits", f"{COMPLETE} --credits 2.5 --accomplishments x", ("whole",)),
    ("too many credits", f"{COMPLETE} --credits 1001 --accomplishments x", ("more than",)),
    ("absurd credits", f"{COMPLETE} --credits 99999999999 --accomplishments x", ("--credits",)),
    ("empty accomplishments", f"{COMPLETE} --credits 5 --accomplishments ' '", ("required",)),
    ("unknown provider", f"{COMPLETE} --credits 5 --accomplishments x --provider ai", ("'ai'",)),
    ("duplicate project", "project add 'Web App'", ("already exists",)),
    ("duplicate account", "account add claude-main", ("already exists",)),
    ("bad account credits", "account add other --credits -1", ("--credits",)),
    ("second session while one is open", "session start 'Web App'", ("still in progress",)),
    ("output is a directory", "handoff {sid} --output {tmp}", ("is a directory",)),
    ("output directory missing", "export 'Web App' --output {tmp}/no/x.json", ("does not exist",)),
    ("bad demo time", "demo --now yesterday", ("--now",)),
    ("comma typo in credits", f"{COMPLETE} --credits 1,5 --accomplishments x", ("'1,5' is not",)),
    ("exponent credits", f"{COMPLETE} --credits 1e3 --accomplishments x", ("'1e3' is not",)),
    ("project name taken ignoring case", "project add 'web APP'", ("'Web App' already exists",)),
    ("account name taken ignoring case", "account add Claude-Main", ("'claude-main' already",)),
    ("rename onto another project", "project edit Idle --name 'WEB APP'", ("already exists",)),
    ("rename to nothing", "project edit Idle --name ' '", ("--name", "required")),
    ("edit unknown project", "project edit Nope --description x", ("No project 'Nope'",)),
    ("archive with a session open", "project archive 'Web App'", ("complete session #1 first",)),
    ("archive unknown project", "project unarchive Nope", ("No project 'Nope'",)),
    ("delete unknown account", "account delete ghost", ("No account 'ghost'",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "needles"), [(c, n) for _, c, n in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_refusals_change_nothing(
    run: Callable[..., Run],
    loop_db: dict[str, Any],
    db_path: Path,
    tmp_path: Path,
    command: str,
    needles: tuple[str, ...],
) -> None:
    before = table_rows(db_path)
    args = [part.format(sid=loop_db["session_id"], tmp=tmp_path) for part in shlex.split(command)]
    for as_json in (False, True):
        result = run(*args, *(["--json"] if as_json else []))
        assert_refused(result, *needles)
    assert table_rows(db_path) == before


def test_complete_twice_is_refused(
    run: Callable[..., Run], loop_db: dict[str, Any], db_path: Path, opened: Callable[[], Database]
) -> None:
    sid = str(loop_db["session_id"])
    assert run("session", "complete", sid, "--credits", "300", "--accomplishments", "x").code == 0
    before = table_rows(db_path)
    again = run("session", "complete", sid, "--credits", "300", "--accomplishments", "again")
    assert_refused(again, "already completed")
    assert table_rows(db_path) == before
    assert accounts.get_account(opened(), "claude-main").credits_remaining == 700


def test_database_newer_than_the_code(run: Callable[..., Run], db_path: Path) -> None:
    assert run("project", "add", "Kept").code == 0
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    before = table_rows(db_path)
    for argv in (
        ["project", "add", "New"],
        ["project", "list"],
        ["db", "upgrade"],
        ["demo"],
        ["session", "start", "Kept"],
    ):
        result = run(*argv)
        assert_refused(result, "9999_from_the_future", "newer version")
    assert table_rows(db_path) == before


def test_unusable_database_paths(run: Callable[..., Run], tmp_path: Path) -> None:
    assert_refused(run("project", "list", db=tmp_path), "cannot use the database")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    assert_refused(run("project", "list", db=garbage), "not a database")
    assert garbage.read_bytes() == b"this is not sqlite at all" * 100
    assert_refused(run("--db", "nosuchdialect://x", "project", "list", db=None), "database URL")


def test_handoff_failure_keeps_the_completion(
    run: Callable[..., Run],
    loop_db: dict[str, Any],
    opened: Callable[[], Database],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("generator exploded")

    monkeypatch.setattr(handoffs, "generate_handoff", broken)
    sid = loop_db["session_id"]
    result = run(
        "session", "complete", str(sid), "--credits", "40", "--accomplishments", "x", "--json"
    )
    assert result.code == 1
    data = result.json()
    assert data["handoff_id"] is None and data["handoff"] is None
    assert data["handoff_error"] == "generator exploded"
    assert "is completed, but its handoff could not be generated" in result.err
    assert "Traceback" not in result.err
    db = opened()
    assert sessions.get_session(db, sid).status == "completed"
    assert accounts.get_account(db, "claude-main").credits_remaining == 960
    assert handoffs.latest_handoff(db, sid) is None
    # Retrying later works.
    monkeypatch.undo()
    retry = run("handoff", str(sid), "--json")
    assert retry.code == 0 and retry.json()["generated"] is True


# --- handoff ---------------------------------------------------------------------------------


def test_handoff_generates_prints_and_regenerates(
    run: Callable[..., Run], loop_db: dict[str, Any], opened: Callable[[], Database]
) -> None:
    sid = str(loop_db["session_id"])
    # A session without a handoff gets one generated (even while in progress).
    first = run("handoff", sid, "--json")
    assert first.code == 0
    data = first.json()
    assert data["generated"] is True and data["version"] == 1 and data["provider"] == "rules"
    assert "Generated handoff version 1" in first.err
    # Without --provider, the stored version is printed, nothing new is made.
    shown = run("handoff", sid)
    assert shown.code == 0
    assert shown.out.rstrip("\n") == data["handoff"].rstrip("\n")
    assert [v.version for v in handoffs.versions(opened(), int(sid))] == [1]
    # --provider makes a new version.
    again = run("handoff", sid, "--provider", "rules", "--json")
    assert again.json()["version"] == 2 and again.json()["generated"] is True


def test_handoff_output_writes_the_file(
    run: Callable[..., Run], loop_db: dict[str, Any], tmp_path: Path
) -> None:
    sid = str(loop_db["session_id"])
    run("session", "complete", sid, "--credits", "5", "--accomplishments", "Wrote docs/readme.md")
    target = tmp_path / "handoff.md"
    result = run("handoff", sid, "--output", str(target), "--json")
    assert result.code == 0
    assert result.json()["output"] == str(target)
    assert target.read_text(encoding="utf-8") == result.json()["handoff"]
    assert "Wrote docs/readme.md" in target.read_text(encoding="utf-8")
    assert f"to {target}" in result.err
    # Text mode: the file is written and stdout stays empty.
    target.unlink()
    quiet = run("handoff", sid, "--output", str(target))
    assert quiet.code == 0 and quiet.out == "" and target.exists()
    assert not list(tmp_path.glob(".handoff.md.*"))  # no temporary file left behind


def test_handoff_copy_copies_the_edited_version_in_file_mode(
    run: Callable[..., Run],
    loop_db: dict[str, Any],
    opened: Callable[[], Database],
    isolated_environment: Path,
) -> None:
    sid = loop_db["session_id"]
    run("session", "complete", str(sid), "--credits", "5", "--accomplishments", "x")
    generated = handoffs.latest_handoff(opened(), sid)
    assert generated is not None
    edited = generated.content + "\nNote from the user: call the client first.\n"
    handoffs.save_edit(opened(), sid, edited)

    result = run("handoff", str(sid), "--copy", "--json")
    assert result.code == 0
    data = result.json()
    assert data["handoff"] == edited and data["provider"] == "edited" and data["generated"] is False
    clip = data["clipboard"]
    copied = Path(clip["file"])
    assert copied.parent == isolated_environment / "clipboard"
    assert copied.read_text(encoding="utf-8") == edited
    assert clip["confirmed"] == [] and clip["unconfirmed"] == []
    assert f"Saved a copy to {copied}" in result.err
    assert clip["message"] in result.err

    text = run("handoff", str(sid), "--copy")
    assert text.code == 0 and text.out == ""
    assert "Saved a copy to" in text.err


def test_handoff_copy_sends_osc52_when_a_terminal_is_there(
    run: Callable[..., Run], loop_db: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(cli_common, "_osc52_writer", lambda: sent.append)
    result = run("handoff", str(loop_db["session_id"]), "--copy", "--json")
    assert result.code == 0
    assert sent == [result.json()["handoff"]]
    assert result.json()["clipboard"]["unconfirmed"] == ["OSC 52"]
    assert "OSC 52" in result.err


# --- export, demo, lists ---------------------------------------------------------------------


def test_export_json_and_markdown(
    run: Callable[..., Run], loop_db: dict[str, Any], tmp_path: Path
) -> None:
    sid = str(loop_db["session_id"])
    run("session", "complete", sid, "--credits", "5", "--accomplishments", "Exported things")
    printed = run("export", "Web App")
    assert printed.code == 0
    document = json.loads(printed.out)
    assert document["format"] == "orchestrator-tui-export"
    assert document["project"]["name"] == "Web App"
    assert [s["number"] for s in document["sessions"]] == [1]
    assert run("export", "Web App", "--json").json() | {"exported_at": None} == document | {
        "exported_at": None
    }

    target = tmp_path / "web.json"
    written = run("export", "Web App", "--output", str(target), "--json")
    assert written.code == 0
    assert written.json()["output"] == str(target) and written.json()["sessions"] == 1
    assert json.loads(target.read_text(encoding="utf-8"))["sessions"][0]["accomplishments"] == (
        "Exported things"
    )

    markdown = run("export", "Web App", "--format", "md")
    assert markdown.out.startswith("# Web App\n")
    assert "### Session #1" in markdown.out and "Exported things" in markdown.out
    md_file = tmp_path / "web.md"
    assert run("export", "Web App", "--format", "md", "--output", str(md_file)).code == 0
    assert md_file.read_text(encoding="utf-8").startswith("# Web App\n")
    assert (
        run("export", "Web App", "--format", "md", "--json")
        .json()["markdown"]
        .startswith("# Web App")
    )


def test_demo_command_is_idempotent(
    run: Callable[..., Run], opened: Callable[[], Database]
) -> None:
    first = run("demo", "--now", "2026-11-20T12:00:00+00:00", "--json")
    assert first.code == 0
    loaded = first.json()
    assert loaded["already_loaded"] is False
    assert loaded["projects"] >= 3 and loaded["accounts"] >= 10 and loaded["sessions"] >= 15
    second = run("demo")
    assert second.code == 0
    assert "already loaded" in second.out
    listed = run("project", "list", "--json").json()
    assert listed["total"] == loaded["projects"]
    pool = run("account", "list", "--json").json()
    assert pool["total"] == loaded["accounts"]
    assert {a["status"] for a in pool["accounts"]} == {
        "available",
        "active",
        "exhausted",
        "blocked",
    }


def test_demo_as_console_script(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.db")
    done = run_process("--db", db, "demo", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sessions"] >= 15
    again = run_process("--db", db, "demo", "--json")
    assert json.loads(again.stdout)["already_loaded"] is True


def test_lists_json(run: Callable[..., Run], loop_db: dict[str, Any]) -> None:
    projects = run("project", "list", "--json").json()
    assert projects["total"] == 2
    by_name = {p["name"]: p for p in projects["projects"]}
    assert by_name["Web App"]["in_progress"] == 1 and by_name["Idle"]["session_count"] == 0
    pool = run("account", "list", "--json").json()
    assert pool["accounts"][0]["name"] == "claude-main"
    assert pool["accounts"][0]["status"] == "active"
    assert "notes" in pool["accounts"][0]


# --- editing, archiving, deleting ------------------------------------------------------------


def test_project_edit_archive_unarchive(
    run: Callable[..., Run], loop_db: dict[str, Any], opened: Callable[[], Database]
) -> None:
    renamed = run("project", "edit", "idle", "--name", "Quiet", "--json")
    assert renamed.code == 0, renamed
    assert renamed.json()["project"]["name"] == "Quiet"
    described = run("project", "edit", "Quiet", "--description", "nothing yet")
    assert described.code == 0 and "Updated project 'Quiet'" in described.out
    assert projects.get_project(opened(), "Quiet").description == "nothing yet"
    # Changing only the case of its own name is fine.
    assert run("project", "edit", "Quiet", "--name", "QUIET").code == 0

    archived = run("project", "archive", "QUIET", "--json")
    assert archived.code == 0 and archived.json()["project"]["status"] == "archived"
    # The refusal points at a command the CLI has, and that command works.
    refused = run("session", "start", "QUIET")
    assert_refused(refused, "is archived", "`orchestrator-tui project unarchive QUIET`")
    unarchived = run("project", "unarchive", "QUIET")
    assert unarchived.code == 0 and "is active again" in unarchived.out
    assert run("session", "start", "QUIET").code == 0

    # A name with spaces is quoted in the hint, ready to paste.
    sid = str(loop_db["session_id"])
    assert run("session", "complete", sid, "--credits", "1", "--accomplishments", "x").code == 0
    assert run("project", "archive", "Web App").code == 0
    assert_refused(run("session", "start", "Web App"), "project unarchive 'Web App'`")


def test_project_edit_without_changes_is_a_usage_error(
    run: Callable[..., Run], loop_db: dict[str, Any], db_path: Path
) -> None:
    before = table_rows(db_path)
    result = run("project", "edit", "Idle")
    assert result.code == 2
    assert "nothing to change" in result.err and "Traceback" not in result.err
    assert table_rows(db_path) == before


def test_account_delete_keeps_the_sessions(
    run: Callable[..., Run], loop_db: dict[str, Any], opened: Callable[[], Database]
) -> None:
    sid = loop_db["session_id"]
    deleted = run("account", "delete", "CLAUDE-MAIN", "--json")
    assert deleted.code == 0, deleted
    assert deleted.json()["account"]["name"] == "claude-main"
    assert run("account", "list", "--json").json()["total"] == 0
    kept = sessions.get_session(opened(), sid)
    assert (kept.account_id, kept.account_name) == (None, "claude-main")
    text = run("account", "delete", "claude-main")
    assert_refused(text, "No account 'claude-main'")


# --- a database that is not there -------------------------------------------------------------

READ_ONLY = [
    ("project", "list"),
    ("account", "list"),
    ("session", "show", "1"),
    ("export", "Web App"),
    ("export", "Web App", "--format", "md"),
    ("handoff", "1"),
    ("handoff", "1", "--copy"),
]


@pytest.mark.parametrize("argv", READ_ONLY, ids=[" ".join(argv) for argv in READ_ONLY])
def test_reading_a_missing_database_does_not_create_it(
    run: Callable[..., Run], tmp_path: Path, argv: tuple[str, ...]
) -> None:
    missing = tmp_path / "nowhere" / "missing.db"
    for as_json in (False, True):
        result = run(*argv, *(["--json"] if as_json else []), db=missing)
        assert_refused(
            result,
            f"No database at {missing} (run a command that writes, such as "
            "`orchestrator-tui demo` or `project add`, to create one)",
        )
    assert not missing.exists() and not missing.parent.exists()
    # The same file given as a URL.
    url = run("--db", f"sqlite:///{tmp_path / 'url.db'}", *argv, db=None)
    assert_refused(url, "No database at")
    assert not (tmp_path / "url.db").exists()


def test_the_default_database_is_not_created_by_reading(
    run: Callable[..., Run], isolated_environment: Path
) -> None:
    assert_refused(run("project", "list", db=None), "No database at")
    assert not (isolated_environment / "orchestrator.db").exists()
    assert run("project", "add", "First", db=None).code == 0
    assert run("project", "list", "--json", db=None).json()["total"] == 1


def test_writing_commands_still_create_the_database(
    run: Callable[..., Run], tmp_path: Path
) -> None:
    for index, argv in enumerate(
        [("project", "add", "P"), ("account", "add", "a"), ("db", "upgrade")]
    ):
        target = tmp_path / f"new-{index}.db"
        assert run(*argv, db=target).code == 0
        assert target.exists()


@pytest.mark.parametrize(
    "argv",
    [["--db", "", "project", "list"], ["project", "add", "x", "--db", ""], ["--db", ""]],
    ids=["before", "after", "tui"],
)
def test_an_empty_db_is_a_usage_error(
    run: Callable[..., Run], argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fake = types.ModuleType("orchestrator_tui.tui.app")
    fake.run = lambda url: 0  # type: ignore[attr-defined]  # never start the real TUI here
    monkeypatch.setitem(sys.modules, "orchestrator_tui.tui.app", fake)
    result = run(*argv, db=None)
    assert result.code == 2
    assert "--db" in result.err and "empty" in result.err and "Traceback" not in result.err
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []


# --- a failing generator ------------------------------------------------------------------------

BROKEN_GENERATOR = """
import sys
from orchestrator_tui.services import handoffs

def explode(context):
    raise RuntimeError("generator bug")

handoffs.PROVIDERS["rules"] = explode
from orchestrator_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_failing_generator_stores_the_minimal_handoff_quietly(
    run: Callable[..., Run], loop_db: dict[str, Any], db_path: Path, opened: Callable[[], Database]
) -> None:
    """In a real process (pytest's own log handlers would hide Python's last-resort handler):
    the completion and a handoff marked "rules-minimal" are stored; stderr has no traceback."""
    sid = str(loop_db["session_id"])

    def broken(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", BROKEN_GENERATOR, "--db", str(db_path), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdin=subprocess.DEVNULL,
            check=False,
        )

    done = broken(
        "session", "complete", sid, "--credits", "5", "--accomplishments", "x", "--blockers",
        "ci red", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    data = json.loads(done.stdout)
    assert data["provider"] == "rules-minimal" and data["handoff_error"] is None
    assert "## Open blockers\nci red" in data["handoff"]

    again = broken("handoff", sid, "--provider", "rules", "--json")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr and "generator bug" not in again.stderr
    assert again.stderr == "Generated handoff version 2 (rules-minimal) for session #1.\n"
    assert [v.provider for v in handoffs.versions(opened(), int(sid))] == [
        "rules-minimal",
        "rules-minimal",
    ]
