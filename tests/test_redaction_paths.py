"""No planted secret comes out anywhere: not into the database on import, not out through the
clipboard, an export, a saved file or the command line's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.clipboard import copy_text
from orchestrator_tui.config import data_dir
from orchestrator_tui.db.database import Database
from orchestrator_tui.services import export, handoffs, imports, sessions

# Assembled at run time so that this file does not look like a leak to a scanner.
SECRETS = {
    "huggingface-token": "hf_" + "Q7wErTy9UiOp3AsDfGh5JkLzXcVbNm2Qwe",
    "openai-key": "sk-" + "proj-" + "Zx8Cv6Bn4Mq2We9Rt7Yu5Io3Pa1SdFgHjKl0",
    "anthropic-key": "sk-" + "ant-" + "api03-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYz",
    "github-token": "gh" + "p_" + "R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng0",
    "gitlab-token": "gl" + "pat-" + "Xy7Wv5Ut3Sr1Qp9On7Ml",
    "slack-token": "xo" + "xb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
    "aws-access-key": "AK" + "IA" + "QWERTYUIOP123456",
    "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".S1gnatur3V4lu3Xy7Wv5Ut3Sr1",
    "url-password": "Sup3rS3cretPw",
    "secret-assignment": "n0tAPlaceh0lderValue42",
    "private-key": "MIIEowIBAAKCAQEA7secretkeymaterialXy7Wv5Ut3Sr1Qp9On7Ml",
}
DASHES = "-" * 5
TRANSCRIPT = f"""User: here is everything, please wire it up
{SECRETS["huggingface-token"]} and {SECRETS["openai-key"]}
anthropic {SECRETS["anthropic-key"]}, github {SECRETS["github-token"]}
gitlab {SECRETS["gitlab-token"]} slack {SECRETS["slack-token"]}
aws {SECRETS["aws-access-key"]} jwt {SECRETS["jwt"]}
db postgres://admin:{SECRETS["url-password"]}@db.example.com:5432/shop
export SHOP_API_TOKEN={SECRETS["secret-assignment"]}
{DASHES}BEGIN RSA PRIVATE KEY{DASHES}
{SECRETS["private-key"]}
{DASHES}END RSA PRIVATE KEY{DASHES}
Assistant: Wired it up in config/settings.py.
"""


def assert_clean(text: str, where: str) -> None:
    leaked = [kind for kind, secret in SECRETS.items() if secret in text]
    assert not leaked, f"{where} leaks {leaked}"


@pytest.fixture
def leaky(db: Database, tmp_path: Path) -> int:
    """An imported session full of secrets, completed with a secret typed into a field."""
    source = tmp_path / "leaky.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    report = imports.import_path(db, source, project="Leaky", format_name="text")
    assert set(report.redactions) == set(SECRETS)
    session_id = report.sessions[0].session_id
    sessions.add_turns(db, session_id, [("user", "pasted: " + SECRETS["github-token"])])
    sessions.complete_session(
        db,
        session_id,
        1,
        f"Rotated the token {SECRETS['huggingface-token']}",
        next_steps=f"check https://bot:{SECRETS['url-password']}@ci.example.com",
    )
    handoffs.generate_handoff(db, session_id)
    assert source.read_text(encoding="utf-8") == TRANSCRIPT  # the original is untouched
    return session_id


def test_imported_and_pasted_turns_are_stored_redacted(db: Database, leaky: int) -> None:
    turns = sessions.turns(db, leaky, 0, 100).items
    stored = "\n".join(turn.content for turn in turns)
    assert_clean(stored, "the stored turns")
    for kind in SECRETS:
        assert f"[REDACTED:{kind}]" in stored
    assert "postgres://admin:[REDACTED:url-password]@db.example.com" in stored
    assert "SHOP_API_TOKEN=[REDACTED:secret-assignment]" in stored


def test_exports_and_the_clipboard_leak_nothing(db: Database, leaky: int) -> None:
    assert_clean(json.dumps(export.export_project(db, "Leaky")), "the JSON export")
    assert_clean(export.export_markdown(db, "Leaky"), "the Markdown export")
    handoff = handoffs.latest_handoff(db, leaky)
    assert handoff is not None
    copied = copy_text(handoff.content + "\n" + TRANSCRIPT, data_dir())
    assert copied.file is not None
    assert_clean(copied.file.read_text(encoding="utf-8"), "the clipboard")


def test_the_command_line_leaks_nothing(
    db: Database, db_url: str, leaky: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handoff_file = tmp_path / "handoff.md"
    export_file = tmp_path / "export.md"
    for argv in (
        ["handoff", str(leaky), "--json"],
        ["handoff", str(leaky), "--output", str(handoff_file)],
        ["handoff", str(leaky), "--copy"],
        ["export", "Leaky", "--format", "md", "--output", str(export_file)],
        ["export", "Leaky"],
        ["session", "show", str(leaky), "--json"],
    ):
        assert main(["--db", db_url, *argv]) == 0, argv
        out, err = capsys.readouterr()
        assert_clean(out + err, " ".join(argv))
    assert_clean(handoff_file.read_text(encoding="utf-8"), "handoff --output")
    assert_clean(export_file.read_text(encoding="utf-8"), "export --output")
