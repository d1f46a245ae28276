"""Test databases: a private PostgreSQL database per run, and emptying tables between tests."""

from __future__ import annotations

import os

import psycopg
from sqlalchemy import delete

from app.extensions import db

PG_ADMIN = os.environ.get("MAILFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def create_test_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def drop_test_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all() -> None:
    """Delete every row, children first."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()
