"""Agent skills, capacity, availability and shifts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("availability", sa.String(10), nullable=False, server_default="offline")
        )
        batch.add_column(
            sa.Column("availability_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("topics", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("capacity", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("shift_timezone", sa.String(64), nullable=False, server_default="UTC")
        )
        batch.add_column(sa.Column("shifts", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("teams") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="function")
        )
        batch.add_column(sa.Column("platforms", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("assignment_strategy", sa.String(20), nullable=False, server_default="manual")
        )
        batch.add_column(sa.Column("last_assigned_user_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_teams_last_assigned_user_id_users",
            "users",
            ["last_assigned_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "autoreply_settings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "workspace_id",
            Id,
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "channel_account_id",
            Id,
            sa.ForeignKey("channel_accounts.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("out_of_hours_enabled", sa.Boolean(), nullable=False),
        sa.Column("out_of_hours_text", sa.Text(), nullable=False),
        sa.Column("in_hours_enabled", sa.Boolean(), nullable=False),
        sa.Column("in_hours_text", sa.Text(), nullable=False),
        sa.Column("welcome_enabled", sa.Boolean(), nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=False),
        sa.Column("welcome_buttons", sa.JSON(), nullable=False),
        sa.Column(
            "calendar_id",
            Id,
            sa.ForeignKey("business_calendars.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("business_hours", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("workspace_id", "channel_account_id"),
    )
    op.create_index("ix_autoreply_settings_workspace_id", "autoreply_settings", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_autoreply_settings_workspace_id", table_name="autoreply_settings")
    op.drop_table("autoreply_settings")
    with op.batch_alter_table("teams") as batch:
        batch.drop_constraint("fk_teams_last_assigned_user_id_users", type_="foreignkey")
        batch.drop_column("last_assigned_user_id")
        batch.drop_column("assignment_strategy")
        batch.drop_column("platforms")
        batch.drop_column("kind")
    with op.batch_alter_table("users") as batch:
        for column in (
            "shifts",
            "shift_timezone",
            "capacity",
            "topics",
            "languages",
            "availability_changed_at",
            "availability",
        ):
            batch.drop_column(column)
