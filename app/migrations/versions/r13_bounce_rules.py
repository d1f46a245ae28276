"""bounce thresholds per list; when a member was warned about bounces

Revision ID: r13_bounce_rules
Revises: a14_archive
"""

import sqlalchemy as sa
from alembic import op

revision = "r13_bounce_rules"
down_revision = "a14_archive"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mailing_lists") as batch:
        batch.add_column(sa.Column("bounce_threshold", sa.Float(), nullable=True))
        batch.add_column(sa.Column("bounce_warning_threshold", sa.Float(), nullable=True))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("bounce_warned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("members") as batch:
        batch.drop_column("bounce_warned_at")
    with op.batch_alter_table("mailing_lists") as batch:
        batch.drop_column("bounce_warning_threshold")
        batch.drop_column("bounce_threshold")
