"""the program tells the truth: each check-in's outcome, and a person's own pause holding their pairs

Revision ID: 0008
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=""),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=""),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["pair_id"], ["pair.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_id", "seq", name="uq_checkin_record_pair_seq"),
    )
    with op.batch_alter_table("checkin_record", schema=None) as batch_op:
        batch_op.create_index("ix_checkin_record_team_pair", ["team_id", "pair_id"], unique=False)
    with op.batch_alter_table("pair_journey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_by", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("paused_by_hold", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("pair_journey", schema=None) as batch_op:
        batch_op.drop_column("paused_by_hold")
        batch_op.drop_column("held_by")
    with op.batch_alter_table("checkin_record", schema=None) as batch_op:
        batch_op.drop_index("ix_checkin_record_team_pair")
    op.drop_table("checkin_record")
