"""archive search by author through an index: the author's words, on PostgreSQL

Revision ID: b14_archive_author_words
Revises: a14s_archive_months

The author filter was LIKE '%...%' over every match. It now asks that each word typed start a word of the
author's name or address. SQLite answers that from the FTS5 table's author column (already indexed); on
PostgreSQL the tsvector column cannot (its parser keeps an address as one token), so this GIN index holds the
author's words split at every non-alphanumeric character (app.archive.search.AUTHOR_WORDS is the same
expression, which the query must repeat exactly for the index to be used).
"""

from alembic import op

revision = "b14_archive_author_words"
down_revision = "a14s_archive_months"
branch_labels = None
depends_on = None

AUTHOR_WORDS = "to_tsvector('simple', regexp_replace(author, '[^[:alnum:]]+', ' ', 'g'))"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_archived_author_words ON archived_messages USING gin (({AUTHOR_WORDS}))")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_archived_author_words")
