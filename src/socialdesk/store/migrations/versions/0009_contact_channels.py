"""Consent records and the email/SMS continuation of conversations.

Continuing a conversation on email or SMS moves the conversation to the new channel account
(its ``channel_account_id``, with an event); only the consents need a table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "contact_consents",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id", Id, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "contact_id", Id, sa.ForeignKey("contacts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "conversation_id",
            Id,
            sa.ForeignKey("conversations.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column(
            "source_message_id",
            Id,
            sa.ForeignKey("messages.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "recorded_by_user_id",
            Id,
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("request_text", sa.Text(), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contact_consents_workspace_id", "contact_consents", ["workspace_id"])
    op.create_index("ix_contact_consents_contact", "contact_consents", ["contact_id", "channel"])


def downgrade() -> None:
    op.drop_index("ix_contact_consents_contact", table_name="contact_consents")
    op.drop_index("ix_contact_consents_workspace_id", table_name="contact_consents")
    op.drop_table("contact_consents")
