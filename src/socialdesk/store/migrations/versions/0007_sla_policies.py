"""SLA policies, business-hours calendars and SLA clocks of conversations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# Clock columns of conversations, in the order they are added.
_CLOCK_COLUMNS = (
    "first_response_started_at",
    "first_response_due_at",
    "next_response_started_at",
    "next_response_due_at",
    "resolution_started_at",
    "resolution_due_at",
    "sla_paused_at",
    "sla_warn_at",
    "sla_due_at",
)


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holiday_country", sa.String(length=10), nullable=True),
        sa.Column("holiday_subdivision", sa.String(length=10), nullable=True),
        sa.Column("closed_dates", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_index("ix_business_calendars_workspace_id", "business_calendars", ["workspace_id"])
    op.create_table(
        "sla_policies",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("calendar_id", ID, nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["calendar_id"], ["business_calendars.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "name"),
    )
    op.create_index("ix_sla_policies_workspace_id", "sla_policies", ["workspace_id"])
    op.create_index("ix_sla_policies_calendar_id", "sla_policies", ["calendar_id"])
    op.create_table(
        "sla_policy_targets",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("policy_id", ID, nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=True),
        sa.Column("platform", sa.String(length=30), nullable=True),
        sa.Column("first_response_seconds", sa.Integer(), nullable=True),
        sa.Column("next_response_seconds", sa.Integer(), nullable=True),
        sa.Column("resolution_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["policy_id"], ["sla_policies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sla_policy_targets_policy_id", "sla_policy_targets", ["policy_id"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_subscriptions_workspace_id", "webhook_subscriptions", ["workspace_id"]
    )
    # Plain ADD COLUMN, no batch copy of ``conversations`` (dropping the old table would set
    # every message's conversation to NULL): SQLite takes an inline REFERENCES on a nullable
    # column, PostgreSQL gets a named constraint. Deleting a policy detaches it in the service.
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "conversations",
            sa.Column(
                "sla_policy_id",
                ID,
                sa.ForeignKey("sla_policies.id", name="fk_conversations_sla_policy_id"),
                nullable=True,
            ),
        )
    elif "sla_policy_id" not in _sqlite_columns("conversations"):  # kept by a downgrade
        op.execute(
            "ALTER TABLE conversations ADD COLUMN sla_policy_id INTEGER "
            "REFERENCES sla_policies (id)"
        )
    for column in _CLOCK_COLUMNS[:7]:
        op.add_column("conversations", sa.Column(column, TS, nullable=True))
    op.add_column(
        "conversations", sa.Column("sla_pauses", sa.JSON(), nullable=False, server_default="[]")
    )
    op.add_column(
        "conversations", sa.Column("sla_notified", sa.JSON(), nullable=False, server_default="[]")
    )
    for column in _CLOCK_COLUMNS[7:]:
        op.add_column("conversations", sa.Column(column, TS, nullable=True))
    op.create_index("ix_conversations_sla_policy_id", "conversations", ["sla_policy_id"])
    op.create_index("ix_conversations_sla_warn", "conversations", ["workspace_id", "sla_warn_at"])
    op.create_index("ix_conversations_sla_due", "conversations", ["workspace_id", "sla_due_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_sla_due", table_name="conversations")
    op.drop_index("ix_conversations_sla_warn", table_name="conversations")
    op.drop_index("ix_conversations_sla_policy_id", table_name="conversations")
    columns = ("sla_notified", "sla_pauses", *_CLOCK_COLUMNS)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_conversations_sla_policy_id", "conversations", type_="foreignkey")
        op.drop_column("conversations", "sla_policy_id")
    else:
        # SQLite can neither drop a column a foreign key uses nor safely copy
        # ``conversations`` (dropping it would null every message's conversation): the
        # emptied column stays, and upgrade() finds it there again.
        op.execute("UPDATE conversations SET sla_policy_id = NULL")
    for column in columns:
        op.drop_column("conversations", column)
    op.drop_table("webhook_subscriptions")
    op.drop_table("sla_policy_targets")
    op.drop_table("sla_policies")
    op.drop_table("business_calendars")


def _sqlite_columns(table: str) -> set[str]:
    rows = op.get_bind().exec_driver_sql(f"PRAGMA table_info({table})")
    return {row[1] for row in rows}
