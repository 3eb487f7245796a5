"""The desk's append-only events table.

Revision ID: 0001_events
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_events"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(40), nullable=False, unique=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_desk_events_at", "desk_events", ["at"])
    op.create_index("ix_desk_events_case_id", "desk_events", ["case_id"])


def downgrade() -> None:
    op.drop_table("desk_events")
