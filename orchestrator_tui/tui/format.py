"""How values look on screen."""

from __future__ import annotations

from datetime import datetime

STATUS_LABELS = {
    "in_progress": "▶ in progress",
    "completed": "✔ completed",
    "failed": "✘ failed",
    "handed_off": "⇢ handed off",
    "imported": "⇣ imported",
}


def when(value: datetime | None, empty: str = "—") -> str:
    """A time in the local zone, to the minute."""
    if value is None:
        return empty
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def end_time(start: datetime, end: datetime | None) -> str:
    """The end of a span, short: the time, with the month and day when it ended on another day
    than it started."""
    if end is None:
        return "—"
    if end.astimezone().date() == start.astimezone().date():
        return end.astimezone().strftime("%H:%M")
    return end.astimezone().strftime("%m-%d %H:%M")


def number(value: int | None, empty: str = "—") -> str:
    return empty if value is None else f"{value:,}"


def status(value: str) -> str:
    return STATUS_LABELS.get(value, value)


def credits_bar(remaining: int, limit: int, width: int = 10) -> str:
    """``███████░░░ 700/1,000``: what is left of an account's credits."""
    if limit <= 0:
        return f"{'░' * width} {remaining:,}/{limit:,}"
    filled = max(0, min(width, round(width * remaining / limit)))
    return f"{'█' * filled}{'░' * (width - filled)} {remaining:,}/{limit:,}"


def one_line(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def size(count: int) -> str:
    """A byte count for people: 512 B, 12.3 KB, 4.5 MB, 1.2 GB."""
    value = float(count)
    for unit in ("B", "KB", "MB"):
        if value < 1000:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
