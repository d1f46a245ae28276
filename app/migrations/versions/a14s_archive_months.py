"""archive_months: messages per list per month, so the archive's month index reads a few rows, not all

Revision ID: a14s_archive_months
Revises: n16_queue_indexes

Filled here from archived_messages; app.archive.months keeps it in step afterwards.
"""

import sqlalchemy as sa
from alembic import op

revision = "a14s_archive_months"
down_revision = "n16_queue_indexes"
branch_labels = None
depends_on = None

FILL = (
    "INSERT INTO archive_months (list_id, month, messages) "
    "SELECT list_id, month, count(*) FROM archived_messages WHERE removed_at IS NULL GROUP BY list_id, month"
)


def upgrade():
    op.create_table(
        "archive_months",
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("list_id", "month", name="pk_archive_months"),
    )
    op.execute(FILL)


def downgrade():
    op.drop_table("archive_months")
