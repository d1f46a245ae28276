"""Conditions and updates over a set of row ids whose statement text is the same whatever the set's size.

On PostgreSQL a batch of ids travels as one array parameter. A list of 500 parameters (`IN (...)`) made
a statement text too long for psycopg's cache of parsed queries: it was parsed again, ~7 ms each time, for
every chunk of every delivery job. SQLite runs in-process and keeps its lists of parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, Integer, String, Update, any_, bindparam, case, func, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute

from app.extensions import db


def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def among(column: InstrumentedAttribute[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """column IN ids, as one array parameter on PostgreSQL."""
    if _on_postgresql():
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def update_each(
    model: type, column: InstrumentedAttribute[str], per_id: Mapping[int, str], **common: object
) -> Update:
    """UPDATE the rows with these ids: column set to each row's own value, the common values to all."""
    if _on_postgresql():
        given = (
            func.unnest(
                bindparam(None, list(per_id), type_=ARRAY(Integer)),
                bindparam(None, list(per_id.values()), type_=ARRAY(String)),
            )
            .table_valued("id", "value")
            .render_derived()
        )
        return (
            update(model)
            .where(model.id == given.c.id)  # type: ignore[attr-defined]
            .values({column: given.c.value, **common})
        )
    return (
        update(model)
        .where(model.id.in_(list(per_id)))  # type: ignore[attr-defined]
        .values({column: case(dict(per_id), value=model.id), **common})  # type: ignore[attr-defined]
    )
