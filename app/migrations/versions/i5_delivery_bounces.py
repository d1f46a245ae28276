"""delivery leases, retry times, provider ids; bounce bookkeeping

Revision ID: i5_delivery_bounces
Revises: i4_pipeline_settings
Create Date: 2026-11-27 23:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "i5_delivery_bounces"
down_revision = "i4_pipeline_settings"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_deliveries_provider_message_id", ["provider_message_id"], unique=False)
        batch_op.create_index("ix_deliveries_status_lease", ["status", "lease_until"], unique=False)
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_bounce_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("bounces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("notification_id", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.create_index("ix_bounces_notification", ["notification_id"], unique=False)


def downgrade():
    with op.batch_alter_table("bounces", schema=None) as batch_op:
        batch_op.drop_index("ix_bounces_notification")
        batch_op.drop_column("notification_id")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("last_bounce_at")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_lease")
        batch_op.drop_index("ix_deliveries_provider_message_id")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("lease_owner")
