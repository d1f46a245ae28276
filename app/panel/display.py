"""How the panel writes times and sizes: in the reader's time zone, and in units people read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

from app.panel.list_people import people_of
from app.panel.setting_hints import setting_hint

SIZE_UNITS = ("bytes", "KB", "MB", "GB")


def reader_zone() -> ZoneInfo:
    """The logged-in user's time zone, UTC for visitors and for a zone this system does not know."""
    name = getattr(current_user, "timezone", "") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime | None, seconds: bool = False) -> str:
    """A stored UTC time in the reader's zone, naming the zone: "2026-11-29 14:03 CET"."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(reader_zone())
    return local.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def day(moment: datetime | None) -> str:
    """The date of a stored UTC time in the reader's zone: "2026-11-29"."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(reader_zone()).strftime("%Y-%m-%d")


def human_size(count: int | None) -> str:
    """A byte count as people say it: "512 bytes", "34 KB", "1.2 MB"."""
    value = float(count or 0)
    for unit in SIZE_UNITS:
        if value < 1024 or unit == SIZE_UNITS[-1]:
            break
        value /= 1024
    if unit == "bytes":
        return "1 byte" if value == 1 else f"{int(value)} bytes"
    return f"{value:.1f} {unit}" if value < 10 else f"{round(value)} {unit}"


def plain(value: object) -> str:
    """A stored detail in words, without Python's quoting: lists joined, yes/no for booleans."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set):
        return ", ".join(plain(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{words(key)}: {plain(item)}" for key, item in value.items())
    return str(value)


def words(name: str) -> str:
    """A column or key name as words: "reply_to_mode" -> "reply to mode"."""
    return str(name).replace("_", " ")


def register_display(app: Flask) -> None:
    """Make the display helpers available to every template."""
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["human_size"] = human_size
    app.jinja_env.filters["plain"] = plain
    app.jinja_env.filters["words"] = words
    app.jinja_env.globals["setting_hint"] = setting_hint
    app.jinja_env.globals["people_of"] = people_of
