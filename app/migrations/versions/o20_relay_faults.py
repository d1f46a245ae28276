"""relay faults: episodes of the outgoing relay refusing copies the same way

Revision ID: o20_relay_faults
Revises: r13_bounce_rules
"""

import sqlalchemy as sa
from alembic import op

import app.models.timestamps

revision = "o20_relay_faults"
down_revision = "r13_bounce_rules"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "relay_faults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=255), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", app.models.timestamps.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", app.models.timestamps.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", app.models.timestamps.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_relay_faults_cleared_at", "relay_faults", ["cleared_at"])


def downgrade():
    op.drop_index("ix_relay_faults_cleared_at", table_name="relay_faults")
    op.drop_table("relay_faults")
