"""Input checks shared by the forms (instant feedback) and the services (the last word).

Light on purpose: the TUI imports it before the database layer loads.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from orchestrator_tui.errors import ValidationError
from orchestrator_tui.records import (
    FILE_CHANGES,
    IMPORTANCE,
    PLATFORMS,
    RESET_CADENCES,
    SESSION_TYPES,
)

MAX_NAME = 200
MAX_CREDITS = 10_000_000
MAX_TEXT = 200_000  # one form field; a 50 MB paste is refused, not stored


# What a number of credits may look like: plain digits or thousands grouped by commas (1500,
# 1,500, 12,345,678). A sign and a fraction are recognised only to say what is wrong with
# "-5" or "12.5" rather than "not a number". ASCII digits only.
_NUMBER_RE = re.compile(
    r"(?P<minus>-?)(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?P<fraction>\.[0-9]+)?"
)
# More digits than this is far above MAX_CREDITS (and keeps int() away from huge strings).
_MAX_DIGITS = 18


def parse_credits(raw: str | int, field: str = "credits") -> int:
    """A whole, non-negative number of credits, from what the user typed.

    Accepted: plain digits or properly grouped thousands (``1500``, ``1,500``), with spaces
    around. ``-5`` is negative, ``12.5`` and ``12.0`` are not whole; ``1,5``, ``1e3``, ``+5``,
    ``0x10`` or ``1_000`` are not numbers. An int is taken as it is (and range-checked).
    """
    if isinstance(raw, int):
        value = raw
    else:
        text = raw.strip()
        if not text:
            raise ValidationError({field: "enter a number of credits"})
        match = _NUMBER_RE.fullmatch(text)
        if match is None or not (match["whole"] or match["fraction"]):
            raise ValidationError({field: f"{text!r} is not a number"})
        if match["minus"]:
            raise ValidationError({field: "credits cannot be negative"})
        if match["fraction"]:
            raise ValidationError({field: "credits are whole numbers"})
        digits = match["whole"].replace(",", "").lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:
            raise ValidationError({field: f"at most {MAX_CREDITS:,} credits"})
        value = int(digits)
    if value < 0:
        raise ValidationError({field: "credits cannot be negative"})
    if value > MAX_CREDITS:
        raise ValidationError({field: f"at most {MAX_CREDITS:,} credits"})
    return value


def clean_name(raw: str, field: str = "name") -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationError({field: "a name is required"})
    if len(name) > MAX_NAME:
        raise ValidationError({field: f"at most {MAX_NAME} characters"})
    return name


def clean_text(raw: str, field: str, *, required: bool = False) -> str:
    text = raw.strip()
    if required and not text:
        raise ValidationError({field: "this field is required"})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: f"too long: {len(text):,} characters (at most {MAX_TEXT:,})"})
    return text


def check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    value = value.strip().lower()
    if value not in choices:
        raise ValidationError({field: f"{value!r} is not one of: {', '.join(choices)}"})
    return value


def check_platform(value: str) -> str:
    return check_choice(value.strip().lower(), PLATFORMS, "platform")


def check_session_type(value: str) -> str:
    return check_choice(value.strip().lower(), SESSION_TYPES, "session_type")


def check_reset_cadence(value: str) -> str:
    return check_choice(value.strip().lower(), RESET_CADENCES, "reset_cadence")


def parse_time(raw: str | datetime, field: str) -> datetime:
    """A moment typed as ISO 8601 (``2026-12-01``, ``2026-12-01 09:00``, with ``Z`` or an
    offset); without a zone it is UTC. Returned in UTC."""
    if isinstance(raw, datetime):
        moment = raw
    else:
        text = raw.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                {field: f"{text!r} is not a date and time (YYYY-MM-DD or YYYY-MM-DD HH:MM)"}
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def completion_errors(
    credits_raw: str | int,
    accomplishments: str,
    credits_available: int | None,
    other_fields: dict[str, str] | None = None,
) -> tuple[dict[str, str], int | None]:
    """Check a completion form; returns (errors by field, credits when they parsed)."""
    errors: dict[str, str] = {}
    credits: int | None = None
    try:
        credits = parse_credits(credits_raw)
        if credits_available is not None and credits > credits_available:
            errors["credits"] = (
                f"{credits:,} credits is more than the account has left ({credits_available:,})"
            )
    except ValidationError as error:
        errors.update(error.errors)
    try:
        clean_text(accomplishments, "accomplishments", required=True)
    except ValidationError as error:
        errors.update(error.errors)
    for name, value in (other_fields or {}).items():
        try:
            clean_text(value, name)
        except ValidationError as error:
            errors.update(error.errors)
    return errors, credits


# --- project files ------------------------------------------------------------------------

MAX_PATH = 2000
MAX_LINES = 10_000_000


def clean_path(raw: str, field: str = "path") -> str:
    """A file path as the user wrote it, on one line (relative or absolute)."""
    path = raw.strip()
    if not path:
        raise ValidationError({field: "a path is required"})
    if "\n" in path or "\r" in path or "\x00" in path:
        raise ValidationError({field: "a path is one line"})
    if len(path) > MAX_PATH:
        raise ValidationError({field: f"at most {MAX_PATH:,} characters"})
    return path


def check_change(value: str) -> str:
    return check_choice(value, FILE_CHANGES, "change")


def parse_count(raw: str | int, field: str) -> int:
    """A whole, non-negative number of lines (empty means 0)."""
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if not text:
            return 0
        if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
            raise ValidationError({field: "a number of lines cannot be negative"})
        if not text.isascii() or not text.isdigit():
            raise ValidationError({field: f"{raw.strip()!r} is not a whole number of lines"})
        if len(text) > 9:
            raise ValidationError({field: f"at most {MAX_LINES:,} lines"})
        raw = int(text)
    if isinstance(raw, bool) or raw < 0:
        raise ValidationError({field: "a number of lines cannot be negative"})
    if raw > MAX_LINES:
        raise ValidationError({field: f"at most {MAX_LINES:,} lines"})
    return raw


def check_importance(raw: str | int) -> int:
    """Importance 1 (incidental) to 5 (critical); see ``records.IMPORTANCE``."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or int(text) not in IMPORTANCE:
        raise ValidationError({"importance": f"{text!r} is not 1 to 5"})
    return int(text)
