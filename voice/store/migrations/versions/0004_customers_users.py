"""Customers (argon2-hashed secrets), their phones, the audit of auth attempts, and users.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create customers, customer_phones, auth_attempts and users."""
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("tier", sa.String(50), nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=True),
        sa.Column("zip_hash", sa.String(200), nullable=True),
        sa.Column("dob_hash", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
        sa.UniqueConstraint("account_number", name="uq_customers_account_number"),
    )
    op.create_table(
        "customer_phones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(255), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="CASCADE",
                                name="fk_customer_phones_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name="pk_customer_phones"),
        sa.UniqueConstraint("customer_id", "phone", name="uq_customer_phones_customer_id_phone"),
    )
    op.create_index("ix_customer_phones_phone", "customer_phones", ["phone"])
    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("call_id", sa.String(255), nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("caller_id", sa.String(255), nullable=True),
        sa.Column("account_key", sa.String(64), nullable=True),
        sa.Column("account_masked", sa.String(40), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_attempts"),
    )
    for column in ("at", "call_id", "caller_id", "account_key"):
        op.create_index(f"ix_auth_attempts_{column}", "auth_attempts", [column])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("api_key_hash", sa.String(64), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.UniqueConstraint("api_key_hash", name="uq_users_api_key_hash"),
    )


def downgrade() -> None:
    """Drop users, auth_attempts, customer_phones and customers."""
    op.drop_table("users")
    for column in ("account_key", "caller_id", "call_id", "at"):
        op.drop_index(f"ix_auth_attempts_{column}", table_name="auth_attempts")
    op.drop_table("auth_attempts")
    op.drop_index("ix_customer_phones_phone", table_name="customer_phones")
    op.drop_table("customer_phones")
    op.drop_table("customers")
