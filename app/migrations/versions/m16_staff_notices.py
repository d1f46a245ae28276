"""moderation_tokens (reply-by-mail addresses), notice_preferences, membership_events

Revision ID: m16_staff_notices
Revises: s15_welcome_goodbye
"""

import sqlalchemy as sa
from alembic import op

revision = "m16_staff_notices"
down_revision = "s15_welcome_goodbye"
branch_labels = None
depends_on = None


def _list_fk() -> sa.Column:
    return sa.Column(
        "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False
    )


def _user_fk() -> sa.Column:
    return sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def upgrade():
    op.create_table(
        "moderation_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _list_fk(),
        _user_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_moderation_tokens_hash"),
        sa.UniqueConstraint("user_id", "kind", "object_id", name="uq_moderation_tokens_user_item"),
    )
    op.create_index("ix_moderation_tokens_item", "moderation_tokens", ["kind", "object_id"])
    op.create_table(
        "notice_preferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_fk(),
        _list_fk(),
        sa.Column("mode", sa.String(16), nullable=False, server_default="each"),
        sa.Column("interval_minutes", sa.Integer(), nullable=False, server_default="60"),
        sa.Column("next_summary_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("membership", sa.String(16), nullable=False, server_default="off"),
        sa.Column("membership_seen_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_membership_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_id", "list_id", name="uq_notice_preferences_user_list"),
    )
    op.create_table(
        "membership_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _list_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_membership_events_list", "membership_events", ["list_id", "id"])


def downgrade():
    op.drop_index("ix_membership_events_list", table_name="membership_events")
    op.drop_table("membership_events")
    op.drop_table("notice_preferences")
    op.drop_index("ix_moderation_tokens_item", table_name="moderation_tokens")
    op.drop_table("moderation_tokens")
