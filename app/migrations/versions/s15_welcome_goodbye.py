"""mailing_lists.welcome_template, goodbye_template (mail on subscribe and unsubscribe) and raw_retention_days;
an index on members.email (every list of one address: /manage, a person's data)

Revision ID: s15_welcome_goodbye
Revises: g15_digests
"""

import sqlalchemy as sa
from alembic import op

revision = "s15_welcome_goodbye"
down_revision = "g15_digests"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mailing_lists") as batch:
        batch.add_column(sa.Column("welcome_template", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("goodbye_template", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("raw_retention_days", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_members_email", "members", ["email"])


def downgrade():
    op.drop_index("ix_members_email", table_name="members")
    with op.batch_alter_table("mailing_lists") as batch:
        batch.drop_column("raw_retention_days")
        batch.drop_column("goodbye_template")
        batch.drop_column("welcome_template")
