"""Learning from outcomes: pair snapshots taken at publication, and learned scoring models per cohort

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), sa.ForeignKey("pair.id", ondelete="CASCADE"), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("factor_values", sa.JSON(), nullable=False),
        sa.Column("taken_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("pair_id", "side", name="uq_pair_snapshot_side"),
    )
    op.create_index("ix_pair_snapshot_team", "pair_snapshot", ["team_id"])
    op.create_table(
        "scoring_model",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("cohort_id", sa.Integer(), sa.ForeignKey("cohort.id", ondelete="CASCADE"), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="candidate"),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("applied_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_scoring_model_cohort_status", "scoring_model", ["team_id", "cohort_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_scoring_model_cohort_status", table_name="scoring_model")
    op.drop_table("scoring_model")
    op.drop_index("ix_pair_snapshot_team", table_name="pair_snapshot")
    op.drop_table("pair_snapshot")
