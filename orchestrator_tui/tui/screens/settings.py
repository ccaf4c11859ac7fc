"""The handoff settings dialog: provider, model, server, budgets; a token for this run only;
ctrl+t tests the connection with the values as typed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Select, Static
from textual.worker import Worker, WorkerState

from orchestrator_tui.errors import OrchestratorError, ValidationError
from orchestrator_tui.settings import COMPRESS_LEVELS, PROVIDERS, HandoffSettings
from orchestrator_tui.tui.screens.form import FieldInput, FormModal

if TYPE_CHECKING:
    from orchestrator_tui.db.database import Database

TOKEN_ENV = {"huggingface": "HF_TOKEN", "openai": "OPENAI_API_KEY"}
PROVIDER_LABELS = {
    "rules": "Rules engine (offline)",
    "huggingface": "Hugging Face router",
    "openai": "OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio, OpenAI)",
}


class SettingsForm(FormModal[HandoffSettings]):
    TITLE = "Handoff settings"
    SUBMIT_LABEL = "Save"
    DESCRIPTION = "Saving the settings"
    HELP_TITLE = "Handoff settings"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FormModal.BINDINGS,
        Binding("ctrl+t", "test_connection", "Test connection", tooltip="Ask the model for OK"),
    ]

    def __init__(self, settings: HandoffSettings, problem: str = "") -> None:
        super().__init__()
        self.settings = settings
        self.problem = problem

    def intro(self) -> str:
        text = (
            "How handoffs are written. An LLM gets the rules engine's draft and the latest "
            "turns (secrets redacted); if it fails, the rules engine writes the handoff. "
            "Saved in the config file; a token is never saved."
        )
        return f"{self.problem}\n\n{text}" if self.problem else text

    def fields(self) -> ComposeResult:
        s = self.settings
        choices = [(PROVIDER_LABELS[name], name) for name in PROVIDERS]
        yield from self.field(
            "provider", "Provider", Select(choices, value=s.provider, allow_blank=False)
        )
        yield from self.field(
            "model",
            "Model (blank: the provider's default)",
            FieldInput(s.model, placeholder="meta-llama/Llama-3.1-8B-Instruct, llama3.1:8b…"),
        )
        yield from self.field(
            "base_url",
            "Server URL (blank: the provider's default)",
            FieldInput(s.base_url, placeholder="http://localhost:11434/v1"),
        )
        yield from self.field(
            "budget_chars", "Handoff size budget (characters)", FieldInput(str(s.budget_chars))
        )
        levels = [(level, level) for level in COMPRESS_LEVELS]
        yield from self.field(
            "compress", "Compression", Select(levels, value=s.compress, allow_blank=False)
        )
        yield from self.field(
            "input_budget", "Context sent to an LLM (characters)", FieldInput(str(s.input_budget))
        )
        yield from self.field(
            "token",
            "Token for this run only (blank: HF_TOKEN or the token file; OPENAI_API_KEY)",
            FieldInput("", password=True),
        )

    def _select(self, name: str) -> str:
        return str(self.query_one(f"#field-{name}", Select).value)

    def _typed(self) -> HandoffSettings:
        errors: dict[str, str] = {}
        numbers: dict[str, int] = {}
        for name in ("budget_chars", "input_budget"):
            try:
                numbers[name] = int(self.value(name).replace(",", "").strip())
            except ValueError:
                errors[name] = "a whole number of characters"
        if errors:
            raise ValidationError(errors)
        return HandoffSettings(
            provider=self._select("provider"),
            model=self.value("model").strip(),
            base_url=self.value("base_url").strip(),
            budget_chars=numbers["budget_chars"],
            compress=self._select("compress"),
            input_budget=numbers["input_budget"],
        ).checked()

    def validate(self) -> dict[str, str]:
        try:
            self._typed()
        except ValidationError as error:
            return error.errors
        return {}

    def job(self, db: Database) -> HandoffSettings:
        from orchestrator_tui.settings import save_settings

        settings = self._typed()
        save_settings(settings)
        self._use_token(settings.provider)
        return settings

    def _use_token(self, provider: str) -> None:
        """A typed token goes into this process's environment only (never to disk)."""
        token = self.value("token").strip()
        if token and provider in TOKEN_ENV:
            os.environ[TOKEN_ENV[provider]] = token

    def action_test_connection(self) -> None:
        try:
            settings = self._typed()
        except ValidationError as error:
            self.show_errors(error.errors)
            return
        if settings.provider == "rules":
            self._say("The rules engine runs offline: there is nothing to connect to.")
            return
        self._use_token(settings.provider)
        self._say(f"Asking {settings.provider} for a one-word reply…")

        def ask() -> str:
            from orchestrator_tui.llm import LLMConfig, complete_chat

            config = LLMConfig(
                provider=settings.provider,
                model=settings.model,
                base_url=settings.base_url,
                max_tokens=8,
                max_retries=1,
            )
            reply = complete_chat(config, [{"role": "user", "content": "Reply with: OK"}])
            return f"Connected: {config.model} at {config.base_url} replied {reply.strip()!r}."

        self.run_worker(
            ask, thread=True, group="settings-test", exclusive=True, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "settings-test":
            return
        if event.state == WorkerState.SUCCESS and event.worker.result:
            self._say(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            reason = getattr(error, "reason", None) or (
                str(error) if isinstance(error, OrchestratorError) else repr(error)
            )
            self._say(f"Connection failed: {reason}")

    def _say(self, text: str) -> None:
        self.query_one("#form-error", Static).update(text)
