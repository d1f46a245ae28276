"""bans and allowed senders say whether they are an exact address or a regular expression

Revision ID: r12m_exact_bans
Revises: a18_api_tokens

Before, an entry was a regex whenever its text started with "^", so "Ban sender" on a post From: ^.*@* banned
everyone. Existing entries keep their meaning (a leading ^ is a regex); new ones made from a message or a
member are always exact addresses.
"""

import sqlalchemy as sa
from alembic import op

revision = "r12m_exact_bans"
down_revision = "a18_api_tokens"
branch_labels = None
depends_on = None

TABLES = ("bans", "allowed_senders")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="address"))
        op.execute(sa.text(f"UPDATE {table} SET kind = 'regex' WHERE pattern LIKE '^%'"))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("kind")
