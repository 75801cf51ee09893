"""Indexes for the inbox's views, counts and sorts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_conversations_recent": ["workspace_id", "last_message_at", "id"],
    "ix_conversations_assignee": ["workspace_id", "assignee_id", "status", "last_message_at"],
    "ix_conversations_team": ["workspace_id", "team_id", "status"],
    "ix_conversations_waiting": ["workspace_id", "last_inbound_at"],
    "ix_conversations_unanswered": [
        "workspace_id",
        "status",
        "first_response_at",
        "first_inbound_at",
    ],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "conversations", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="conversations")
