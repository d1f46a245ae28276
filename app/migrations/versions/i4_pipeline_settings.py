"""pipeline settings on lists, prepared layout on posts, notice counts

Revision ID: i4_pipeline_settings
Revises: i6_member_imports
"""

import sqlalchemy as sa
from alembic import op

revision = "i4_pipeline_settings"
down_revision = "i6_member_imports"
branch_labels = None
depends_on = None


def list_columns() -> list[sa.Column]:
    """Fresh Column objects each time (a Column belongs to one table once added)."""
    return [
        sa.Column("moderator_password_hash", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("max_recipients", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("suspicious_headers", sa.Text(), nullable=False, server_default=""),
        sa.Column("require_explicit_destination", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("administrivia", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("dmarc_author_field", sa.String(length=16), nullable=False, server_default="reply-to"),
        sa.Column("filter_mime_types", sa.Text(), nullable=False, server_default=""),
        sa.Column("drop_html_alternative", sa.Boolean(), nullable=False, server_default=sa.false()),
    ]


def upgrade():
    with op.batch_alter_table("mailing_lists", schema=None) as batch_op:
        for column in list_columns():
            batch_op.add_column(column)
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prepared_layout", sa.JSON(), nullable=True))
    op.create_table(
        "notice_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "day", name="uq_notice_count_address_day"),
    )


def downgrade():
    op.drop_table("notice_counts")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("prepared_layout")
    with op.batch_alter_table("mailing_lists", schema=None) as batch_op:
        for column in reversed(list_columns()):
            batch_op.drop_column(column.name)
