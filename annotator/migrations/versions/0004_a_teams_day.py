"""login sessions, rejected gold, the process of a training, skips count for nothing

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="login_session_token"),
    )
    op.create_index("login_session_reviewer", "login_session", ["reviewer_id"], unique=False)
    with op.batch_alter_table("gold", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), server_default="accept", nullable=False)
        )
        batch_op.create_check_constraint("gold_status", "status IN ('accept', 'reject')")
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
    # A skip asks someone else to decide: it no longer counts toward a sentence's overlap.
    op.execute(
        "UPDATE sentence SET n_annotations = (SELECT count(*) FROM annotation "
        "WHERE annotation.sentence_id = sentence.id AND annotation.status != 'skip')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE sentence SET n_annotations = (SELECT count(*) FROM annotation "
        "WHERE annotation.sentence_id = sentence.id)"
    )
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
    with op.batch_alter_table("gold", schema=None) as batch_op:
        batch_op.drop_constraint("gold_status", type_="check")
        batch_op.drop_column("status")
    op.drop_index("login_session_reviewer", table_name="login_session")
    op.drop_table("login_session")
