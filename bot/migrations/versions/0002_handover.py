"""handover request and contact on the assessment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("handover_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("handover_contact", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("handover_contact")
        batch.drop_column("handover_requested_at")
