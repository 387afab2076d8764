"""consultant review: accounts, tokens, sessions, notes, search text, audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

On SQLite the search text is also indexed by an FTS5 table with the trigram tokenizer (substring
search that stays fast with many transcripts; triggers keep it in step). On PostgreSQL the list
searches the same column with LIKE; if the pg_trgm extension is installed, a trigram GIN index
serves it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FTS_TRIGGERS = {
    "assessment_search_ai": (
        "AFTER INSERT ON assessment_search BEGIN "
        "INSERT INTO assessment_search_fts(rowid, content) VALUES (new.id, new.content); END"
    ),
    "assessment_search_ad": (
        "AFTER DELETE ON assessment_search BEGIN "
        "INSERT INTO assessment_search_fts(assessment_search_fts, rowid, content) "
        "VALUES ('delete', old.id, old.content); END"
    ),
    "assessment_search_au": (
        "AFTER UPDATE OF content ON assessment_search BEGIN "
        "INSERT INTO assessment_search_fts(assessment_search_fts, rowid, content) "
        "VALUES ('delete', old.id, old.content); "
        "INSERT INTO assessment_search_fts(rowid, content) VALUES (new.id, new.content); END"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("deletion_requested_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_assessments_started_at_id", "assessments", ["started_at", "id"])
    op.create_index("ix_assessments_updated_at", "assessments", ["updated_at"])
    op.create_index("ix_assessments_einwohner", "assessments", ["einwohner"])
    op.create_index("ix_assessments_channel", "assessments", ["channel"])
    op.create_index("ix_assessments_confirmed_typ", "assessments", ["confirmed_typ"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "review_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_review_sessions_user_id", "review_sessions", ["user_id"])
    op.create_index("ix_review_sessions_expires_at", "review_sessions", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(255), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    for column in ("at", "action", "target"):
        op.create_index(f"ix_audit_log_{column}", "audit_log", [column])
    op.create_table(
        "assessment_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_assessment_notes_sender_id", "assessment_notes", ["sender_id"])
    op.create_table(
        "assessment_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False, unique=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
    )

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE assessment_search_fts USING fts5("
            "content, content='assessment_search', content_rowid='id', tokenize='trigram')"
        )
        for name, body in FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif bind.dialect.name == "postgresql":
        has_trgm = bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        if has_trgm:
            op.execute(
                "CREATE INDEX ix_assessment_search_content_trgm "
                "ON assessment_search USING gin (content gin_trgm_ops)"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS assessment_search_fts")
    for table in (
        "assessment_search",
        "assessment_notes",
        "audit_log",
        "review_sessions",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
    for index in ("confirmed_typ", "channel", "einwohner", "updated_at", "started_at_id"):
        op.drop_index(f"ix_assessments_{index}", table_name="assessments")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("deletion_requested_at")
