"""gold lexicon: each decision's votes on the phrases it kept or removed (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Decisions stored before the lexicon vote on nothing: it learns from the next ones.
    op.create_table(
        "lexicon_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sentence_id", sa.Integer(), nullable=False),
        sa.Column("annotation_id", sa.Integer(), nullable=True),
        sa.Column("adjudicated", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=10), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("standing", sa.Boolean(), nullable=False),
        sa.CheckConstraint("layer IN ('entities', 'events')", name="lexicon_vote_layer"),
        sa.CheckConstraint(
            "(adjudicated AND annotation_id IS NULL) OR "
            "(NOT adjudicated AND annotation_id IS NOT NULL)",
            name="lexicon_vote_decision",
        ),
        sa.ForeignKeyConstraint(["annotation_id"], ["annotation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sentence_id"], ["sentence.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lexicon_vote", schema=None) as batch_op:
        batch_op.create_index(
            "lexicon_vote_phrase", ["phrase", "adjudicated", "standing"], unique=False
        )
        batch_op.create_index("lexicon_vote_annotation", ["annotation_id", "version"], unique=False)
        batch_op.create_index(
            "lexicon_vote_sentence", ["sentence_id", "adjudicated", "version"], unique=False
        )
    op.create_table(
        "lexicon_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer", sa.String(length=10), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Boolean(), nullable=False),
        sa.Column("votes", sa.Integer(), nullable=False),
        sa.Column("latest", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phrase", "layer", "label", "kept", "name", name="lexicon_tally_key"),
    )


def downgrade() -> None:
    op.drop_table("lexicon_tally")
    with op.batch_alter_table("lexicon_vote", schema=None) as batch_op:
        batch_op.drop_index("lexicon_vote_sentence")
        batch_op.drop_index("lexicon_vote_annotation")
        batch_op.drop_index("lexicon_vote_phrase")
    op.drop_table("lexicon_vote")
