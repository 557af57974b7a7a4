"""Facts in English: ``facts.value_en``, the verifier's English wording of the same version.

English public texts state a free-text fact only in the words its verifier gave in English for
that version (issue 10, item 7); a fact without them is left out of the English texts and named to
the reviewer. Rows recorded before this migration have none (NULL): never invented.

Revision ID: 0005_fact_english
Revises: 0004_gate_rounds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_fact_english"
down_revision = "0004_gate_rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(sa.Column("value_en", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("value_en")
