"""rounds: one live preview per cohort, cohort pins and forbids, publication outcome, choice batches

- ``match_round``: at most one live round (running or preview) per cohort, as a partial unique index
  (SQLite and PostgreSQL both support ``WHERE``); older duplicates are marked superseded first. New columns
  ``published_by`` and ``outcome`` (what publishing dropped and re-solved).
- ``cohort_pair_rule``: pins and forbids belong to the cohort and last until removed; the pins and forbids
  of previews that were live at upgrade time are carried into it.
- ``match_request``: ``batch`` (a new shortlist after the first ran out) and ``close_reason``.
- ``cohort``: ``closed_at``.

Revision ID: 0009
Revises: 0010
"""

from __future__ import annotations

import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None

LIVE = "status IN ('running', 'preview')"


def _json(value: object) -> list:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def upgrade() -> None:
    bind = op.get_bind()
    # keep only the newest live round of each cohort live
    rounds = bind.execute(
        sa.text(f"SELECT id, team_id, cohort_id FROM match_round WHERE {LIVE} ORDER BY id DESC")
    ).fetchall()
    seen: set[tuple[str, object]] = set()
    for round_id, team_id, cohort_id in rounds:
        if (team_id, cohort_id) in seen:
            bind.execute(sa.text("UPDATE match_round SET status = 'superseded' WHERE id = :id"), {"id": round_id})
        seen.add((team_id, cohort_id))

    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("published_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=False, server_default="{}"))
    op.create_index(
        "uq_match_round_live",
        "match_round",
        ["team_id", "cohort_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )

    op.create_table(
        "cohort_pair_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("mentee_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("mentor_user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=""),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohort.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "cohort_id", "mentee_user_id", "mentor_user_id", name="uq_cohort_pair_rule"),
    )
    op.create_index(
        "uq_cohort_pair_rule_one_pin",
        "cohort_pair_rule",
        ["team_id", "cohort_id", "mentee_user_id"],
        unique=True,
        sqlite_where=sa.text("rule = 'pin'"),
        postgresql_where=sa.text("rule = 'pin'"),
    )
    # the pins and forbids of previews live now become the cohort's rules
    rules = sa.table(
        "cohort_pair_rule",
        sa.column("team_id", sa.String),
        sa.column("cohort_id", sa.Integer),
        sa.column("mentee_user_id", sa.String),
        sa.column("mentor_user_id", sa.String),
        sa.column("rule", sa.String),
        sa.column("created_by", sa.String),
        sa.column("created_at", storage.types.UTCDateTime(timezone=True)),
    )
    live = bind.execute(
        sa.text(
            f"SELECT team_id, cohort_id, pinned, forbidden, requested_by, updated_at FROM match_round "
            f"WHERE {LIVE} AND cohort_id IS NOT NULL"
        )
    ).fetchall()
    for team_id, cohort_id, pinned, forbidden, requested_by, updated_at in live:
        taken: set[tuple[str, str]] = set()
        pinned_mentees: set[str] = set()
        rows = []
        for rule, pairs in (("forbid", _json(forbidden)), ("pin", _json(pinned))):
            for pair in pairs:
                if not isinstance(pair, list) or len(pair) != 2 or tuple(pair) in taken:
                    continue
                if rule == "pin" and pair[0] in pinned_mentees:
                    continue
                taken.add((pair[0], pair[1]))
                if rule == "pin":
                    pinned_mentees.add(pair[0])
                rows.append(
                    {
                        "team_id": team_id,
                        "cohort_id": cohort_id,
                        "mentee_user_id": str(pair[0])[:32],
                        "mentor_user_id": str(pair[1])[:32],
                        "rule": rule,
                        "created_by": requested_by or "",
                        "created_at": updated_at,
                    }
                )
        if rows:
            op.bulk_insert(rules, rows)

    with op.batch_alter_table("match_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("close_reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="")
        )

    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cohort", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("match_request", schema=None) as batch_op:
        batch_op.drop_column("close_reason")
        batch_op.drop_column("batch")
    op.drop_index("uq_cohort_pair_rule_one_pin", table_name="cohort_pair_rule")
    op.drop_table("cohort_pair_rule")
    op.drop_index("uq_match_round_live", table_name="match_round")
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("published_by")
