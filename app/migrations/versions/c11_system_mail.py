"""system_mail: notices, confirmations, command replies and owner forwards kept until sent (retried)

Revision ID: c11_system_mail
Revises: w18_webhooks
"""

import sqlalchemy as sa
from alembic import op

revision = "c11_system_mail"
down_revision = "w18_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "system_mail",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mail_from", sa.String(320), nullable=False),
        sa.Column("rcpt", sa.String(320), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_system_mail_status_next_attempt", "system_mail", ["status", "next_attempt_at"])


def downgrade():
    op.drop_index("ix_system_mail_status_next_attempt", table_name="system_mail")
    op.drop_table("system_mail")
