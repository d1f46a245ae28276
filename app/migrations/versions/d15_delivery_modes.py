"""members.delivery_mode (regular, mime_digest, plain_digest, nomail) and members.vacation_until

Revision ID: d15_delivery_modes
Revises: c11_system_mail
"""

import sqlalchemy as sa
from alembic import op

revision = "d15_delivery_modes"
down_revision = "c11_system_mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("delivery_mode", sa.String(16), nullable=False, server_default="regular"))
        batch.add_column(sa.Column("vacation_until", sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table("members") as batch:
        batch.drop_column("vacation_until")
        batch.drop_column("delivery_mode")
