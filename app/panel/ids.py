"""Row ids from URLs and forms: whole numbers the database's INTEGER columns can hold, or nothing."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; a larger number in a query is a database error (a 500)


def parse_id(text: str) -> int | None:
    """The id written in text (ASCII or any Unicode decimal digits), or None when it cannot be a row id."""
    text = text.strip()
    if not text.isdecimal() or len(text) > 10:
        return None
    number = int(text)
    return number if number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number above MAX_ID does not match (404), instead of a database error."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
