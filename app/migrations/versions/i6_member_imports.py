"""member imports table; index for roster search by name

Revision ID: i6_member_imports
Revises: 59db9e4b9a48
"""

import sqlalchemy as sa
from alembic import op

import app.models.timestamps

revision = "i6_member_imports"
down_revision = "59db9e4b9a48"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("existing", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", app.models.timestamps.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.models.timestamps.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["list_id"], ["mailing_lists.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_members_list_name", "members", ["list_id", "name"])


def downgrade():
    op.drop_index("ix_members_list_name", table_name="members")
    op.drop_table("member_imports")
