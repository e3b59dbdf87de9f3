"""event arguments: each trigger's links to the entity spans that play a role in it (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table that holds a decision's JSON columns: what was suggested, each reviewer's current
# decision and its history, and the gold.
TABLES = ("suggestion", "annotation", "annotation_version", "gold")


def upgrade() -> None:
    # Rows stored before arguments existed have none; the default says so without a rewrite.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "arguments",
                    sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                    nullable=False,
                    server_default="[]",
                )
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("arguments")
