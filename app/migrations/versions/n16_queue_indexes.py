"""posts: indexes for the moderation queue (held posts of a list, oldest first) and its authors' history

Revision ID: n16_queue_indexes
Revises: m16_staff_notices
"""

from alembic import op

revision = "n16_queue_indexes"
down_revision = "m16_staff_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_posts_list_status_received", "posts", ["list_id", "status", "received_at"])
    op.create_index("ix_posts_list_sender", "posts", ["list_id", "sender", "status", "received_at"])


def downgrade():
    op.drop_index("ix_posts_list_sender", table_name="posts")
    op.drop_index("ix_posts_list_status_received", table_name="posts")
