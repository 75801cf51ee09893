"""Auto-replies: acknowledging public posts publicly becomes a choice of its own.

Settings saved before this revision acknowledged public posts with a public reply; they keep
doing so (``public_posts`` true). New settings start with it off.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("autoreply_settings") as batch:
        batch.add_column(
            sa.Column("public_posts", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(sa.text("UPDATE autoreply_settings SET public_posts = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("autoreply_settings") as batch:
        batch.drop_column("public_posts")
