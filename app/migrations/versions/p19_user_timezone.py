"""users.timezone: each panel user reads times in their own zone (empty: UTC)

Revision ID: p19_user_timezone
Revises: r12m_exact_bans
"""

import sqlalchemy as sa
from alembic import op

revision = "p19_user_timezone"
down_revision = "r12m_exact_bans"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("timezone")
