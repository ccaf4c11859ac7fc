"""How handoffs are written: the provider, model, server and budgets, kept in a TOML file in
the user config directory. Tokens are never stored here: they come from the environment or
the Hugging Face token file (or are typed in the TUI for one run)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from orchestrator_tui.config import APP_NAME
from orchestrator_tui.errors import ValidationError
from orchestrator_tui.handoff.budget import DEFAULT_BUDGET, MIN_BUDGET

CONFIG_DIR_ENV = "ORCHESTRATOR_TUI_CONFIG_DIR"
CONFIG_FILENAME = "config.toml"
PROVIDERS = ("rules", "huggingface", "openai")
COMPRESS_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class HandoffSettings:
    provider: str = "rules"  # rules, huggingface or openai
    model: str = ""  # empty: the provider's default
    base_url: str = ""  # empty: the provider's default
    budget_chars: int = DEFAULT_BUDGET  # the handoff's size budget, in characters
    compress: str = "low"  # low, medium, high
    input_budget: int = 24_000  # characters of context sent to an LLM

    def checked(self) -> HandoffSettings:
        """These settings, or a ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        if self.provider not in PROVIDERS:
            errors["provider"] = f"use one of {', '.join(PROVIDERS)}"
        if self.compress not in COMPRESS_LEVELS:
            errors["compress"] = f"use one of {', '.join(COMPRESS_LEVELS)}"
        if not MIN_BUDGET <= self.budget_chars <= 100_000:
            errors["budget_chars"] = f"between {MIN_BUDGET:,} and 100,000 characters"
        if not 4_000 <= self.input_budget <= 2_000_000:
            errors["input_budget"] = "between 4,000 and 2,000,000 characters"
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            errors["base_url"] = "an http:// or https:// URL"
        if self.provider == "openai" and not self.model:
            errors["model"] = "an OpenAI-compatible server needs a model name"
        if errors:
            raise ValidationError(errors)
        return self


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    return config_dir() / CONFIG_FILENAME


def load_settings(path: Path | None = None) -> HandoffSettings:
    """The saved settings; the defaults when there is no file. A file that cannot be read
    is a ValidationError that says where and why (it is never silently replaced)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return HandoffSettings()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValidationError({"config": f"cannot read {path}: {error}"}) from None
    section = data.get("handoff", {})
    if not isinstance(section, dict):
        raise ValidationError({"config": f"{path}: [handoff] must be a table"})
    known = {item.name for item in fields(HandoffSettings)}
    values: dict[str, Any] = {}
    for name, value in section.items():
        if name not in known:
            continue  # written by a newer version: ignored, kept in the file until saved
        expected = int if name in ("budget_chars", "input_budget") else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValidationError({name: f"{path}: expected {expected.__name__}"})
        values[name] = value
    return replace(HandoffSettings(), **values).checked()


def _toml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def save_settings(settings: HandoffSettings, path: Path | None = None) -> Path:
    """Write the settings (checked first) atomically; returns the file."""
    settings.checked()
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# orchestrator-tui settings. Tokens are never stored here.", "", "[handoff]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in asdict(settings).items()]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path
