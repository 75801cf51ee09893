"""Web chat widget: sites and visitor sessions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webchat_visitors",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("channel_account_id", _ID, nullable=False),
        sa.Column("visitor_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_followup", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["channel_account_id"], ["channel_accounts.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_account_id", "visitor_id"),
    )
    with op.batch_alter_table("webchat_visitors") as batch:
        batch.create_index(batch.f("ix_webchat_visitors_workspace_id"), ["workspace_id"])
    op.create_table(
        "webchat_messages",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("channel_account_id", _ID, nullable=False),
        sa.Column("visitor_pk", _ID, nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_account_id"], ["channel_accounts.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["visitor_pk"], ["webchat_visitors.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visitor_pk", "direction", "key"),
    )
    with op.batch_alter_table("webchat_messages") as batch:
        batch.create_index(
            batch.f("ix_webchat_messages_channel_account_id"), ["channel_account_id"]
        )
        batch.create_index("ix_webchat_messages_visitor", ["visitor_pk", "id"])


def downgrade() -> None:
    op.drop_table("webchat_messages")
    op.drop_table("webchat_visitors")
