"""Digests: list settings, digest_issues (built once per list and number), digest_entries, posts.withheld

Revision ID: g15_digests
Revises: d15_delivery_modes
"""

import sqlalchemy as sa
from alembic import op

revision = "g15_digests"
down_revision = "d15_delivery_modes"
branch_labels = None
depends_on = None

DEFAULT_FOOTER = "Change how you get {{ list_name }} (digest, every post, no mail) or leave: {{ manage_url }}"


def upgrade():
    with op.batch_alter_table("mailing_lists") as batch:
        batch.add_column(sa.Column("digest_frequency", sa.String(8), nullable=False, server_default="daily"))
        batch.add_column(sa.Column("digest_hour", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("digest_size_threshold_kb", sa.Integer(), nullable=False, server_default="30")
        )
        batch.add_column(sa.Column("digest_header_template", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("digest_footer_template", sa.Text(), nullable=False, server_default=DEFAULT_FOOTER)
        )
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("withheld", sa.JSON(), nullable=True))
    op.create_table(
        "digest_issues",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("volume", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column(
            "mime_post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "plain_post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("list_id", "volume", "number", name="uq_digest_issue_number"),
    )
    op.create_table(
        "digest_entries",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "issue_id", sa.Integer(), sa.ForeignKey("digest_issues.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_digest_entries_list_issue", "digest_entries", ["list_id", "issue_id"])


def downgrade():
    op.drop_index("ix_digest_entries_list_issue", table_name="digest_entries")
    op.drop_table("digest_entries")
    op.drop_table("digest_issues")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("withheld")
    with op.batch_alter_table("mailing_lists") as batch:
        for name in (
            "digest_footer_template",
            "digest_header_template",
            "digest_size_threshold_kb",
            "digest_hour",
            "digest_frequency",
        ):
            batch.drop_column(name)
