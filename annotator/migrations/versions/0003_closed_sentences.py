"""sentences closed to routing (their gold was imported)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sentence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.drop_index("sentence_routing")
        batch_op.create_index("sentence_routing", ["closed", "n_annotations", "id"], unique=False)
    # Sentences whose gold was imported before this revision are closed too.
    op.execute(
        "UPDATE sentence SET closed = true WHERE id IN "
        "(SELECT sentence_id FROM gold WHERE source = 'imported')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sentence", schema=None) as batch_op:
        batch_op.drop_index("sentence_routing")
        batch_op.create_index("sentence_routing", ["n_annotations", "id"], unique=False)
        batch_op.drop_column("closed")
