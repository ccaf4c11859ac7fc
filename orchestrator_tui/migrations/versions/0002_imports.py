"""Imported transcripts: where a session came from, its tokens and notes; what kind each
turn is (text, tool call, tool result, summary), its tool, error flag and thread.

Revision ID: 0002_imports
Revises: 0001_initial
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0002_imports"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite does them in place, without copying the tables.
    op.add_column("session", sa.Column("source_format", TEXT(length=40), nullable=True))
    op.add_column("session", sa.Column("source_id", TEXT(length=300), nullable=True))
    op.add_column("session", sa.Column("model", TEXT(length=200), nullable=True))
    for name in (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ):
        op.add_column("session", sa.Column(name, sa.Integer(), nullable=True))
    op.add_column("session", sa.Column("notes", sa.Text(), nullable=False, server_default=""))
    op.create_index("uq_session_source", "session", ["source_format", "source_id"], unique=True)
    op.add_column(
        "conversation_turn",
        sa.Column("kind", TEXT(length=20), nullable=False, server_default="text"),
    )
    op.add_column("conversation_turn", sa.Column("tool_name", TEXT(length=100), nullable=True))
    op.add_column(
        "conversation_turn",
        sa.Column("is_error", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "conversation_turn",
        sa.Column("thread", TEXT(length=100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("conversation_turn") as batch:
        for name in ("thread", "is_error", "tool_name", "kind"):
            batch.drop_column(name)
    op.drop_index("uq_session_source", table_name="session")
    with op.batch_alter_table("session") as batch:
        for name in (
            "notes",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
            "input_tokens",
            "model",
            "source_id",
            "source_format",
        ):
            batch.drop_column(name)
