"""Initial schema: all eight tables of the data model.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("credit_limit", sa.Integer(), nullable=False),
        sa.Column("credits_remaining", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("specialization", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("reset_cadence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("next_reset_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_status"), ["status"], unique=False)

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("account_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("session_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("accomplishments", sa.Text(), nullable=False),
        sa.Column("blockers", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("credits_used", sa.Integer(), nullable=True),
        sa.Column("started_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "working_directory", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True
        ),
        sa.Column("git_branch", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("source_path", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("loaded_handoff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "number", name="uq_session_project_number"),
    )
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_session_project_status", ["project_id", "status"], unique=False)

    op.create_table(
        "conversation_turn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("source_message_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "position", name="uq_turn_position"),
        sa.UniqueConstraint("session_id", "source_message_id", name="uq_turn_source_id"),
    )
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("source_chars", sa.Integer(), nullable=False),
        sa.Column("handoff_chars", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "version", name="uq_handoff_version"),
    )
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_handoff_session_id"), ["session_id"], unique=False)

    # session <-> handoff is a cycle: the session's link to the handoff it loaded comes last.
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_session_loaded", "handoff", ["loaded_handoff_id"], ["id"], ondelete="SET NULL"
        )

    op.create_table(
        "handoff_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=True),
        sa.Column("to_account_id", sa.Integer(), nullable=True),
        sa.Column("from_account_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("to_account_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("consumed_by_session_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["consumed_by_session_id"], ["session.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["from_account_id"], ["account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_account_id"], ["account.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("handoff_queue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handoff_queue_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "knowledge_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("source_session_id", sa.Integer(), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["source_session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("knowledge_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_item_category"), ["category"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_knowledge_item_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "project_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("lines_removed", sa.Integer(), nullable=False),
        sa.Column("importance", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["session.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_file_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_file_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("project_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_file_session_id"))
        batch_op.drop_index(batch_op.f("ix_project_file_project_id"))

    op.drop_table("project_file")
    with op.batch_alter_table("knowledge_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_item_project_id"))
        batch_op.drop_index(batch_op.f("ix_knowledge_item_category"))

    op.drop_table("knowledge_item")
    with op.batch_alter_table("handoff_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_queue_project_id"))

    op.drop_table("handoff_queue")
    with op.batch_alter_table("handoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handoff_session_id"))

    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_constraint("fk_session_loaded", type_="foreignkey")

    op.drop_table("handoff")
    op.drop_table("conversation_turn")
    with op.batch_alter_table("session", schema=None) as batch_op:
        batch_op.drop_index("ix_session_project_status")
        batch_op.drop_index(batch_op.f("ix_session_project_id"))
        batch_op.drop_index(batch_op.f("ix_session_account_id"))

    op.drop_table("session")
    op.drop_table("project")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_status"))

    op.drop_table("account")
