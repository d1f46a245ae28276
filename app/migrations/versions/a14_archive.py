"""the list archive: archived_messages, its search index, archive settings on lists

Revision ID: a14_archive
Revises: p19_user_timezone

Search: on SQLite an external-content FTS5 table kept in step by triggers (so a DELETE, an UPDATE on
removal and a rebuild need no extra code); on PostgreSQL a generated tsvector column with a GIN index.
A later batch migration that rebuilds archived_messages on SQLite must re-create the triggers.
"""

import sqlalchemy as sa
from alembic import op

revision = "a14_archive"
down_revision = "p19_user_timezone"
branch_labels = None
depends_on = None

PG_VECTOR = (
    "ALTER TABLE archived_messages ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(subject, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(author, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(body_text, '')), 'C')) STORED"
)
FTS_COLUMNS = "subject, author, body_text"
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE archive_fts USING fts5(subject, author, body_text, content='archived_messages', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER archive_fts_insert AFTER INSERT ON archived_messages BEGIN "
    f"INSERT INTO archive_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, new.subject, new.author, new.body_text); END",
    f"CREATE TRIGGER archive_fts_delete AFTER DELETE ON archived_messages BEGIN "
    f"INSERT INTO archive_fts(archive_fts, rowid, {FTS_COLUMNS}) "
    f"VALUES ('delete', old.id, old.subject, old.author, old.body_text); END",
    f"CREATE TRIGGER archive_fts_update AFTER UPDATE OF {FTS_COLUMNS} ON archived_messages BEGIN "
    f"INSERT INTO archive_fts(archive_fts, rowid, {FTS_COLUMNS}) "
    f"VALUES ('delete', old.id, old.subject, old.author, old.body_text); "
    f"INSERT INTO archive_fts(rowid, {FTS_COLUMNS}) VALUES (new.id, new.subject, new.author, new.body_text); END",
]


def upgrade():
    with op.batch_alter_table("mailing_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archive_policy", sa.String(length=16), nullable=False, server_default="private")
        )
        batch_op.add_column(
            sa.Column("archive_obfuscate", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "archived_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("mailing_lists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("posts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False, server_default=""),
        sa.Column("size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sha256", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("subject", sa.Text(), nullable=False, server_default=""),
        sa.Column("subject_norm", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("author", sa.Text(), nullable=False, server_default=""),
        sa.Column("author_name", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("author_address", sa.String(length=320), nullable=False, server_default=""),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("in_reply_to", sa.String(length=998), nullable=False, server_default=""),
        sa.Column("refs", sa.Text(), nullable=False, server_default=""),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("attachments", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.String(length=320), nullable=False, server_default=""),
        sa.Column("removal_reason", sa.Text(), nullable=False, server_default=""),
        # The big columns last: SQLite walks a row's overflow pages to reach any column stored after them.
        sa.Column("body_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_id", "key", name="uq_archived_list_key"),
        sa.UniqueConstraint("post_id", name="uq_archived_post"),
    )
    op.create_index(
        "ix_archived_list_month", "archived_messages", ["list_id", "month", "removed_at", "thread_id", "date"]
    )
    op.create_index("ix_archived_list_date", "archived_messages", ["list_id", "date"])
    op.create_index("ix_archived_list_message_id", "archived_messages", ["list_id", "message_id"])
    op.create_index("ix_archived_list_subject", "archived_messages", ["list_id", "subject_norm"])
    op.create_index("ix_archived_thread_date", "archived_messages", ["thread_id", "date"])
    op.create_index("ix_archived_list_in_reply_to", "archived_messages", ["list_id", "in_reply_to"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_VECTOR)
        op.execute("CREATE INDEX ix_archived_search ON archived_messages USING gin (search_vector)")
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("archive_fts_insert", "archive_fts_delete", "archive_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS archive_fts")
    op.drop_table("archived_messages")
    with op.batch_alter_table("mailing_lists", schema=None) as batch_op:
        batch_op.drop_column("archive_obfuscate")
        batch_op.drop_column("archive_policy")
