"""deliveries: an index for the reconciler's scan of overdue retries (only rows with a retry time)

Revision ID: d13_retry_due_index
Revises: b14_archive_author_words
"""

import sqlalchemy as sa
from alembic import op

revision = "d13_retry_due_index"
down_revision = "b14_archive_author_words"
branch_labels = None
depends_on = None

WHERE = sa.text("next_attempt_at IS NOT NULL")


def upgrade():
    op.create_index(
        "ix_deliveries_retry_due",
        "deliveries",
        ["next_attempt_at"],
        postgresql_where=WHERE,
        sqlite_where=WHERE,
    )


def downgrade():
    op.drop_index("ix_deliveries_retry_due", table_name="deliveries")
