"""uncertainty: each suggestion's figure, and the sentence's, for uncertain-first routing

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Suggestions stored before have no figure; their sentences rank as sure (0) until the
    # next suggestion run scores them.
    op.add_column("suggestion", sa.Column("uncertainty", sa.Float(), nullable=True))
    op.add_column(
        "sentence", sa.Column("uncertainty", sa.Float(), server_default="0", nullable=False)
    )
    op.create_index(
        "sentence_uncertain_routing",
        "sentence",
        ["closed", "n_annotations", sa.text("uncertainty DESC"), "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("sentence_uncertain_routing", table_name="sentence")
    with op.batch_alter_table("sentence", schema=None) as batch_op:
        batch_op.drop_column("uncertainty")
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_column("uncertainty")
