"""knowledge sharing and networking: resources, feedback requests, introductions, alumni

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _str(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _when() -> storage.types.UTCDateTime:
    return storage.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("url", _str(2000), nullable=False),
        sa.Column("url_hash", _str(64), nullable=False),
        sa.Column("title", _str(200), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("shared_by", _str(32), nullable=False),
        sa.Column("recommend_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "url_hash", name="uq_resource_team_url"),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index("ix_resource_team_count", ["team_id", "recommend_count"], unique=False)

    op.create_table(
        "resource_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("user_id", _str(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("kind", _str(8), nullable=False),
        sa.Column("goal", _str(100), nullable=False),
        sa.Column("note", _str(500), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resource_id", "user_id", "pair_id", "kind", name="uq_resource_share"),
    )

    op.create_table(
        "resource_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("how", _str(16), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resource.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pair_id", "resource_id", name="uq_resource_seen"),
    )
    with op.batch_alter_table("resource_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_seen_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentee_user_id", _str(32), nullable=False),
        sa.Column("mentor_user_id", _str(32), nullable=False),
        sa.Column("link", _str(2000), nullable=False),
        sa.Column("question", _str(1000), nullable=False),
        sa.Column("status", _str(16), nullable=False),
        sa.Column("reply", _str(3000), nullable=False),
        sa.Column("channel_id", _str(32), nullable=False),
        sa.Column("message_ts", _str(32), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("answered_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_request_pair", ["pair_id", "status"], unique=False)

    op.create_table(
        "introduction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", _str(32), nullable=False),
        sa.Column("partner_id", _str(32), nullable=False),
        sa.Column("target_id", _str(32), nullable=False),
        sa.Column("reason", _str(500), nullable=False),
        sa.Column("source", _str(16), nullable=False),
        sa.Column("status", _str(16), nullable=False),
        sa.Column("pending_key", _str(80), nullable=True),
        sa.Column("ask_channel", _str(32), nullable=False),
        sa.Column("ask_ts", _str(32), nullable=False),
        sa.Column("group_channel_id", _str(32), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("expires_at", _when(), nullable=False),
        sa.Column("decided_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "pending_key", name="uq_introduction_pending"),
    )
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.create_index("ix_introduction_requester_status", ["team_id", "requester_id", "status"], unique=False)
        batch_op.create_index("ix_introduction_status_expires", ["status", "expires_at"], unique=False)

    op.create_table(
        "networking_pref",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("user_id", _str(32), nullable=False),
        sa.Column("suggest_me", sa.Boolean(), nullable=False),
        sa.Column("alumni", sa.Boolean(), nullable=False),
        sa.Column("alumni_since", _when(), nullable=True),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_networking_pref"),
    )

    op.create_table(
        "people_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", _str(32), nullable=False),
        sa.Column("mentee_user_id", _str(32), nullable=False),
        sa.Column("suggested_user_id", _str(32), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("shared_skills", sa.JSON(), nullable=False),
        sa.Column("reason", _str(300), nullable=False),
        sa.Column("computed_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "mentee_user_id", "suggested_user_id", name="uq_people_suggestion"),
    )
    with op.batch_alter_table("people_suggestion", schema=None) as batch_op:
        batch_op.create_index("ix_people_suggestion_mentee", ["team_id", "mentee_user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("people_suggestion", schema=None) as batch_op:
        batch_op.drop_index("ix_people_suggestion_mentee")
    op.drop_table("people_suggestion")
    op.drop_table("networking_pref")
    with op.batch_alter_table("introduction", schema=None) as batch_op:
        batch_op.drop_index("ix_introduction_status_expires")
        batch_op.drop_index("ix_introduction_requester_status")
    op.drop_table("introduction")
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_request_pair")
    op.drop_table("feedback_request")
    with op.batch_alter_table("resource_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_seen_pair_id"))
    op.drop_table("resource_seen")
    op.drop_table("resource_share")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_team_count")
    op.drop_table("resource")
