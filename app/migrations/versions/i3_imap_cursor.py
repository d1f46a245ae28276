"""IMAP cursors and ingress locks

Revision ID: i3_imap_cursor
Revises: i5_delivery_bounces
Create Date: 2026-11-27 23:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i3_imap_cursor"
down_revision = "i5_delivery_bounces"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "imap_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=320), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "folder", name="uq_imap_cursor_mailbox_folder"),
    )
    op.create_table(
        "ingress_locks",
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade():
    op.drop_table("ingress_locks")
    op.drop_table("imap_cursors")
