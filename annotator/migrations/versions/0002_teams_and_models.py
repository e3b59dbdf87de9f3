"""accounts, routing claims, adjudicated gold, model versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 10:50:40.767249
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("base_model", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("gold_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('training', 'ready', 'failed')", name="model_version_status"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_table(
        "claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sentence_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sentence_id"], ["sentence.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sentence_id", "reviewer_id", name="claim_sentence_reviewer"),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index("claim_sentence_expiry", ["sentence_id", "expires_at"], unique=False)

    with op.batch_alter_table("gold", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "from_annotations",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default=sa.text("'[]'"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("sentence", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("n_annotations", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("sentence_routing", ["n_annotations", "id"], unique=False)

    # Sentences decided before this migration keep their count.
    op.execute(
        "UPDATE sentence SET n_annotations ="
        " (SELECT count(*) FROM annotation WHERE annotation.sentence_id = sentence.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("sentence", schema=None) as batch_op:
        batch_op.drop_index("sentence_routing")
        batch_op.drop_column("n_annotations")

    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("active")
        batch_op.drop_column("password_hash")

    with op.batch_alter_table("gold", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("from_annotations")

    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("claim_sentence_expiry")

    op.drop_table("claim")
    op.drop_table("model_version")
