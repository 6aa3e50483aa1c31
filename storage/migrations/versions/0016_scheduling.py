"""Scheduling without the back-and-forth: proposed times, bookings with calendar invites, away dates

- ``meeting_proposal``: three slots offered to a pair, picked by one person and confirmed by the other.
- ``meeting_booking``: a booked meeting; ``uid``/``sequence`` identify its calendar invite across moves.
- ``away_period``: days a person is not available (``/mentor away``).
- ``pair_goals.duration_minutes``: the meeting length the pair agreed (0: none; the format's usual length).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meeting_proposal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), sa.ForeignKey("pair.id", ondelete="CASCADE"), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("channel", sa.String(16), nullable=False, server_default="video"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("picked_index", sa.Integer(), nullable=False, server_default="-1"),
        sa.Column("picked_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_meeting_proposal_pair", "meeting_proposal", ["pair_id", "status"])
    op.create_table(
        "meeting_booking",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), sa.ForeignKey("pair.id", ondelete="CASCADE"), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(120), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("channel", sa.String(16), nullable=False, server_default="video"),
        sa.Column("status", sa.String(16), nullable=False, server_default="booked"),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("picked_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("confirmed_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(16), nullable=False, server_default=""),
        sa.Column("outcome_by", sa.String(32), nullable=False, server_default=""),
        sa.Column("outcome_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("proposal_id", name="uq_meeting_booking_proposal"),
        sa.UniqueConstraint("uid", name="uq_meeting_booking_uid"),
    )
    op.create_index("ix_meeting_booking_pair", "meeting_booking", ["pair_id", "starts_at"])
    op.create_index("ix_meeting_booking_team", "meeting_booking", ["team_id", "status"])
    op.create_table(
        "away_period",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_away_period_team_user", "away_period", ["team_id", "user_id"])
    with op.batch_alter_table("pair_goals") as batch:
        batch.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("pair_goals") as batch:
        batch.drop_column("duration_minutes")
    op.drop_index("ix_away_period_team_user", table_name="away_period")
    op.drop_table("away_period")
    op.drop_index("ix_meeting_booking_team", table_name="meeting_booking")
    op.drop_index("ix_meeting_booking_pair", table_name="meeting_booking")
    op.drop_table("meeting_booking")
    op.drop_index("ix_meeting_proposal_pair", table_name="meeting_proposal")
    op.drop_table("meeting_proposal")
