"""the outbox of scheduled prompts

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("recipient_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("lease_expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("sent_channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "idempotency_key", name="uq_scheduled_prompt_key"),
    )
    with op.batch_alter_table("scheduled_prompt", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_prompt_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index("ix_scheduled_prompt_status_next", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index("ix_scheduled_prompt_status_lease", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_scheduled_prompt_team_pair", ["team_id", "pair_id"], unique=False)
        batch_op.create_index("ix_scheduled_prompt_team_recipient", ["team_id", "recipient_user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_prompt", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_prompt_team_recipient")
        batch_op.drop_index("ix_scheduled_prompt_team_pair")
        batch_op.drop_index("ix_scheduled_prompt_status_lease")
        batch_op.drop_index("ix_scheduled_prompt_status_next")
        batch_op.drop_index("ix_scheduled_prompt_status_due")
    op.drop_table("scheduled_prompt")
