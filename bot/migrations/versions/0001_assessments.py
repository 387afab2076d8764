"""assessments table

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("kommune_art", sa.String(32), nullable=True),
        sa.Column("bundesland", sa.String(2), nullable=True),
        sa.Column("einwohner", sa.Integer, nullable=True),
        sa.Column("typ", sa.String(32), nullable=True),
        sa.Column("typ_scores", sa.JSON, nullable=True),
        sa.Column("phase", sa.String(32), nullable=True),
        sa.Column("phase_reason", sa.Text, nullable=True),
        sa.Column("reifegrad", sa.JSON, nullable=True),
        sa.Column("recommendations", sa.JSON, nullable=True),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("confirmed_typ", sa.String(32), nullable=True),
    )
    op.create_index("ix_assessments_sender_id", "assessments", ["sender_id"], unique=True)
    for column in ("kommune_art", "bundesland", "typ", "phase"):
        op.create_index(f"ix_assessments_{column}", "assessments", [column])


def downgrade() -> None:
    op.drop_table("assessments")
