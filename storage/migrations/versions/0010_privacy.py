"""privacy: per-workspace coordinators, keyed confidential lists

- ``coordinator``: the coordinators of each workspace (the installer first in OAuth installs; managed with
  ``/mentor coordinators add|remove``).
- ``participant.person_key``: HMAC of workspace and user id under ``PSEUDONYM_KEY``; a departed person's
  pseudonym is derived from it, so "never pair again" survives a leave and a rejoin without the raw id.
- ``do_not_pair.other_key``: the same keyed hash of the person named on a confidential list.

Revision ID: 0010
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coordinator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=""),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_coordinator_team_user"),
    )
    with op.batch_alter_table("participant") as batch:
        batch.add_column(
            sa.Column("person_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
    with op.batch_alter_table("do_not_pair") as batch:
        batch.add_column(
            sa.Column("other_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )
    op.create_index("ix_participant_team_person_key", "participant", ["team_id", "person_key"])


def downgrade() -> None:
    op.drop_index("ix_participant_team_person_key", table_name="participant")
    with op.batch_alter_table("do_not_pair") as batch:
        batch.drop_column("other_key")
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("person_key")
    op.drop_table("coordinator")
