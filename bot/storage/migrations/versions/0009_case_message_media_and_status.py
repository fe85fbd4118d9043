"""Case messages: attachments (an Instagram photo) and a reply's outbox row, for the console.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outbound_message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_case_messages_outbound_message_id', 'outbound_messages', ['outbound_message_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_messages_outbound_message_id', type_='foreignkey')
        batch_op.drop_column('outbound_message_id')
        batch_op.drop_column('attachments')
