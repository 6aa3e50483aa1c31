"""A mentee rematched by a round: the old pair closes as "not a fit"

Until now a pair whose mentee asked for another mentor, and got one in the next round, was closed with the
reason ``rematched``, which no figure counts. Asking for another mentor is saying the pair did not fit, so
those pairs are counted with the "not a fit" closures (``CloseReason.NOT_A_FIT``).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD = "rematched"
NEW = "not_a_fit"  # storage.vocab.CloseReason.NOT_A_FIT, spelled here as it was when this ran


def upgrade() -> None:
    op.execute(sa.text("UPDATE pair SET close_reason = :new WHERE close_reason = :old").bindparams(new=NEW, old=OLD))


def downgrade() -> None:
    """Nothing to undo: the old reason said less than the new one, and no figure counted it."""
