"""Enrichment of inbound messages (language, sentiment, personal data) and contact influence.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("language", sa.String(12), nullable=True))
        batch.add_column(sa.Column("sentiment", sa.String(10), nullable=True))
        batch.add_column(sa.Column("sentiment_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("pii_kinds", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("crm_tier", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("crm_tier")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of ``messages`` would lose its FTS triggers.
    for column in ("pii_kinds", "sentiment_score", "sentiment", "language"):
        op.drop_column("messages", column)
