"""Seams between stages: staged HR imports, fields an import owns, people-to-meet already suggested

- ``hr_import``: an uploaded HR file from receipt to decision. The submission stores the row before Slack is
  answered; the checked plan waits there for a coordinator's confirmation when some rows have problems.
- ``profile.imported_fields``: profile fields that came from an HR import, which a later profile edit keeps.
- ``people_suggestion_sent``: who was suggested to whom as someone to meet, per cohort, so the monthly
  suggestions rotate and never repeat while others fit.

Revision ID: 0015
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hr_import",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(32), nullable=False),
        sa.Column("source", sa.String(200), nullable=False, server_default=""),
        sa.Column("file_url", sa.String(2000), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False, server_default="received"),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_hr_import_team_created", "hr_import", ["team_id", "created_at"])
    with op.batch_alter_table("profile") as batch:
        batch.add_column(sa.Column("imported_fields", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "people_suggestion_sent",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("mentee_user_id", sa.String(32), nullable=False),
        sa.Column("suggested_user_id", sa.String(32), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "team_id", "cohort_id", "mentee_user_id", "suggested_user_id", name="uq_people_suggestion_sent"
        ),
    )
    op.create_index("ix_people_suggestion_sent_team_cohort", "people_suggestion_sent", ["team_id", "cohort_id"])


def downgrade() -> None:
    op.drop_index("ix_people_suggestion_sent_team_cohort", table_name="people_suggestion_sent")
    op.drop_table("people_suggestion_sent")
    with op.batch_alter_table("profile") as batch:
        batch.drop_column("imported_fields")
    op.drop_index("ix_hr_import_team_created", table_name="hr_import")
    op.drop_table("hr_import")
