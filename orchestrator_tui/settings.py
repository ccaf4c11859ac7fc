"""The settings kept in a TOML file in the user config directory: how handoffs are written
(``[handoff]``: provider, model, server, budgets) and how accounts are recommended
(``[accounts]``: the minimum credits, what "resets soon" means). Tokens are never stored here:
they come from the environment or the Hugging Face token file (or are typed in the TUI for one
run)."""

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


@dataclass(frozen=True)
class AccountSettings:
    min_credits: int = 50  # an account with fewer credits left is not recommended
    reset_soon_hours: int = 24  # credits that come back within this are spent first

    def checked(self) -> AccountSettings:
        errors: dict[str, str] = {}
        if not 0 <= self.min_credits <= 10_000_000:
            errors["min_credits"] = "between 0 and 10,000,000 credits"
        if not 0 <= self.reset_soon_hours <= 24 * 31:
            errors["reset_soon_hours"] = "between 0 and 744 hours"
        if errors:
            raise ValidationError(errors)
        return self


Section = HandoffSettings | AccountSettings
SECTIONS: dict[str, type[HandoffSettings] | type[AccountSettings]] = {
    "handoff": HandoffSettings,
    "accounts": AccountSettings,
}


def config_dir() -> Path:
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    return config_dir() / CONFIG_FILENAME


def _read(path: Path) -> dict[str, Any]:
    """The file's tables; empty when there is no file. A file that cannot be read is a
    ValidationError that says where and why (it is never silently replaced)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValidationError({"config": f"cannot read {path}: {error}"}) from None


def _section(data: dict[str, Any], name: str, path: Path) -> Section:
    kind = SECTIONS[name]
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ValidationError({"config": f"{path}: [{name}] must be a table"})
    types = {item.name: item.type for item in fields(kind)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in types:
            continue  # written by a newer version: ignored, kept in the file until saved
        expected = int if types[key] == "int" else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValidationError({key: f"{path}: expected {expected.__name__}"})
        values[key] = value
    return replace(kind(), **values).checked()


def load_settings(path: Path | None = None) -> HandoffSettings:
    """The saved handoff settings; the defaults when there is no file."""
    path = path or config_path()
    settings = _section(_read(path), "handoff", path)
    assert isinstance(settings, HandoffSettings)
    return settings


def load_account_settings(path: Path | None = None) -> AccountSettings:
    """The saved account settings; the defaults when there is no file."""
    path = path or config_path()
    settings = _section(_read(path), "accounts", path)
    assert isinstance(settings, AccountSettings)
    return settings


def _toml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _write(path: Path, sections: dict[str, Section]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# orchestrator-tui settings. Tokens are never stored here."]
    for name, settings in sections.items():
        lines += ["", f"[{name}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in asdict(settings).items()]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def _others(path: Path, keep: str) -> dict[str, Section]:
    """The sections other than ``keep`` as saved, to write back unchanged (the defaults when
    the file cannot be read: saving replaces a broken file)."""
    try:
        data = _read(path)
    except ValidationError:
        data = {}
    others: dict[str, Section] = {}
    for name, kind in SECTIONS.items():
        if name == keep:
            continue
        try:
            others[name] = _section(data, name, path)
        except ValidationError:
            others[name] = kind()
    return others


def save_settings(settings: HandoffSettings, path: Path | None = None) -> Path:
    """Write the handoff settings (checked first) atomically, keeping the other sections;
    returns the file."""
    settings.checked()
    path = path or config_path()
    return _write(path, {"handoff": settings, **_others(path, "handoff")})
