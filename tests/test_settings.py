"""Handoff settings: a TOML file in the config directory, checked, never holding a token."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.errors import ValidationError
from orchestrator_tui.settings import HandoffSettings, config_path, load_settings, save_settings


def test_defaults_without_a_file() -> None:
    assert not config_path().exists()
    assert load_settings() == HandoffSettings()


def test_saved_settings_come_back(tmp_path: Path) -> None:
    chosen = HandoffSettings(
        provider="openai",
        model='llama3.1:8b "q4"',
        base_url="http://localhost:11434/v1",
        budget_chars=4000,
        compress="medium",
        input_budget=16_000,
    )
    path = save_settings(chosen)
    assert path == config_path()
    assert load_settings() == chosen
    text = path.read_text(encoding="utf-8")
    assert "[handoff]" in text and "token" not in text.split("\n", 1)[1].lower()


def test_bad_settings_are_refused_field_by_field() -> None:
    with pytest.raises(ValidationError) as refused:
        save_settings(HandoffSettings(provider="gpt", compress="max", budget_chars=10))
    assert set(refused.value.errors) == {"provider", "compress", "budget_chars"}
    with pytest.raises(ValidationError, match="model"):
        save_settings(HandoffSettings(provider="openai"))
    assert not config_path().exists()


def test_a_broken_file_is_reported_not_replaced() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[handoff\nprovider = ", encoding="utf-8")
    with pytest.raises(ValidationError, match="cannot read"):
        load_settings()
    path.write_text('[handoff]\nbudget_chars = "big"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="expected int"):
        load_settings()
    path.write_text('[handoff]\nprovider = "huggingface"\nfuture_option = 1\n', encoding="utf-8")
    assert load_settings().provider == "huggingface"


def test_the_settings_offer_exactly_the_engines_levels_and_budget_floor() -> None:
    # settings.py keeps its own copy so that loading it stays cheap; they must agree.
    from orchestrator_tui.handoff import rules
    from orchestrator_tui.handoff.budget import MIN_BUDGET
    from orchestrator_tui.settings import COMPRESS_LEVELS

    assert COMPRESS_LEVELS == rules.COMPRESS_LEVELS
    HandoffSettings(budget_chars=MIN_BUDGET).checked()
    with pytest.raises(ValidationError):
        HandoffSettings(budget_chars=MIN_BUDGET - 1).checked()
