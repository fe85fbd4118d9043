"""Events: the day's announcement, one note every member's day-of message carries.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('announcement_by', sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('announcement_by')
        batch_op.drop_column('announcement')
